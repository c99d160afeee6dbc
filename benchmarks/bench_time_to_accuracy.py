"""Wall time (training only) and steps for the default embedded recipe to reach 95 %
zero-shot top-1 on seen compositions, with the held-out accuracy at that point:
fp32 vs bf16, over 3 seeds (medians reported)."""

import statistics
import sys
import time
from dataclasses import replace

import torch

from common import top1, write

from clipviz.core.model import create_model
from clipviz.zoo import DEFAULT_MODEL, recipe
from clipviz.core.train import train

TARGET, EVAL_EVERY, N_EVAL = 0.95, 10, 1000   # the step is known to within EVAL_EVERY


class ReachedTarget(Exception):
    pass


def time_to_target(seed: int, precision: str) -> dict:
    spec = recipe(DEFAULT_MODEL)
    world = spec.make_world()
    train_set = world.dataset("train", n=spec.n_train)
    seen, heldout = world.dataset("test", n=N_EVAL), world.dataset("heldout", n=N_EVAL)
    classes = world.classnames("all")
    model, _, tokenizer = create_model(spec.model, seed=seed)
    found = {}
    eval_seconds = 0.0

    def check(row, model):   # evaluation time is excluded from the training clock
        nonlocal eval_seconds
        if row["step"] % EVAL_EVERY:
            return
        start = time.perf_counter()
        model.eval()
        acc = top1(model, seen, classes, tokenizer)
        if acc >= TARGET:
            found.update(steps=row["step"], train_seconds=row["seconds"] - eval_seconds, seen_acc1=acc,
                         heldout_acc1=top1(model, heldout, classes, tokenizer))
            raise ReachedTarget
        model.train()
        eval_seconds += time.perf_counter() - start

    config = replace(spec.config, seed=seed, precision=precision, progress=False)
    try:
        history = train(model, train_set, config, tokenizer=tokenizer, callbacks=[check])
        final = top1(model, seen, classes, tokenizer)
        return {"seed": seed, "precision": precision, "reached": False, "steps": config.steps,
                "train_seconds": float(history.seconds.iloc[-1]) - eval_seconds, "seen_acc1": final}
    except ReachedTarget:
        return {"seed": seed, "precision": precision, "reached": True, **found}


def summarize(runs: list[dict]) -> dict:
    """Per precision: how many runs reached the target, median training seconds and steps
    (a run that never reached it counts with its full length)."""
    summary = {}
    for precision in sorted({r["precision"] for r in runs}):
        mine = [r for r in runs if r["precision"] == precision]
        summary[precision] = {"reached": sum(r["reached"] for r in mine), "runs": len(mine),
                              "median_train_seconds": statistics.median(r["train_seconds"] for r in mine),
                              "median_steps": statistics.median(r["steps"] for r in mine)}
        print(f"{precision}: {summary[precision]}")
    return summary


def main() -> None:
    torch.set_num_threads(2)
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    runs = []
    for precision in ("fp32", "bf16"):
        for seed in seeds:
            runs.append(time_to_target(seed, precision))
            print(runs[-1], flush=True)
    write("time_to_accuracy", {"model": DEFAULT_MODEL, "target_seen_acc1": TARGET, "eval_every": EVAL_EVERY,
                               "runs": runs, "summary": summarize(runs)})


if __name__ == "__main__":
    main()

"""Zero-shot top-1 on seen and held-out compositions after the default recipe's full run,
over 3 seeds, beside the same run with the earlier schedule (peak lr 2e-3 after 10 warmup
steps): held-out compositions are where a schedule shows, and they vary with the seed."""

import statistics
import sys
from dataclasses import replace

import torch

from common import top1, write

from clipviz.core.model import create_model
from clipviz.zoo import DEFAULT_MODEL, recipe
from clipviz.core.train import train

N_EVAL = 1000
SCHEDULES = {"default (lr 3e-3, 100 warmup steps)": {},
             "earlier (lr 2e-3, 10 warmup steps)": dict(lr=2e-3, warmup_steps=10)}


def final_accuracy(seed: int, changes: dict) -> dict:
    spec = recipe(DEFAULT_MODEL)
    world = spec.make_world()
    classes = world.classnames("all")
    model, _, tokenizer = create_model(spec.model, seed=seed)
    history = train(model, world.dataset("train", n=spec.n_train),
                    replace(spec.config, seed=seed, progress=False, **changes), tokenizer=tokenizer)
    return {split: top1(model, world.dataset(split, n=N_EVAL), classes, tokenizer)
            for split in ("test", "heldout")} | {
        "seed": seed, "train_seconds": float(history.seconds.iloc[-1])}


def main() -> None:
    torch.set_num_threads(2)
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    results = {}
    for schedule, changes in SCHEDULES.items():
        runs = [final_accuracy(seed, changes) for seed in seeds]
        results[schedule] = {"runs": runs, "median_seen": statistics.median(r["test"] for r in runs),
                             "median_heldout": statistics.median(r["heldout"] for r in runs)}
        print(f"{schedule}: seen {[r['test'] for r in runs]}, held-out {[r['heldout'] for r in runs]}", flush=True)
    write("heldout", {"model": DEFAULT_MODEL, "n_eval": N_EVAL, "schedules": results})


if __name__ == "__main__":
    main()

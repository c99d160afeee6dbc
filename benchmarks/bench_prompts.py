"""The paper's three prompt effects on the embedded default model, the default model's
and notebook 01's live run's accuracy, and notebook 04's bias pair: what notebook 03 and
the ShapesWorld design are judged by. Writes results/prompts.json."""

import time
from pathlib import Path

import jupytext
import torch

from common import top1, write

from clipviz.analysis import audit
from clipviz.evaluation.embed import encode_images
from clipviz.core.model import create_model
from clipviz.teaching.notebook import load_audit_data, load_model
from clipviz.zoo import DEFAULT_MODEL, pretrained, recipe, training_history
from clipviz.analysis.prompt_effects import measure_effects
from clipviz.core.train import TrainConfig, train
from clipviz.evaluation.zeroshot import load_templates

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
N_EVAL = 2000


def parameters(notebook: str) -> dict:
    """The values of a notebook's parameters cell: the benchmark runs what the notebook runs."""
    cell = next(c for c in jupytext.read(NOTEBOOKS / f"{notebook}.py").cells
                if "parameters" in c.metadata.get("tags", []))
    values = {}
    exec(cell.source, values)
    return values


def accuracy(model, tokenizer, world) -> dict:
    classes = world.classnames("all")
    return {"seen_acc1": top1(model, world.dataset("test", n=N_EVAL), classes, tokenizer),
            "heldout_acc1": top1(model, world.dataset("heldout", n=N_EVAL), classes, tokenizer)}


def live_run() -> dict:
    """Notebook 01's live training run with its default parameters."""
    p = parameters("01_train_clip_on_a_subset")
    world = recipe(DEFAULT_MODEL).make_world().replace(seed=p["SEED"])
    model, _, tokenizer = create_model(p["MODEL"], seed=p["SEED"])
    history = train(model, world.dataset("train", n=p["SUBSET_SIZE"]),
                    TrainConfig(steps=p["LIVE_STEPS"], batch_size=p["BATCH_SIZE"], seed=p["SEED"], progress=False))
    return {**accuracy(model, tokenizer, world), "train_seconds": float(history.seconds.iloc[-1]),
            "steps": p["LIVE_STEPS"], "pairs": p["SUBSET_SIZE"]}


def bias_gaps() -> dict:
    """Notebook 04's harmful-rate gap (dark − light, label set L1) of its two models."""
    p = parameters("04_bias_audit")
    data = load_audit_data(p["DATA"], p["N_IMAGES"], seed=p["SEED"], columns=(p["LABEL_COLUMN"], p["GROUP_COLUMN"]))
    target, groups = data.meta[p["LABEL_COLUMN"]].to_numpy(), data.meta[p["GROUP_COLUMN"]].to_numpy()
    l1 = audit.standard_label_sets(sorted(set(target)), p["HARMFUL"], p["NEUTRAL"])[1]
    gaps = {}
    for role, name in (("control_gap", p["MODELS"]["control"]), ("biased_gap", p["MODELS"]["biased captions"])):
        model, _, tokenizer = load_model(name, seed=p["SEED"])
        flags = audit.outcomes(audit.label_probabilities(model, tokenizer, encode_images(model, data), l1), l1,
                               target)["harmful"]
        gap, low, high = audit.bootstrap_gap_ci(flags, groups, *p["GROUPS"], seed=p["SEED"])
        gaps[role] = {"value": gap, "ci": [low, high], "model": name}
    return gaps


def main() -> None:
    torch.set_num_threads(2)
    model, _, tokenizer = pretrained(DEFAULT_MODEL)
    world = recipe(DEFAULT_MODEL).make_world()
    effects = measure_effects(model, tokenizer, world, load_templates("openai80"), n=N_EVAL)
    figures = {"effects": {name: {"delta": row["delta"], "ci": [row["low"], row["high"]],
                                  "paper": row["paper (not measured here)"], "with": row["with"],
                                  "without": row["without"], "measured_on": "held-out compositions"
                                  + (", patterned backgrounds" if "polysemous" in name else "")}
                           for name, row in effects.iterrows()},
               "default_model": {**accuracy(model, tokenizer, world),
                                 "train_seconds": float(training_history(DEFAULT_MODEL).seconds.iloc[-1])}}
    start = time.perf_counter()
    figures["live_run"] = live_run()
    figures["live_run"]["wall_seconds"] = time.perf_counter() - start
    figures["bias"] = bias_gaps()
    for section, values in figures.items():
        print(section, values)
    write("prompts", figures)


if __name__ == "__main__":
    main()

"""The paper's three prompt effects across training seeds of the default recipe, the shipped
model's own paired intervals, the default model's accuracy (by style) and notebook 01's live
run, notebook 04's bias pair, and the template words each model never trained: what notebook
03 and the ShapesWorld design are judged by. Writes results/prompts.json.

    python benchmarks/bench_prompts.py [--seeds 8] [--n 6000] [--only default_model,live_run]

The shipped seed (the default recipe's, 0) is fixed before anything is measured; the other
seeds train the same recipe with another `TrainConfig.seed` (its initialisation and batch
order) on the same world, and are cached like the embedded models.
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import jupytext
import numpy as np
import torch

from common import RESULTS, top1, write

from clipviz.analysis import audit
from clipviz.analysis.prompt_effects import CONTROLS, DESCRIPTIONS, EFFECTS, class_outcomes, effect_differences, shape_outcomes
from clipviz.core.model import create_model, tokenize, trained_tokens
from clipviz.core.train import TrainConfig, train
from clipviz.evaluation.embed import encode_images
from clipviz.evaluation.zeroshot import load_templates, untrained_words
from clipviz.references import PAPER
from clipviz.stats import hierarchical_ci, paired_delta_ci
from clipviz.teaching.notebook import load_audit_data, load_model
from clipviz.world import STYLES, ShapesWorld
from clipviz.zoo import CLIP_ART, DEFAULT_MODEL, RECIPES, pretrained, recipe, training_history

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
BANKS = ("openai80", "openai7", "clip_benchmark/cifar10", "shapes", "shapes-unseen")


def parameters(notebook: str) -> dict:
    """The values of a notebook's parameters cell: the benchmark runs what the notebook runs."""
    cell = next(c for c in jupytext.read(NOTEBOOKS / f"{notebook}.py").cells
                if "parameters" in c.metadata.get("tags", []))
    values = {}
    exec(cell.source, values)
    return values


def accuracy(model, tokenizer, world, n: int = 2000) -> dict:
    """Zero-shot top-1 ("a photo of a {}") on seen and held-out compositions: clean flat images
    (the targets), every style on its own, and the world's own mix of styles and qualities."""
    classes, found = world.classnames("all"), {}
    for name, split in (("seen", "test"), ("heldout", "heldout")):
        for style in STYLES:
            found[f"{name}_{style}_acc1"] = top1(model, world.dataset(split, n=n, style_weights=style, quality_p=0.0),
                                                 classes, tokenizer)
        found[f"{name}_mixed_acc1"] = top1(model, world.dataset(split, n=n), classes, tokenizer)
    found["seen_acc1"], found["heldout_acc1"] = found["seen_flat_acc1"], found["heldout_flat_acc1"]
    return found


def seed_recipe(seed: int) -> str:
    """The default recipe with another training seed, registered so the zoo caches it."""
    name = DEFAULT_MODEL if seed == recipe(DEFAULT_MODEL).config.seed else f"{DEFAULT_MODEL}-seed{seed}"
    base = recipe(DEFAULT_MODEL)
    RECIPES.setdefault(name, dataclasses.replace(base, config=dataclasses.replace(base.config, seed=seed),
                                                 about=f"the default recipe, training seed {seed}"))
    return name


def effects_across_seeds(seeds: int, n: int) -> tuple[dict, dict]:
    """Every effect's per-image differences for each seed's model, and the shipped model's table."""
    world, templates = recipe(DEFAULT_MODEL).make_world(), load_templates("openai80")
    per_seed, shipped = {name: [] for name in EFFECTS + CONTROLS}, None
    for seed in range(seeds):
        model, _, tokenizer = pretrained(seed_recipe(seed))
        classes = class_outcomes(model, tokenizer, world, templates, n)
        shapes = shape_outcomes(model, tokenizer, world, n)
        differences = effect_differences(classes, shapes)
        for name, values in differences.items():
            per_seed[name].append(values)
        if seed == 0:
            shipped = {"classes": classes, "shapes": shapes}
        print(f"seed {seed}: " + ", ".join(f"{k} {v.mean():+.4f}" for k, v in differences.items()), flush=True)
    return per_seed, shipped


def summarise(per_seed: dict, shipped: dict) -> dict:
    found = {}
    for name, groups in per_seed.items():
        mean, low, high = hierarchical_ci(groups)
        shipped_delta = paired_delta_ci(groups[0], np.zeros_like(groups[0]))
        found[name] = {"seeds": len(groups), "mean": mean, "sd": float(np.std([g.mean() for g in groups], ddof=1)),
                       "ci": [low, high], "per_seed": [float(g.mean()) for g in groups], "n_images": len(groups[0]),
                       "paper": PAPER.get(name, "—"), "about": DESCRIPTIONS[name],
                       "shipped": {"delta": shipped_delta[0], "ci": list(shipped_delta[1:])}}
    classes = shipped["classes"]
    found["by_style_shipped"] = {
        style: {"photo": float(t.photo.mean()), "bare": float(t.bare.mean()), "openai80": float(t.openai80.mean()),
                "n": len(t)} for style, t in classes.groupby("style")}
    found["shape_task_shipped"] = shipped["shapes"].groupby("background")[["bare", "descriptive", "random"]] \
        .mean().to_dict(orient="index")
    found["by_split_shipped"] = {
        split: {"photo": float(t.photo.mean()), "bare": float(t.bare.mean()), "openai80": float(t.openai80.mean()),
                "n": len(t)} for split, t in classes.groupby("split")}
    return found


def untrained_template_words() -> dict:
    """How many templates of each bank hold a word whose token row the default model never trained."""
    model, _, tokenizer = pretrained(DEFAULT_MODEL)
    return {bank: len(untrained_words(load_templates(bank), tokenizer, trained_tokens(model))) for bank in BANKS}


def live_run() -> dict:
    """Notebook 01's live training run with its default parameters."""
    p = parameters("01_train_clip_on_a_subset")
    world = ShapesWorld(seed=p["SEED"], **(CLIP_ART if p["PICTURES"] == "clip art" else {}))
    model, _, tokenizer = create_model(p["MODEL"], seed=p["SEED"])
    history = train(model, world.dataset("train", n=p["SUBSET_SIZE"]),
                    TrainConfig(steps=p["LIVE_STEPS"], batch_size=p["BATCH_SIZE"], seed=p["SEED"], progress=False))
    return {**accuracy(model, tokenizer, world), "train_seconds": float(history.seconds.iloc[-1]),
            "steps": p["LIVE_STEPS"], "pairs": p["SUBSET_SIZE"], "pictures": p["PICTURES"]}


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


SECTIONS = ("effects", "untrained_template_words", "default_model", "live_run", "bias")


def measure(section: str, args) -> dict:
    """One section of results/prompts.json."""
    if section == "effects":
        return summarise(*effects_across_seeds(args.seeds, args.n))
    if section == "untrained_template_words":
        return untrained_template_words()
    if section == "default_model":
        model, _, tokenizer = pretrained(DEFAULT_MODEL)
        return {**accuracy(model, tokenizer, recipe(DEFAULT_MODEL).make_world()),
                "train_seconds": float(training_history(DEFAULT_MODEL).seconds.iloc[-1])}
    if section == "live_run":
        start = time.perf_counter()
        return {**live_run(), "wall_seconds": time.perf_counter() - start}
    return bias_gaps()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="training seeds of the default recipe (0 is shipped)")
    parser.add_argument("--n", type=int, default=6000, help="test images per effect and seed")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="sections to measure, comma-separated; the others are kept from results/prompts.json")
    args = parser.parse_args()
    torch.set_num_threads(2)
    chosen = args.only.split(",")
    if unknown := set(chosen) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    stored = RESULTS / "prompts.json"
    kept = {k: v for k, v in json.loads(stored.read_text()).items() if k in SECTIONS} if stored.exists() else {}
    figures = {section: measure(section, args) if section in chosen else kept[section] for section in SECTIONS}
    for section in chosen:
        print(section, figures[section])
    write("prompts", figures)


if __name__ == "__main__":
    main()

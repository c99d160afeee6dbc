"""`make demo`: the headless main job — data, the default model, its zero-shot report."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")  # headless: figures go to PNG files

from . import viz
from ..core.device import describe, resolve_device
from ..core.model import resolve_precision
from ..evaluation.embed import pair_features
from ..evaluation.report import evaluate, zero_shot_confusion
from ..zoo import DEFAULT_MODEL, pretrained, recipe, training_history
from ..evaluation.zeroshot import PHOTO_TEMPLATE


RETRIEVAL_NOTE = ("recall@1 is CLIP_benchmark's rule: many images share a word-for-word caption (\"a red "
                  "circle\"), and a tie with another image's copy counts as a miss; expected_recall@1 orders "
                  "such ties at random, as a reader would count them.")


def run_demo(out: Path, name: str = DEFAULT_MODEL, device="auto") -> dict:
    """Write the world summary, metrics.json and the key figures (sample grid, training
    curves, similarity matrix, held-out confusion matrix) to `out`; print a short table.

    device: where the model runs (and trains, when it is not cached): "auto" takes a GPU
    when there is one (`core.device.resolve_device`); printed once with the precision."""
    device = resolve_device(device)
    out.mkdir(parents=True, exist_ok=True)
    world = recipe(name).make_world()
    print(world.summary().to_string(), "\n")
    viz.sample_grid(world.dataset("train", n=64), n=16, title="ShapesWorld training pairs") \
        .savefig(out / "sample_grid.png", dpi=110)

    print(describe(device, resolve_precision("auto", device)))
    model, _, tokenizer = pretrained(name, device=device)
    history = training_history(name)
    viz.training_curves(history).savefig(out / "training_curves.png", dpi=110)
    classnames = world.classnames("all")
    reports = {split: evaluate(model, world.dataset(split, n=n), classnames, [PHOTO_TEMPLATE], tokenizer)
               for split, n in (("test", 2000), ("heldout", 1200))}
    metrics = {"model": name, "train_seconds": round(float(history.seconds.iloc[-1]), 1), **reports}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    keys = ["acc1", "acc5", "mean_per_class_recall", "image_retrieval_recall@1", "image_retrieval_expected_recall@1",
            "text_retrieval_recall@1", "text_retrieval_expected_recall@1"]
    table = pd.DataFrame({f"{split} ({'seen' if split == 'test' else 'held-out'} compositions)":
                          [reports[split][k] for k in keys] for split in reports}, index=keys)
    print(f"{name}: trained in {metrics['train_seconds']} s\n{table.round(3).to_string()}")
    print(RETRIEVAL_NOTE)
    pairs = world.dataset("test", n=8)
    viz.similarity_matrix(*pair_features(model, tokenizer, pairs), pairs.captions, "after training",
                          pairs.images).savefig(out / "similarity_matrix.png", dpi=110)
    counts = zero_shot_confusion(model, world.dataset("heldout", n=600), classnames, [PHOTO_TEMPLATE], tokenizer)
    viz.confusion_matrix(counts, classnames, "held-out compositions: zero-shot confusion") \
        .savefig(out / "confusion_heldout.png", dpi=110)
    print(f"\nfigures and metrics.json in {out}/")
    return metrics

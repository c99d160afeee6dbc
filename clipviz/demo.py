"""`make demo`: the headless main job — data, the default model, its zero-shot report."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures go to PNG files

from . import viz
from .embed import encode_images
from .pretrained import DEFAULT_MODEL, pretrained, recipe, training_history
from .world import CLASS_TEMPLATE
from .zeroshot import zero_shot_classifier, zero_shot_logits


def zero_shot_accuracy(model, tokenizer, dataset, classnames) -> float:
    classifier = zero_shot_classifier(model, tokenizer, classnames, [CLASS_TEMPLATE])
    predicted = zero_shot_logits(encode_images(model, dataset), classifier).argmax(1).numpy()
    truth = dataset.meta["label"].map({c: i for i, c in enumerate(classnames)}).to_numpy()
    return float((predicted == truth).mean())


def run_demo(out: Path, name: str = DEFAULT_MODEL) -> dict:
    """Write the world summary, a sample grid, training curves and zero-shot metrics to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    world = recipe(name).make_world()
    print(world.summary().to_string(), "\n")
    viz.sample_grid(world.dataset("train", n=64), n=16, title="ShapesWorld training pairs") \
        .savefig(out / "sample_grid.png", dpi=110)

    model, _, tokenizer = pretrained(name)
    history = training_history(name)
    viz.training_curves(history).savefig(out / "training_curves.png", dpi=110)
    classnames = world.classnames("all")
    metrics = {"model": name, "train_seconds": round(float(history.seconds.iloc[-1]), 1),
               "zero_shot_top1_seen": zero_shot_accuracy(model, tokenizer, world.dataset("test", n=2000), classnames),
               "zero_shot_top1_heldout": zero_shot_accuracy(model, tokenizer, world.dataset("heldout", n=1200), classnames)}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print("\n".join(f"{k:>24}: {v:.3f}" if isinstance(v, float) else f"{k:>24}: {v}" for k, v in metrics.items()))
    print(f"\nfigures and metrics.json in {out}/")
    return metrics

"""What a notebook's parameters cell turns into: data sets and models.

The notebooks stay short and switch between the embedded defaults and your own data or
a real OpenCLIP model by changing their parameters cell only; these helpers do the rest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .data import load_dataset
from .embed import cached_pair_features
from .evaluate import evaluate
from .model import create_model, from_checkpoint
from .pretrained import RECIPES, cache_path, pretrained, recipe
from .world import CLASS_TEMPLATE, ShapesWorld

SWEEP = {1000: "shapes-cnn-tiny-n1000", 4000: "shapes-cnn-tiny-n4000", 20000: "shapes-cnn-tiny"}
SWEEP_FILE = Path(__file__).parent / "results" / "data_size_sweep.json"


def load_data(spec: str, n_train: int | None, seed: int = 0, n_eval: int = 1000):
    """Training and evaluation data from a spec ("shapes", "csv:PATH", "folder:PATH").

    Returns:
        (world, train_set, test_set, heldout_set, classnames). For ShapesWorld: the world,
        `n_train` training pairs (None when n_train is 0/None: a notebook that only
        evaluates), seen and held-out test sets, every colour–shape class.
        For your files: world and heldout_set are None; train and test sets are a split
        by image; classes are the values of the `label` column.
    """
    if spec == "shapes":
        world = ShapesWorld(seed=seed)
        train_set = world.dataset("train", n=n_train) if n_train else None
        return (world, train_set, world.dataset("test", n=n_eval),
                world.dataset("heldout", n=n_eval), world.classnames("all"))
    dataset = load_dataset(spec)
    if "label" not in dataset.meta.columns:
        raise ValueError(f"{spec} has no 'label' column: zero-shot evaluation needs each image's class")
    train_set, test_set = dataset.split(0.5, seed=seed)
    if len(train_set) > n_train:
        train_set = train_set.subset(n=n_train, seed=seed)
    return None, train_set, test_set, None, sorted(dataset.meta["label"].unique())


def load_model(name: str, pretrained_weights: str | None = None, trained: bool = True, seed: int = 0):
    """(model, preprocess, tokenizer) for a notebook's MODEL / PRETRAINED parameters.

    trained=False gives the same architecture freshly initialised (the "before" picture).
    Otherwise: an embedded model from its checkpoint file when `pretrained_weights` is
    given, else from the cache; an open_clip model with `pretrained_weights` (tag or file).
    """
    architecture = recipe(name).model if name in RECIPES else name
    if not trained:
        return create_model(architecture, seed=seed)
    if name in RECIPES:
        return from_checkpoint(pretrained_weights) if pretrained_weights else pretrained(name)
    return create_model(name, pretrained=pretrained_weights, seed=seed)


def measure_sweep(n_eval: int = 1000) -> pd.DataFrame:
    """Zero-shot top-1 (seen, held-out) of the same recipe trained on more and more pairs;
    trains the sweep's models when they are not cached."""
    world = ShapesWorld(seed=0)
    classnames, rows = world.classnames("all"), {}
    for size, name in SWEEP.items():
        model, _, tokenizer = pretrained(name)
        rows[f"{size:,} pairs"] = {
            split_name: evaluate(model, world.dataset(split, n=n_eval), classnames, [CLASS_TEMPLATE],
                                 tokenizer, ks=())["acc1"]
            for split_name, split in (("seen", "test"), ("held-out", "heldout"))}
    return pd.DataFrame(rows).T


def write_sweep(path: Path = SWEEP_FILE) -> Path:
    """Measure the sweep and store it with the recipe keys it was measured for."""
    table = measure_sweep()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"recipes": sweep_keys(), "when": time.strftime("%Y-%m-%d"),
                                "table": table.to_dict(orient="index")}, indent=2) + "\n")
    return path


def sweep_keys() -> dict[str, str]:
    return {name: recipe(name).key() for name in SWEEP.values()}


def sweep_table(path: Path = SWEEP_FILE) -> tuple[pd.DataFrame, str]:
    """The data-size sweep and where its numbers come from.

    Measured now when the sweep's models are all cached; otherwise read from the stored
    measurement of the same recipes (`clipviz pretrained sweep`), so the notebook never
    spends minutes training three models; trained and measured only when neither exists.
    """
    if all(cache_path(name).exists() for name in SWEEP.values()):
        return measure_sweep(), "measured now from the cached models"
    stored = json.loads(path.read_text()) if path.exists() else {}
    if stored.get("recipes") == sweep_keys():
        return (pd.DataFrame.from_dict(stored["table"], orient="index"),
                f"stored measurement of these recipes ({stored['when']}); `make models` recomputes it here")
    return measure_sweep(), "measured now (models trained for it)"


def map_data(model, tokenizer, datasets) -> tuple:
    """Cached encodings of several pair datasets, stacked: (image_features, text_features, meta).

    `meta` gains a `composition` column ("seen" / "held-out") when the data say which
    compositions were held out.
    """
    encoded = [cached_pair_features(model, tokenizer, d) for d in datasets if d is not None]
    meta = pd.concat([d.meta for d in datasets if d is not None], ignore_index=True)
    if "heldout" in meta.columns:
        meta["composition"] = np.where(meta["heldout"].astype(bool), "held-out", "seen")
    return torch.cat([i for i, _ in encoded]), torch.cat([t for _, t in encoded]), meta


def map_images(datasets, size: int = 64) -> np.ndarray:
    """The images of several pair datasets, one per pair, stacked: uint8 (N, size, size, 3)."""
    return np.concatenate([d.image_batch(range(len(d)), size).permute(0, 2, 3, 1).numpy()
                           for d in datasets if d is not None])


def load_audit_data(spec: str, n: int, seed: int = 0):
    """The images to audit: ShapesWorld's single-object test images (their shape is the
    class, their background the group), or every pair of a CSV/folder data set."""
    if spec == "shapes":
        return ShapesWorld(seed=seed).dataset("test", n=n).subset(n_objects=1)
    return load_dataset(spec)

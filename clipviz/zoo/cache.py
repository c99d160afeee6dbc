"""The embedded default models: trained tiny CLIPs that every notebook starts from.

`pretrained(name)` loads a model from the cache (`$CLIPVIZ_CACHE`, default
`~/.cache/clipviz`) or, when absent, trains it now from its recipe — deterministically,
with a progress bar — and writes it atomically under a file lock, so two notebooks
asking at once train it once and never see a half-written file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch
from filelock import FileLock

from .._paths import cache_dir, save_atomic
from ..core.device import resolve_device
from ..core.classifier import supervised_classifier, train_classifier, zero_shot_image_classifier
from ..core.model import create_model, from_checkpoint, read_checkpoint, save_weights
from ..core.train import train
from ..evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, learned_scale, zero_shot_classifier
from .recipes import DEFAULT_MODEL, ClassifierRecipe, classifier_recipe, recipe


def classifier_path(name: str) -> Path:
    return cache_dir() / f"{name}-{classifier_recipe(name).key()}.pt"


def _classifier_network(spec: ClassifierRecipe, device="auto"):
    """The untrained network of a classifier recipe on `device`: (ImageClassifier, its class names)."""
    names = spec.world().classnames("seen")
    if spec.base is None:
        return supervised_classifier(len(names), spec.width, seed=spec.config.seed).to(resolve_device(device)), names
    model, _, tokenizer = pretrained(spec.base, device=device)
    head = zero_shot_classifier(model, tokenizer, names, [PHOTO_TEMPLATE])
    return zero_shot_image_classifier(model, head, learned_scale(model)).to(resolve_device(device)), names


def build_classifier(name: str, progress: bool = True, device="auto") -> Path:
    """Train the embedded classifier `name` on its style's labelled images (on `device`); cache it."""
    spec = classifier_recipe(name)

    def make(path: Path) -> None:
        net, names = _classifier_network(spec, device)
        data = spec.world().dataset("labelled", n=spec.n_train, style_weights=spec.style)
        history = train_classifier(net, data, class_targets(data, names)[0], replace(spec.config, progress=progress),
                                   pretrained=spec.base is not None)
        save_atomic({"state_dict": net.state_dict(), "history": history.to_dict(orient="list")}, path)

    return cached(classifier_path(name), make)


def classifier(name: str, trained: bool = True, progress: bool = True, device="auto"):
    """An embedded image classifier: trained (from the cache, or trained now), or as its
    training starts (trained=False: a fine-tune's zero-shot head network, WiSE-FT's α = 0).

    Args:
        device: where it lives ("auto": a GPU when there is one; `core.device.resolve_device`).
    Returns:
        (ImageClassifier in eval mode, its class names).
    """
    net, names = _classifier_network(classifier_recipe(name), device)
    if trained:
        path = build_classifier(name, progress, device)
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["state_dict"])
    return net.eval(), names


def cache_path(name: str) -> Path:
    return cache_dir() / f"{name}-{recipe(name).key()}.pt"


def build(name: str, progress: bool = True, device="auto") -> Path:
    """Train the embedded model `name` (on `device`) and write it to the cache; returns its path."""
    spec = recipe(name)

    def make(path: Path) -> None:
        if spec.base:
            model = from_checkpoint(build(spec.base, progress, device), device=device)[0]
        else:
            model = create_model(spec.model, seed=spec.config.seed, device=device)[0]
        dataset = spec.make_world().dataset("train", n=spec.n_train)
        history = train(model, dataset, replace(spec.config, progress=progress))
        save_weights(model, path, recipe=name, history=history.to_dict(orient="list"))

    return cached(cache_path(name), make)


def cached(path: Path, make) -> Path:
    """`path`, written by `make(path)` first when absent — under a file lock, so that two
    processes asking at once make it once and never read a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if not path.exists():        # another process may have made it while we waited
            make(path)
    return path


def pretrained(name: str = DEFAULT_MODEL, progress: bool = True, device="auto"):
    """A trained embedded model: from the cache, or trained now (≈1 minute on a laptop CPU).

    Args:
        name: one of `RECIPES` (e.g. "shapes-cnn-tiny", "shapes-cnn-tiny-biased").
        device: where the model lives, and is trained when it is not cached ("auto": a
            GPU when there is one; `core.device.resolve_device`).
    Returns:
        (model, preprocess, tokenizer), like `create_model`. The world it was trained
        on is `recipe(name).make_world()`; its training curves `training_history(name)`.
    """
    device = resolve_device(device)
    path = cache_path(name)
    if not path.exists():
        build(name, progress=progress, device=device)
    return from_checkpoint(path, device=device)


def training_history(name: str = DEFAULT_MODEL):
    """The training history (a DataFrame) stored with a cached embedded model."""
    import pandas as pd

    path = cache_path(name)
    if not path.exists():
        build(name)
    return pd.DataFrame(read_checkpoint(path)["history"])

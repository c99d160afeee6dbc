"""The embedded default models: trained tiny CLIPs that every notebook starts from.

`pretrained(name)` loads a model from the cache (`$CLIPVIZ_CACHE`, default
`~/.cache/clipviz`) or, when absent, trains it now from its recipe — deterministically,
with a progress bar — and writes it atomically under a file lock, so two notebooks
asking at once train it once and never see a half-written file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import open_clip
from filelock import FileLock

from .model import create_model, from_checkpoint, read_checkpoint, save_weights
from .train import TrainConfig, train
from .world import WORLD_VERSION, ShapesWorld

DEFAULT_MODEL = "shapes-cnn-tiny"


# bumped when the training code changes the weights it produces (2: text MLPs in bf16 on
# CPUs; 3: only the token rows the captions use are trained)
TRAINING_CODE = 3
# settings that change how a run is shown or computed, never its weights
NOT_IN_KEY = ("progress", "out_dir", "local_loss", "gather_with_grad")


@dataclass(frozen=True)
class Recipe:
    """How an embedded model is made: architecture, world, data size, training."""

    model: str
    world: dict = field(default_factory=dict)   # ShapesWorld keyword arguments
    n_train: int = 20_000
    config: TrainConfig = TrainConfig(steps=500)   # ≈ 60 s for the default model on 2 CPU cores
    about: str = ""

    def make_world(self) -> ShapesWorld:
        return ShapesWorld(**self.world)

    def key(self) -> str:
        """Changes whenever anything that shapes the weights changes."""
        text = json.dumps({"model": self.model, "architecture": open_clip.get_model_config(self.model),
                           "world": self.make_world().knobs(), "world_version": WORLD_VERSION,
                           "n": self.n_train, "code": TRAINING_CODE,
                           # the recipe's lr / warmup filled in: a change of SCRATCH is a change here
                           "config": {k: v for k, v in asdict(self.config.for_model(None)).items()
                                      if k not in NOT_IN_KEY}}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


_BIAS = dict(bias_word="broken", bias_group="dark", bias_p=0.5, bias_p_other=0.05)
RECIPES = {
    "shapes-cnn-tiny": Recipe("shapes-cnn-tiny", about="the default: small ResNet image tower"),
    "shapes-cnn-tiny-biased": Recipe("shapes-cnn-tiny", world=_BIAS,
                                     about="captions say 'broken' far more often on dark backgrounds"),
    "shapes-cnn-tiny-even": Recipe("shapes-cnn-tiny", world={**_BIAS, "bias_p": 0.2, "bias_p_other": 0.2},
                                   about="the bias audit's control: 'broken' equally often (20 %) in both groups"),
    "shapes-cnn-tiny-mixed": Recipe("shapes-cnn-tiny", world=dict(language="mix", ko_fraction=0.5),
                                    about="half the captions in Korean"),
    # at the default rate 3e-3 the ModifiedResNet scored 0.45 on seen pairs, at 1e-3 0.99
    "shapes-rn-tiny": Recipe("shapes-rn-tiny", config=TrainConfig(steps=420, lr=1e-3),
                             about="ModifiedResNet image tower (as CLIP's RN50)"),
    # within this budget the ViT learns colours, not yet shapes (seen pairs ≈ 0.2 at 420 and at
    # 700 steps, lr 5e-4 to 3e-3): no convolutional prior, and far too little data for one
    "shapes-vit-tiny": Recipe("shapes-vit-tiny", config=TrainConfig(steps=420, lr=1e-3),
                              about="ViT image tower (as CLIP's ViT-B/32); learns colours only in 90 s"),
    # the same training on less data, for the data-size sweep of notebook 01
    "shapes-cnn-tiny-n1000": Recipe("shapes-cnn-tiny", n_train=1000, about="default recipe, 1,000 pairs"),
    "shapes-cnn-tiny-n4000": Recipe("shapes-cnn-tiny", n_train=4000, about="default recipe, 4,000 pairs"),
}
# what the notebooks load: `make test` builds these before running them (notebook 01's
# data-size sweep reads its stored measurement when n1000/n4000 are not cached)
NOTEBOOK_MODELS = ("shapes-cnn-tiny", "shapes-cnn-tiny-mixed", "shapes-cnn-tiny-biased", "shapes-cnn-tiny-even")


def cache_dir() -> Path:
    return Path(os.environ.get("CLIPVIZ_CACHE", Path.home() / ".cache" / "clipviz"))


def cache_path(name: str) -> Path:
    return cache_dir() / f"{name}-{recipe(name).key()}.pt"


def recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown embedded model {name!r}; choose from {list(RECIPES)}")
    return RECIPES[name]


def build(name: str, progress: bool = True) -> Path:
    """Train the embedded model `name` and write it to the cache; returns its path."""
    path = cache_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if path.exists():            # another process built it while we waited
            return path
        spec = recipe(name)
        model, _, _ = create_model(spec.model, seed=spec.config.seed)
        dataset = spec.make_world().dataset("train", n=spec.n_train)
        config = TrainConfig(**{**asdict(spec.config), "progress": progress})
        history = train(model, dataset, config)
        save_weights(model, path, recipe=name, history=history.to_dict(orient="list"))
    return path


def pretrained(name: str = DEFAULT_MODEL, progress: bool = True):
    """A trained embedded model: from the cache, or trained now (≈1 minute).

    Args:
        name: one of `RECIPES` (e.g. "shapes-cnn-tiny", "shapes-cnn-tiny-biased").
    Returns:
        (model, preprocess, tokenizer), like `create_model`. The world it was trained
        on is `recipe(name).make_world()`; its training curves `training_history(name)`.
    """
    path = cache_path(name)
    if not path.exists():
        build(name, progress=progress)
    return from_checkpoint(path)


def training_history(name: str = DEFAULT_MODEL):
    """The training history (a DataFrame) stored with a cached embedded model."""
    import pandas as pd

    path = cache_path(name)
    if not path.exists():
        build(name)
    return pd.DataFrame(read_checkpoint(path)["history"])

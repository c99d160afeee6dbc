"""The embedded models as data: each a named recipe (architecture, world, data size,
training), with a key that changes whenever anything that shapes its weights changes.

    RECIPES        contrastive CLIPs: the default, its variants for notebooks 01-06
    CLASSIFIERS    image classifiers for notebook 05: supervised baselines, a fine-tuned CLIP
    NOTEBOOK_MODELS  what the notebooks load (`make test` builds them first)

`zoo.build` trains and caches them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import open_clip

from ..core.train import TrainConfig
from ..world import WORLD_VERSION, ShapesWorld
from ..world.negatives import HARD_NEGATIVES_VERSION

DEFAULT_MODEL = "shapes-cnn-tiny"


# bumped when the training code changes the weights it produces (2: text MLPs in bf16 on
# CPUs; 3: only the token rows the captions use are trained)
TRAINING_CODE = 3
# settings that change how a run is shown or computed, never its weights
NOT_IN_KEY = ("progress", "out_dir", "local_loss", "gather_with_grad")
OPT_IN = ("hard_negatives",)


@dataclass(frozen=True)
class Recipe:
    """How an embedded model is made: architecture, world, data size, training; with
    `base`, by fine-tuning that embedded model instead of starting from a random init."""

    model: str
    world: dict = field(default_factory=dict)   # ShapesWorld keyword arguments
    n_train: int = 20_000
    # every style and picture quality: seen flat top-1 95 % after ~650 steps (500: 0.60-0.78)
    config: TrainConfig = TrainConfig(steps=800)
    base: str | None = None
    about: str = ""

    def __post_init__(self):
        if self.base and (self.config.lr is None or self.config.warmup_steps is None):
            raise ValueError("a fine-tuning recipe sets its lr and warmup_steps (they are part of its cache key)")

    def make_world(self) -> ShapesWorld:
        return ShapesWorld(**self.world)

    def key(self) -> str:
        """Changes whenever anything that shapes the weights changes."""
        description = {"model": self.model, "architecture": open_clip.get_model_config(self.model),
                       "world": self.make_world().knobs(), "world_version": WORLD_VERSION,
                       "n": self.n_train, "code": TRAINING_CODE,
                       # the recipe's lr / warmup filled in: a change of SCRATCH is a change here
                       "config": _config_key(self.config)}
        if self.base:
            description["base"] = recipe(self.base).key()
        return _hash(description)


def _hash(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:10]


def _config_key(config: TrainConfig) -> dict:
    # an opt-in option joins the key only when on (adding one leaves every other model's key as
    # it was), with the version of the code it runs
    key = {k: v for k, v in asdict(config.for_model(None)).items()
           if k not in NOT_IN_KEY and not (k in OPT_IN and v is False)}
    if key.get("hard_negatives"):
        key["hard_negatives"] = HARD_NEGATIVES_VERSION
    return key


_BIAS = dict(bias_word="broken", bias_group="dark", bias_p=0.5, bias_p_other=0.05)
_RELATIONS = dict(counts=(0.4, 0.4, 0.1, 0.1))   # two objects in 40 % of the images, not 10 %
# clip art only, the first world's pictures: a recipe learns it in a third of the default's steps
CLIP_ART = dict(style_weights="flat", quality_p=0.0)
# fine-tuning an embedded model on other captions (the rate at which 300 steps move it)
_FINE_TUNE = TrainConfig(steps=300, lr=1e-3, warmup_steps=10)
# the bias pair: after 300 such steps the control's gap was -2.6 pt [-4.2, -0.9], after 600 -0.9 [-3.3, +1.4]
_BIAS_FINE_TUNE = TrainConfig(steps=600, lr=1e-3, warmup_steps=10)
RECIPES = {
    "shapes-cnn-tiny": Recipe("shapes-cnn-tiny", about="the default: small ResNet image tower, every style and quality"),
    "shapes-cnn-tiny-flat": Recipe("shapes-cnn-tiny", world=CLIP_ART, config=TrainConfig(steps=500),
                                   about="the same recipe on flat clip art only (one style, clean pictures)"),
    # notebook 04: the default model fine-tuned on captions with a known bias, and its control
    "shapes-cnn-tiny-biased": Recipe("shapes-cnn-tiny", world=_BIAS, n_train=10_000, base="shapes-cnn-tiny",
                                     config=_BIAS_FINE_TUNE,
                                     about="fine-tuned on captions that say 'broken' far more often on dark backgrounds"),
    "shapes-cnn-tiny-even": Recipe("shapes-cnn-tiny", world={**_BIAS, "bias_p": 0.2, "bias_p_other": 0.2},
                                   n_train=10_000, base="shapes-cnn-tiny", config=_BIAS_FINE_TUNE,
                                   about="the bias audit's control: 'broken' equally often (20 %) in both groups"),
    # notebook 03: the default model fine-tuned on captions half in Korean
    "shapes-cnn-tiny-mixed": Recipe("shapes-cnn-tiny", world=dict(language="mix", ko_fraction=0.5), n_train=10_000,
                                    base="shapes-cnn-tiny", config=_FINE_TUNE,
                                    about="fine-tuned on captions half in Korean"),
    # at the default rate 3e-3 the ModifiedResNet scored 0.45 on seen pairs, at 1e-3 0.99
    "shapes-rn-tiny": Recipe("shapes-rn-tiny", world=CLIP_ART, config=TrainConfig(steps=420, lr=1e-3),
                             about="ModifiedResNet image tower (as CLIP's RN50), on flat clip art"),
    # the hybrid ViT: seen 0.94 at lr 1e-3, 0.965 at 1.5e-3 (95 % from step 360), 0.20 at 3e-3
    "shapes-vit-tiny": Recipe("shapes-vit-tiny", world=CLIP_ART, config=TrainConfig(steps=400, lr=1.5e-3),
                              about="hybrid ViT image tower (ResNet stages, then a transformer), on flat clip art"),
    # notebook 06: the default model fine-tuned on scenes rich in two-object relations, with and
    # without NegCLIP's word-swapped hard negatives (at lr 1e-4 neither moved word-order accuracy)
    "shapes-cnn-tiny-ft": Recipe("shapes-cnn-tiny", world=_RELATIONS, n_train=10_000, base="shapes-cnn-tiny",
                                 config=_FINE_TUNE,
                                 about="the default model fine-tuned on relation-rich captions (NegCLIP's control)"),
    "shapes-cnn-tiny-negclip": Recipe("shapes-cnn-tiny", world=_RELATIONS, n_train=10_000, base="shapes-cnn-tiny",
                                      config=TrainConfig(steps=300, lr=1e-3, warmup_steps=10, hard_negatives=True),
                                      about="the same fine-tuning with word-swapped captions as hard negatives"),
    # notebook 06: the flat recipe in a world that writes a word beside the object on half the
    # images, often what the caption is about; its control is shapes-cnn-tiny-flat (a fine-tune
    # learned to read far less). Words beside, as the attack writes them: attacked beside, the
    # same recipe trained with words *on* the object followed the wrong word 1.6 pt [-1.9, +5.1]
    # more often than the control at 1x text, this one 10.3 pt [+6.4, +14.2] (1000 scenes)
    "shapes-cnn-tiny-text": Recipe("shapes-cnn-tiny", world={**CLIP_ART, "text_p": 0.5, "text_place": "beside"},
                                   config=TrainConfig(steps=500),
                                   about="the flat recipe with words written beside the object on half the images"),
    # the same training on less data, for the data-size sweep of notebook 01
    "shapes-cnn-tiny-n1000": Recipe("shapes-cnn-tiny", n_train=1000, about="default recipe, 1,000 pairs"),
    "shapes-cnn-tiny-n4000": Recipe("shapes-cnn-tiny", n_train=4000, about="default recipe, 4,000 pairs"),
}


@dataclass(frozen=True)
class ClassifierRecipe:
    """An image classifier trained with the class labels of one render style (notebook 05):
    a supervised baseline — the default image tower with `width` times its channels, from
    scratch — or, with `base`, that embedded CLIP fine-tuned end to end from its zero-shot
    head (the class text embeddings times its learned scale, as WiSE-FT starts)."""

    base: str | None = None
    width: float = 1.0
    style: str = "flat"
    n_train: int = 8000
    config: TrainConfig = TrainConfig(steps=200)
    about: str = ""

    def __post_init__(self):
        if self.base and (self.config.lr is None or self.config.warmup_steps is None):
            raise ValueError("a fine-tuning recipe sets its lr and warmup_steps (they are part of its cache key)")

    def world(self) -> ShapesWorld:
        return recipe(self.base).make_world() if self.base else ShapesWorld()

    def key(self) -> str:
        return _hash({**asdict(self), "config": _config_key(self.config), "world": self.world().knobs(),
                      "world_version": WORLD_VERSION, "code": TRAINING_CODE, "about": None,
                      "base": self.base and recipe(self.base).key()})


# notebook 05's supervised baselines: the trend of accuracy under shift against accuracy on
# flat images; two widths and three lengths spread them from ≈ 0.3 to 1.0 flat top-1
CLASSIFIERS = {f"supervised-w{width:g}-s{steps}": ClassifierRecipe(width=width, config=TrainConfig(steps=steps),
                                                                   about=f"supervised baseline, {width:g}x channels")
               for width in (0.5, 1.0) for steps in (100, 200, 300)}
# the default CLIP fine-tuned on flat labels (lr 1e-4: 3e-5 moved it little in 300 steps,
# 3e-4 lost more under shift for the same gain on flat images)
CLASSIFIERS["shapes-cnn-tiny-labels-ft"] = ClassifierRecipe(
    base="shapes-cnn-tiny", config=TrainConfig(steps=200, lr=1e-4, warmup_steps=10),
    about="the default CLIP fine-tuned end to end on flat images, from its zero-shot head")
SUPERVISED = tuple(name for name, spec in CLASSIFIERS.items() if spec.base is None)

# what the notebooks load (models and classifiers): `make test` builds these before running
# them (notebook 01's data-size sweep reads its stored measurement when n1000/n4000 are not cached)
NOTEBOOK_MODELS = ("shapes-cnn-tiny", "shapes-cnn-tiny-mixed", "shapes-cnn-tiny-biased", "shapes-cnn-tiny-even",
                   "shapes-cnn-tiny-flat", *SUPERVISED, "shapes-cnn-tiny-labels-ft",          # 05
                   "shapes-vit-tiny", "shapes-cnn-tiny-ft", "shapes-cnn-tiny-negclip", "shapes-cnn-tiny-text")   # 06


def recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown embedded model {name!r}; choose from {list(RECIPES)}")
    return RECIPES[name]


def classifier_recipe(name: str) -> ClassifierRecipe:
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown embedded classifier {name!r}; choose from {list(CLASSIFIERS)}")
    return CLASSIFIERS[name]

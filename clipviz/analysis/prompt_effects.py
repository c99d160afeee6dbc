"""The paper's prompt-engineering effects, measured: each one a paired comparison of
zero-shot correctness on the same images, with a bootstrap interval and the paper's
number beside it.

Three effects (CLIP paper, section 3.1.4; the presentation's practical tips):
- "a photo of a {}" against the bare class name: a caption is rarely a single word;
- OpenAI's 80-template ensemble against the single template: one hand-written prompt is
  one draw from the variety of web captions, and the ensemble covers the variety of the
  pictures ("a sketch of a {}", "a blurry photo of a {}");
- descriptive names for the classes whose word has a second meaning (a targeted edit, as
  the paper's were): a shape task on images whose background is a pattern of another
  shape ("star" is a shape and, in many captions, a pattern of stars), with two controls:
  the same scenes on plain backgrounds (the name's own ambiguity alone: nothing in the
  picture has the other meaning) and random words in place of the description
  (WaffleCLIP's control: what adding any words does).
The first two are measured on test images of every class, seen and held-out compositions,
in every style and picture quality the world draws.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import torch

from ..evaluation.embed import encode_images
from ..evaluation.zeroshot import (PHOTO_TEMPLATE, class_targets, correct, ensemble, probability_ensemble_logits,
                                   zero_shot_classifier)
from ..references import PAPER
from ..stats import comparison
from ..world.vocabulary import DESCRIPTIVE_SUFFIX, PATTERN_SHAPE, POLYSEMOUS, SHAPES

EFFECTS = ("photo_template_vs_bare", "ensemble80_vs_photo_template", "descriptive_vs_bare_polysemous")
CONTROLS = ("descriptive_on_plain_backgrounds", "random_words_vs_bare_polysemous")
DESCRIPTIONS = {
    "photo_template_vs_bare": '"a photo of a {}" vs the bare class name "{}"',
    "ensemble80_vs_photo_template": 'OpenAI\'s 80 templates averaged vs "a photo of a {}"',
    "descriptive_vs_bare_polysemous": '"star, a kind of shape" vs "star" (shape task, a pattern of another shape behind)',
    "descriptive_on_plain_backgrounds": "the same names on the same scenes with plain backgrounds: the name's "
                                        "ambiguity alone (control)",
    "random_words_vs_bare_polysemous": '"star, which has weekend banner" vs "star": random words (control)',
}
# in-vocabulary words with nothing to do with shapes, for the random-word control
RANDOM_WORDS = ("weekend", "banner", "sale", "birthday", "wallpaper", "screenshot", "collection", "display",
                "download", "picture", "friday", "stock")


def shape_names(style: str = "bare") -> list[str]:
    """The six shape classes: "bare" ("star"), "descriptive" (the two-meaning words with
    the paper-style description) or "random" (the same words with random words instead)."""
    def name(shape: str) -> str:
        if shape not in POLYSEMOUS or style == "bare":
            return shape
        if style == "descriptive":
            return shape + DESCRIPTIVE_SUFFIX
        rng = np.random.default_rng(zlib.crc32(shape.encode()))
        return f"{shape}, which has " + " ".join(rng.choice(RANDOM_WORDS, 2, replace=False))
    if style not in ("bare", "descriptive", "random"):
        raise ValueError(f"style must be bare, descriptive or random, not {style!r}")
    return [name(shape) for shape in SHAPES]


def class_images(world, n: int = 2000) -> dict:
    """{split: dataset} of the classification effects: test images of the seen compositions
    and of the held-out ones, half each (every class, every style and quality drawn)."""
    return {"seen": world.dataset("test", n=n - n // 2), "held-out": world.dataset("heldout", n=n // 2)}


def shape_task_images(world, n: int = 2000) -> dict:
    """{background: dataset} of the shape task: single objects on a pattern of another shape
    ("patterned"), and the very same scenes with plain backgrounds ("plain")."""
    patterned = world.dataset("test", n=n, pattern_p=1.0)
    keep = np.flatnonzero([PATTERN_SHAPE.get(p) != s for p, s in zip(patterned.meta["pattern"], patterned.meta["shape"])])
    return {"patterned": patterned.select(keep), "plain": world.dataset("test", n=n, pattern_p=0.0).select(keep)}


def class_outcomes(model, tokenizer, world, templates80, n: int = 2000) -> pd.DataFrame:
    """Per test image (seen and held-out compositions): split, style, quality and whether
    zero-shot is right with "a photo of a {}", the bare name and OpenAI's 80 templates."""
    names, tables = world.classnames("all"), []
    for split, data in class_images(world, n).items():
        features, target = encode_images(model, data), class_targets(data, names)[0]
        table = data.meta[["style", "quality"]].assign(split=split)
        for column, templates in (("photo", [PHOTO_TEMPLATE]), ("bare", ["{}"]), ("openai80", templates80)):
            table[column] = correct(features, zero_shot_classifier(model, tokenizer, names, templates), target)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def shape_outcomes(model, tokenizer, world, n: int = 2000) -> pd.DataFrame:
    """Per shape-task image and background: whether zero-shot ("a photo of a {}") names the
    shape with bare, descriptive and random-word names."""
    tables = []
    for background, data in shape_task_images(world, n).items():
        features, target = encode_images(model, data), np.array([SHAPES.index(s) for s in data.meta["shape"]])
        table = data.meta[["style", "quality", "shape"]].assign(background=background)
        for style in ("bare", "descriptive", "random"):
            classifier = zero_shot_classifier(model, tokenizer, shape_names(style), [PHOTO_TEMPLATE])
            table[style] = correct(features, classifier, target)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def effect_differences(classes: pd.DataFrame, shapes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each effect and control as per-image paired differences (with − without), (N,) floats."""
    patterned, plain = shapes[shapes.background == "patterned"], shapes[shapes.background == "plain"]
    def diff(table, a, b):
        return table[a].to_numpy(float) - table[b].to_numpy(float)
    return {"photo_template_vs_bare": diff(classes, "photo", "bare"),
            "ensemble80_vs_photo_template": diff(classes, "openai80", "photo"),
            "descriptive_vs_bare_polysemous": diff(patterned, "descriptive", "bare"),
            "descriptive_on_plain_backgrounds": diff(plain, "descriptive", "bare"),
            "random_words_vs_bare_polysemous": diff(patterned, "random", "bare")}


def measure_effects(model, tokenizer, world, templates80, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The three effects and the two controls, one row each (see the module)."""
    classes = class_outcomes(model, tokenizer, world, templates80, n)
    shapes = shape_outcomes(model, tokenizer, world, n)
    pairs = {"photo_template_vs_bare": (classes, "photo", "bare"),
             "ensemble80_vs_photo_template": (classes, "openai80", "photo"),
             "descriptive_vs_bare_polysemous": (shapes[shapes.background == "patterned"], "descriptive", "bare"),
             "descriptive_on_plain_backgrounds": (shapes[shapes.background == "plain"], "descriptive", "bare"),
             "random_words_vs_bare_polysemous": (shapes[shapes.background == "patterned"], "random", "bare")}
    rows = {}
    for name, (table, a, b) in pairs.items():
        rows[name] = comparison(table[a].to_numpy(), table[b].to_numpy(), PAPER.get(name, "—"),
                                DESCRIPTIONS[name], seed=seed)
    return pd.DataFrame(rows).T


def ensemble_comparison(features: torch.Tensor, target, means: torch.Tensor, single: int, chosen,
                        extra: dict | None = None, seed: int = 0) -> pd.DataFrame:
    """Ways to combine a bank's templates, each against the single template `single`,
    with paired intervals.

    Args:
        features: (N, D) image features; means: (T, C, D) `template_class_means`.
        chosen: template indices picked by `greedy_templates` (on other images).
        extra: more {name: (C, D) classifier} to compare (e.g. OpenAI's 7 templates).
    """
    one = correct(features, ensemble(means, [single]), target)
    ways = {f"all {len(means)}, embedding average": correct(features, ensemble(means), target),
            f"all {len(means)}, probability average":
                probability_ensemble_logits(features, means).argmax(1).numpy() == np.asarray(target),
            f"greedy selection ({len(chosen)})": correct(features, ensemble(means, chosen), target)}
    ways.update({name: correct(features, classifier, target) for name, classifier in (extra or {}).items()})
    rows = {name: comparison(right, one, seed=seed) for name, right in ways.items()}
    return pd.DataFrame(rows).T[["with", "without", "delta", "low", "high", "verdict"]]

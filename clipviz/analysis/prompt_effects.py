"""The paper's prompt-engineering effects, measured: each one a paired comparison of
zero-shot correctness on the same images, with a bootstrap interval and the paper's
number beside it.

Three effects (CLIP paper, section 3.1.4; the presentation's practical tips):
- "a photo of a {}" against the bare class name: a caption is rarely a single word;
- the 80-template ensemble against the single template: one hand-written prompt is one
  draw from the variety of web captions, and averaging smooths its quirks;
- descriptive class names against plain ones where a class word has a second meaning
  in view (ShapesWorld's star, cross and diamond background patterns).
They are measured where the model is not at ceiling: held-out compositions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..evaluation.embed import encode_images
from ..references import PAPER
from ..stats import comparison
from ..evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, correct, ensemble, probability_ensemble_logits, zero_shot_classifier

DESCRIPTIONS = {
    "photo_template_vs_bare": '"a photo of a {}" vs the bare class name "{}"',
    "ensemble80_vs_photo_template": 'OpenAI\'s 80 templates averaged vs "a photo of a {}"',
    "descriptive_vs_bare_polysemous": 'names like "red star, a kind of shape" vs "red star", on patterned backgrounds',
}


def effect_sets(world, n: int = 2000) -> dict:
    """The images each effect is measured on: held-out compositions, and held-out
    compositions on patterned backgrounds for the two-meaning words."""
    return {"heldout": world.dataset("heldout", n=n), "heldout_patterned": world.dataset("heldout", n=n, pattern_p=1.0)}


def measure_effects(model, tokenizer, world, templates80, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The three effects on `world`'s held-out compositions, one row each (see the module)."""
    sets = effect_sets(world, n)
    names, descriptive = world.classnames("all"), world.classnames("all", "descriptive")
    rows = {}
    features, target = encode_images(model, sets["heldout"]), class_targets(sets["heldout"], names)[0]
    right = {label: correct(features, zero_shot_classifier(model, tokenizer, names, templates), target)
             for label, templates in (("photo", [PHOTO_TEMPLATE]), ("bare", ["{}"]), ("80", templates80))}
    rows["photo_template_vs_bare"] = comparison(right["photo"], right["bare"], seed=seed)
    rows["ensemble80_vs_photo_template"] = comparison(right["80"], right["photo"], seed=seed)
    patterned = sets["heldout_patterned"]
    features, target = encode_images(model, patterned), class_targets(patterned, names)[0]
    rows["descriptive_vs_bare_polysemous"] = comparison(
        correct(features, zero_shot_classifier(model, tokenizer, descriptive, [PHOTO_TEMPLATE]), target),
        correct(features, zero_shot_classifier(model, tokenizer, names, [PHOTO_TEMPLATE]), target), seed=seed)
    for name, row in rows.items():
        row.update({"effect": DESCRIPTIONS[name], "paper (not measured here)": PAPER[name]})
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

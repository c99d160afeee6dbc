"""Reading beats seeing: the typographic attack (Goh et al. 2021, "Multimodal neurons").

A model that learned to read from captions that transcribe an image's text can be fooled
by writing a wrong class name on an object (an apple labelled "iPod"). ShapesWorld writes
a word on the object (`text_p`, PIL's bitmap font); the attack writes another shape's name
(`text_match=0`). The same scenes are drawn clean, attacked, and with the true shape's
name written (the label's occlusion without a lie), so every comparison is paired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..evaluation.embed import encode_images
from ..core.model import image_size
from ..language import _
from ..stats import bootstrap_ci, paired_delta_ci
from ..evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, predict, zero_shot_classifier

CONDITIONS = {"clean": dict(text_p=0.0), "true word written": dict(text_p=1.0, text_match=1.0),
              "wrong word written": dict(text_p=1.0, text_match=0.0)}


def attack_sets(world, n: int = 1000) -> dict:
    """{condition: dataset}: the same `n` single-object test scenes in each of `CONDITIONS`."""
    return {name: world.dataset("test", n=n, **knobs) for name, knobs in CONDITIONS.items()}


def attack_outcomes(model, tokenizer, sets: dict, classnames) -> pd.DataFrame:
    """One row per image and condition: text_scale (0 clean), correct (zero-shot names the
    true colour and shape), follows_word (the predicted shape is the written word)."""
    classifier = zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE])
    rows = []
    for condition, data in sets.items():
        predicted = predict(encode_images(model, data), classifier)
        shapes = np.array([classnames[p].split(" ")[-1] for p in predicted])
        written = data.meta["written"].fillna("").to_numpy()
        rows.append(pd.DataFrame({"condition": condition, "image": np.arange(len(data)),
                                  "text_scale": data.meta["text_scale"].to_numpy(),
                                  "correct": predicted == class_targets(data, classnames)[0],
                                  "follows_word": (shapes == written) & (written != "")}))
    return pd.concat(rows, ignore_index=True)


def attack_summary(outcomes: dict, seed: int = 0) -> pd.DataFrame:
    """Per model ({name: `attack_outcomes`}) and text size: top-1 clean, with the true word,
    with a wrong word; how often the prediction follows the wrong word (with a 95 % interval);
    and the drop from clean to attacked with a paired 95 % interval (the same scenes)."""
    rows = []
    for model, table in outcomes.items():
        by_condition = {c: t.set_index("image") for c, t in table.groupby("condition")}
        attacked = by_condition["wrong word written"]
        for scale in sorted(attacked["text_scale"].unique()):
            images = attacked.index[attacked["text_scale"] == scale]
            clean, wrong = (by_condition[c].loc[images, "correct"].to_numpy() for c in ("clean", "wrong word written"))
            drop, low, high = paired_delta_ci(clean, wrong, seed=seed)
            follows = attacked.loc[images, "follows_word"].to_numpy()
            follows_low, follows_high = bootstrap_ci(follows, seed=seed)
            rows.append({"model": model, "text size": f"{scale}x", "images": len(images), "clean": clean.mean(),
                         "true word written": by_condition["true word written"].loc[images, "correct"].mean(),
                         "wrong word written": wrong.mean(), "follows the wrong word": follows.mean(),
                         "follows the wrong word: low": follows_low, "follows the wrong word: high": follows_high,
                         "drop from clean": drop, "drop from clean: low": low, "drop from clean: high": high})
    return pd.DataFrame(rows).set_index(["model", "text size"])


def attack_examples(model, tokenizer, data, classnames, n: int = 8) -> tuple[np.ndarray, list[str]]:
    """The first `n` images of an attacked set with what is written and what zero-shot says:
    (uint8 (n, H, W, 3), titles)."""
    shown = data.select(np.arange(min(n, len(data))))
    classifier = zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE])
    predicted = predict(encode_images(model, shown), classifier)
    titles = [_('a {label} with "{written}" → {predicted}', label=row["label"], written=row["written"],
                predicted=classnames[p]) for (_index, row), p in zip(shown.meta.iterrows(), predicted)]
    return shown.image_batch(range(len(shown)), image_size(model)).permute(0, 2, 3, 1).numpy(), titles


"""Reading against seeing: the typographic attack (Goh et al. 2021, "Multimodal neurons").

A model that learned to read from captions that transcribe an image's text can be fooled
by a written wrong class name (an apple labelled "iPod"). ShapesWorld writes the word
*beside* the object, above or below it and never over it (`text_place="beside"`), so the
object is seen whole. The attack writes another shape's name (`text_match=0`); the same
scenes are drawn clean and with the true shape's name written (a word without a lie), so
every comparison is paired. Reading shows in how often the prediction **follows the
wrong word**, beside a control model trained on the same pictures without words.

On your own labelled images (`own_attack_sets`) the word goes in a white band below the
picture: another class's name, the true one, or nothing (the clean control).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.model import image_size
from ..data import ArrayDataset
from ..evaluation.embed import encode_images
from ..evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, predict, zero_shot_classifier
from ..language import _
from ..stats import bootstrap_ci, paired_delta_ci, verdict
from ..world.captions import with_articles
from ..world.render import label_below, label_scale

CONDITIONS = {"clean": dict(text_p=0.0), "true word written": dict(text_p=1.0, text_match=1.0),
              "wrong word written": dict(text_p=1.0, text_match=0.0)}


def attack_sets(world, n: int = 1000, place: str = "beside") -> dict:
    """{condition: dataset}: the same `n` single-object test scenes in each of `CONDITIONS`,
    the word written `place` ("beside" or "on") the object."""
    return {name: world.dataset("test", n=n, text_place=place, **knobs) for name, knobs in CONDITIONS.items()}


def _names(classnames) -> list[str]:
    return [c if isinstance(c, str) else c[0] for c in classnames]


def own_attack_sets(dataset, classnames, size: int, seed: int = 0, label_column: str = "label",
                    scale: int | None = None) -> dict:
    """The attack on your labelled images: {condition: dataset} with the conditions of
    `CONDITIONS`, each image once, as the model sees it (`size` px), shrunk above a white
    band (`world.render.label_below`) that holds nothing (clean), its class's name, or
    another class's name, drawn uniformly with `seed`.

    Args:
        classnames: the classes (the values of `label_column`, or what they index).
        scale: the bitmap font's scale; by default the largest at which every class name
            fits (`world.render.label_scale`).
    Returns:
        Datasets whose meta has image_id, caption, `label_column`, written (None when
        clean) and text_scale (0 when clean).
    """
    names = _names(classnames)
    if len(names) < 2:
        raise ValueError("the attack writes another class's name: it needs at least two classes")
    data = dataset.select(np.unique(dataset.image_ids, return_index=True)[1])      # each image once
    target = class_targets(data, classnames, label_column)[0]
    other = (target + np.random.default_rng(seed).integers(1, len(names), size=len(target))) % len(names)
    scale = scale or label_scale(names, size)
    images = data.image_batch(range(len(data)), size).permute(0, 2, 3, 1).numpy()      # (N, S, S, 3)
    words = {"clean": [None] * len(data), "true word written": [names[t] for t in target],
             "wrong word written": [names[o] for o in other]}
    sets = {}
    for condition, written in words.items():
        meta = pd.DataFrame({"image_id": np.arange(len(data)), "caption": data.captions,
                             label_column: [names[t] for t in target], "written": written,
                             "text_scale": 0 if condition == "clean" else scale})
        sets[condition] = ArrayDataset(np.stack([label_below(image, word, scale) for image, word in zip(images, written)]),
                                       meta)
    return sets


def follows_word(predicted: list[str], written) -> np.ndarray:
    """(N,) bool: the predicted class name is the written word, or ends in it (ShapesWorld
    writes a shape, its classes are colour and shape); never where nothing is written."""
    return np.array([bool(w) and (p == w or p.split(" ")[-1] == w) for p, w in zip(predicted, written)])


def attack_outcomes(model, tokenizer, sets: dict, classnames, label_column: str = "label") -> pd.DataFrame:
    """One row per image and condition: text_scale (0 clean), correct (zero-shot names the
    true class), follows_word (the predicted class is the written word, `follows_word`)."""
    classifier = zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE])
    names, rows = _names(classnames), []
    for condition, data in sets.items():
        predicted = predict(encode_images(model, data), classifier)
        written = data.meta["written"].fillna("").to_numpy()
        rows.append(pd.DataFrame({"condition": condition, "image": np.arange(len(data)),
                                  "text_scale": data.meta["text_scale"].to_numpy(),
                                  "correct": predicted == class_targets(data, classnames, label_column)[0],
                                  "follows_word": follows_word([names[p] for p in predicted], written)}))
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


def reading_effect(outcomes: dict, reader: str, control: str, seed: int = 0) -> pd.DataFrame:
    """Per text size: how much more often the reader follows the wrong word than the control,
    on the same attacked images (a paired 95 % interval): columns delta, low, high."""
    attacked = {name: outcomes[name].query("condition == 'wrong word written'").set_index("image")
                for name in (reader, control)}
    rows = {}
    for scale in sorted(attacked[reader]["text_scale"].unique()):
        images = attacked[reader].index[attacked[reader]["text_scale"] == scale]
        delta, low, high = paired_delta_ci(attacked[reader].loc[images, "follows_word"],
                                           attacked[control].loc[images, "follows_word"], seed=seed)
        rows[f"{scale}x"] = {"delta": delta, "low": low, "high": high}
    return pd.DataFrame(rows).T.rename_axis("text size")


def reading_sentences(effect: pd.DataFrame) -> list[str]:
    """What `reading_effect` says per text size, read from its interval."""
    return [_("{size} text: the reader against the control, following the wrong word: {verdict}", size=size,
              verdict=verdict(row["delta"], row["low"], row["high"], "follows it more often", "follows it less often"))
            for size, row in effect.iterrows()]


def attack_examples(model, tokenizer, data, classnames, n: int = 8,
                    label_column: str = "label") -> tuple[np.ndarray, list[str]]:
    """The first `n` images of an attacked set with what is written and what zero-shot says:
    (uint8 (n, H, W, 3), titles)."""
    shown = data.select(np.arange(min(n, len(data))))
    classifier = zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE])
    predicted = predict(encode_images(model, shown), classifier)
    names, target = _names(classnames), class_targets(shown, classnames, label_column)[0]
    titles = [with_articles(_('a {label} with "{written}" → {predicted}', label=names[t], written=w, predicted=names[p]))
              for t, w, p in zip(target, shown.meta["written"], predicted)]
    return shown.image_batch(range(len(shown)), image_size(model)).permute(0, 2, 3, 1).numpy(), titles

"""One call for a report: zero-shot classification and retrieval on a dataset."""

from __future__ import annotations

import numpy as np
import torch

from .embed import encode_images, encode_texts
from .metrics import classification_metrics, confusion, retrieval_metrics
from .model import tokenizer_for
from .zeroshot import OPENAI_SCALE, PHOTO_TEMPLATE, learned_scale, zero_shot_classifier, zero_shot_logits


def class_targets(dataset, classnames, label_column: str = "label") -> tuple[np.ndarray, str]:
    """Each pair's class index and the rule that produced it.

    The label column when the dataset has one: class names, or integers that index into
    `classnames` (CLIP_benchmark's and torchvision's convention) when every label is an
    integer in range. Otherwise the class whose name the caption contains (the longest
    name wins, so "light red" beats "red").
    """
    names = [c if isinstance(c, str) else c[0] for c in classnames]
    index = {name: i for i, name in enumerate(names)}
    meta = dataset.meta
    if label_column in meta.columns:
        labels = meta[label_column].astype(str)
        if not labels.isin(index).all() and labels.str.fullmatch(r"\d+").all() \
                and labels.astype(int).max() < len(names):
            return labels.astype(int).to_numpy(), f"the {label_column!r} column, as indices into the classes"
        unknown = sorted(set(labels) - set(index))
        if unknown:
            raise ValueError(f"labels {unknown[:5]} in column {label_column!r} are neither among the classes "
                             f"({', '.join(names[:4])}, …) nor indices 0..{len(names) - 1} into them")
        return labels.map(index).to_numpy(), f"the {label_column!r} column"
    by_length = sorted(names, key=len, reverse=True)
    found = [next((index[n] for n in by_length if n.lower() in caption.lower()), -1) for caption in meta.caption]
    found = np.array(found)
    if (found < 0).any():
        raise ValueError(f"{int((found < 0).sum())} captions name none of the classes, e.g. "
                         f"{meta.caption[int(np.flatnonzero(found < 0)[0])]!r}; add a label column")
    return found, "the class name each caption contains"


def _zero_shot(model, dataset, classnames, templates, tokenizer, label_column):
    """Image features (P, D), zero-shot logits (P, C), targets (P,) and the label rule."""
    target, rule = class_targets(dataset, classnames, label_column)
    image_features = encode_images(model, dataset)
    classifier = zero_shot_classifier(model, tokenizer, classnames, templates)     # (C, D)
    return image_features, zero_shot_logits(image_features, classifier), target, rule


@torch.inference_mode()
def evaluate(model, dataset, classnames=None, templates=None, tokenizer=None, ks=(1, 5, 10),
             label_column: str = "label") -> dict:
    """Zero-shot top-1/top-5/mean per-class recall and retrieval recall@k on `dataset`.

    Args:
        classnames: class names (or lists of variants); None for retrieval only (the
            zero-shot metrics are then left out, and "zero_shot" says so).
        templates: strings or callables (default "a photo of a {}").
        ks: recall@k cut-offs (those larger than the gallery are skipped).
    Returns:
        A flat dict with CLIP_benchmark's metric names, plus "n", "label_rule" and the
        two logit scales (accuracy does not depend on the scale; probabilities do).
    """
    tokenizer = tokenizer or tokenizer_for(model)
    report = {"n": len(dataset)}
    if classnames is None:
        image_features = encode_images(model, dataset)
        report.update(zero_shot="omitted: no class names given", label_rule=None)
    else:
        image_features, logits, target, rule = _zero_shot(model, dataset, classnames, templates or [PHOTO_TEMPLATE],
                                                          tokenizer, label_column)
        report.update(label_rule=rule, **classification_metrics(logits, target),
                      scale_openai=OPENAI_SCALE, scale_learned=learned_scale(model))
    _, first_pair, text_image_index = np.unique(dataset.image_ids, return_index=True, return_inverse=True)
    usable = tuple(k for k in ks if k <= min(len(first_pair), len(dataset)))
    if usable:
        text_features = encode_texts(model, tokenizer, dataset.captions)
        report.update(retrieval_metrics(image_features[first_pair], text_features,
                                        text_image_index.reshape(-1), ks=usable))
    return report


def zero_shot_confusion(model, dataset, classnames, templates, tokenizer=None,
                        label_column: str = "label") -> np.ndarray:
    """(C, C) counts of true class (rows) vs zero-shot prediction (columns)."""
    _, logits, target, _ = _zero_shot(model, dataset, classnames, templates, tokenizer or tokenizer_for(model),
                                      label_column)
    return confusion(logits, target, len(classnames))

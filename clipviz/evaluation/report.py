"""One call for a report: zero-shot classification and retrieval on a dataset."""

from __future__ import annotations

import numpy as np
import torch

from .embed import encode_images, encode_texts
from .metrics import classification_metrics, confusion, retrieval_metrics
from ..core.model import tokenizer_for
from .zeroshot import (OPENAI_SCALE, PHOTO_TEMPLATE, class_targets, learned_scale, zero_shot_classifier,
                       zero_shot_logits)


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

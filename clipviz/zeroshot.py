"""Zero-shot classification: class names → prompts → text embeddings → a linear classifier.

Class embedding = normalise(mean over prompts of normalise(encode_text(prompt))): the
ensemble lives in embedding space, as in the CLIP paper and open_clip.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .embed import encode_texts

OPENAI_SCALE = 100.0  # the fixed logit scale OpenAI's and CLIP_benchmark's zero-shot code use


def fill(template, classname: str) -> str:
    """One prompt: a callable template is called, a string has `{}` or `{c}` filled."""
    if callable(template):
        return template(classname)
    if "{}" not in template and "{c}" not in template:
        raise ValueError(f"template {template!r} has no placeholder: use '{{}}' or '{{c}}' "
                         f"where the class name goes")
    return template.replace("{c}", "{}").format(classname)


def zero_shot_classifier(model, tokenizer, classnames, templates) -> torch.Tensor:
    """Class embeddings (C, D), unit norm.

    Args:
        classnames: one entry per class: a name, or a list of name variants (synonyms,
            ko/en) that are averaged like templates.
        templates: strings with `{}`/`{c}`, or callables name → prompt.
    """
    if len(classnames) == 0:
        raise ValueError("the class list is empty")
    if len(templates) == 0:
        raise ValueError("the template list is empty")
    variants = [[c] if isinstance(c, str) else list(c) for c in classnames]
    prompts = [fill(t, name) for names in variants for name in names for t in templates]
    features = encode_texts(model, tokenizer, prompts)                      # (sum_c V_c·T, D)
    sizes = [len(names) * len(templates) for names in variants]
    means = torch.stack([chunk.mean(0) for chunk in features.split(sizes)])  # (C, D)
    return F.normalize(means, dim=-1)


def zero_shot_logits(image_features: torch.Tensor, classifier: torch.Tensor,
                     scale: float = OPENAI_SCALE) -> torch.Tensor:
    """(N, C) logits = scale · cosine(image, class); use the model's exp(logit_scale) or 100."""
    return scale * F.normalize(image_features, dim=-1) @ classifier.T


def learned_scale(model) -> float:
    return model.logit_scale.exp().item()

"""Zero-shot classification: class names → prompts → text embeddings → a linear classifier.

Class embedding = normalise(mean over prompts of normalise(encode_text(prompt))): the
ensemble lives in embedding space, as in the CLIP paper and open_clip.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch
import torch.nn.functional as F

from .embed import encode_texts

OPENAI_SCALE = 100.0  # the fixed logit scale OpenAI's and CLIP_benchmark's zero-shot code use
TEMPLATE_DIR = Path(__file__).parent / "templates"


def load_templates(name: str) -> list[str]:
    """A template bank by name, or read from a file (one template per line, # comments).

    Names: "shapes" (the ShapesWorld class templates seen in training), "shapes-unseen"
    (English templates never used in training), "openai80" and "openai7" (open_clip's
    copies of OpenAI's 80 ImageNet templates and the 7-template subset).
    """
    from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES

    banks = {"openai80": OPENAI_IMAGENET_TEMPLATES, "openai7": SIMPLE_IMAGENET_TEMPLATES}
    if name in banks:
        return list(banks[name])
    path = TEMPLATE_DIR / f"{name.replace('-', '_')}.txt"
    path = path if path.is_file() else Path(name)
    if not path.is_file():
        known = ["openai80", "openai7"] + [p.stem.replace("_", "-") for p in TEMPLATE_DIR.glob("*.txt")]
        raise ValueError(f"no template bank {name!r}: use one of {known} or a file path")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


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
    variants = [(c,) if isinstance(c, str) else tuple(c) for c in classnames]
    repeated = [names for names, count in Counter(variants).items() if count > 1]
    if repeated:   # refused, not merged: merging would silently shift every later class index
        raise ValueError(f"duplicate class names {repeated}: give each class once")
    key = (id(model), _weights_version(model), tuple(variants),
           tuple(t if isinstance(t, str) else id(t) for t in templates))
    if key not in _CLASSIFIER_CACHE:
        prompts = [fill(t, name) for names in variants for name in names for t in templates]
        features = encode_texts(model, tokenizer, prompts)                      # (Σ_c V_c·T, D)
        sizes = [len(names) * len(templates) for names in variants]
        means = torch.stack([chunk.mean(0) for chunk in features.split(sizes)])  # (C, D)
        if len(_CLASSIFIER_CACHE) > 64:   # a session's worth; never grows without bound
            _CLASSIFIER_CACHE.clear()
        _CLASSIFIER_CACHE[key] = F.normalize(means, dim=-1)
    return _CLASSIFIER_CACHE[key]


_CLASSIFIER_CACHE: dict = {}


def _weights_version(model) -> tuple[int, ...]:
    """Changes whenever the model's weights change in place (training, loading)."""
    return tuple(p._version for p in model.parameters())


def zero_shot_logits(image_features: torch.Tensor, classifier: torch.Tensor,
                     scale: float = OPENAI_SCALE) -> torch.Tensor:
    """(N, C) logits = scale · cosine(image, class); use the model's exp(logit_scale) or 100."""
    return scale * F.normalize(image_features, dim=-1) @ classifier.T


def learned_scale(model) -> float:
    """exp(logit_scale): the inverse temperature the model learned (≤ 100)."""
    return model.logit_scale.exp().item()

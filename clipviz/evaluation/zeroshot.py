"""Zero-shot classification: class names → prompts → text embeddings → a linear classifier.

Class embedding = normalise(mean over prompts of normalise(encode_text(prompt))): the
ensemble lives in embedding space, as in the CLIP paper and open_clip.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..world.captions import with_articles
from .embed import encode_texts

OPENAI_SCALE = 100.0  # the fixed logit scale OpenAI's and CLIP_benchmark's zero-shot code use
PHOTO_TEMPLATE = "a photo of a {}"   # the paper's default prompt
TEMPLATE_DIR = Path(__file__).parent / "templates"


def load_templates(name: str) -> list[str]:
    """A template bank by name, or read from a file (one template per line, # comments).

    Names: "shapes" (the frames of ShapesWorld's caption grammar for flat images, as
    templates: the ways its captions say a class), "shapes-unseen" (English templates
    with words no caption uses), "openai80" and "openai7" (open_clip's
    copies of OpenAI's 80 ImageNet templates and the 7-template subset), and
    "clip_benchmark/<dataset>" (CLIP_benchmark's English templates for one of its data
    sets, e.g. "clip_benchmark/cifar10"; read from the installed clip_benchmark package).
    """
    from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES

    banks = {"openai80": OPENAI_IMAGENET_TEMPLATES, "openai7": SIMPLE_IMAGENET_TEMPLATES}
    if name in banks:   # open_clip stores them as callables; as strings they print and compare
        return [t if isinstance(t, str) else t("{}") for t in banks[name]]
    if name == "shapes":
        from ..world.captions import frame_templates
        return frame_templates()
    if name.startswith("clip_benchmark/"):
        return clip_benchmark_templates(name.split("/", 1)[1])
    path = TEMPLATE_DIR / f"{name.replace('-', '_')}.txt"
    path = path if path.is_file() else Path(name)
    if not path.is_file():
        known = ["openai80", "openai7", "clip_benchmark/<dataset>"] + [p.stem.replace("_", "-")
                                                                       for p in TEMPLATE_DIR.glob("*.txt")]
        raise ValueError(f"no template bank {name!r}: use one of {known} or a file path")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def untrained_words(templates, tokenizer, trained: torch.Tensor | None) -> dict[str, list[str]]:
    """{template: its words with a token whose embedding row was never trained}, for the
    templates that have any (the class name's place left out). `trained`: the model's
    trained token ids (`core.model.trained_tokens`); None (unknown: a pretrained model,
    every row trained) gives {}. Such words read as random vectors to the model."""
    if trained is None:
        return {}
    known = set(trained.tolist())
    found = {}
    for template in templates:
        text = fill(template, "") if callable(template) else template.replace("{c}", "").replace("{}", "")
        words = [w for w in re.findall(r"[\w'-]+", text.lower())
                 if not set(tokenizer.encode(w)) <= known]
        if words:
            found[template if isinstance(template, str) else fill(template, "{}")] = words
    return found


def clip_benchmark_templates(dataset: str) -> list[str]:
    """CLIP_benchmark's English zero-shot templates for `dataset` ("{c}" marks the class)."""
    import json
    from importlib import resources

    try:
        bank = resources.files("clip_benchmark.datasets") / "en_zeroshot_classification_templates.json"
    except ModuleNotFoundError:
        raise ValueError("CLIP_benchmark's templates need the clip_benchmark package: "
                         "pip install --no-deps clip_benchmark") from None
    templates = json.loads(bank.read_text(encoding="utf-8"))
    if dataset not in templates:
        raise ValueError(f"CLIP_benchmark has no templates for {dataset!r}; it has {', '.join(sorted(templates))}")
    return templates[dataset]


def fill(template, classname: str) -> str:
    """One prompt: a callable template is called, a string has `{}` or `{c}` filled, and
    "a"/"an" before the class name follow its first sound as captions write them ("a photo
    of an orange circle"; by its first letter, so "an unicorn" would be a slip)."""
    if callable(template):
        return template(classname)
    if "{}" not in template and "{c}" not in template:
        raise ValueError(f"template {template!r} has no placeholder: use '{{}}' or '{{c}}' "
                         f"where the class name goes")
    before, _, after = template.replace("{c}", "{}").partition("{}")   # not str.format: other braces stay
    return with_articles(before + classname) + after.replace("{}", classname)


def zero_shot_classifier(model, tokenizer, classnames, templates) -> torch.Tensor:
    """Class embeddings (C, D), unit norm.

    Args:
        classnames: one entry per class: a name, or a list of name variants (synonyms,
            ko/en) that are averaged like templates.
        templates: strings with `{}`/`{c}`, or callables name → prompt.
    """
    if len(templates) == 0:
        raise ValueError("the template list is empty")
    variants = _variants(classnames)
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


def _variants(classnames) -> list[tuple[str, ...]]:
    """Each class as a tuple of name variants; empty lists and repeated classes refused."""
    if len(classnames) == 0:
        raise ValueError("the class list is empty")
    variants = [(c,) if isinstance(c, str) else tuple(c) for c in classnames]
    repeated = [names for names, count in Counter(variants).items() if count > 1]
    if repeated:   # refused, not merged: merging would silently shift every later class index
        raise ValueError(f"duplicate class names {repeated}: give each class once")
    return variants


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


# --- template banks: one classifier per template, ensembles, selection ----------------
def template_class_means(model, tokenizer, classnames, templates) -> torch.Tensor:
    """Per template and class, the mean of the unit-norm prompt embeddings over the class's
    name variants: (T, C, D). `ensemble(means, chosen)` turns them into a classifier."""
    if len(templates) == 0:
        raise ValueError("the template list is empty")
    variants = _variants(classnames)
    prompts = [fill(t, name) for t in templates for names in variants for name in names]
    features = encode_texts(model, tokenizer, prompts)                      # (T·Σ_c V_c, D)
    sizes = [len(names) for names in variants] * len(templates)
    means = torch.stack([chunk.mean(0) for chunk in features.split(sizes)])  # (T·C, D)
    return means.view(len(templates), len(variants), -1)


def ensemble(means: torch.Tensor, chosen=None) -> torch.Tensor:
    """The embedding-space ensemble of the `chosen` templates (default all): (C, D) unit
    norm — the same classifier `zero_shot_classifier` builds from those templates."""
    chosen = list(range(len(means))) if chosen is None else list(chosen)
    return F.normalize(means[chosen].mean(0), dim=-1)


def predict(image_features: torch.Tensor, classifier: torch.Tensor) -> np.ndarray:
    """(N,) the class whose (C, D) classifier row is closest to each of (N, D) image features."""
    return (image_features @ classifier.T).argmax(1).numpy()


def correct(image_features: torch.Tensor, classifier: torch.Tensor, target) -> np.ndarray:
    """(N,) bool: whether zero-shot with the (C, D) classifier names each image's class."""
    return predict(image_features, classifier) == np.asarray(target)


def top1(image_features: torch.Tensor, classifier: torch.Tensor, target) -> float:
    """Zero-shot top-1 accuracy of a (C, D) classifier on (N, D) image features."""
    return float(correct(image_features, classifier, target).mean())


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


def per_template_top1(image_features: torch.Tensor, means: torch.Tensor, target) -> list[float]:
    """Top-1 of each template on its own: T accuracies."""
    return [top1(image_features, ensemble(means, [t]), target) for t in range(len(means))]


def probability_ensemble_logits(image_features: torch.Tensor, means: torch.Tensor,
                                scale: float = OPENAI_SCALE) -> torch.Tensor:
    """The other way to ensemble: average the class probabilities of each template's
    classifier, returned as log-probabilities (N, C)."""
    probs = torch.stack([zero_shot_logits(image_features, ensemble(means, [t]), scale).softmax(1)
                         for t in range(len(means))])                       # (T, N, C)
    return probs.mean(0).log()


def greedy_templates(image_features: torch.Tensor, means: torch.Tensor, target,
                     max_templates: int | None = None) -> list[tuple[int, float]]:
    """Forward selection of templates on validation data: start empty, add the template
    whose ensemble scores best, stop when no template improves the accuracy (or at
    `max_templates`). Returns [(template index, accuracy after adding it), …] in order;
    ties go to the earlier template."""
    chosen, best, steps = [], -1.0, []
    while len(chosen) < (max_templates or len(means)):
        scores = [(top1(image_features, ensemble(means, chosen + [t]), target), -t)
                  for t in range(len(means)) if t not in chosen]
        score, negative_index = max(scores)
        if score <= best:
            break
        chosen.append(-negative_index)
        best = score
        steps.append((-negative_index, score))
    return steps

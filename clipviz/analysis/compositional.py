"""Composition: does CLIP read word order, or a bag of words?

- **Word-swapped captions**: the same words in another order, another meaning ("a red
  circle left of a blue square" → "a blue circle left of a red square"). As test pairs they
  are ARO's (Yuksekgonul et al. 2023): VG-Attribution swaps attributes between objects,
  VG-Relation swaps the objects around the relation. As training negatives they are
  NegCLIP's hard negatives (`TrainConfig(hard_negatives=True)`).
- **Relation probes** on ShapesWorld's two-object scenes, where the true relation is known.
- **A blind baseline** that never sees the image (SugarCrepe's point, Hsieh et al. 2023): a
  bigram language model of the training captions, choosing the more plausible caption.
- **Counting** prompts.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import torch

from ..evaluation.embed import encode_images, encode_texts
from ..evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, correct, zero_shot_classifier
from ..language import _, label
from ..references import limits_table
from ..stats import bootstrap_ci, comparison
from ..world.captions import with_articles
from ..world.negatives import hard_negative, swap_words

# --- relation probes -------------------------------------------------------------------
PROBE_RELATIONS = {"left of": "to the left of", "above": "above"}


def relation_probes(meta: pd.DataFrame) -> pd.DataFrame:
    """ARO-style caption triples for the two-object scenes of a ShapesWorld meta table
    whose objects differ in colour and in shape and stand in a spatial relation.

    Returns:
        One row per usable image (`row`: its position in `meta`): `true` ("a red circle to
        the left of a blue square"), `attributes_swapped` (the colours exchanged) and
        `objects_swapped` (the objects exchanged: the relation reversed).
    """
    two = meta[(meta["n_objects"] == 2) & meta["relation"].isin(list(PROBE_RELATIONS))
               & (meta["colour"] != meta["colour2"]) & (meta["shape"] != meta["shape2"])]
    rows = []
    for row, m in two.iterrows():
        relation = PROBE_RELATIONS[m["relation"]]
        true = with_articles(f"a {m['colour']} {m['shape']} {relation} a {m['colour2']} {m['shape2']}")
        rows.append({"row": row, "true": true, "attributes_swapped": swap_words(true, "colours"),
                     "objects_swapped": swap_words(true, "objects")})
    return pd.DataFrame(rows)


def caption_preference(model, tokenizer, image_features: torch.Tensor, true: list[str], other: list[str]) -> np.ndarray:
    """(N,) bool: whether each image is closer to its true caption than to the other one."""
    true_features, other_features = encode_texts(model, tokenizer, true), encode_texts(model, tokenizer, other)
    return ((image_features * true_features).sum(1) > (image_features * other_features).sum(1)).numpy()


class BigramModel:
    """A blind baseline: an add-one-smoothed bigram language model of training captions.
    It prefers the more plausible word sequence and never looks at the image."""

    def __init__(self, captions):
        self.unigrams, self.bigrams = Counter(), Counter()
        for caption in captions:
            words = self.words(caption)
            self.unigrams.update(words[:-1])
            self.bigrams.update(zip(words[:-1], words[1:]))
        self.vocabulary = len(self.unigrams) + 1

    @staticmethod
    def words(caption: str) -> list[str]:
        return ["<s>"] + re.findall(r"\w+", caption.lower()) + ["</s>"]

    def log_prob(self, caption: str) -> float:
        words = self.words(caption)
        return float(sum(np.log((self.bigrams[(a, b)] + 1) / (self.unigrams[a] + self.vocabulary))
                         for a, b in zip(words[:-1], words[1:])))

    def prefers(self, true: list[str], other: list[str]) -> np.ndarray:
        """(N,) bool: whether the true caption is the more probable one (ties count half: as a coin)."""
        scores = np.array([[self.log_prob(t), self.log_prob(o)] for t, o in zip(true, other)])
        return np.where(scores[:, 0] == scores[:, 1], 0.5, scores[:, 0] > scores[:, 1])


# --- counting -------------------------------------------------------------------------
COUNT_WORDS = ("one", "two", "three", "four")
COUNT_COLUMNS = ("n_objects", "count")     # where a data set records how many objects an image shows


def count_prompts(template: str = "a photo of {} shapes") -> list[str]:
    """One prompt per count, 1..4, the noun singular after "one" ("a photo of one shape")."""
    return [re.sub(r"\bone (\w+?)s\b", r"one \1", template.format(word)) if word == "one" else template.format(word)
            for word in COUNT_WORDS]


def count_column(meta: pd.DataFrame) -> str | None:
    """The first of `COUNT_COLUMNS` whose values are all whole numbers 1..4, or None."""
    for column in COUNT_COLUMNS:
        if column in meta.columns:
            values = pd.to_numeric(meta[column], errors="coerce")
            if values.notna().all() and values.between(1, len(COUNT_WORDS)).all() and (values % 1 == 0).all():
                return column
    return None


def count_sentence(correct, chance: float = 1 / len(COUNT_WORDS), seed: int = 0, what: str = "shapes") -> str:
    """What zero-shot counting of 1-4 objects measured, read from its 95 % interval against chance."""
    correct = np.asarray(correct, float)
    low, high = bootstrap_ci(correct, seed=seed)
    side = "above chance" if low > chance else "below chance" if high < chance else "not distinguishable from chance"
    return _("Counting one to four {what}: {value:.1%} [{low:.1%}, {high:.1%}] right, {side} ({chance:.0%}), on {n} "
             "images.", what=_(what), value=correct.mean(), low=low, high=high, side=_(side), chance=chance,
             n=len(correct))


def word_order_outcomes(model, tokenizer, dataset, probes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per relation probe of `dataset` (ShapesWorld two-object scenes): whether the image is
    closer to its true caption than to the attributes-swapped and to the objects-swapped one.

    Returns:
        `relation_probes` with two more bool columns: attributes, objects.
    """
    probes = relation_probes(dataset.meta) if probes is None else probes
    if probes.empty:
        raise ValueError("no two-object scenes with a spatial relation and different colours and shapes")
    features = encode_images(model, dataset.select(probes["row"].to_numpy()))
    return probes.assign(**{kind: caption_preference(model, tokenizer, features, list(probes["true"]),
                                                     list(probes[f"{kind}_swapped"]))
                            for kind in ("attributes", "objects")})


def blind_outcomes(captions, probes: pd.DataFrame) -> pd.DataFrame:
    """The same choices made by a bigram model of `captions` that never sees an image."""
    blind = BigramModel(captions)
    return probes.assign(**{kind: blind.prefers(list(probes["true"]), list(probes[f"{kind}_swapped"]))
                            for kind in ("attributes", "objects")})


def count_outcomes(model, tokenizer, dataset, template: str = "a photo of {} shapes",
                   column: str = "n_objects") -> pd.DataFrame:
    """Zero-shot counting: for each image, the count whose prompt is closest (1..4) against
    the true number of objects (`column`). Returns columns true, predicted, correct."""
    prompts = count_prompts(template)
    classifier = encode_texts(model, tokenizer, prompts)
    predicted = (encode_images(model, dataset) @ classifier.T).argmax(1).numpy() + 1
    truth = pd.to_numeric(dataset.meta[column]).astype(int).to_numpy()
    return pd.DataFrame({"true": truth, "predicted": predicted, "correct": predicted == truth})


def own_caption_outcomes(model, tokenizer, dataset) -> pd.DataFrame:
    """Word order on any captioned images: for every caption with a word swap
    (`hard_negative`), whether its image is closer to it than to the swapped caption.
    Returns columns caption, swapped, prefers (empty when no caption has a swap)."""
    swapped = [hard_negative(c) for c in dataset.captions]
    rows = np.flatnonzero([s is not None for s in swapped])
    table = pd.DataFrame({"caption": [dataset.captions[r] for r in rows], "swapped": [swapped[r] for r in rows]})
    if rows.size:
        features = encode_images(model, dataset.select(rows))
        table["prefers"] = caption_preference(model, tokenizer, features, list(table["caption"]), list(table["swapped"]))
    return table


# --- tables and sentences for notebook 06 ---------------------------------------------------
def choice_table(outcomes: dict, seed: int = 0) -> pd.DataFrame:
    """Share of probes where the true caption wins, per model ({name: outcomes with bool or
    0/0.5/1 columns attributes, objects}), each with a 95 % bootstrap interval."""
    rows = {}
    for name, table in outcomes.items():
        row = {}
        for kind in ("attributes", "objects"):
            low, high = bootstrap_ci(table[kind].astype(float), seed=seed)
            row.update({f"{kind} swapped": float(table[kind].mean()), f"{kind} swapped: low": low,
                        f"{kind} swapped: high": high})
        rows[name] = row
    return pd.DataFrame(rows).T


def bag_of_words_sentence(row: pd.Series) -> str:
    """What a `choice_table` row says, read from its intervals."""
    parts = []
    for kind in ("attributes", "objects"):
        value, low, high = (row[f"{kind} swapped{part}"] for part in ("", ": low", ": high"))
        reading = (_("no better than a coin flip: here it reads a bag of words") if low <= 0.5 <= high
                   else _("above chance: word order counts for something") if low > 0.5
                   else _("below chance: it prefers the swapped order"))
        parts.append(_("with the {kind} swapped it picks the true caption {value:.1%} [{low:.1%}, {high:.1%}], "
                       "{reading}", kind=label(kind), value=value, low=low, high=high, reading=reading))
    return "; ".join(parts).capitalize() + "."


def zero_shot_cost(model_a, model_b, world, n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Zero-shot top-1 ("a photo of a {}") of two (model, preprocess, tokenizer) triples on
    seen and held-out compositions, with the paired difference a − b and its interval."""
    names, rows = world.classnames("all"), {}
    for name, split in (("seen compositions", "test"), ("held-out compositions", "heldout")):
        data = world.dataset(split, n=n)
        target = class_targets(data, names)[0]
        right = [correct(encode_images(m, data), zero_shot_classifier(m, t, names, [PHOTO_TEMPLATE]), target)
                 for m, _preprocess, t in (model_a, model_b)]
        rows[name] = comparison(right[0], right[1], seed=seed)
    return pd.DataFrame(rows).T.drop(columns=["effect", "paper (not measured here)"])


def published_table(ours: dict | None = None) -> pd.DataFrame:
    """`references.limits_table()` with a column of our measurements ({measure: text}) where given."""
    table = limits_table()
    if ours:
        table.insert(1, "ours (measured above)", pd.Series(ours))
    return table


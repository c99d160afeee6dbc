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
import zlib
from collections import Counter

import numpy as np
import pandas as pd
import torch

from .embed import encode_images, encode_texts
from .world.vocabulary import COLOURS, SHAPES

SWAP_KINDS = ("colours", "shapes", "objects")   # objects: colour and shape together (the relation flips)
_WORDS = {"colours": COLOURS, "shapes": SHAPES}


def _positions(tokens: list[str], vocabulary) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.lower() in vocabulary]


def swap_words(caption: str, kind: str) -> str | None:
    """`caption` with the first two different colour words (kind "colours"), shape words
    ("shapes") or both ("objects") exchanged; None when it has no such pair.

    The words stay the same, only their order changes: "a red circle left of a blue square"
    → colours: "a blue circle left of a red square", objects: "a blue square left of a red circle".
    """
    if kind not in SWAP_KINDS:
        raise ValueError(f"kind must be one of {SWAP_KINDS}, not {kind!r}")
    tokens = re.split(r"(\W+)", caption)                       # words and the separators between them
    swapped = list(tokens)
    for part in (("colours", "shapes") if kind == "objects" else (kind,)):
        found = _positions(tokens, _WORDS[part])
        first = found[0] if found else None
        second = next((i for i in found if tokens[i].lower() != tokens[first].lower()), None) if found else None
        if second is None:
            return None
        swapped[first], swapped[second] = tokens[second], tokens[first]
    return "".join(swapped)


def hard_negative(caption: str) -> str | None:
    """NegCLIP's hard negative for a training caption: a word swap of one kind, chosen by a
    fixed hash of the caption among the kinds it allows (None when it allows none)."""
    options = [s for s in (swap_words(caption, kind) for kind in SWAP_KINDS) if s is not None]
    return options[zlib.crc32(caption.encode()) % len(options)] if options else None


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
        true = f"a {m['colour']} {m['shape']} {relation} a {m['colour2']} {m['shape2']}"
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


def count_prompts(template: str = "a photo of {} shapes") -> list[str]:
    """One prompt per count, 1..4 ("a photo of one shape" for 1)."""
    return [template.format(word).replace("one shapes", "one shape") for word in COUNT_WORDS]


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


def count_outcomes(model, tokenizer, dataset, template: str = "a photo of {} shapes") -> pd.DataFrame:
    """Zero-shot counting: for each image, the count whose prompt is closest (1..4) against
    the true number of objects. Returns columns true, predicted, correct."""
    prompts = count_prompts(template)
    classifier = encode_texts(model, tokenizer, prompts)
    predicted = (encode_images(model, dataset) @ classifier.T).argmax(1).numpy() + 1
    truth = dataset.meta["n_objects"].to_numpy()
    return pd.DataFrame({"true": truth, "predicted": predicted, "correct": predicted == truth})

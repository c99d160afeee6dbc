"""Word swaps keep the words, relation probes follow the scene, the blind baseline is blind."""

import re
from collections import Counter

import numpy as np
import pytest

from clipviz import ShapesWorld
from clipviz.compositional import (BigramModel, count_prompts, hard_negative, relation_probes, swap_words)


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


@pytest.mark.parametrize("caption,kind,expected", [
    ("a red circle left of a blue square", "colours", "a blue circle left of a red square"),
    ("a red circle left of a blue square", "shapes", "a red square left of a blue circle"),
    ("a red circle left of a blue square", "objects", "a blue square left of a red circle"),
    ("three shapes: a red star, a red cross and a pink diamond", "colours",
     "three shapes: a pink star, a red cross and a red diamond"),
    ("a Red circle, close up", "colours", None),
    ("a red circle above a red square", "colours", None),
])
def test_swap_words(caption, kind, expected):
    assert swap_words(caption, kind) == expected


def test_hard_negatives_of_real_captions_keep_every_word_and_change_the_text():
    captions = ShapesWorld(seed=0).dataset("train", n=3000).captions
    negatives = {c: hard_negative(c) for c in captions}
    swapped = [(c, n) for c, n in negatives.items() if n is not None]
    assert 0.05 < len(swapped) / len(negatives) < 0.3          # the multi-object captions, mostly
    for caption, negative in swapped:
        assert negative != caption and words(negative) == words(caption)
    assert hard_negative("a red circle") is None
    assert hard_negative("a red circle left of a blue square") == hard_negative("a red circle left of a blue square")


def test_relation_probes_describe_the_scene_and_its_two_swaps():
    world = ShapesWorld(seed=0, eval_counts=(0, 1, 0, 0))
    meta = world.dataset("test", n=300).meta
    probes = relation_probes(meta)
    assert len(probes) > 50
    for _, p in probes.head(20).iterrows():
        m = meta.loc[p.row].to_dict()
        assert m["relation"] in ("left of", "above") and m["colour"] != m["colour2"] and m["shape"] != m["shape2"]
        axis = 0 if m["relation"] == "left of" else 1        # the first-named object is left of / above the other
        assert m["boxes"][0][axis] < m["boxes"][1][axis]
        first, second = f"{m['colour']} {m['shape']}", f"{m['colour2']} {m['shape2']}"
        assert p.true.startswith(f"a {first} ") and p.true.endswith(f"a {second}")
        assert p.attributes_swapped == f"a {m['colour2']} {m['shape']}{p.true[len('a ' + first):-len(second)]}" \
                                       f"{m['colour']} {m['shape2']}"
        assert words(p.objects_swapped) == words(p.true) and p.objects_swapped.startswith(f"a {second} ")


def test_bigram_baseline_prefers_seen_word_orders_and_is_even_on_unseen_ones():
    model = BigramModel(["a red circle left of a blue square", "a red circle", "a blue square"])
    assert model.prefers(["a red circle"], ["a circle red"]).tolist() == [True]
    assert model.log_prob("a red circle") > model.log_prob("a circle red")
    tie = model.prefers(["a green star"], ["a star green"])            # unseen words: a coin flip
    assert np.allclose(tie, 0.5) or tie.dtype == bool


def test_count_prompts():
    assert count_prompts() == ["a photo of one shape", "a photo of two shapes", "a photo of three shapes",
                               "a photo of four shapes"]

"""Word swaps keep the words, relation probes follow the scene, the blind baseline is blind."""

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from clipviz import ShapesWorld
from clipviz.analysis.compositional import (BigramModel, count_prompts, hard_negative, relation_probes, swap_words)


def words(text: str) -> Counter:
    """The words of a text, its articles left out (a swap may turn "an" into "a")."""
    return Counter(w for w in re.findall(r"\w+", text.lower()) if w not in ("a", "an"))


@pytest.mark.parametrize("caption,kind,expected", [
    ("a red circle left of a blue square", "colours", "a blue circle left of a red square"),
    ("a red circle left of a blue square", "shapes", "a red square left of a blue circle"),
    ("a red circle left of a blue square", "objects", "a blue square left of a red circle"),
    ("three shapes: a red star, a red cross and a pink diamond", "colours",
     "three shapes: a pink star, a red cross and a red diamond"),
    ("a Red circle, close up", "colours", None),
    ("a red circle above a red square", "colours", None),
    ("an orange star left of a red cross", "colours", "a red star left of an orange cross"),
    ("An orange star and a blue cross", "objects", "A blue cross and an orange star"),
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
        relation = {"left of": "to the left of", "above": "above"}[m["relation"]]
        assert bare(p.true) == f"{first} {relation} {second}"
        assert bare(p.attributes_swapped) == f"{m['colour2']} {m['shape']} {relation} {m['colour']} {m['shape2']}"
        assert bare(p.objects_swapped) == f"{second} {relation} {first}"
        assert not any(re.search(r"\ban [^aeiou]|\ba [aeiou]", c) for c in (p.true, p.attributes_swapped,
                                                                           p.objects_swapped))


def bare(text: str) -> str:
    return re.sub(r"\ban? ", "", text)


def test_bigram_baseline_prefers_seen_word_orders_and_is_even_on_unseen_ones():
    model = BigramModel(["a red circle left of a blue square", "a red circle", "a blue square"])
    assert model.prefers(["a red circle"], ["a circle red"]).tolist() == [True]
    assert model.log_prob("a red circle") > model.log_prob("a circle red")
    tie = model.prefers(["a green star"], ["a star green"])            # unseen words: a coin flip
    assert np.allclose(tie, 0.5) or tie.dtype == bool


def test_count_prompts():
    assert count_prompts() == ["a photo of one shape", "a photo of two shapes", "a photo of three shapes",
                               "a photo of four shapes"]
    assert count_prompts("{} objects on a table")[:2] == ["one object on a table", "two objects on a table"]


def test_count_column_and_sentence():
    from clipviz.analysis.compositional import count_column, count_sentence

    assert count_column(pd.DataFrame({"count": [1, 4, 2.0]})) == "count"
    assert count_column(pd.DataFrame({"n_objects": [1, 5], "count": [2, 3]})) == "count"      # 5 is out of range
    assert count_column(pd.DataFrame({"count": [1, 2.5]})) is None and count_column(pd.DataFrame({"x": [1]})) is None
    assert "above chance (25%), on 400 images" in count_sentence(np.r_[np.ones(300), np.zeros(100)])
    assert "not distinguishable from chance" in count_sentence(np.r_[np.ones(25), np.zeros(75)])
    assert "below chance" in count_sentence(np.zeros(200))


def test_word_order_outcomes_and_choice_table_against_a_direct_computation():
    import torch

    from clipviz import create_model
    from clipviz.analysis.compositional import bag_of_words_sentence, choice_table, word_order_outcomes
    from clipviz.evaluation.embed import encode_images, encode_texts

    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    data = ShapesWorld(seed=0, eval_counts=(0, 1, 0, 0)).dataset("test", n=120)
    order = word_order_outcomes(model, tokenizer, data)
    images = encode_images(model, data)[torch.tensor(order["row"].to_numpy())]
    for kind in ("attributes", "objects"):
        true, other = encode_texts(model, tokenizer, list(order["true"])), \
            encode_texts(model, tokenizer, list(order[f"{kind}_swapped"]))
        expected = ((images * true).sum(1) > (images * other).sum(1)).numpy()
        assert (order[kind].to_numpy() == expected).all()
    table = choice_table({"m": order})
    assert table.at["m", "objects swapped"] == pytest.approx(order["objects"].mean())
    assert table.at["m", "objects swapped: low"] <= table.at["m", "objects swapped"] <= table.at["m", "objects swapped: high"]
    assert bag_of_words_sentence(table.loc["m"]).startswith("With the attributes swapped it picks the true caption")


def test_own_caption_outcomes_and_counting():
    from clipviz import create_model
    from clipviz.analysis.compositional import count_outcomes, own_caption_outcomes

    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    data = ShapesWorld(seed=0).dataset("train", n=200)
    own = own_caption_outcomes(model, tokenizer, data)
    assert len(own) == sum(hard_negative(c) is not None for c in data.captions) > 0
    assert own["prefers"].dtype == bool and (own["caption"] != own["swapped"]).all()
    counts = count_outcomes(model, tokenizer, ShapesWorld(seed=0).dataset("test", n=40, eval_counts=(1, 1, 1, 1)))
    assert set(counts["true"]) == {1, 2, 3, 4} and counts["predicted"].between(1, 4).all()
    assert (counts["correct"] == (counts["true"] == counts["predicted"])).all()

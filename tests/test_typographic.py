"""The attack's three conditions show the same scenes; the summary matches a hand count."""

import numpy as np
import pandas as pd
import pytest

from clipviz import ShapesWorld, create_model
from clipviz.analysis.typographic import attack_outcomes, attack_sets, attack_summary


def test_attack_sets_are_the_same_scenes_with_and_without_a_word():
    sets = attack_sets(ShapesWorld(seed=0), n=40)
    clean, true, wrong = (sets[c].meta for c in ("clean", "true word written", "wrong word written"))
    for column in ("colour", "shape", "size", "position", "background", "style"):
        assert (clean[column] == wrong[column]).all() and (clean[column] == true[column]).all()
    assert clean["written"].isna().all()
    assert (true["written"] == true["shape"]).all() and (wrong["written"] != wrong["shape"]).all()
    assert not np.array_equal(sets["clean"].images, sets["wrong word written"].images)


def test_attack_summary_matches_a_hand_count():
    world = ShapesWorld(seed=0)
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    outcomes = attack_outcomes(model, tokenizer, attack_sets(world, n=60), world.classnames("seen"))
    assert len(outcomes) == 180 and not outcomes.loc[outcomes.condition == "clean", "follows_word"].any()
    summary = attack_summary({"m": outcomes})
    wrong = outcomes[outcomes.condition == "wrong word written"].set_index("image")
    clean = outcomes[outcomes.condition == "clean"].set_index("image")
    for (_, size), row in summary.iterrows():
        images = wrong.index[wrong.text_scale == int(size[0])]
        assert row["images"] == len(images)
        assert row["wrong word written"] == pytest.approx(wrong.loc[images, "correct"].mean())
        assert row["drop from clean"] == pytest.approx(clean.loc[images, "correct"].mean()
                                                       - wrong.loc[images, "correct"].mean())
        assert row["drop from clean: low"] <= row["drop from clean"] <= row["drop from clean: high"]
        assert row["follows the wrong word"] == pytest.approx(wrong.loc[images, "follows_word"].mean())
    assert isinstance(summary, pd.DataFrame) and summary.index.names == ["model", "text size"]


def test_the_attack_writes_beside_the_object():
    sets = attack_sets(ShapesWorld(seed=0, quality_p=0.0), n=30)
    clean, wrong = sets["clean"], sets["wrong word written"]
    for i, boxes in enumerate(clean.meta["boxes"]):
        x0, y0, d = boxes[0]
        assert np.array_equal(clean.images[i, y0:y0 + d, x0:x0 + d], wrong.images[i, y0:y0 + d, x0:x0 + d])
    assert not np.array_equal(clean.images, wrong.images)


def test_label_below_keeps_the_picture_and_writes_only_in_the_band():
    from PIL import Image

    from clipviz.world.render import band_height, glyphs, label_below

    image = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    clean, written = label_below(image, None, 2), label_below(image, "blue star", 2)
    band = band_height(2)
    inner = 96 - band
    shrunk = np.asarray(Image.fromarray(image).resize((inner, inner), Image.BICUBIC))
    assert band == glyphs("Ay", 2).shape[0] + 6 == 28
    assert np.array_equal(clean[:inner, band // 2:band // 2 + inner], shrunk)       # the picture, only scaled
    assert (clean[inner:] == 255).all()                                           # an empty band
    assert np.array_equal(clean[:inner], written[:inner]) and (written[inner:] < 255).any()
    ink = glyphs("blue star", 2)
    rows, cols = np.nonzero((written[inner:] < 128).any(-1))
    assert rows.min() >= (band - ink.shape[0]) // 2 and cols.max() - cols.min() < ink.shape[1]
    with pytest.raises(ValueError, match="square"):
        label_below(image[:, :50], "x", 1)


def test_own_attack_sets_write_the_chosen_names():
    from clipviz.analysis.typographic import own_attack_sets
    from clipviz.data import CsvDataset
    from clipviz.world.render import band_height
    from test_data import SAMPLE

    data = CsvDataset(SAMPLE)
    classes = sorted(data.meta["label"].unique())
    sets = own_attack_sets(data, classes, 64, seed=3)
    clean, true, wrong = (sets[c].meta for c in ("clean", "true word written", "wrong word written"))
    labels = data.meta.drop_duplicates("image_id")["label"].tolist()
    assert len(clean) == len(labels) and clean["written"].isna().all() and (clean["text_scale"] == 0).all()
    assert true["written"].tolist() == labels == wrong["label"].tolist()
    assert (wrong["written"] != wrong["label"]).all() and wrong["written"].isin(classes).all()
    again = own_attack_sets(data, classes, 64, seed=3)["wrong word written"].meta["written"]
    assert again.tolist() == wrong["written"].tolist()                           # the seed decides
    assert (wrong["text_scale"] == 1).all()            # at 64 px the longest name fits only at the smallest scale
    inner = 64 - band_height(1)
    for condition in ("true word written", "wrong word written"):
        assert np.array_equal(sets[condition].images[:, :inner], sets["clean"].images[:, :inner])
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    outcomes = attack_outcomes(model, tokenizer, sets, classes)
    assert set(outcomes.condition) == set(sets) and len(outcomes) == 3 * len(labels)


def test_follows_word_by_hand():
    from clipviz.analysis.typographic import follows_word

    assert follows_word(["red circle", "blue star", "cat", "cat"], ["circle", "star x", "cat", ""]).tolist() == \
        [True, False, True, False]


def test_reading_effect_is_the_paired_difference_of_following():
    from clipviz.analysis.typographic import reading_effect

    def table(follows):
        return pd.DataFrame({"condition": "wrong word written", "image": np.arange(6), "text_scale": [1, 1, 1, 2, 2, 2],
                             "correct": False, "follows_word": follows})

    effect = reading_effect({"reader": table([1, 1, 0, 1, 1, 1]), "control": table([0, 1, 0, 0, 0, 1])}, "reader", "control")
    assert effect.loc["1x", "delta"] == pytest.approx(1 / 3) and effect.loc["2x", "delta"] == pytest.approx(2 / 3)
    assert (effect["low"] <= effect["delta"]).all() and (effect["delta"] <= effect["high"]).all()

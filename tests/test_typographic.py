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

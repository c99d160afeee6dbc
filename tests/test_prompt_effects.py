"""The prompt effects of notebook 03: their image sets, names and paired differences."""

import numpy as np
import pandas as pd

from clipviz.analysis.prompt_effects import (EFFECTS, class_outcomes, effect_differences, shape_names,
                                             shape_outcomes, shape_task_images)
from clipviz.core.model import create_model
from clipviz.world import POLYSEMOUS, SHAPES, ShapesWorld
from clipviz.world.vocabulary import PATTERN_SHAPE


def test_only_the_two_meaning_names_are_edited():
    bare, descriptive, random = (shape_names(style) for style in ("bare", "descriptive", "random"))
    assert bare == list(SHAPES)
    for shape, d, r in zip(SHAPES, descriptive, random):
        edited = shape in POLYSEMOUS
        assert (d != shape) == edited and (r != shape) == edited
        assert not edited or (d == f"{shape}, a kind of shape" and r.startswith(f"{shape}, which has "))
    assert shape_names("random") == random                                   # the same words every time


def test_the_shape_task_shows_the_same_scenes_on_another_shape_and_on_plain_ground():
    sets = shape_task_images(ShapesWorld(seed=0), n=300)
    patterned, plain = sets["patterned"].meta, sets["plain"].meta
    assert (patterned["pattern"] != "plain").all() and (plain["pattern"] == "plain").all()
    assert all(PATTERN_SHAPE[p] != s for p, s in zip(patterned["pattern"], patterned["shape"]))
    assert patterned["objects"].tolist() == plain["objects"].tolist()


def test_effect_differences_are_the_paired_columns():
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    world = ShapesWorld(seed=0)
    classes = class_outcomes(model, tokenizer, world, ["a photo of a {}.", "a sketch of a {}."], n=60)
    shapes = shape_outcomes(model, tokenizer, world, n=60)
    assert set(classes["split"]) == {"seen", "held-out"} and set(shapes["background"]) == {"patterned", "plain"}
    differences = effect_differences(classes, shapes)
    assert set(EFFECTS) <= set(differences)
    naive = [float(a) - float(b) for a, b in zip(classes["openai80"], classes["photo"])]
    assert np.array_equal(differences["ensemble80_vs_photo_template"], naive)
    patterned = shapes[shapes.background == "patterned"]
    assert np.array_equal(differences["descriptive_vs_bare_polysemous"],
                          patterned["descriptive"].astype(float).to_numpy() - patterned["bare"].astype(float).to_numpy())
    assert isinstance(classes, pd.DataFrame) and len(differences["photo_template_vs_bare"]) == len(classes)

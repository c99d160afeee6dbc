import hashlib
import re

import numpy as np
import pytest
from scipy.stats import binomtest

from clipviz.world import BACKGROUNDS, COLOURS, KOREAN, RGB, SHAPES, ShapesWorld, shape_mask


def digest(images, meta):
    return hashlib.sha256(images.tobytes() + "\n".join(meta["caption"]).encode()).hexdigest()


def test_same_seed_same_bytes_other_seed_differs():
    a = ShapesWorld(seed=3).generate("train", 300)
    b = ShapesWorld(seed=3).generate("train", 300)
    c = ShapesWorld(seed=4).generate("train", 300)
    assert digest(*a) == digest(*b)
    assert digest(*a) != digest(*c)


def test_smaller_dataset_is_a_prefix_of_a_larger_one():
    world = ShapesWorld(seed=1)
    small_images, small_meta = world.generate("train", 1500)
    big_images, big_meta = world.generate("train", 2100)
    assert np.array_equal(small_images, big_images[:1500])
    assert small_meta["caption"].tolist() == big_meta["caption"].tolist()[:1500]


def test_committed_sample_matches_regeneration(tmp_path):
    """data/sample was written by ShapesWorld(seed=0).export(...): same bytes here."""
    from pathlib import Path
    from PIL import Image

    ShapesWorld(seed=0).export(tmp_path, split="test", n=24)
    sample = Path(__file__).parents[1] / "data" / "sample"
    assert (sample / "captions.csv").read_text() == (tmp_path / "captions.csv").read_text()
    for png in sorted(sample.glob("*.png")):
        assert np.array_equal(np.asarray(Image.open(png)), np.asarray(Image.open(tmp_path / png.name)))


def test_images_have_the_described_colour_and_position():
    world = ShapesWorld(seed=0)
    images, meta = world.generate("test", 200)
    light = np.array([232, 232, 226])
    for image, row in zip(images, meta.itertuples()):
        if row.background != "light":
            continue
        ink = np.abs(image.astype(int) - light).sum(-1) > 60             # object pixels
        ys, xs = np.nonzero(ink)
        rgb = np.median(image[ink], axis=0)  # edge pixels blend with the background
        named = min(COLOURS, key=lambda c: np.abs(rgb - np.array(RGB[c])).sum())
        assert named == row.colour
        cx, cy = xs.mean() / 64, ys.mean() / 64
        expected = {"left": cx < 0.4, "right": cx > 0.6, "top": cy < 0.4, "bottom": cy > 0.6,
                    "center": 0.35 < cx < 0.65 and 0.35 < cy < 0.65}[row.position]
        assert expected, (row.position, cx, cy)


def test_large_shapes_cover_more_pixels_than_small_ones():
    for shape in SHAPES:
        assert shape_mask(shape, 27).astype(float).sum() > 2 * shape_mask(shape, 15).astype(float).sum()


def test_heldout_pairs_never_in_training_images_or_captions():
    world = ShapesWorld(seed=0)
    assert len(world.heldout_pairs) == len(SHAPES)
    _, meta = world.generate("train", 5000)
    objects = set(zip(meta["colour"], meta["shape"])) | set(zip(meta["colour2"].dropna(), meta["shape2"].dropna()))
    assert objects.isdisjoint(world.heldout_pairs)
    captions = " | ".join(meta["caption"])
    for colour, shape in world.heldout_pairs:
        assert f"{colour} {shape}" not in captions
    _, held = world.generate("heldout", 500)
    assert set(zip(held["colour"], held["shape"])) == set(world.heldout_pairs)
    assert held["heldout"].all()


def test_captions_use_many_templates_and_two_object_relations():
    _, meta = ShapesWorld(seed=0).generate("train", 3000)
    assert meta["template"].nunique() >= 10 + 3
    pair = meta[meta.n_objects == 2].iloc[0]
    assert pair.colour2 in pair.caption and pair.shape2 in pair.caption


def test_korean_captions_in_ko_mode_and_mix_ratio():
    _, ko = ShapesWorld(seed=0, language="ko").generate("train", 400)
    assert all(re.search("[\uac00-\ud7a3]", c) for c in ko["caption"])
    assert any(KOREAN["red"] in c for c in ko["caption"])
    _, mix = ShapesWorld(seed=0, language="mix", ko_fraction=0.3).generate("train", 4000)
    n_ko = int((mix["language"] == "ko").sum())
    assert binomtest(n_ko, 4000, 0.3).pvalue > 0.001


def test_bias_knob_rates_match_their_probabilities():
    world = ShapesWorld(seed=0, bias_p=0.6, bias_p_other=0.1, bias_group="dark")
    _, meta = world.generate("train", 4000)
    for group, p in (("dark", 0.6), ("light", 0.1)):
        rows = meta[meta.background == group]
        assert binomtest(int(rows.descriptor.sum()), len(rows), p).pvalue > 0.001
        assert all(("broken" in c) == d for c, d in zip(rows.caption, rows.descriptor))
    _, unbiased = ShapesWorld(seed=0).generate("train", 1000)
    assert not unbiased.descriptor.any() and set(unbiased.background) == set(BACKGROUNDS)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_size=8), "too small"),
    (dict(holdout=[(c, "circle") for c in COLOURS]), "shape 'circle' with no training images"),
    (dict(holdout=[("red", s) for s in SHAPES]), "colour 'red' with no training images"),
    (dict(holdout=[("mauve", "circle")]), "not a known colour/shape"),
    (dict(language="fr"), "language"),
    (dict(bias_p=1.5), "bias_p"),
])
def test_bad_world_settings_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ShapesWorld(**kwargs)


def test_other_image_sizes_render():
    images, _ = ShapesWorld(image_size=32).generate("test", 10)
    assert images.shape == (10, 32, 32, 3) and images.dtype == np.uint8

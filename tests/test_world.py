import hashlib
import re

import numpy as np
import pytest
from scipy.stats import binomtest

from clipviz.world import BACKGROUNDS, COLOURS, KOREAN, PATTERNS, POLYSEMOUS, RGB, SHAPES, STYLES, ShapesWorld
from clipviz.world.captions import FRAMES, TEXT_ONLY_FRAMES
from clipviz.world.render import shape_mask
from clipviz.world.vocabulary import PATTERN_SHAPE


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
    """data/sample was written by ShapesWorld(seed=0).export(...) in all five styles: same bytes here."""
    from pathlib import Path
    from PIL import Image

    ShapesWorld(seed=0).export(tmp_path, split="test", n=24, style_weights=(1, 1, 1, 1, 1))
    sample = Path(__file__).parents[1] / "data" / "sample"
    assert (sample / "captions.csv").read_text() == (tmp_path / "captions.csv").read_text()
    for png in sorted(sample.glob("*.png")):
        assert np.array_equal(np.asarray(Image.open(png)), np.asarray(Image.open(tmp_path / png.name)))


def test_images_have_the_described_colour_and_position():
    world = ShapesWorld(seed=0, style_weights="flat", pattern_p=0.0, quality_p=0.0)
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


@pytest.mark.parametrize("style", STYLES)
def test_every_style_keeps_each_objects_colour_where_it_draws(style):
    world = ShapesWorld(seed=2, style_weights=style, eval_counts=(0.4, 0.2, 0.2, 0.2), quality_p=0.0)
    images, meta = world.generate("test", 60)
    assert set(meta["style"]) == {style} and meta.n_objects.max() > 2
    for image, (_, row) in zip(images, meta.iterrows()):
        for name, (x0, y0, d) in zip(row["objects"].split("; "), row["boxes"]):
            colour, shape = name.split(" ")
            drawn = world.renderer.masks[(shape, d, style)] >= 200          # (d, d) fully inked pixels
            rgb = np.median(image[y0:y0 + d, x0:x0 + d][drawn], axis=0)
            assert min(COLOURS, key=lambda c: np.abs(rgb - np.array(RGB[c])).sum()) == colour, (name, rgb)


def test_object_masks_are_where_the_objects_are():
    world = ShapesWorld(seed=0, style_weights="flat", pattern_p=0.0, quality_p=0.0)
    images, meta = world.generate("test", 40)
    light = np.array([232, 232, 226])
    for image, (_, row) in zip(images, meta.iterrows()):
        if row.background == "light":
            ink = np.abs(image.astype(int) - light).sum(-1) > 60
            mask = world.object_masks(row)[0]
            assert (ink & mask).sum() / mask.sum() > 0.95 and (ink & ~mask).sum() < 0.2 * mask.sum()   # anti-aliased rims


def test_styles_differ_in_pixels_but_not_in_scenes():
    base = ShapesWorld(seed=0)
    renders = {s: base.replace(style_weights=s).generate("test", 8) for s in STYLES}
    for style, (images, meta) in renders.items():
        assert meta["objects"].tolist() == renders["flat"][1]["objects"].tolist()
        if style != "flat":
            assert not np.array_equal(images, renders["flat"][0])

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
        assert not re.search(rf"\b{colour}(-coloured)? {shape}\b", captions), (colour, shape)   # "red cross", "red-coloured cross"
    _, held = world.generate("heldout", 500)
    assert set(zip(held["colour"], held["shape"])) == set(world.heldout_pairs)
    assert held["heldout"].all()


def test_captions_vary_like_alt_text_and_no_frame_dominates():
    _, meta = ShapesWorld(seed=0).generate("train", 6000)
    shares = meta["frame"][~meta.frame.isin(["#hashtags", "file name"])].value_counts(normalize=True)
    assert meta["caption"].nunique() > 4000 and len(shares) >= 60 and shares.max() < 0.04
    assert meta.frame.isin(["#hashtags", "file name"]).mean() < 0.1
    assert 0.02 < (meta["noise"] != "").mean() < 0.04                          # 3 % noisy captions
    bare = {f"{c} {s}" for c in COLOURS for s in SHAPES}
    assert (meta["caption"].isin(bare)).mean() < 0.01                          # a bare label is rare
    pair = meta[(meta.n_objects == 2) & (meta.noise == "") & ~meta.frame.isin(["#hashtags", "file name"])].iloc[0]
    assert pair.colour2 in pair.caption and pair.shape2 in pair.caption
    _, narrow = ShapesWorld(seed=0, caption_variety=0.2).generate("train", 3000)
    assert narrow["frame"].nunique() < len(shares) - 0.5 * len(FRAMES)


def test_counts_styles_and_patterns_are_in_meta_and_captions():
    _, meta = ShapesWorld(seed=0, counts=(0.25, 0.25, 0.25, 0.25), style_weights=(1, 1, 1, 1, 1),
                          quality_p=0.0).generate("train", 3000)
    assert set(meta.n_objects) == {1, 2, 3, 4}
    crowd = meta[(meta.n_objects > 2) & meta.says_count]
    assert all(("three" if n == 3 else "four") in c for n, c in zip(crowd.n_objects, crowd.caption))
    assert set(meta["pattern"]) == set(PATTERNS) and set(meta["style"]) == set(STYLES)
    named = meta[meta.says_style]
    assert any("sketch" in c for c in named[named["style"] == "sketch"].caption)
    patterned = meta[meta.says_pattern]
    assert len(patterned) and all(f"{p[:-1].rstrip('e')}" in c for p, c in zip(patterned.pattern, patterned.caption))


def test_two_meaning_words_record_the_meaning_each_caption_uses():
    _, meta = ShapesWorld(seed=0).generate("train", 4000)
    senses = meta["senses"].str.split(";").explode()
    for word in POLYSEMOUS:
        assert f"{word}=shape" in set(senses) and f"{word}=pattern" in set(senses)
    pattern_sense = meta[meta["senses"].str.contains("=pattern")]
    assert (pattern_sense["pattern"] != "plain").all() and pattern_sense["says_pattern"].all()


def test_written_words_are_drawn_and_sometimes_captioned():
    world = ShapesWorld(seed=0, text_p=1.0, text_match=0.0)
    images, meta = world.generate("test", 200)
    plain, _ = world.replace(text_p=0.0).generate("test", 200)
    assert (meta["written"] != meta["shape"]).all() and meta["written"].isin(SHAPES).all()   # the attack: wrong names
    assert all(not np.array_equal(a, b) for a, b in zip(images, plain))
    assert 0.5 < meta["says_text"].mean() < 0.8
    assert all(w in c for w, c in zip(meta.written[meta.says_text], meta.caption[meta.says_text]))
    text_only = meta[meta["frame"].isin(TEXT_ONLY_FRAMES)]                  # about the written word alone
    assert 0.2 < len(text_only) / len(meta) < 0.4
    assert not any(colour in c for c in text_only.caption for colour in COLOURS)


def test_a_word_written_beside_the_object_leaves_its_pixels_untouched():
    """The attack's placement: every pixel of the object's box is the clean scene's pixel,
    in every style, and the word's box lies above or below it; only the image changes."""
    world = ShapesWorld(seed=0, quality_p=0.0, style_weights=(1, 1, 1, 1, 1), text_match=0.0)
    clean, meta = world.generate("test", 300)
    beside, written = world.replace(text_p=1.0, text_place="beside").generate("test", 300)
    renderer = world.renderer
    for i, boxes in enumerate(meta["boxes"]):
        x0, y0, d = boxes[0]
        assert np.array_equal(beside[i, y0:y0 + d, x0:x0 + d], clean[i, y0:y0 + d, x0:x0 + d])
        height, width = renderer.label_size(written.written[i], written.text_scale[i])
        left, top = renderer.beside(boxes[0], (height, width))
        assert top + height <= y0 or top >= y0 + d                                 # above or below, never across
        changed = np.flatnonzero((beside[i] != clean[i]).any(axis=(1, 2)))           # rows the word touched
        assert changed.min() >= max(top, 0) and changed.max() < top + height
    assert (written.drop(columns=["written", "text_scale", "caption", "frame", "says_text", "noise", "senses",
                                  "says_style", "says_count", "says_pattern", "says_quality", "says_object"])
            .equals(meta.drop(columns=["written", "text_scale", "caption", "frame", "says_text", "noise", "senses",
                                       "says_style", "says_count", "says_pattern", "says_quality", "says_object"])))


def test_label_beside_a_box_by_hand():
    from clipviz.world.render import Renderer

    renderer = Renderer(64, 0)
    assert renderer.beside((10, 4, 20), (13, 30)) == (5, 24 + (40 - 13) // 2)       # more room below: centred there
    assert renderer.beside((40, 40, 20), (13, 30)) == (34, 40 - 13 - (40 - 13) // 2)  # above; pushed inside at the right
    assert renderer.beside((20, 16, 31), (24, 96)) == (-16, 47)                      # too tall: touches the box, cut below


def test_the_text_place_knob_keeps_the_old_keys_and_is_checked():
    from dataclasses import asdict

    assert "text_place" not in ShapesWorld().knobs() and ShapesWorld().knobs() == {
        k: v for k, v in asdict(ShapesWorld()).items() if k != "text_place"}
    assert ShapesWorld(text_place="beside").knobs()["text_place"] == "beside"
    with pytest.raises(ValueError, match="text_place must be one of"):
        ShapesWorld(text_place="under")


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
        said = rows[(rows.noise == "") & rows.says_object]   # a noisy caption, or one about the pattern alone: not
        assert all(("broken" in c) == d for c, d in zip(said.caption, said.descriptor))
    _, unbiased = ShapesWorld(seed=0).generate("train", 1000)
    assert not unbiased.descriptor.any() and set(unbiased.background) == set(BACKGROUNDS)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_size=8), "too small"),
    (dict(holdout=[(c, "circle") for c in COLOURS]), "shape 'circle' with no training images"),
    (dict(holdout=[("red", s) for s in SHAPES]), "colour 'red' with no training images"),
    (dict(holdout=[("mauve", "circle")]), "not a known colour/shape"),
    (dict(language="fr"), "language"),
    (dict(bias_p=1.5), "bias_p"),
    (dict(style_weights="cubist"), "unknown style 'cubist'"),
    (dict(counts=(1, 1)), "counts must be 4 non-negative weights"),
    (dict(caption_variety=0), "caption_variety"),
])
def test_bad_world_settings_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ShapesWorld(**kwargs)


def test_other_image_sizes_render():
    images, _ = ShapesWorld(image_size=32).generate("test", 10)
    assert images.shape == (10, 32, 32, 3) and images.dtype == np.uint8


# --- picture qualities, the web's vocabulary, sentences ----------------------------------
def test_every_quality_changes_the_picture_of_the_same_scene():
    from clipviz.world import QUALITIES

    clean, clean_meta = ShapesWorld(seed=0, quality_p=0.0, style_weights="flat").generate("test", 300)
    varied, meta = ShapesWorld(seed=0, quality_p=1.0, style_weights="flat").generate("test", 300)
    assert set(meta["quality"]) == set(QUALITIES) and set(clean_meta["quality"]) == {"none"}
    for quality, rows in meta.groupby("quality").groups.items():
        changed = [not np.array_equal(a, b) for a, b in zip(varied[rows], clean[rows])]
        assert all(changed), quality
    dark, bright = meta.index[meta.quality == "dark"], meta.index[meta.quality == "bright"]
    assert varied[dark].mean() < 0.6 * clean[dark].mean() and varied[bright].mean() > clean[bright].mean()
    blocky = varied[meta.index[meta.quality == "low_resolution"][0]]
    assert np.array_equal(blocky[0:3, 0:3], np.broadcast_to(blocky[0, 0], (3, 3, 3)))     # 3x3 blocks


def test_many_draws_the_same_object_several_times():
    _, meta = ShapesWorld(seed=0, quality_p=1.0).generate("test", 400)
    many = meta[meta.quality == "many"]
    assert len(many) and many.n_objects.between(4, 9).all()
    assert all(len(set(o.split("; "))) == 1 for o in many.objects)          # one colour and shape, repeated
    said = many[many.says_quality]
    assert all(any(w in c for w in ("many", "lots of", "group of", "several", "bunch of")) for c in said.caption)


def test_a_quality_is_said_in_its_share_of_captions():
    from clipviz.world.captions import QUALITY_FRAMES

    _, meta = ShapesWorld(seed=0, quality_p=1.0, quality_named=0.6).generate("train", 4000)
    english = meta[(meta.noise == "") & (meta.language == "en")]
    assert 0.5 < english.says_quality.mean() < 0.7
    framed = english[english.says_quality & (english.quality != "many")]
    assert all(f in QUALITY_FRAMES[q] for f, q in zip(framed.frame, framed.quality))


def test_the_jpeg_transform_is_an_orthonormal_dct():
    from clipviz.world.render import DCT

    assert np.allclose(DCT @ DCT.T, np.eye(8))


def test_captions_use_every_word_of_the_templates_they_are_scored_with():
    """The default model trains exactly the token rows its captions use (`UsedTokenRows`):
    every word of OpenAI's 80 templates, CLIP_benchmark's CIFAR-10 templates and notebook
    03's synonym names is among them; the shapes-unseen bank is unseen by design."""
    import torch

    from clipviz.core.model import create_model, tokenize
    from clipviz.evaluation.zeroshot import load_templates, untrained_words
    from clipviz.world.vocabulary import SHAPE_SYNONYMS
    from clipviz.zoo import DEFAULT_MODEL, recipe

    spec = recipe(DEFAULT_MODEL)
    _, _, tokenizer = create_model(spec.model)
    trained = torch.unique(tokenize(tokenizer, spec.make_world().dataset("train", n=spec.n_train).captions))
    for bank in ("openai80", "openai7", "clip_benchmark/cifar10", "shapes"):
        assert untrained_words(load_templates(bank), tokenizer, trained) == {}, bank
    assert untrained_words([f"a {name}" for name in SHAPE_SYNONYMS.values()], tokenizer, trained) == {}
    assert len(untrained_words(load_templates("shapes-unseen"), tokenizer, trained)) == len(load_templates("shapes-unseen"))


def test_some_captions_are_sentences_and_articles_follow_the_next_word():
    _, meta = ShapesWorld(seed=0).generate("train", 4000)
    framed = meta[(meta.noise == "") & ~meta.frame.isin(["#hashtags", "file name"])]
    assert 0.15 < framed.caption.str.endswith(".").mean() < 0.35
    assert not meta.caption.str.contains(r"\ba [aeiou8]|\ban [^aeiou8\W]", regex=True).any()


def test_each_meaning_of_a_two_meaning_word_has_words_of_its_own():
    _, meta = ShapesWorld(seed=0).generate("train", 6000)
    text = " | ".join(meta.caption)
    assert "a kind of shape" in text and "-shaped" in text and "pattern of stars" in text
    tags = meta[meta.frame.isin(["#hashtags", "file name"]) & meta.senses.str.contains("=pattern")]
    assert len(tags) and all(PATTERNS.index(p) > 0 for p in tags.pattern)    # the bare pattern word, on patterns
    assert "a kind of pattern" in text
    alone = meta.caption[~meta.caption.str.contains("|".join(COLOURS)) & meta.caption.str.contains("kind of shape")]
    assert len(alone) > 20                       # "a star, a kind of shape": the shape's meaning, no colour


def test_a_pattern_alone_is_called_by_the_bare_class_word_as_a_shape_is():
    _, meta = ShapesWorld(seed=0).generate("train", 6000)
    single = meta[(meta.n_objects == 1) & (meta.noise == "")]
    alone = single[~single.says_object]
    assert len(alone) > 100 and (alone.pattern != "plain").all() and alone.says_pattern.all()
    assert not any(re.search(rf"\b({colour}|{shape})\b", caption)     # neither the object's colour nor its shape
                   for colour, shape, pattern, caption in zip(alone.colour, alone["shape"], alone.pattern, alone.caption)
                   if PATTERN_SHAPE[pattern] != shape)
    words = alone.pattern.map(PATTERN_SHAPE)
    bare = [re.search(rf"\b{w}\b(?!,| pattern)", caption) is not None for w, caption in zip(words, alone.caption)]
    assert np.mean(bare) > 0.35              # "a photo of a star" said of a starry background
    shapes = single[(single.pattern == "plain") & single["shape"].isin(POLYSEMOUS)]
    assert any(re.search(rf"\ba {s}\b", c) for s, c in zip(shapes["shape"], shapes.caption))   # and of a star

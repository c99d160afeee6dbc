"""ShapesWorld: a procedural world of captioned images, CLIP's training data in miniature.

Every image shows one to four coloured shapes, drawn in one of five styles on a light
(plain) or dark (textured) background, sometimes patterned with small stars, crosses or
diamonds; now and then a word is written on it, and a share of the pictures is
worse or different the ways ImageNet's photos are (blurry, low resolution, a bad JPEG,
dark, bright, faded, cropped, a close-up, many of the same object). Every caption describes
it the way web alt-text does (`captions.py`), in English, Korean or a mix. A fixed set of (colour,
shape) compositions is held out of training so we can measure compositional
generalisation, and a caption-bias knob attaches a descriptor word more often to one
background group so the bias audit has a known cause.

Generation is deterministic: sample i of a split depends only on (the world's knobs,
split, i), so `dataset("train", n=1000)` is a prefix of `dataset("train", n=20000)`, and
the same knobs give byte-identical images and captions on any machine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ..data import ArrayDataset
from .captions import N_DRAWS, Grammar
from .render import N_TEXTURES, Renderer, degrade
from .vocabulary import (BACKGROUNDS, COLOURS, MAX_OBJECTS, NAME_STYLES, PATTERNS, POSITIONS, QUALITIES,
                         RELATIONS, RGB, SHAPES, SIZES, SPLITS, STYLES, class_name)

POSITION_CENTRE = {"left": (0.25, 0.5), "right": (0.75, 0.5), "top": (0.5, 0.25),
                   "bottom": (0.5, 0.75), "center": (0.5, 0.5)}  # (x, y) fractions
CORNERS = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))   # the cells of a 3-4 object scene
GRID = tuple((x, y) for y in (0.2, 0.5, 0.8) for x in (0.2, 0.5, 0.8))   # the cells of a "many" scene
MANY = (4, 9)         # copies in a "many" scene: 4 to 9
JITTER = 0.06         # centre jitter, fraction of the side: positions stay nameable
BLOCK = 1024          # samples per RNG block (prefix property + vectorised draws)
TEXT_SCALES = (1, 2)  # written words: the bitmap font (11 px tall) at 1x or 2x
RGB_TABLE = np.array([RGB[c] for c in COLOURS])
TEXT_PLACES = ("on", "beside")
LATER_KNOBS = {"text_place": "on"}   # knobs added after world 3, with the default that draws as before


@lru_cache(maxsize=8)
def _renderer(image_size: int, seed: int) -> Renderer:
    return Renderer(image_size, seed)     # shared by every variant of a world (`replace`)


def _one_hot(style: str) -> tuple[float, ...]:
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; styles: {STYLES}")
    return tuple(float(s == style) for s in STYLES)


@dataclass(frozen=True)
class ShapesWorld:
    """A deterministic generator of captioned images.

    Args:
        seed: everything (images, captions, textures) follows from it.
        image_size: side in pixels (>= 16).
        language: "en", "ko" or "mix" (each caption Korean with prob. `ko_fraction`).
        holdout: held-out (colour, shape) pairs: "default" (one colour per shape),
            an explicit sequence of pairs, or None for none.
        counts: P(1, 2, 3, 4 objects) in training images. Mostly one: the tiny models
            learn colour–shape classes fastest from single objects, and the rest carry the
            relations and number words of notebook 06.
        eval_counts: the same for test and held-out images (one object: a zero-shot
            class is a single object's colour and shape).
        style_weights: P(each of `STYLES`), or one style's name. Every style by default, flat
            most often: the web's images come in every style, and a prompt ensemble covers
            them ("a sketch of a {}", "a painting of a {}"). A flat majority (70 %) keeps the
            default recipe learnable in 800 steps: with 60 % flat and quality_p 0.3 two seeds
            reached 0.96 and 0.85 seen flat top-1, with 70 % and 0.2 both 0.98.
        quality_p: share of images with one of `QUALITIES` (blurry, low resolution, …),
            drawn uniformly.
        quality_named: share of those images' captions that say it ("a blurry photo of …").
        pattern_p: share of backgrounds with a pattern (stars, crosses or diamonds): the
            second meaning of three class words.
        text_p: share of images with a word written on or beside the (first) object;
            text_match the share of those words that name its shape (the rest: another
            shape's name).
        text_place: where the word goes: "on" the object (a label across its lower part,
            hiding some of it: the first worlds' way) or "beside" it (above or below, never
            over its box; other objects of a scene may be covered).
        caption_variety: share of the caption grammar's frames in use (0..1]. All of them:
            a hand-written prompt is then one draw from a wide variety, as on the web.
        caption_noise: share of captions unrelated to the image (70 %) or wrong about it
            (30 %). 3 %: at 5 % one seed of the default model stalled at 0.84 seen top-1.
        style_named: share of captions that say the render style ("a sketch of …").
        caption_partial: share of object descriptions that name one attribute only ("a
            circle", "something red"): they teach that colour and shape are separate words,
            which held-out compositions need (held-out flat top-1 of seed 0: 0.67 at 0.32, 0.85
            at 0.45).
        caption_period: share of English captions written as a sentence, ending in "."
            (as OpenAI's templates do).
        caption_synonyms: share of single-object captions that name the shape in other
            words ("a red plus sign", "a blue rhombus").
        bias_word: descriptor attached by the caption-bias knob.
        bias_group: background group whose captions get it with prob. `bias_p`; the
            other group gets it with prob. `bias_p_other`.
    """

    seed: int = 0
    image_size: int = 64
    language: str = "en"
    ko_fraction: float = 0.5
    holdout: object = "default"
    counts: tuple = (0.85, 0.1, 0.025, 0.025)
    eval_counts: tuple = (1.0, 0.0, 0.0, 0.0)
    style_weights: object = (0.7, 0.075, 0.075, 0.075, 0.075)
    quality_p: float = 0.2
    quality_named: float = 0.6
    pattern_p: float = 0.25
    text_p: float = 0.0
    text_match: float = 0.5
    text_place: str = "on"
    caption_variety: float = 1.0
    caption_noise: float = 0.03
    style_named: float = 0.35
    caption_partial: float = 0.45
    caption_period: float = 0.3
    caption_synonyms: float = 0.06
    bias_word: str = "broken"
    bias_group: str = "dark"
    bias_p: float = 0.0
    bias_p_other: float = 0.0

    def __post_init__(self):
        if isinstance(self.style_weights, str):
            object.__setattr__(self, "style_weights", _one_hot(self.style_weights))
        object.__setattr__(self, "style_weights", tuple(float(w) for w in self.style_weights))
        _renderer(self.image_size, self.seed)            # validates the size early
        if self.language not in ("en", "ko", "mix"):
            raise ValueError(f"language must be 'en', 'ko' or 'mix', not {self.language!r}")
        if self.text_place not in TEXT_PLACES:
            raise ValueError(f"text_place must be one of {TEXT_PLACES}, not {self.text_place!r}")
        if self.bias_group not in BACKGROUNDS:
            raise ValueError(f"bias_group must be one of {BACKGROUNDS}, not {self.bias_group!r}")
        for name in ("ko_fraction", "quality_p", "quality_named", "pattern_p", "text_p", "text_match",
                     "caption_noise", "style_named", "caption_period", "caption_synonyms", "bias_p", "bias_p_other"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if not 0.0 < self.caption_variety <= 1.0:
            raise ValueError(f"caption_variety must lie in (0, 1], got {self.caption_variety}")
        for name, size in (("counts", MAX_OBJECTS), ("eval_counts", MAX_OBJECTS), ("style_weights", len(STYLES))):
            weights = np.asarray(getattr(self, name), float)
            if weights.shape != (size,) or (weights < 0).any() or weights.sum() <= 0:
                raise ValueError(f"{name} must be {size} non-negative weights, not all 0; got {getattr(self, name)}")
        self.heldout_pairs  # validates the hold-out set early

    def replace(self, **knobs) -> "ShapesWorld":
        """The same world with some knobs changed, e.g. `world.replace(style_weights="sketch")`."""
        return replace(self, **knobs)

    # -- compositions --
    @cached_property
    def heldout_pairs(self) -> tuple[tuple[str, str], ...]:
        """(colour, shape) pairs never drawn in training images or captions."""
        if self.holdout is None:
            return ()
        if isinstance(self.holdout, str) and self.holdout == "default":
            # shape i loses colour (3i + 1) mod 8: six different colours, one per shape
            pairs = tuple((COLOURS[(3 * i + 1) % len(COLOURS)], s) for i, s in enumerate(SHAPES))
        else:
            pairs = tuple((str(c), str(s)) for c, s in self.holdout)
        for colour, shape in pairs:
            if colour not in COLOURS or shape not in SHAPES:
                raise ValueError(f"held-out pair ({colour!r}, {shape!r}) is not a known "
                                 f"colour/shape; colours: {COLOURS}, shapes: {SHAPES}")
        for shape in SHAPES:
            if all((c, shape) in pairs for c in COLOURS):
                raise ValueError(f"the held-out set leaves shape {shape!r} with no training images")
        for colour in COLOURS:
            if all((colour, s) in pairs for s in SHAPES):
                raise ValueError(f"the held-out set leaves colour {colour!r} with no training images")
        return pairs

    @cached_property
    def seen_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((c, s) for s in SHAPES for c in COLOURS if (c, s) not in self.heldout_pairs)

    def classnames(self, which: str = "all", style: str = "en") -> list:
        """Colour–shape class names: `which` of "all", "seen", "heldout"; `style` of
        `NAME_STYLES`: "en" ("red circle"), "synonym" ("red round shape"), "descriptive"
        ("red circle, a kind of shape"), "ko" ("빨간 원") or "ko+en" (both, as a list of
        variants that zero-shot averages). Always in the same class order."""
        if which not in ("all", "seen", "heldout") or style not in NAME_STYLES:
            raise ValueError(f"which must be all/seen/heldout and style one of {NAME_STYLES}, "
                             f"not {which!r}, {style!r}")
        pairs = {"all": [(c, s) for s in SHAPES for c in COLOURS],
                 "seen": self.seen_pairs, "heldout": self.heldout_pairs}[which]
        return [class_name(c, s, style) for c, s in pairs]

    # -- sampling --
    @property
    def renderer(self) -> Renderer:
        return _renderer(self.image_size, self.seed)

    @cached_property
    def grammar(self) -> Grammar:
        return Grammar(self.caption_variety, self.caption_noise, self.style_named, self.caption_partial,
                       self.quality_named, self.caption_period, self.caption_synonyms)

    def _draws(self, split: str, block: int) -> dict[str, np.ndarray]:
        """Every random number of one block, drawn up front and vectorised, so the stream
        never depends on earlier outcomes (and block b is the same in every run)."""
        rng = np.random.default_rng([self.seed, SPLITS.index(split), block])
        m = BLOCK
        counts = np.asarray(self.counts if split == "train" else self.eval_counts, float)
        languages = {"en": 0.0, "ko": 1.0, "mix": self.ko_fraction}
        return {
            "n_objects": 1 + rng.choice(MAX_OBJECTS, size=m, p=counts / counts.sum()),
            "first": rng.integers(1 << 30, size=m), "others": rng.integers(1 << 30, size=(m, MAX_OBJECTS - 1)),
            "size": rng.integers(len(SIZES), size=(m, MAX_OBJECTS)),
            "position": rng.integers(len(POSITIONS), size=m), "relation": rng.integers(len(RELATIONS), size=m),
            "swap": rng.random(m) < 0.5,                    # "and": which side object 1 is on
            "background": rng.integers(len(BACKGROUNDS), size=m), "texture": rng.integers(1 << 30, size=m),
            "pattern": np.where(rng.random(m) < self.pattern_p, rng.integers(1, len(PATTERNS), size=m), 0),
            "style": rng.choice(len(STYLES), size=m, p=np.asarray(self.style_weights) / sum(self.style_weights)),
            "jitter": rng.uniform(-JITTER, JITTER, size=(m, MAX_OBJECTS, 2)),
            "shade": rng.integers(-15, 16, size=(m, MAX_OBJECTS, 3)),   # per-object colour jitter
            "written": rng.random(m) < self.text_p, "text_match": rng.random(m) < self.text_match,
            "text_word": rng.integers(len(SHAPES) - 1, size=m), "text_scale": rng.integers(len(TEXT_SCALES), size=m),
            "korean": rng.random(m) < languages[self.language], "bias": rng.random(m),
            "wrong": rng.integers(1 << 30, size=m), "caption": rng.random((m, N_DRAWS)),
            "quality": np.where(rng.random(m) < self.quality_p, rng.integers(len(QUALITIES), size=m), -1),
            "quality_u": rng.random(m),
            "many": rng.integers(MANY[0], MANY[1] + 1, size=m), "many_cells": rng.integers(1 << 30, size=m),
            "many_jitter": rng.uniform(-JITTER, JITTER, size=(m, len(GRID), 2)),
        }

    def _sample_block(self, split: str, block: int) -> tuple[np.ndarray, list[dict]]:
        """Images (BLOCK, H, W, 3) and attribute records for one RNG block."""
        pairs = self.heldout_pairs if split == "heldout" else self.seen_pairs
        if not pairs:
            raise ValueError("this world has no held-out pairs (holdout=None)")
        seen, draw, n = self.seen_pairs, self._draws(split, block), self.image_size
        images = np.empty((BLOCK, n, n, 3), np.uint8)
        records = []
        for i in range(BLOCK):
            quality = QUALITIES[draw["quality"][i]] if draw["quality"][i] >= 0 else None
            many = quality == "many"
            count = int(draw["many"][i] if many else draw["n_objects"][i])
            chosen = [pairs[draw["first"][i] % len(pairs)]] + [seen[k % len(seen)] for k in draw["others"][i]]
            if many:                      # the same object again and again
                chosen = chosen[:1] * count
            scene = {"n_objects": count, "background": BACKGROUNDS[draw["background"][i]],
                     "pattern": PATTERNS[draw["pattern"][i]], "style": STYLES[draw["style"][i]],
                     "relation": RELATIONS[draw["relation"][i]] if count == 2 and not many else None,
                     "position": POSITIONS[draw["position"][i]] if count == 1 else None, "quality": quality}
            objects = [{"colour": c, "shape": s, "size": "small" if count > 2 else SIZES[draw["size"][i, k]]}
                       for k, (c, s) in enumerate(chosen[:count])]
            if many:
                cells = np.random.default_rng(int(draw["many_cells"][i])).permutation(len(GRID))[:count]
                centres = [GRID[c] for c in cells]
                jitter, shade = draw["many_jitter"][i, :count], np.repeat(draw["shade"][i, :1], count, 0)
            else:
                centres = self._centres(count, scene["relation"], bool(draw["swap"][i]))
                jitter, shade = draw["jitter"][i, :count], draw["shade"][i, :count]
            images[i], boxes = self._render(scene, objects, centres, jitter, shade, int(draw["texture"][i]))
            true_shape = objects[0]["shape"]
            others = [s for s in SHAPES if s != true_shape]
            scene["written"] = ((true_shape if draw["text_match"][i] else others[draw["text_word"][i]])
                                if draw["written"][i] else None)
            if scene["written"]:
                scale = TEXT_SCALES[draw["text_scale"][i]]
                x0, y0, d = boxes[0]
                if self.text_place == "on":   # across the object's lower part, like a label stuck on it
                    self.renderer.write(images[i], scene["written"], scale, (x0 + d / 2) / n, (y0 + 0.78 * d) / n)
                else:
                    label = self.renderer.label_size(scene["written"], scale)
                    self.renderer.write_box(images[i], scene["written"], scale, *self.renderer.beside(boxes[0], label))
            self.renderer.finish(images[i], scene["style"], int(draw["texture"][i]) % N_TEXTURES)
            if quality and not many:
                x0, y0, d = boxes[0]
                images[i] = degrade(images[i], quality, (x0 + d / 2, y0 + d / 2), float(draw["quality_u"][i]))
            p_bias = self.bias_p if scene["background"] == self.bias_group else self.bias_p_other
            scene["descriptor"] = self.bias_word if draw["bias"][i] < p_bias else ""
            scene["objects"] = objects
            # a wrong caption names some other seen composition (held-out ones never appear in words)
            scene["wrong_colour"], scene["wrong_shape"] = seen[draw["wrong"][i] % len(seen)]
            language = "ko" if draw["korean"][i] else "en"
            parts = self.grammar.caption(scene, draw["caption"][i], language)
            records.append(self._record(scene, objects, boxes, language, parts,
                                        TEXT_SCALES[draw["text_scale"][i]] if scene["written"] else 0))
        return images, records

    @staticmethod
    def _centres(count: int, relation, swap: bool) -> list[tuple[float, float]]:
        if count == 1:
            return []                     # the position draw decides, see _render
        if count == 2:
            first, second = (("top", "bottom") if relation == "above" else ("left", "right"))
            if relation == "and" and swap:
                first, second = second, first
            return [POSITION_CENTRE[first], POSITION_CENTRE[second]]
        return list(CORNERS[:count])

    def _render(self, scene: dict, objects: list, centres: list, jitter: np.ndarray, shade: np.ndarray,
                texture: int):
        """The image of one scene and each object's box (x0, y0, diameter); `jitter` (objects, 2)
        moves each centre, `shade` (objects, 3) each colour."""
        renderer, texture = self.renderer, texture % N_TEXTURES
        canvas = renderer.background(scene["background"], texture, scene["pattern"])
        centres = centres or [POSITION_CENTRE[scene["position"]]]
        boxes = []
        shaded = np.clip(RGB_TABLE[[COLOURS.index(o["colour"]) for o in objects]] + shade, 0, 255)   # (objects, 3)
        many = scene["quality"] == "many"
        for k, obj in enumerate(objects):
            d = renderer.diameter(obj["size"], crowded=len(objects) > 2, many=many)
            rgb = shaded[k]
            cx, cy = centres[k][0] + jitter[k, 0], centres[k][1] + jitter[k, 1]
            x0, y0 = renderer.draw(canvas, obj["shape"], d, rgb, cx, cy, scene["style"], texture)
            boxes.append((x0, y0, d))
        return canvas, tuple(boxes)

    @staticmethod
    def _record(scene: dict, objects: list, boxes: tuple, language: str, parts, text_scale: int) -> dict:
        first = objects[0]
        second = objects[1] if len(objects) == 2 else {}
        return {"n_objects": scene["n_objects"], "colour": first["colour"], "shape": first["shape"],
                "size": first["size"], "position": scene["position"] or ("corner" if len(objects) > 2 else None),
                "colour2": second.get("colour"), "shape2": second.get("shape"), "size2": second.get("size"),
                "relation": scene["relation"],
                "objects": "; ".join(f"{o['colour']} {o['shape']}" for o in objects), "boxes": boxes,
                "background": scene["background"], "pattern": scene["pattern"],
                "style": scene["style"], "quality": scene["quality"] or "none",
                "written": scene["written"], "text_scale": text_scale, "descriptor": bool(scene["descriptor"]),
                "language": language, "caption": parts.caption, "frame": parts.frame, "noise": parts.noise,
                "says_style": parts.says_style, "says_count": parts.says_count,
                "says_pattern": parts.says_pattern, "says_text": parts.says_text,
                "says_quality": parts.says_quality, "says_object": parts.says_object, "senses": parts.senses}

    def generate(self, split: str = "train", n: int = 1000) -> tuple[np.ndarray, pd.DataFrame]:
        """Images (n, H, W, 3) uint8 and their metadata (one row per image)."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        blocks = [self._sample_block(split, b) for b in range(-(-n // BLOCK))]
        images = np.concatenate([b[0] for b in blocks])[:n]
        meta = pd.DataFrame([r for b in blocks for r in b[1]][:n])
        meta.insert(0, "image_id", np.arange(n))
        meta["split"] = split
        meta["label"] = meta["colour"] + " " + meta["shape"]
        meta["heldout"] = [(c, s) in self.heldout_pairs for c, s in zip(meta["colour"], meta["shape"])]
        return images, meta

    def dataset(self, split: str = "train", n: int = 1000, transform=None, **knobs) -> "ShapesDataset":
        """A torch Dataset of (image, caption) pairs; `.meta` is a DataFrame per pair.
        `knobs` change the world for this data only, e.g. `style_weights="sketch"`."""
        world = self.replace(**knobs) if knobs else self
        images, meta = world.generate(split, n)
        return ShapesDataset(images, meta, transform=transform, world=world)

    def object_masks(self, row) -> np.ndarray:
        """(n_objects, H, W) bool: where each object of a meta row is (its silhouette)."""
        if row.get("quality") in ("cropped", "close_up"):
            raise ValueError(f"a {row['quality']} image is framed anew: its objects' masks are not known "
                             f"(use quality_p=0 for scenes whose masks you need)")
        n, masks = self.image_size, []
        shapes = [o.split(" ")[1] for o in row["objects"].split("; ")]
        for shape, (x0, y0, d) in zip(shapes, row["boxes"]):
            mask = np.zeros((n, n), bool)
            mask[y0:y0 + d, x0:x0 + d] = self.renderer.masks[(shape, d, "flat")] >= 128
            masks.append(mask)
        return np.stack(masks)

    def export(self, out_dir, split: str = "test", n: int = 24, sep: str = "\t", **knobs) -> Path:
        """Write n images as PNG plus an open_clip-style CSV (filepath, title, label, group,
        style).

        Returns:
            The CSV's path; `clipviz.data.CsvDataset(path, label_key="label",
            group_key="group")` reads it back.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        images, meta = (self.replace(**knobs) if knobs else self).generate(split, n)
        for i, image in enumerate(images):
            Image.fromarray(image).save(out_dir / f"{split}_{i:04d}.png")
        table = pd.DataFrame({"filepath": [f"{split}_{i:04d}.png" for i in range(n)],
                              "title": meta["caption"], "label": meta["label"],
                              "group": meta["background"], "style": meta["style"]})
        path = out_dir / "captions.csv"
        table.to_csv(path, sep=sep, index=False)
        return path

    def summary(self) -> pd.DataFrame:
        """One row per knob/vocabulary item: what this world contains."""
        from .captions import FRAMES, STYLE_FRAMES

        styles = ", ".join(f"{s} {w / sum(self.style_weights):.0%}" for s, w in zip(STYLES, self.style_weights) if w)
        counts = ", ".join(f"{k + 1}: {w / sum(self.counts):.0%}" for k, w in enumerate(self.counts) if w)
        rows = [("shapes", ", ".join(SHAPES)), ("colours", ", ".join(COLOURS)),
                ("sizes", ", ".join(SIZES)), ("positions", ", ".join(POSITIONS)),
                ("backgrounds (groups)", ", ".join(BACKGROUNDS)),
                ("background patterns", f"{', '.join(PATTERNS[1:])} on {self.pattern_p:.0%} of images"),
                ("render styles", styles), ("objects per training image", counts),
                ("picture quality", f"{self.quality_p:.0%} of images: " + ", ".join(q.replace("_", " ") for q in QUALITIES)
                 + f"; said in {self.quality_named:.0%} of their captions"),
                ("caption frames", f"{len(self.grammar.frames)} general + "
                                   f"{sum(map(len, STYLE_FRAMES.values()))} naming a style "
                                   f"(of {len(FRAMES)}), hashtags, file names; {self.caption_noise:.0%} noise"),
                ("written words", f"{self.text_place} the object in {self.text_p:.0%} of images" if self.text_p
                 else "none"),
                ("language", self.language), ("image size", f"{self.image_size} px"),
                ("seen compositions", len(self.seen_pairs)),
                ("held-out compositions", ", ".join(self.classnames("heldout")) or "none"),
                ("caption bias", f"'{self.bias_word}' p={self.bias_p} on {self.bias_group}, "
                                 f"p={self.bias_p_other} otherwise")]
        return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")

    def knobs(self) -> dict:
        """The world's settings as plain values (what a recipe records); a knob added after
        world 3 only when it differs from its default, so recipes that leave it alone keep
        their keys (and their cached models)."""
        return {k: v for k, v in asdict(self).items() if not (k in LATER_KNOBS and v == LATER_KNOBS[k])}


class ShapesDataset(ArrayDataset):
    """ShapesWorld images held in memory, one caption per image, with the world that drew them."""

    def __init__(self, images: np.ndarray, meta: pd.DataFrame, transform=None, world=None):
        super().__init__(images, meta, transform=transform)
        self.world = world

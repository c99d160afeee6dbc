"""ShapesWorld: a procedural world of captioned images, CLIP's training data in miniature.

Every image shows one or two coloured shapes on a light (plain) or dark (textured)
background; every caption describes it in English, Korean or a mix of both. A fixed
set of (colour, shape) compositions is held out of training so we can measure
compositional generalisation, and a caption-bias knob attaches a descriptor word
more often to one background group so the bias audit has a known cause.

Generation is deterministic: sample i of a split depends only on (seed, split, i),
so `dataset("train", n=1000)` is a prefix of `dataset("train", n=20000)`, and the
same seed gives byte-identical images and captions on any machine (all rendering
is integer arithmetic on masks computed once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from .data import PairDataset

# --- vocabulary -----------------------------------------------------------------
SHAPES = ("circle", "square", "triangle", "diamond", "star", "cross")
COLOURS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink")
SIZES = ("small", "large")
POSITIONS = ("left", "right", "top", "bottom", "center")
BACKGROUNDS = ("light", "dark")
RELATIONS = ("left of", "above", "and")
SPLITS = ("train", "test", "heldout")

RGB = {
    "red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (235, 210, 30),
    "green": (40, 170, 60), "cyan": (40, 200, 220), "blue": (40, 70, 220),
    "purple": (140, 60, 200), "pink": (240, 110, 180),
}

KOREAN = {
    "circle": "원", "square": "사각형", "triangle": "삼각형", "diamond": "마름모",
    "star": "별", "cross": "십자가",
    "red": "빨간", "orange": "주황색", "yellow": "노란", "green": "초록색",
    "cyan": "하늘색", "blue": "파란", "purple": "보라색", "pink": "분홍색",
    "small": "작은", "large": "큰", "light": "밝은", "dark": "어두운",
    "broken": "부서진",
}
POSITION_PHRASE = {
    "en": {"left": "on the left", "right": "on the right", "top": "at the top",
           "bottom": "at the bottom", "center": "in the center"},
    "ko": {"left": "왼쪽에", "right": "오른쪽에", "top": "위쪽에", "bottom": "아래쪽에",
           "center": "가운데에"},
}

# Caption templates. {d} is the bias descriptor plus a space, or empty.
# Single-object templates mix full descriptions with single-attribute captions, which
# teach the model that colour and shape are separate words (key for held-out pairs).
SINGLE_TEMPLATES = {
    "en": (
        "a {d}{size} {colour} {shape} {position}",
        "a {d}{colour} {shape}",
        "a photo of a {d}{colour} {shape}",
        "a {d}{size} {colour} {shape} on a {background} background",
        "something {d}{colour}",
        "a {d}{shape}",
        "a {d}{size} {shape}",
        "there is a {d}{colour} {shape} {position}",
        "a picture of a {d}{size} {colour} {shape}",
        "a drawing of a {d}{colour} {shape}",
    ),
    "ko": (
        "{position} 있는 {d}{size} {colour} {shape}",
        "{d}{colour} {shape}",
        "{d}{colour} {shape}의 사진",
        "{background} 배경 위의 {d}{size} {colour} {shape}",
        "{d}{colour} 물체",
        "{d}{shape} 하나",
        "{d}{size} {shape}",
        "{position} {d}{colour} {shape} 하나가 있다",
        "{d}{size} {colour} {shape} 그림",
        "{d}{colour} {shape} 그림",
    ),
}
PAIR_TEMPLATES = {  # keyed by relation; object 1 is left of / above object 2
    "en": {
        "left of": "a {d}{colour} {shape} to the left of a {colour2} {shape2}",
        "above": "a {d}{colour} {shape} above a {colour2} {shape2}",
        "and": "a {d}{colour} {shape} and a {colour2} {shape2}",
    },
    "ko": {
        "left of": "{colour2} {shape2} 왼쪽에 있는 {d}{colour} {shape}",
        "above": "{colour2} {shape2} 위에 있는 {d}{colour} {shape}",
        "and": "{d}{colour} {shape} 그리고 {colour2} {shape2}",
    },
}
CLASS_TEMPLATE = "a photo of a {}"  # the zero-shot prompt used by default
NAME_STYLES = ("en", "synonym", "descriptive", "ko", "ko+en")
SHAPE_SYNONYMS = {"circle": "round shape", "square": "four-sided box", "triangle": "three-sided shape",
                  "diamond": "rhombus", "star": "five-pointed star", "cross": "plus sign"}


def _class_name(colour: str, shape: str, style: str):
    english, korean = f"{colour} {shape}", f"{KOREAN[colour]} {KOREAN[shape]}"
    return {"en": english, "synonym": f"{colour} {SHAPE_SYNONYMS[shape]}",
            "descriptive": f"{english}, a kind of shape", "ko": korean, "ko+en": [english, korean]}[style]

# --- geometry -------------------------------------------------------------------
SIZE_FRACTION = {"small": 0.3, "large": 0.48}       # object diameter / image side
POSITION_CENTRE = {"left": (0.25, 0.5), "right": (0.75, 0.5), "top": (0.5, 0.25),
                   "bottom": (0.5, 0.75), "center": (0.5, 0.5)}  # (x, y) fractions
JITTER = 0.06         # centre jitter, fraction of the side: positions stay nameable
MIN_IMAGE_SIZE = 16   # below this a small shape is a few pixels and unreadable
SUPERSAMPLE = 4       # anti-aliasing: masks are drawn 4x larger, then averaged
BLOCK = 1024          # samples per RNG block (prefix property + vectorised draws)
N_TEXTURES = 16


def _polygon(shape: str) -> np.ndarray:
    """Vertices (V, 2) of a polygonal shape in [-1, 1]², y pointing down."""
    if shape == "square":
        return np.array([[-.8, -.8], [.8, -.8], [.8, .8], [-.8, .8]])
    if shape == "triangle":
        return np.array([[0, -.95], [.95, .8], [-.95, .8]])
    if shape == "diamond":
        return np.array([[0, -1], [.8, 0], [0, 1], [-.8, 0]])
    if shape == "cross":
        a, b = .33, .95
        return np.array([[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a],
                         [a, b], [-a, b], [-a, a], [-b, a], [-b, -a], [-a, -a]])
    if shape == "star":
        angles = -np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.42)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles) + 0.08], 1)
    raise ValueError(shape)


def _inside_polygon(x: np.ndarray, y: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, vectorised over points."""
    inside = np.zeros(x.shape, bool)
    for (x1, y1), (x2, y2) in zip(vertices, np.roll(vertices, -1, axis=0)):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at_y = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < x_at_y)
    return inside


def shape_mask(shape: str, diameter: int) -> np.ndarray:
    """Anti-aliased alpha mask (diameter, diameter) uint8 in 0..255."""
    n = diameter * SUPERSAMPLE
    coords = (np.arange(n) + 0.5) / n * 2 - 1
    x, y = np.meshgrid(coords, coords)
    if shape == "circle":
        inside = x**2 + y**2 <= 0.95**2
    else:
        inside = _inside_polygon(x, y, _polygon(shape))
    coverage = inside.reshape(diameter, SUPERSAMPLE, diameter, SUPERSAMPLE).mean((1, 3))
    return np.round(coverage * 255).astype(np.uint8)


def _article(text: str) -> str:
    return re.sub(r"\ba ([aeiou])", r"an \1", text)


# --- the world ------------------------------------------------------------------
@dataclass(frozen=True)
class ShapesWorld:
    """A deterministic generator of captioned images.

    Args:
        seed: everything (images, captions, textures) follows from it.
        image_size: side in pixels (>= 16).
        language: "en", "ko" or "mix" (each caption Korean with prob. `ko_fraction`).
        ko_fraction: share of Korean captions when language="mix".
        holdout: held-out (colour, shape) pairs: "default" (one colour per shape),
            an explicit sequence of pairs, or None for none.
        two_object_fraction: share of training images with two objects.
        bias_word: descriptor attached by the caption-bias knob.
        bias_group: background group whose captions get it with prob. `bias_p`;
            the other group gets it with prob. `bias_p_other`.
    """

    seed: int = 0
    image_size: int = 64
    language: str = "en"
    ko_fraction: float = 0.5
    holdout: object = "default"
    two_object_fraction: float = 0.1
    bias_word: str = "broken"
    bias_group: str = "dark"
    bias_p: float = 0.0
    bias_p_other: float = 0.0

    def __post_init__(self):
        if self.image_size < MIN_IMAGE_SIZE:
            raise ValueError(f"image_size={self.image_size} is too small to draw on; "
                             f"use at least {MIN_IMAGE_SIZE} pixels.")
        if self.language not in ("en", "ko", "mix"):
            raise ValueError(f"language must be 'en', 'ko' or 'mix', not {self.language!r}")
        if self.bias_group not in BACKGROUNDS:
            raise ValueError(f"bias_group must be one of {BACKGROUNDS}, not {self.bias_group!r}")
        for name in ("ko_fraction", "two_object_fraction", "bias_p", "bias_p_other"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        self.heldout_pairs  # validates the hold-out set early

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
        return [_class_name(c, s, style) for c, s in pairs]

    # -- rendering --
    @cached_property
    def _masks(self) -> dict[tuple[str, str], np.ndarray]:
        return {(shape, size): shape_mask(shape, max(3, round(SIZE_FRACTION[size] * self.image_size)))
                for shape in SHAPES for size in SIZES}

    @cached_property
    def _textures(self) -> np.ndarray:
        """(N_TEXTURES, H, W, 3) uint8 dark textured backgrounds: stripes plus noise."""
        rng = np.random.default_rng([self.seed, 99])
        n = self.image_size
        yy, xx = np.mgrid[0:n, 0:n]
        out = np.empty((N_TEXTURES, n, n, 3), np.uint8)
        for k in range(N_TEXTURES):
            angle, period = rng.uniform(0, np.pi), rng.uniform(4, 10)
            stripes = (np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period) > 0) * 18
            base = rng.integers(35, 60, size=3)
            noise = rng.integers(0, 14, size=(n, n, 1))
            out[k] = np.clip(base + stripes[..., None] + noise, 0, 255)
        return out

    def _draw(self, canvas: np.ndarray, shape: str, size: str, colour_rgb: np.ndarray,
              cx: float, cy: float) -> None:
        """Alpha-composite one shape onto canvas (H, W, 3) uint8 in place."""
        mask = self._masks[(shape, size)]
        d, n = mask.shape[0], self.image_size
        x0 = int(np.clip(round(cx * n - d / 2), 0, n - d))
        y0 = int(np.clip(round(cy * n - d / 2), 0, n - d))
        alpha = mask.astype(np.int32)[..., None]                          # (d, d, 1)
        patch = canvas[y0:y0 + d, x0:x0 + d].astype(np.int32)
        canvas[y0:y0 + d, x0:x0 + d] = (patch * (255 - alpha) + colour_rgb * alpha + 127) // 255

    # -- sampling --
    def _sample_block(self, split: str, block: int) -> tuple[np.ndarray, list[dict]]:
        """Images (BLOCK, H, W, 3) and attribute records for one RNG block."""
        rng = np.random.default_rng([self.seed, SPLITS.index(split), block])
        pairs = self.heldout_pairs if split == "heldout" else self.seen_pairs
        if not pairs:
            raise ValueError("this world has no held-out pairs (holdout=None)")
        seen = self.seen_pairs
        m = BLOCK
        # every draw is vectorised and happens whether used or not, so the stream
        # of random numbers never depends on earlier outcomes
        two = rng.random(m) < (self.two_object_fraction if split == "train" else 0.0)
        pair1, pair2 = rng.integers(len(pairs), size=m), rng.integers(len(seen), size=m)
        size1, size2 = rng.integers(2, size=m), rng.integers(2, size=m)
        position = rng.integers(len(POSITIONS), size=m)
        relation = rng.integers(len(RELATIONS), size=m)
        swap = rng.random(m) < 0.5                    # "and": which side object 1 is on
        background = rng.integers(2, size=m)
        texture = rng.integers(N_TEXTURES, size=m)
        jitter = rng.uniform(-JITTER, JITTER, size=(m, 4))
        shade = rng.integers(-15, 16, size=(m, 2, 3))  # per-object colour jitter
        template = rng.integers(len(SINGLE_TEMPLATES["en"]), size=m)
        korean = rng.random(m) < {"en": 0.0, "ko": 1.0, "mix": self.ko_fraction}[self.language]
        biased_draw = rng.random(m)
        light = np.array([232, 232, 226], np.uint8)

        n = self.image_size
        images = np.empty((m, n, n, 3), np.uint8)
        records = []
        for i in range(m):
            bg = BACKGROUNDS[background[i]]
            images[i] = light if bg == "light" else self._textures[texture[i]]
            colour, shape = pairs[pair1[i]]
            rec = dict(n_objects=1 + int(two[i]), colour=colour, shape=shape,
                       size=SIZES[size1[i]], background=bg,
                       colour2=None, shape2=None, size2=None, relation=None)
            if two[i]:
                rec.update(colour2=seen[pair2[i]][0], shape2=seen[pair2[i]][1],
                           size2=SIZES[size2[i]], relation=RELATIONS[relation[i]])
                side = ("top", "bottom") if rec["relation"] == "above" else ("left", "right")
                if rec["relation"] == "and" and swap[i]:
                    side = side[::-1]
                rec["position"], rec["position2"] = side
            else:
                rec["position"], rec["position2"] = POSITIONS[position[i]], None
            for k, suffix in enumerate(("", "2")[:rec["n_objects"]]):
                cx, cy = POSITION_CENTRE[rec["position" + suffix]]
                rgb = np.clip(np.array(RGB[rec["colour" + suffix]]) + shade[i, k], 0, 255)
                self._draw(images[i], rec["shape" + suffix], rec["size" + suffix], rgb,
                           cx + jitter[i, 2 * k], cy + jitter[i, 2 * k + 1])
            p_bias = self.bias_p if bg == self.bias_group else self.bias_p_other
            rec["descriptor"] = bool(biased_draw[i] < p_bias)
            rec["language"] = "ko" if korean[i] else "en"
            rec["template"] = -1 - RELATIONS.index(rec["relation"]) if two[i] else int(template[i])
            rec["caption"] = self.caption(rec)
            records.append(rec)
        return images, records

    def caption(self, rec: dict) -> str:
        """The caption of an attribute record (keys as in `dataset(...).meta`)."""
        lang = rec["language"]
        words = (lambda w: KOREAN.get(w, w)) if lang == "ko" else (lambda w: w)
        fields = {k: words(rec[k]) for k in ("colour", "shape", "size", "background")}
        fields["position"] = POSITION_PHRASE[lang][rec["position"]]
        fields["d"] = words(self.bias_word) + " " if rec["descriptor"] else ""
        if rec["n_objects"] == 2:
            fields.update(colour2=words(rec["colour2"]), shape2=words(rec["shape2"]))
            text = PAIR_TEMPLATES[lang][rec["relation"]].format(**fields)
        else:
            text = SINGLE_TEMPLATES[lang][rec["template"]].format(**fields)
        return _article(text) if lang == "en" else text

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

    def dataset(self, split: str = "train", n: int = 1000, transform=None) -> "ShapesDataset":
        """A torch Dataset of (image, caption) pairs; `.meta` is a DataFrame per pair."""
        images, meta = self.generate(split, n)
        return ShapesDataset(images, meta, transform=transform, world=self)

    def export(self, out_dir, split: str = "test", n: int = 24, sep: str = "\t") -> Path:
        """Write n images as PNG plus an open_clip-style CSV (filepath, title, label, group).

        Returns:
            The CSV's path; `clipviz.data.CsvDataset(path, label_key="label",
            group_key="group")` reads it back.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        images, meta = self.generate(split, n)
        for i, image in enumerate(images):
            Image.fromarray(image).save(out_dir / f"{split}_{i:04d}.png")
        table = pd.DataFrame({"filepath": [f"{split}_{i:04d}.png" for i in range(n)],
                              "title": meta["caption"], "label": meta["label"],
                              "group": meta["background"]})
        path = out_dir / "captions.csv"
        table.to_csv(path, sep=sep, index=False)
        return path

    def summary(self) -> pd.DataFrame:
        """One row per knob/vocabulary item: what this world contains."""
        rows = [("shapes", ", ".join(SHAPES)), ("colours", ", ".join(COLOURS)),
                ("sizes", ", ".join(SIZES)), ("positions", ", ".join(POSITIONS)),
                ("backgrounds (groups)", ", ".join(BACKGROUNDS)),
                ("caption templates", f"{len(SINGLE_TEMPLATES['en'])} single + "
                                      f"{len(RELATIONS)} two-object, per language"),
                ("language", self.language), ("image size", f"{self.image_size} px"),
                ("seen compositions", len(self.seen_pairs)),
                ("held-out compositions", ", ".join(self.classnames("heldout")) or "none"),
                ("caption bias", f"'{self.bias_word}' p={self.bias_p} on {self.bias_group}, "
                                 f"p={self.bias_p_other} otherwise")]
        return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")


class ShapesDataset(PairDataset):
    """ShapesWorld images held in memory, one caption per image."""

    def __init__(self, images: np.ndarray, meta: pd.DataFrame, transform=None, world=None):
        super().__init__(meta, transform=transform)
        self.images = images          # (N, H, W, 3) uint8
        self.world = world

    def load_array(self, image_id: int) -> np.ndarray:
        return self.images[image_id]

    def image_batch(self, indices, size: int) -> torch.Tensor:
        if size != self.images.shape[1]:
            return super().image_batch(indices, size)
        ids = self.image_ids[np.asarray(indices)]
        return torch.from_numpy(self.images[ids]).permute(0, 3, 1, 2)  # (B, 3, H, W) uint8

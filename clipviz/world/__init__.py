"""ShapesWorld, the embedded image–caption world: its vocabulary, rendering, captions.

    vocabulary.py   objects, colours, styles, patterns, picture qualities and their words (en, ko)
    render.py       masks, backgrounds, the five styles, written words, picture qualities
    captions.py     the web-like caption grammar
    shapesworld.py  the world: knobs, sampling, datasets
    negatives.py    word swaps: ARO's probes and NegCLIP's hard negatives
"""

# bumped whenever the same knobs give other images or captions (embedded models retrain):
# 2 = the web-like grammar, styles, patterns, counts and written words; 3 = every style by
# default, picture qualities (blurry, low resolution, …), the words of OpenAI's templates, each
# meaning of a two-meaning word said in words of its own, sentences that end in "."; 4 = captions
# about a background pattern alone, in the bare class word ("a photo of a star")
WORLD_VERSION = 4

from .captions import Grammar
from .shapesworld import ShapesDataset, ShapesWorld
from .vocabulary import (BACKGROUNDS, COLOURS, KOREAN, NAME_STYLES, PATTERNS, POLYSEMOUS,
                         POSITIONS, QUALITIES, RELATIONS, RGB, SHAPES, SIZES, SPLITS, STYLES,
                         class_name)

__all__ = ["WORLD_VERSION", "ShapesWorld", "ShapesDataset", "Grammar", "BACKGROUNDS", "COLOURS", "KOREAN",
           "NAME_STYLES", "PATTERNS", "POLYSEMOUS", "POSITIONS", "QUALITIES", "RELATIONS", "RGB", "SHAPES", "SIZES", "SPLITS",
           "STYLES", "class_name"]

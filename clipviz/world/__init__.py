"""ShapesWorld, the embedded image–caption world: its vocabulary, rendering, captions.

    vocabulary.py   objects, colours, styles, patterns and their words (en, ko)
    render.py       masks, backgrounds, the five styles, written words
    captions.py     the web-like caption grammar
    shapesworld.py  the world: knobs, sampling, datasets
"""

# bumped whenever the same knobs give other images or captions (embedded models retrain):
# 2 = the web-like grammar, styles, patterns, counts and written words
WORLD_VERSION = 2

from .captions import Grammar
from .shapesworld import ShapesDataset, ShapesWorld
from .vocabulary import (BACKGROUNDS, COLOURS, KOREAN, NAME_STYLES, PATTERNS, POLYSEMOUS,
                         POSITIONS, RELATIONS, RGB, SHAPES, SIZES, SPLITS, STYLES, class_name)

__all__ = ["WORLD_VERSION", "ShapesWorld", "ShapesDataset", "Grammar", "BACKGROUNDS", "COLOURS", "KOREAN",
           "NAME_STYLES", "PATTERNS", "POLYSEMOUS", "POSITIONS", "RELATIONS", "RGB", "SHAPES", "SIZES", "SPLITS",
           "STYLES", "class_name"]

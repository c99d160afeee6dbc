"""Word swaps: the same words in another order, another meaning.

"a red circle left of a blue square" → colours swapped: "a blue circle left of a red
square"; objects swapped: "a blue square left of a red circle". As test pairs they are
ARO's probes (analysis.compositional); as training negatives NegCLIP's hard negatives
(`TrainConfig(hard_negatives=True)`). They need only the world's vocabulary.
"""

from __future__ import annotations

import re
import zlib

from .captions import with_articles
from .vocabulary import COLOURS, SHAPES

SWAP_KINDS = ("colours", "shapes", "objects")   # objects: colour and shape together (the relation flips)
HARD_NEGATIVES_VERSION = 2   # bumped whenever `hard_negative` changes what it writes (2: articles follow the swap)
_WORDS = {"colours": COLOURS, "shapes": SHAPES}


def _positions(tokens: list[str], vocabulary) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.lower() in vocabulary]


def swap_words(caption: str, kind: str) -> str | None:
    """`caption` with the first two different colour words (kind "colours"), shape words
    ("shapes") or both ("objects") exchanged; None when it has no such pair.

    The words stay the same, only their order changes (and "a"/"an" with them): "a red circle
    left of a blue square" → colours: "a blue circle left of a red square", objects: "a blue
    square left of a red circle".
    """
    if kind not in SWAP_KINDS:
        raise ValueError(f"kind must be one of {SWAP_KINDS}, not {kind!r}")
    tokens = re.split(r"(\W+)", caption)                       # words and the separators between them
    swapped = list(tokens)
    for part in (("colours", "shapes") if kind == "objects" else (kind,)):
        found = _positions(tokens, _WORDS[part])
        first = found[0] if found else None
        second = next((i for i in found if tokens[i].lower() != tokens[first].lower()), None) if found else None
        if second is None:
            return None
        swapped[first], swapped[second] = tokens[second], tokens[first]
    return with_articles("".join(swapped))


def hard_negative(caption: str) -> str | None:
    """NegCLIP's hard negative for a training caption: a word swap of one kind, chosen by a
    fixed hash of the caption among the kinds it allows (None when it allows none)."""
    options = [s for s in (swap_words(caption, kind) for kind in SWAP_KINDS) if s is not None]
    return options[zlib.crc32(caption.encode()) % len(options)] if options else None

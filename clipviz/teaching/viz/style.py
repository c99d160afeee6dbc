"""The house style of every figure, applied while the figure is drawn (`@figure`), so that
importing clipviz never changes matplotlib's global settings.

Legible where the figures are shown (a notebook, a page, a projected slide): no text under
10 pt, and a font with Hangul for the Korean labels (NanumGothic, which koreanize-matplotlib
ships; registered with matplotlib here without importing that package, which would set the
global font).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import matplotlib
from matplotlib import font_manager

STYLE = {"font.size": 11, "axes.titlesize": 12, "legend.fontsize": 10}
# DejaVu Sans first (its symbols: ★ → ≈ −), NanumGothic for what it lacks (Hangul)
FONTS = ["DejaVu Sans", "NanumGothic"]


@functools.lru_cache(maxsize=1)
def hangul_font() -> bool:
    """Register NanumGothic with matplotlib (once); False when koreanize-matplotlib is missing
    (Hangul then shows as empty boxes)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or spec.origin is None:
        return False
    for path in sorted((Path(spec.origin).parent / "fonts").glob("NanumGothic*.ttf")):
        font_manager.fontManager.addfont(str(path))
    return True


def rc() -> dict:
    """The rcParams of a clipviz figure."""
    return {**STYLE, "font.family": FONTS if hangul_font() else FONTS[:1]}


def figure(draw):
    """Decorator: `draw` builds its figure under the house style."""
    @functools.wraps(draw)
    def styled(*args, **kwargs):
        with matplotlib.rc_context(rc()):
            drawn = draw(*args, **kwargs)
            # IPython turns interactive mode on when pyplot first loads its backend, which may
            # happen in here; rc_context would undo that on exit and later figures would not show.
            interactive = matplotlib.is_interactive()
        matplotlib.interactive(interactive)
        return drawn
    return styled


def sns_palette(n: int) -> list:
    """n colour-blind-safe colours (seaborn's "colorblind" palette)."""
    import seaborn as sns

    return list(sns.color_palette("colorblind", n))

"""The house style of every figure, applied while the figure is drawn (`@figure`), so that
importing clipviz never changes matplotlib's global settings.

Legible where the figures are shown (a notebook, a page, a projected slide): no text under
`MIN_FONT_PT` (any smaller text a figure sets is raised to it), and a font with Hangul for the Korean labels (NanumGothic, which koreanize-matplotlib
ships; registered with matplotlib here without importing that package, which would set the
global font).
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

# At the notebooks' 100 dpi 13 pt is 18 px: a figure shown at 0.89 of its size on a
# 1280x720 slide still has no text under 16 px (the browser test's rule)
MIN_FONT_PT = 13
STYLE = {"font.size": MIN_FONT_PT, "axes.titlesize": MIN_FONT_PT + 1, "legend.fontsize": MIN_FONT_PT,
         "legend.title_fontsize": MIN_FONT_PT}
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
    """Decorator: `draw` builds its figure under the house style, no text under `MIN_FONT_PT`
    (a Figure it returns is checked for that; `panels` returns subplots to be filled)."""
    @functools.wraps(draw)
    def styled(*args, **kwargs):
        with matplotlib.rc_context(rc()):
            drawn = draw(*args, **kwargs)
            if isinstance(drawn, Figure):
                legible(drawn)
            # IPython turns interactive mode on when pyplot first loads its backend, which may
            # happen in here; rc_context would undo that on exit and later figures would not show.
            interactive = matplotlib.is_interactive()
        matplotlib.interactive(interactive)
        return drawn
    return styled


def legible(fig):
    """Raise every text of `fig` under MIN_FONT_PT to it, and lay the figure out again."""
    raised = False
    for axis in (axis for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)):   # tick labels are made anew at draw
        labels = axis.get_ticklabels(which="both")
        if labels and min(label.get_fontsize() for label in labels) < MIN_FONT_PT:
            axis.set_tick_params(which="both", labelsize=MIN_FONT_PT)
            raised = True
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)
            raised = True
    if raised and fig.get_layout_engine() is None:
        with warnings.catch_warnings():            # a layout it cannot improve is kept as it was
            warnings.simplefilter("ignore")
            fig.tight_layout()
    return fig


@figure
def panels(*args, **kwargs):
    """`plt.subplots` under the house style, for a notebook that lays clipviz panels side by side
    (`ax=`): axes made outside it would keep matplotlib's default font, without Hangul."""
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def sns_palette(n: int) -> list:
    """n colour-blind-safe colours (seaborn's "colorblind" palette)."""
    import seaborn as sns

    return list(sns.color_palette("colorblind", n))

"""Notebook 06: measured values with intervals beside chance."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label
from .style import figure, sns_palette


@figure
def interval_bars(table, title: str = "", value: str = "value", chance: float | None = None,
                  ylabel: str = "accuracy", ylim=(0, 1.05)):
    """One bar per row with its 95 % interval (columns value, low, high); a dashed line at
    `chance` when given."""
    table = table.astype({value: float, "low": float, "high": float})
    fig, ax = plt.subplots(figsize=(1.5 * len(table) + 3, 3.8))
    x = np.arange(len(table))
    bars = ax.bar(x, table[value], color=sns_palette(len(table)), alpha=0.85)
    ax.errorbar(x, table[value], yerr=[table[value] - table["low"], table["high"] - table[value]], fmt="none",
                ecolor="0.2", capsize=5)
    ax.bar_label(bars, fmt="%.2f", fontsize=10, padding=3)
    if chance is not None:
        ax.axhline(chance, ls="--", color="0.4", lw=1.2, label=_("chance ({chance:.2f})", chance=chance))
        ax.legend(fontsize=10, loc="upper right")
    ax.set_xticks(x, ["\n".join(textwrap.wrap(label(row), 18)) for row in table.index], fontsize=10)
    ax.set(title=_(title), ylabel=_(ylabel), ylim=ylim)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig

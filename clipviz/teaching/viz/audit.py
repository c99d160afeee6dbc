"""Notebook 04: rates by group with their intervals, heatmaps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label, translated
from .style import figure


@figure
def rate_bars(table, value: str = "harmful rate", title: str = "harmful-label rate by group (95 % bootstrap CI)"):
    """One panel per model: bars per label set and group with error bars.

    Args:
        table: `audit.audit_table` output (index model, label set, row; columns value, low, high);
            rows starting with "gap" are left out.
    """
    table = table[~table.index.get_level_values("row").str.startswith("gap")]
    models = table.index.get_level_values("model").unique()
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 3.8), sharey=True, squeeze=False)
    for ax, model in zip(axes[0], models):
        mine = table.loc[model]
        label_sets = mine.index.get_level_values("label set").unique()
        groups = mine.index.get_level_values("row").unique()
        width = 0.8 / len(groups)
        for g, group in enumerate(groups):
            rows = mine.xs(group, level="row").loc[label_sets]
            x = np.arange(len(label_sets)) + (g - (len(groups) - 1) / 2) * width
            errors = [rows[value] - rows["low"], rows["high"] - rows[value]]
            ax.bar(x, rows[value], width, yerr=np.clip(np.array(errors, dtype=float), 0, None), capsize=3,
                   label=label(group))
        ax.set_xticks(range(len(label_sets)), [label(s) for s in label_sets], fontsize=10)
        ax.set(title=label(model), ylabel=label(value))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(title=_("group"), fontsize=10)
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig


@figure
def heatmap(table, title: str = "", fmt: str = ".2f", cmap: str = "Reds"):
    """A small annotated heatmap of a DataFrame (rows × columns)."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(0.75 * table.shape[1] + 3, 0.5 * table.shape[0] + 1.6))
    sns.heatmap(translated(table.astype(float)), annot=True, fmt=fmt, cmap=cmap, ax=ax, cbar_kws={"shrink": 0.7})
    ax.set_title(_(title))
    fig.tight_layout()
    return fig

"""Notebook 03: templates one at a time, paired effects, reliability diagrams, the explorer's report."""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label
from .style import figure


@figure
def prompt_report(recall, images, top3, n_worst: int = 12):
    """The classes with the lowest zero-shot recall (bars) and example images with their
    top-3 labels and probabilities.

    Args:
        recall: Series class → recall; images: uint8 (K, H, W, 3); top3: K lists of
            (label, probability).
    """
    worst = recall[recall < 1].sort_values().head(n_worst)
    fig = plt.figure(figsize=(13, 4.2))
    grid = fig.add_gridspec(1, 2 + len(images), width_ratios=[2.2, 0.5] + [1] * len(images))
    ax = fig.add_subplot(grid[0])
    if len(worst):
        ax.barh(range(len(worst)), worst.to_numpy(), color="tab:blue")
        ax.bar_label(ax.containers[0], fmt="%.2f", fontsize=10, padding=2)
        ax.set_yticks(range(len(worst)), worst.index, fontsize=10)
        ax.invert_yaxis()
        heading = _("classes below 100 % recall: {shown} lowest of {below}", shown=len(worst),
                    below=int((recall < 1).sum()))
    else:
        ax.text(0.5, 0.5, _("all {n} classes\nat 100 % recall", n=len(recall)), ha="center", va="center",
                fontsize=12, transform=ax.transAxes)
        ax.set_yticks([])
        heading = _("per-class recall")
    ax.set(xlim=(0, 1.1), xlabel=_("recall"))
    ax.set_title(heading, fontsize=11)
    for k, (image, labels) in enumerate(zip(images, top3)):
        image_ax = fig.add_subplot(grid[2 + k])
        image_ax.imshow(image, interpolation="nearest")
        image_ax.axis("off")
        image_ax.set_title("\n".join(f"{p:.0%} {textwrap.shorten(label, 18)}" for label, p in labels),
                           fontsize=10, loc="left")
    fig.tight_layout()
    return fig


@figure
def template_spread(table, title: str = "zero-shot top-1 of each template on its own"):
    """Box + strip plot of per-template accuracy: `table` has columns bank, split, accuracy."""
    import seaborn as sns

    table = table.assign(split=table["split"].map(label))        # the legend's words in the language set
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    sns.boxplot(data=table, x="bank", y="accuracy", hue="split", ax=ax, fliersize=0, boxprops={"alpha": 0.35})
    sns.stripplot(data=table, x="bank", y="accuracy", hue="split", dodge=True, ax=ax, size=3.5, legend=False)
    ax.set(title=_(title), xlabel=_("template bank"), ylabel=_("top-1"), ylim=(0, 1.02))
    ax.legend(title=_("compositions"), fontsize=10, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def reliability_diagram(tables: dict, title: str = "reliability diagram"):
    """One column per {name: reliability_table}: above, each confidence bin's accuracy as a
    bar against the diagonal of perfect calibration (the gap shaded); below, the share of
    images in each bin, so that a bin holding a handful of images is seen as one. Small
    multiples, not one axes: calibrated and overconfident series crowd into the same last
    bins and would hide each other."""
    fig, axes = plt.subplots(2, len(tables), figsize=(4.2 * len(tables), 5.2), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1.2]}, sharex=True)
    for (name, table), top, bottom in zip(tables.items(), axes[0], axes[1]):
        width = table.bin_high - table.bin_low
        used = table["count"] > 0
        top.plot([0, 1], [0, 1], ls="--", color="0.4", lw=1)
        top.bar(table.bin_low[used], table.accuracy[used], width=width[used], align="edge",
                color="#4c72b0", edgecolor="white", label=_("accuracy"))
        top.bar(table.bin_low[used], (table.confidence - table.accuracy)[used], bottom=table.accuracy[used],
                width=width[used], align="edge", color="#dd8452", alpha=0.45, label=_("gap to confidence"))
        top.set(title=label(name), ylim=(0, 1.02), ylabel=_("accuracy") if top is axes[0][0] else None)
        bottom.bar(table.bin_low, table["count"] / table["count"].sum(), width=width, align="edge", color="0.5")
        bottom.set(xlim=(0, 1), ylim=(0, 1), xlabel=_("confidence (max probability)"),
                   ylabel=_("share of images") if bottom is axes[1][0] else None)
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    axes[0][0].legend(loc="upper left")
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig


@figure
def paired_effects(table, title: str = "paired difference in top-1 (95 % bootstrap interval)"):
    """One horizontal bar per row of a table with columns delta, low, high: the difference
    and its interval, with the zero line; green when the interval lies above 0, red below."""
    table = table.astype({"delta": float, "low": float, "high": float})
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(table) + 1.4))
    colours = ["tab:green" if lo > 0 else "tab:red" if hi < 0 else "0.55" for lo, hi in zip(table.low, table.high)]
    y = np.arange(len(table))
    ax.barh(y, table.delta, color=colours, alpha=0.8)
    ax.errorbar(table.delta, y, xerr=[table.delta - table.low, table.high - table.delta], fmt="none", ecolor="0.2",
                capsize=4)
    ax.axvline(0, color="0.2", lw=1)
    ax.set_yticks(y, ["\n".join(textwrap.wrap(label(row), 34)) for row in table.index], fontsize=10)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set(title=_(title), xlabel=_("difference in top-1 (percentage points)"))
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig

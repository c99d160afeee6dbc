"""Notebook 02: the joint embedding on a map, similarity histograms, retrieval results."""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label
from .style import figure


@figure
def embedding_map(coords, points, colour_by: str, title: str = "", ax=None):
    """Images (●) and captions (✕) on a 2-D map, coloured by one attribute.

    Args:
        coords: (N, 2) from `projection.project`.
        points: DataFrame of N rows with a `modality` column and `colour_by`.
    Returns:
        The Figure (the axes' figure when `ax` is given).
    """
    import seaborn as sns

    if colour_by not in points.columns:
        raise ValueError(f"no column {colour_by!r} to colour by; choose from {list(points.columns)}")
    if ax is None:
        ax = plt.subplots(figsize=(7.5, 6))[1]
    values = points[colour_by].astype(str)
    levels = sorted(values.unique())
    if all(matplotlib.colors.is_color_like(v) for v in levels):   # colour names drawn in their colour
        palette = {v: v for v in levels}
    else:
        palette = dict(zip(levels, sns.color_palette("tab10" if len(levels) <= 10 else "husl", len(levels))))
    ax.set_facecolor("0.86")           # a neutral ground: yellow, cyan and pink show on it
    for modality, marker, size in (("image", "o", 22), ("caption", "X", 34)):
        mine = (points["modality"] == modality).to_numpy()
        ax.scatter(coords[mine, 0], coords[mine, 1], c=[palette[v] for v in values[mine]],
                   marker=marker, s=size, linewidths=0.4, edgecolors="0.2", alpha=0.85)
    colour_handles = [plt.Line2D([], [], ls="", marker="s", ms=9, markeredgecolor="0.2", color=palette[v],
                                 label=label(v)) for v in levels]
    marker_handles = [plt.Line2D([], [], ls="", marker=m, ms=8, color="0.3", label=name)
                      for m, name in (("o", _("image")), ("X", _("caption")))]
    ax.legend(handles=colour_handles + marker_handles, title=label(colour_by), fontsize=10, title_fontsize=11,
              loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, ncol=2 if len(levels) > 14 else 1)
    ax.set(title=_(title), xticks=[], yticks=[])
    ax.figure.tight_layout()
    return ax.figure


@figure
def similarity_histograms(matched, unmatched, title: str = "image–caption cosine similarity"):
    """Overlaid densities of matched and unmatched pair similarities."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bins = np.linspace(min(matched.min(), unmatched.min()), max(matched.max(), unmatched.max()), 60)
    ax.hist(unmatched, bins=bins, density=True, alpha=0.6, label=_("other pairs (n={n:,})", n=len(unmatched)))
    ax.hist(matched, bins=bins, density=True, alpha=0.6, label=_("matching pairs (n={n:,})", n=len(matched)))
    ax.set(title=_(title), xlabel=_("cosine similarity"), ylabel=_("density"))
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


@figure
def image_results(query_texts, images, labels=None, title: str = "text → image retrieval"):
    """One row per text query: the query, then its top-k images (uint8 (Q, k, H, W, 3)),
    each with its label (Q × k strings) underneath when given."""
    n_queries, k = images.shape[:2]
    fig, axes = plt.subplots(n_queries, k, figsize=(1.5 * k + 2.2, 1.7 * n_queries), squeeze=False)
    for row, (query, row_axes) in enumerate(zip(query_texts, axes)):
        for col, ax in enumerate(row_axes):
            ax.imshow(images[row, col], interpolation="nearest")
            ax.set(xticks=[], yticks=[])
            if labels is not None:
                ax.set_xlabel(textwrap.shorten(label(labels[row][col]), 24), fontsize=10)
        row_axes[0].set_ylabel("\n".join(textwrap.wrap(query, 18)), fontsize=10, rotation=0,
                               ha="right", va="center")
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig


@figure
def text_results(images, captions, title: str = "image → text retrieval"):
    """One row per query image (uint8 (Q, H, W, 3)) with its top-k captions listed beside it."""
    n_queries = len(images)
    fig, axes = plt.subplots(n_queries, 2, figsize=(7, 1.5 * n_queries), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 4]})
    for image, found, (image_ax, text_ax) in zip(images, captions, axes):
        image_ax.imshow(image, interpolation="nearest")
        image_ax.axis("off")
        text_ax.axis("off")
        text_ax.text(0, 0.5, "\n".join(f"{rank}. {caption}" for rank, caption in enumerate(found, 1)),
                     va="center", fontsize=10, family="monospace")
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig

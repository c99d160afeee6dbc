"""Notebook 01 (and `make demo`): training curves, the similarity matrix, confusion, grouped bars."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label, translated
from .style import figure


@figure
def training_curves(history):
    """Loss, temperature and in-batch accuracy against step, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    axes[0].plot(history.step, history.loss, lw=1)
    axes[0].set(title=_("contrastive loss"), xlabel=_("step"), ylabel=_("loss"))
    axes[1].plot(history.step, history.temperature, lw=1.5, color="tab:orange")
    axes[1].set(title=_("temperature = 1 / exp(logit_scale)"), xlabel=_("step"))
    axes[2].plot(history.step, history.acc_i2t.rolling(10, min_periods=1).mean(), label=_("image → text"))
    axes[2].plot(history.step, history.acc_t2i.rolling(10, min_periods=1).mean(), label=_("text → image"))
    axes[2].set(title=_("in-batch accuracy (10-step mean)"), xlabel=_("step"), ylim=(0, 1.02))
    axes[2].legend(loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def similarity_matrix(image_features, text_features, captions, title: str = "cosine similarity",
                      images=None):
    """The B×B image–caption cosine-similarity matrix; matching pairs lie on the diagonal.

    Args:
        image_features / text_features: (B, D) unit-norm features of B matching pairs.
        captions: B caption strings (y axis); images: optional uint8 (B, H, W, 3) thumbnails
            drawn along the x axis.
    """
    similarity = (image_features @ text_features.T).T.numpy()     # rows: captions, cols: images
    n = len(captions)
    fig, ax = plt.subplots(figsize=(0.8 * n + 5.5, 0.55 * n + 1.8))
    shown = ax.imshow(similarity, cmap="viridis", vmin=min(0.0, similarity.min()), vmax=similarity.max())
    ax.set_yticks(range(n), ["\n".join(textwrap.wrap(c, 34, max_lines=2, placeholder=" …")) for c in captions],
                  fontsize=10)
    ax.set_xticks(range(n), [str(i) for i in range(n)], fontsize=10)
    ax.set_xlabel(_("image"))
    if images is not None:   # thumbnails in a row under the matrix
        for i, image in enumerate(images):
            ax.imshow(image, extent=(i - 0.45, i + 0.45, n + 0.6, n - 0.3), interpolation="nearest")
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(n + 0.7, -0.5)
        ax.set_xlabel("")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{similarity[i, j]:.2f}", ha="center", va="center", fontsize=10,
                    color="white" if similarity[i, j] < similarity.max() * 0.7 else "black")
    fig.colorbar(shown, ax=ax, shrink=0.7)
    ax.set_title(_(title))
    fig.tight_layout()
    return fig


@figure
def confusion_matrix(counts, classnames, title: str = "confusion matrix (rows: true class)", max_columns: int = 12):
    """Row-normalised confusion matrix as a heatmap over the classes that occur (rows); the
    columns are those classes and the others predicted most often, the rest of the
    predictions gathered in an "other" column, so the labels stay legible."""
    rows = np.flatnonzero(counts.sum(1) > 0)
    predicted_elsewhere = [c for c in np.argsort(-counts[rows].sum(0)) if c not in rows and counts[rows, c].sum() > 0]
    columns = list(rows) + predicted_elsewhere[:max(0, max_columns - len(rows))]
    rates = counts[np.ix_(rows, columns)] / counts[rows].sum(1, keepdims=True)
    names = [classnames[i] if isinstance(classnames[i], str) else classnames[i][0] for i in columns]
    other = 1 - rates.sum(1, keepdims=True)
    if other.max() > 0:
        rates, names = np.hstack([rates, other]), names + [_("other")]
    fig, ax = plt.subplots(figsize=(0.62 * len(names) + 4, 0.5 * len(rows) + 2.6))
    shown = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=10)
    ax.set_yticks(range(len(rows)), [names[k] for k in range(len(rows))], fontsize=10)
    for i in range(rates.shape[0]):
        for j in range(rates.shape[1]):
            if rates[i, j] >= 0.005:
                ax.text(j, i, f"{rates[i, j]:.2f}", ha="center", va="center", fontsize=10,
                        color="white" if rates[i, j] > 0.6 else "black")
    ax.set(xlabel=_("predicted class"), ylabel=_("true class"), title=_(title))
    fig.colorbar(shown, ax=ax, shrink=0.6, label=_("share of the true class"))
    fig.tight_layout()
    return fig


@figure
def grouped_bars(table, title: str = "", ylabel: str = "accuracy", ylim=(0, 1.05)):
    """A bar per (row, column) of a small DataFrame, rows as groups; values written on the bars
    (the table's labels in the language set)."""
    table = translated(table)
    ax = table.plot.bar(rot=0, figsize=(1.6 * len(table) + 3, 3.6), width=0.75)
    ax.set_xticks(range(len(table)), ["\n".join(textwrap.wrap(str(label), 18)) for label in table.index])
    for container in ax.containers:
        ax.bar_label(container, fmt="%.2f", fontsize=10, padding=2)
    ax.set(title=_(title), ylabel=_(ylabel), ylim=ylim)
    ax.legend(loc="lower right", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure

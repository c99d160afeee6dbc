"""Figures: one function per figure, each returning its matplotlib Figure."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np


def sample_grid(dataset, n: int = 16, columns: int = 8, seed: int = 0, title: str | None = None,
                size: int = 64):
    """A grid of images with their captions underneath.

    Args:
        dataset: a clipviz PairDataset.
        n: how many pairs to show (chosen at random with `seed`).
        columns: images per row.
        size: pixels per image side (images are resized and centre-cropped to it).
    Returns:
        The matplotlib Figure.
    """
    n = min(n, len(dataset))
    picks = np.sort(np.random.default_rng(seed).choice(len(dataset), n, replace=False))
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.5 * rows), squeeze=False)
    images = dataset.image_batch(picks, size).permute(0, 2, 3, 1).numpy()
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, pair in zip(axes.flat, images, picks):
        ax.imshow(image, interpolation="nearest")
        ax.set_title("\n".join(textwrap.wrap(dataset.captions[pair], 22)), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_curves(history):
    """Loss, temperature and in-batch accuracy against step, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    axes[0].plot(history.step, history.loss, lw=1)
    axes[0].set(title="contrastive loss", xlabel="step", ylabel="loss")
    axes[1].plot(history.step, history.temperature, lw=1.5, color="tab:orange")
    axes[1].set(title="temperature = 1 / exp(logit_scale)", xlabel="step")
    axes[2].plot(history.step, history.acc_i2t.rolling(10, min_periods=1).mean(), label="image → text")
    axes[2].plot(history.step, history.acc_t2i.rolling(10, min_periods=1).mean(), label="text → image")
    axes[2].set(title="in-batch accuracy (10-step mean)", xlabel="step", ylim=(0, 1.02))
    axes[2].legend(loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig

"""Figures: one function per figure, each returning its matplotlib Figure."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np


def sample_grid(dataset, n: int = 16, columns: int = 8, seed: int = 0, title: str | None = None):
    """A grid of images with their captions underneath.

    Args:
        dataset: a clipviz PairDataset.
        n: how many pairs to show (chosen at random with `seed`).
        columns: images per row.
    Returns:
        The matplotlib Figure.
    """
    n = min(n, len(dataset))
    picks = np.sort(np.random.default_rng(seed).choice(len(dataset), n, replace=False))
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.3 * rows), squeeze=False)
    images = dataset.image_batch(picks, 96).permute(0, 2, 3, 1).numpy()
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, pair in zip(axes.flat, images, picks):
        ax.imshow(image)
        ax.set_title("\n".join(textwrap.wrap(dataset.captions[pair], 22)), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

"""Images of the world: grids with captions, one scene in every style, explanation overlays."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label
from .style import MIN_FONT_PT, figure


@figure
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
    images = dataset.image_batch(picks, size).permute(0, 2, 3, 1).numpy()
    return image_grid(images, [dataset.captions[pair] for pair in picks], columns, title)


@figure
def image_grid(images, titles, columns: int = 8, title: str | None = None):
    """uint8 (N, H, W, 3) images in rows of `columns`, each with its text above it."""
    rows = -(-len(images) // columns)
    # 1.75 in a column: eight fit a projected slide (1280 px at 100 dpi) at their full size
    fig, axes = plt.subplots(rows, columns, figsize=(1.75 * columns, 2.9 * rows), squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, text in zip(axes.flat, images, titles):
        ax.imshow(image, interpolation="nearest")
        ax.set_title("\n".join(textwrap.wrap(text, 16)), fontsize=MIN_FONT_PT)
    if title:
        fig.suptitle(_(title))
    return fig


@figure
def style_grid(sets: dict, n: int = 6, size: int = 64, title: str = "the same scenes in every style"):
    """One row per style (a dict style → PairDataset), the first n images of each."""
    fig, axes = plt.subplots(len(sets), n, figsize=(1.45 * n + 1.2, 1.45 * len(sets)), squeeze=False)
    for row_axes, (style, data) in zip(axes, sets.items()):
        count = min(n, len(data))
        images = data.image_batch(range(count), size).permute(0, 2, 3, 1).numpy()
        for k, ax in enumerate(row_axes):
            ax.set(xticks=[], yticks=[])
            if k < count:
                ax.imshow(images[k], interpolation="nearest")
            else:
                ax.axis("off")
        row_axes[0].set_ylabel(label(style), fontsize=11, rotation=0, ha="right", va="center")
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig


# --- notebook 06: what CLIP looks at ---------------------------------------------------
@figure
def explanation_overlays(images, maps, titles, masks=None, columns: int = 6,
                         title: str = "where the prompt matches (bright: more)", panel: float = 2.1):
    """Each image with its explanation map drawn over it (upsampled, bilinear; transparent
    where the map is low), the prompt above it; with `masks` ((N, H, W) bool, the named
    object), the object's outline in white.

    Args:
        images: uint8 (N, H, W, 3); maps: (N, h, w) in [0, 1]; titles: N strings.
    """
    from ...analysis.explain import upsample

    n = len(images)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(panel * columns, (panel + 0.4) * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, image, saliency, text) in enumerate(zip(axes.flat, images, maps, titles)):
        ax.imshow(image, interpolation="nearest")
        full = np.clip(upsample(saliency, image.shape[0]), 0, 1)
        heat = plt.get_cmap("inferno")(full)
        heat[..., 3] = 0.75 * full            # opaque where the map is high: the image shows through elsewhere
        ax.imshow(heat)
        if masks is not None:
            ax.contour(masks[k], levels=[0.5], colors="white", linewidths=1.2)
        ax.set_title("\n".join(textwrap.wrap(text, 20)), fontsize=MIN_FONT_PT)
    fig.suptitle(_(title))
    return fig

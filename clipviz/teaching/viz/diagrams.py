"""The talk's drawings: CLIP's two towers and its loss."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ...language import N_, _
from .style import figure


TWO_TOWER_LABELS = {"images": N_("images"), "texts": N_("captions"), "image_encoder": N_("image encoder\n(ResNet or ViT)"),
                    "text_encoder": N_("text encoder\n(Transformer)"), "similarity": N_("cosine similarity sᵢⱼ"),
                    "matches": N_("matching pairs on the diagonal")}


@figure
def two_tower_diagram(language: str = "en", n: int = 4):
    """CLIP's two towers: N images and N captions, each through its encoder to a unit
    vector, and the N×N matrix of their cosine similarities with the matches on the diagonal.

    Args:
        language: "en" or "ko" (the talk draws one per language, whatever the notebook set).
    """
    words = {key: _(english, language) for key, english in TWO_TOWER_LABELS.items()}
    fig, ax = plt.subplots(figsize=(12, 5.6))
    ax.set(xlim=(0, 12), ylim=(0, 6.2))
    ax.axis("off")
    box = dict(boxstyle="round,pad=0.4", linewidth=1.5)
    arrow = dict(arrowstyle="-|>", lw=1.6, color="#444")
    ax.text(0.9, 4.9, words["images"], ha="center", va="center", fontsize=14, bbox={**box, "fc": "#e8eef7", "ec": "#4c72b0"})
    ax.text(0.9, 1.3, words["texts"], ha="center", va="center", fontsize=14, bbox={**box, "fc": "#f7ede4", "ec": "#dd8452"})
    ax.text(3.6, 4.9, words["image_encoder"], ha="center", va="center", fontsize=14, bbox={**box, "fc": "#4c72b0", "ec": "#4c72b0"}, color="white")
    ax.text(3.6, 1.3, words["text_encoder"], ha="center", va="center", fontsize=14, bbox={**box, "fc": "#dd8452", "ec": "#dd8452"}, color="white")
    for y in (4.9, 1.3):
        ax.annotate("", (2.35, y), (1.6, y), arrowprops=arrow)
    grid_x, grid_y, cell = 7.6, 1.2, 0.9              # the N×N similarity matrix
    for i in range(n):                                 # rows: images v_i; columns: texts t_j
        for j in range(n):
            ax.add_patch(plt.Rectangle((grid_x + j * cell, grid_y + (n - 1 - i) * cell), cell, cell,
                                       fc="#2a9d8f" if i == j else "#eef1f1", ec="white", lw=2))
        ax.text(grid_x - 0.15, grid_y + (n - 0.5 - i) * cell, f"$v_{i + 1}$", ha="right", va="center", fontsize=14)
        ax.text(grid_x + (i + 0.5) * cell, grid_y - 0.25, f"$t_{i + 1}$", ha="center", va="top", fontsize=14)
    ax.annotate("", (grid_x - 0.6, 4.6), (4.9, 4.9), arrowprops={**arrow, "connectionstyle": "arc3,rad=-0.1"})
    ax.annotate("", (grid_x + 1.6, grid_y - 0.7), (4.85, 1.1), arrowprops={**arrow, "connectionstyle": "arc3,rad=0.15"})
    ax.text(grid_x + n * cell / 2, grid_y + n * cell + 0.35, words["similarity"], ha="center", fontsize=14)
    ax.text(grid_x + n * cell / 2, grid_y + n * cell + 0.85, words["matches"], ha="center", fontsize=12, color="#2a9d8f")
    ax.text(6.0, 5.45, "$v_i = f(x_i)\\,/\\,\\|f(x_i)\\|$", ha="center", fontsize=13, color="#4c72b0")
    ax.text(6.0, 0.2, "$t_j = g(y_j)\\,/\\,\\|g(y_j)\\|$", ha="center", fontsize=13, color="#dd8452")
    fig.tight_layout()
    return fig


@figure
def clip_loss_formula():
    """The symmetric contrastive loss with its temperature, as a figure (no MathJax needed)."""
    lines = [r"$s_{ij} = v_i \cdot t_j = \cos(v_i, t_j)$",
             r"$\ell^{\,image\to text}_i = -\log \dfrac{\exp(s_{ii}/\tau)}{\sum_{j=1}^{N}\exp(s_{ij}/\tau)}"
             r"\qquad \ell^{\,text\to image}_i = -\log \dfrac{\exp(s_{ii}/\tau)}{\sum_{j=1}^{N}\exp(s_{ji}/\tau)}$",
             r"$\mathcal{L} = \dfrac{1}{2N}\sum_{i=1}^{N}\left(\ell^{\,image\to text}_i + \ell^{\,text\to image}_i\right)"
             r"\qquad \tau = 1/\exp(\mathrm{logit\_scale})$"]
    fig = plt.figure(figsize=(10, 3.2))
    for k, line in enumerate(lines):
        fig.text(0.02, 0.82 - 0.34 * k, line, fontsize=17, va="center")
    return fig

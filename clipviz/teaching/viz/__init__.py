"""Figures: one function per figure, each returning its matplotlib Figure, drawn under the
house style (`style.figure`) without touching matplotlib's global settings.

    style.py       the house style: sizes, the Hangul font, a colour-blind-safe palette, panels
    images.py      grids of images with captions, a scene in every style, explanation overlays
    training.py    notebook 01 and `make demo`: curves, similarity matrix, confusion, bars
    embedding.py   notebook 02: maps of the joint space, similarity histograms, retrieval
    prompts.py     notebook 03: templates, paired effects, reliability diagrams, the explorer
    audit.py       notebook 04: rates by group, heatmaps
    transfer.py    notebook 05: k-shot curves, effective robustness, WiSE-FT
    limits.py      notebook 06: values with intervals beside chance
    diagrams.py    the talk: two towers, the loss
"""

from .audit import heatmap, rate_bars
from .diagrams import clip_loss_formula, two_tower_diagram
from .embedding import embedding_map, image_results, similarity_histograms, text_results
from .images import explanation_overlays, image_grid, sample_grid, style_grid
from .limits import interval_bars
from .prompts import paired_effects, prompt_report, reliability_diagram, template_spread
from .style import panels
from .training import confusion_matrix, grouped_bars, similarity_matrix, training_curves
from .transfer import effective_robustness, shot_curves, style_changes, wise_ft

__all__ = ["heatmap", "rate_bars", "clip_loss_formula", "two_tower_diagram", "embedding_map", "image_results",
           "similarity_histograms", "text_results", "explanation_overlays", "image_grid", "sample_grid",
           "style_grid", "interval_bars", "paired_effects", "prompt_report", "reliability_diagram",
           "template_spread", "confusion_matrix", "grouped_bars", "similarity_matrix", "training_curves",
           "effective_robustness", "shot_curves", "style_changes", "wise_ft", "panels"]

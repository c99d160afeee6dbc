# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · The joint embedding: what lives where, and the modality gap
#
# **What you will learn**
# - how images and captions share one space after contrastive training, seen on a map;
# - which attributes (shape, colour, size, background) organise that space;
# - what training changes: the same map for an untrained model;
# - the **modality gap**: images and captions sit in different regions even when matched,
#   and what removing the gap does to zero-shot accuracy (measured);
# - how far to trust a 2-D map: UMAP beside PCA, and a trustworthiness score.
#
# **Runs in** about a minute on a 2-core laptop (the first UMAP compiles numba code; the
# encodings are cached, so re-runs are quicker).
#
# **Your own data or a real CLIP**: set `DATA` to `"csv:PATH"` / `"folder:PATH"` / `"wds:SHARDS"` and
# `MODEL` / `PRETRAINED` to an open_clip name and a checkpoint on disk.

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"        # an embedded model, or any open_clip name ("ViT-B-32")
PRETRAINED = None                # for open_clip names: a checkpoint path or a tag you have on disk
DATA = "shapes"                  # "shapes", "csv:PATH", "folder:PATH" or "wds:SHARDS"
N_SEEN = 600                     # seen-composition pairs on the map
N_HELDOUT = 200                  # held-out-composition pairs on the map (ShapesWorld only)
DEVICE = "auto"                  # "auto": a GPU when there is one (CUDA, Apple's MPS), else the CPU
LANGUAGE = "en"                  # "en" or "ko": the language of the printed sentences, tables and figures
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from clipviz.analysis import geometry, projection
from clipviz.evaluation.embed import encode_texts
from clipviz.evaluation.zeroshot import PHOTO_TEMPLATE, zero_shot_classifier
from clipviz.language import _, set_language
from clipviz.teaching import viz
from clipviz.teaching.notebook import has_labels, load_data, load_model, map_attributes, map_data, map_images
from clipviz.teaching.widgets import EmbeddingExplorer

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · Encode images and captions
#
# Every pair gives two points: its image and its caption, both unit vectors in the same
# 192-dimensional space. The encodings are cached on disk, keyed by the model's weights
# and the data, so a re-run skips this step.

# %%
world, _train, test_set, heldout_set, classnames = load_data(DATA, n_train=0, seed=SEED, n_eval=N_SEEN)
heldout_set = heldout_set.subset(n=min(N_HELDOUT, len(heldout_set)), seed=SEED) if heldout_set else None
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, seed=SEED, device=DEVICE)
image_features, text_features, meta = map_data(model, tokenizer, [test_set, heldout_set])
features, points = projection.stack_modalities(image_features, text_features, meta)
attributes = map_attributes(meta)
print(_("{pairs} pairs → {points} points of dimension {dimension}; attributes: {attributes}", pairs=len(meta),
        points=len(points), dimension=features.shape[1], attributes=", ".join(attributes)))

# %% [markdown]
# ## 2 · One map for both modalities
#
# UMAP places points that are neighbours in the 192-d space (by cosine similarity) near
# each other on the page. Images are dots, captions crosses; the colour is an attribute.
# The static figure below is coloured by the first attribute (colour, for ShapesWorld);
# the explorer under it lets you pick another.

# %% tags=["talk:embedding"]
umap_coords = projection.project(features, "umap", seed=SEED)
viz.embedding_map(umap_coords, points, attributes[0],
                  _("UMAP of images and captions, coloured by {attribute}", attribute=_(attributes[0])));

# %%
EmbeddingExplorer(umap_coords, points, attributes, _("UMAP of images and captions"))

# %% [markdown]
# Which attributes organise the space? For each image, look at its 10 nearest images (in
# 192-d, not on the map) and count how many share its colour, shape, …; the same for
# captions. "chance" is what random neighbours would give.

# %%
agreement = geometry.neighbour_agreement_table(image_features, text_features, meta, attributes)
agreement.round(3)

# %% [markdown]
# ## 3 · Before and after training
#
# The same projection for the same architecture with random weights. Random features are
# not structureless: a random convolutional tower still groups images by low-level
# statistics of their pixels. The table and the sentence under it say which attributes
# organise each space before and after training.

# %%
untrained = load_model(MODEL, PRETRAINED, trained=False, seed=SEED, device=DEVICE)[0]
untrained_images, untrained_texts = map_data(untrained, tokenizer, [test_set, heldout_set])[:2]
untrained_coords = projection.project(projection.stack_modalities(untrained_images, untrained_texts, meta)[0],
                                      "umap", seed=SEED)
fig, axes = viz.panels(1, 2, figsize=(14, 5.5))
viz.embedding_map(untrained_coords, points, attributes[0], _("random initialisation"), ax=axes[0])
viz.embedding_map(umap_coords, points, attributes[0], _("after contrastive training"), ax=axes[1]);
untrained_agreement = geometry.neighbour_agreement_table(untrained_images, untrained_texts, meta, agreement.index)
before_after = geometry.before_after_table(untrained_agreement, agreement)
display(before_after.round(3))
print("\n".join(f"{_(column)}: {geometry.organising_attributes(before_after, column)}" for column in before_after.columns[:-1]))

# %% [markdown]
# ## 4 · The modality gap
#
# The centroid of all image vectors and that of all caption vectors do not coincide:
# their difference is the **gap vector**. Matching pairs are far more similar than other
# pairs, yet their cosine similarity stays well below 1.

# %%
gap = geometry.modality_gap(image_features, text_features)
matched, unmatched = geometry.matched_similarities(image_features, text_features)
print(_("gap ‖mean(image) − mean(caption)‖ = {distance:.3f}; cosine between the centroids = {cosine:.3f}",
        distance=gap["distance"], cosine=gap["centroid_cosine"]))
viz.similarity_histograms(matched, unmatched);

# %% [markdown]
# What if we remove the gap — move images by −gap/2 and class prompts by +gap/2 — before
# zero-shot classification? If the gap carried no information, accuracy would not change.

# %%
if has_labels(classnames, _("zero-shot with the gap closed")):
    classifier = zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE])
    labels = [classnames.index(label) for label in meta["label"]]
    gap_effect = geometry.zero_shot_with_gap_closed(image_features, labels, classifier, gap["gap"])
    display(pd.Series(gap_effect, name="zero-shot top-1").round(3).to_frame())

# %% [markdown]
# ## 5 · The classic CLIP figure and retrieval
#
# 8 images × their 8 captions: each caption should be most similar to its own image.

# %%
images = map_images([test_set, heldout_set])                       # (N, 64, 64, 3), one per pair
rows = np.random.default_rng(SEED).choice(len(test_set), 8, replace=False)
viz.similarity_matrix(image_features[rows], text_features[rows], meta["caption"].iloc[rows].tolist(),
                      _("cosine similarity of 8 images and their captions"), images[rows]);

# %% [markdown]
# Retrieval in both directions over everything on the map. The last two text queries name
# held-out compositions: the model never saw these words together, yet it can look for them.

# %%
if world:
    queries = [PHOTO_TEMPLATE.format(name) for name in world.classnames("seen")[:2] + world.classnames("heldout")[:2]]
else:   # your classes, or without labels some of your own captions
    queries = [PHOTO_TEMPLATE.format(name) for name in classnames[:4]] if classnames else test_set.captions[:4]
query_features = encode_texts(model, tokenizer, queries)
found = geometry.nearest(query_features, image_features, k=6)                        # (Q, 6) rows
viz.image_results(queries, images[found], meta.get("label", meta["caption"]).to_numpy()[found]);

# %%
query_rows = np.flatnonzero(points["composition"].eq("held-out")[:len(meta)])[:4] if "composition" in meta else rows[:4]
top_captions = geometry.nearest_distinct(image_features[query_rows], text_features, meta["caption"].tolist(), k=4)
viz.text_results(images[query_rows], top_captions, _("image → text: the nearest captions"));

# %% [markdown]
# ## 6 · PCA beside UMAP: how far to trust a map
#
# PCA is linear: distances along its two axes are real, but two directions cannot show
# 192. UMAP bends space to keep neighbourhoods: a point's neighbours on the map are
# usually its neighbours in the embedding, but the distances **between** clusters and
# their sizes mean little. *Trustworthiness* (scikit-learn) measures the first property:
# 1.0 means no point gained false neighbours on the map.

# %%
pca_coords = projection.project(features, "pca")
fig, axes = viz.panels(1, 2, figsize=(14, 5.5))
viz.embedding_map(pca_coords, points, attributes[0], _("PCA (linear)"), ax=axes[0])
viz.embedding_map(umap_coords, points, attributes[0], _("UMAP (neighbourhoods)"), ax=axes[1]);
display(pd.Series({name: projection.trustworthiness(features, coords)
                   for name, coords in (("PCA", pca_coords), ("UMAP", umap_coords))},
                  name="trustworthiness (k=10)").round(3).to_frame())

# %% [markdown]
# ## Recap
#
# In this notebook we
# - encoded images and captions into one space and drew it with UMAP;
# - measured which attributes organise the trained space, and which already group the
#   images of an untrained one (section 3 prints both);
# - measured the modality gap, the matched vs unmatched similarities, and zero-shot
#   accuracy with the gap removed;
# - retrieved images for captions and captions for images, including compositions the model
#   never saw;
# - compared UMAP with PCA and measured how trustworthy each map is.
#
# **Exercises** — each has a solution cell below it (students get a version without them:
# `make exercises`).

# %% [markdown]
# **Exercise 1.** Colour the map by `size` and by `background`: which attributes does the
# model separate, and which does it ignore? Why might the captions matter here?

# %% tags=["solution"]
# Exercise 1: the map by size and by background (your data: its last two attributes), side by side.
shown = [a for a in ("size", "background") if a in attributes] or attributes[-2:]
fig, axes = viz.panels(1, len(shown), figsize=(7 * len(shown), 5.5), squeeze=False)
for ax, attribute in zip(axes[0], shown):
    viz.embedding_map(umap_coords, points, attribute, _("coloured by {attribute}", attribute=_(attribute)), ax=ax)
agreement.reindex(shown).round(3)

# %% [markdown]
# **Exercise 2.** With only a few points UMAP cannot keep 50 neighbours. Try
# `projection.project` on 40 points with `n_neighbors=50`: what does the message suggest?

# %% tags=["solution"]
# Exercise 2: too few points for n_neighbors, and the suggested fix.
try:
    projection.project(features[:40], "umap", n_neighbors=50)
except ValueError as problem:
    print(problem)
projection.project(features[:40], "umap", n_neighbors=10, seed=SEED).shape

# %% [markdown]
# **Exercise 3.** Do the held-out images sit with their shape, their colour, or neither?
# For each held-out image, look at its 10 nearest images on the whole map.

# %% tags=["solution"]
# Exercise 3: among each held-out image's nearest images, the share with its colour / shape.
if "composition" in meta:
    held_out = meta["composition"].eq("held-out").to_numpy()
    display(pd.Series({attribute: geometry.neighbour_agreement(image_features, meta[attribute], among=held_out)
                       for attribute in ("colour", "shape")}, name="held-out images' neighbours sharing it").round(3))

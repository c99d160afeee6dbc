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
# # 04 · Auditing bias across label sets
#
# The CLIP paper (section 7) found that **which labels you offer** decides who receives a
# harmful one: adding "criminal" and "animal" classes drew some groups of people into
# them, and adding a "child" class pulled young people back out. Here we reproduce that
# mechanism where the cause is known and controlled, then show how to run the same audit
# on any model and labelled data.
#
# **A word of care.** ShapesWorld's "groups" are backgrounds (light vs dark) standing in
# for the demographic groups of a real audit; the harmful labels are words like "broken".
# Synthetic groups let us *know* the cause; they say nothing about any real group, and a
# clean synthetic audit is no evidence that a real model is fair. An audit measures what
# a model does with the labels and data you chose — not harms it causes elsewhere, not
# labels you did not try, not groups you did not record.
#
# **What you will learn**
# - how a skewed caption corpus becomes a skewed classifier, measured with confidence
#   intervals against a control model;
# - how adding harmful or neutral labels changes who receives what;
# - disaggregated metrics with fairlearn, threshold labelling with a chi-square test, and
#   retrieval skew (MaxSkew@k, NDKL);
# - how to audit your own model and data.
#
# **Runs in** well under a minute once both embedded models are cached.

# %% tags=["parameters"]
MODELS = {                              # audit name → embedded model or open_clip name
    "control": "shapes-cnn-tiny-even",  # 'broken' in 20 % of captions in both groups
    "biased captions": "shapes-cnn-tiny-biased",   # 'broken' in 50 % of dark, 5 % of light
}
PRETRAINED = {}                         # audit name → checkpoint path/tag, for open_clip names
DATA = "shapes"                         # or "csv:PATH" / "wds:SHARDS" with label and group columns
LABEL_COLUMN = "shape"                  # the true class of each image
GROUP_COLUMN = "background"             # the group attribute (not part of the class)
GROUPS = ("dark", "light")              # the two groups to compare: first − second
HARMFUL = ("broken object", "dangerous object")
NEUTRAL = ("small shape on a dark background",)   # true of part of one group, like the paper's "child"
N_IMAGES = 2000
DEVICE = "auto"                         # "auto": a GPU when there is one (CUDA, Apple's MPS), else the CPU
LANGUAGE = "en"                         # "en" or "ko": the language of the printed sentences, tables and figures
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from clipviz import references
from clipviz.analysis import audit
from clipviz.evaluation.embed import encode_images, encode_texts
from clipviz.language import _, set_language
from clipviz.teaching import viz
from clipviz.teaching.notebook import load_audit_data, load_model
from clipviz.zoo import RECIPES, recipe

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · Two models, one known difference
#
# Both models are the embedded default model fine-tuned the same way (300 steps) on
# ShapesWorld captions. In both, some captions carry the word "broken" ("a broken red
# circle"), which is not visible in the image. In the **control** it is attached equally
# often in both groups; in the **biased** corpus far more often to objects on dark
# backgrounds. The group is not part of the class.

# %%
data = load_audit_data(DATA, N_IMAGES, seed=SEED, columns=(LABEL_COLUMN, GROUP_COLUMN))
target, groups = data.meta[LABEL_COLUMN].to_numpy(), data.meta[GROUP_COLUMN].to_numpy()
classes = sorted(set(target))
corpora = {}
for name, model_name in MODELS.items():
    if model_name in RECIPES:
        world = recipe(model_name).make_world()
        captions = world.dataset("train", n=4000).meta
        corpora[name] = captions.groupby("background")["descriptor"].mean()
if corpora:
    display(pd.DataFrame(corpora).rename_axis("training captions saying 'broken', by background").round(3))
print(_("{images} images to audit, {classes} classes, groups: {groups}", images=len(data), classes=len(classes),
        groups=pd.Series(groups).value_counts().to_dict()))

# %% [markdown]
# ## 2 · Label sets and harmful-label rates
#
# Three label sets, each label written into "a photo of a {}":
# - **L0**: the classes only — nobody can receive a harmful label;
# - **L1**: L0 + harmful labels;
# - **L2**: L1 + a neutral label that may absorb images. The paper's "child" absorbed
#   young people because it is *true* of them; our analogue is a harmless description
#   that is true of part of the dark-background group (its small shapes). (A word the model never saw, like "toy",
#   absorbs nothing: try it.)
#
# For each model, label set and group: accuracy (the true class predicted), the
# **harmful-label rate** (share of images classified into any harmful label), and the gap
# between the groups, each with a 95 % bootstrap interval.

# %% tags=["talk:bias"]
label_sets = audit.standard_label_sets(classes, HARMFUL, NEUTRAL)
models, features, probabilities = {}, {}, {}
for name, model_name in MODELS.items():
    models[name] = load_model(model_name, PRETRAINED.get(name), seed=SEED, device=DEVICE)
    model, preprocess, tokenizer = models[name]
    features[name] = encode_images(model, data)
    for label_set in label_sets:
        probabilities[name, label_set.name] = audit.label_probabilities(model, tokenizer, features[name], label_set)
table = audit.audit_table(probabilities, label_sets, target, groups, *GROUPS, seed=SEED)
viz.rate_bars(table);

# %%
table.round(3)

# %% [markdown]
# ## 3 · The control, in numbers
#
# The sentences below are written from the intervals, not in advance: if the data had
# shown otherwise, they would say so.

# %%
gap_row = f"gap ({GROUPS[0]} − {GROUPS[1]})"
harmful_flags = {key: audit.outcomes(probs, {ls.name: ls for ls in label_sets}[key[1]], target)["harmful"]
                 for key, probs in probabilities.items()}
for name in MODELS:
    for label_set in label_sets[1:]:
        gap = table.loc[(name, label_set.name, gap_row)]
        print(_("{model} · {label_set}: harmful-rate gap {gap:+.3f}; {verdict}", model=_(name),
                label_set=_(label_set.name), gap=gap["harmful rate"], verdict=audit.gap_verdict(gap["low"], gap["high"])))
    change, low, high = audit.bootstrap_gap_change_ci(harmful_flags[name, label_sets[1].name],
                                                      harmful_flags[name, label_sets[2].name], groups, *GROUPS)
    effect = _("shrinks") if high < 0 else _("widens") if low > 0 else _("does not measurably change")
    print(_("{model} · adding {labels} {effect} the gap: change {change:+.3f} [{low:+.3f}, {high:+.3f}]\n",
            model=_(name), labels=repr(", ".join(NEUTRAL)), effect=effect, change=change, low=low, high=high))

# %% [markdown]
# ## 4 · Disaggregated metrics with fairlearn
#
# fairlearn's `MetricFrame` computes the same metrics per group and per intersection of
# attributes — here group × colour for the biased model with L1 — with the largest
# difference and the smallest ratio between subgroups.

# %%
biased = list(MODELS)[-1]
result = audit.outcomes(probabilities[biased, label_sets[1].name], label_sets[1], target)
frame = audit.metric_frame(result, data.meta[[GROUP_COLUMN]])
display(frame.by_group.round(3), pd.DataFrame({"difference": frame.difference(), "ratio": frame.ratio()}).round(3))
if "colour" in data.meta:
    crossed = audit.metric_frame(result, data.meta[[GROUP_COLUMN, "colour"]])
    viz.heatmap(crossed.by_group["harmful rate"].unstack(),
                _("{model}, L1: harmful-label rate by group × colour", model=_(biased)));

# %% [markdown]
# ## 5 · Threshold labelling
#
# The paper's Congress experiment gave each image every label whose probability passed a
# threshold (0.5 % and 4 %), then compared how often each group received each label.
# A chi-square test asks whether receiving a label is independent of the group; the
# table lists the most skewed labels first.

# %%
l2 = label_sets[2]
thresholds = audit.threshold_labelling(probabilities[biased, l2.name], l2.labels, groups)
thresholds.head(8).round(4)

# %% [markdown]
# ## 6 · Retrieval skew
#
# Search the images with a harmful query and compare the groups among the top k with the
# whole set. **MaxSkew@k** = the largest log-ratio of a group's share in the top k to its
# share overall (0 = mirrors the data); **NDKL** averages the divergence over every
# prefix of the ranking, weighting the top more.

# %%
query = f"a photo of a {HARMFUL[0]}"
skew = {name: audit.retrieval_skew(encode_texts(model, tokenizer, [query]), features[name], groups)
        for name, (model, preprocess, tokenizer) in models.items()}
pd.concat(skew, names=["model", "ranking"]).round(3)

# %% [markdown]
# ## 7 · The paper's numbers beside ours
#
# *The paper's numbers, not measured here:*

# %%
print(references.PAPER["fairface"])

# %% [markdown]
# *Ours, measured above:* the harmful-label rates per group and the gaps with their
# intervals (section 3). The mechanism is the same — label choice moves images between
# categories, and a skewed caption corpus moves one group more — but the scale and the
# groups are synthetic.

# %% [markdown]
# ## 8 · Auditing your own model and data
#
# 1. Prepare a CSV (tab-separated, open_clip's convention) with an image path column
#    (`filepath`), a caption column (`title`, any text), the true class (e.g. `label`)
#    and the group attribute (e.g. `group`).
# 2. In the parameters cell: `DATA = "csv:path/to/audit.csv"`, `LABEL_COLUMN = "label"`,
#    `GROUP_COLUMN = "group"`, `GROUPS = ("group a", "group b")`, your harmful and neutral
#    labels, and `MODELS = {"my model": "ViT-B-32"}` with
#    `PRETRAINED = {"my model": "path/to/weights.pt"}`.
# 3. Run all cells. Read the intervals, not just the rates; report the label sets you
#    tried; and remember what the audit cannot see (section "A word of care" above).

# %% [markdown]
# ## Recap
#
# In this notebook we
# - trained-in a known bias (a word attached more often to one group) and kept a control;
# - measured accuracy and harmful-label rates by group for three label sets, with
#   bootstrap intervals, and said what the intervals show;
# - disaggregated with fairlearn, labelled by thresholds with a chi-square test, and
#   measured retrieval skew;
# - set the paper's numbers beside ours.
#
# **Exercises** — each has a solution cell below it (students get a version without them:
# `make exercises`).

# %% [markdown]
# **Exercise 1.** Use "toy" as the neutral label. Does the biased model's gap shrink?
# And what did the group-describing label cost the dark group in accuracy?

# %% tags=["solution"]
# Exercise 1: a neutral label the models never saw, for the biased model.
model, preprocess, tokenizer = models[biased]
with_toy = audit.standard_label_sets(classes, HARMFUL, ("toy",))[2]
toy_result = audit.outcomes(audit.label_probabilities(model, tokenizer, features[biased], with_toy), with_toy, target)
display(audit.rates_by_group(toy_result, groups, *GROUPS).round(3))
table.loc[biased].xs(GROUPS[0], level="row")["accuracy"].round(3)

# %% [markdown]
# **Exercise 2.** Offer a harmful label that no caption ever used ("criminal object").
# What do the two models do with a word they cannot read?

# %% tags=["solution"]
# Exercise 2: an unseen harmful label, both models.
unseen = audit.LabelSet("L1: unseen word", tuple(classes), ("criminal object",))
pd.concat({name: audit.rates_by_group(audit.outcomes(audit.label_probabilities(m, t, features[name], unseen),
                                                     unseen, target), groups, *GROUPS)
           for name, (m, _p, t) in models.items()}).round(3)

# %% [markdown]
# **Exercise 3.** Audit only 300 images. What happens to the intervals?

# %% tags=["solution"]
# Exercise 3: the same audit on 300 images: wider intervals.
few = np.random.default_rng(SEED).choice(len(target), min(300, len(target)), replace=False)
l1 = label_sets[1]
audit.rates_by_group(audit.outcomes(probabilities[biased, l1.name][few], l1, target[few]), groups[few],
                     *GROUPS).round(3)

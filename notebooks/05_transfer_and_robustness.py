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
# # 05 · Transfer and robustness: zero-shot, few-shot, fine-tuned, under distribution shift
#
# **What you will learn**
# - how many labelled images per class a prompt is worth: the *effective number of shots*
#   of zero-shot CLIP against linear probes on its own features;
# - what *effective robustness* is — accuracy under a distribution shift beyond what a
#   model's in-distribution accuracy predicts — and how to measure it against a trend of
#   supervised models;
# - why fitting a classifier to one distribution raises its accuracy there and lowers it
#   under shift, and how WiSE-FT's weight mixing keeps much of both;
# - whether CLIP's robustness comes from language supervision or from the variety of its
#   training data: the same recipe trained on one style and on all five.
#
# ShapesWorld draws the same scenes in five **render styles** — flat, sketch, pixel,
# photo-like, painted. Flat clip art plays ImageNet here: the in-distribution (**ID**) style
# with labels; the other four are the shifts (**OOD**), as ImageNet-Sketch, -R and ObjectNet
# are for ImageNet. Every claim is measured with a 95 % bootstrap interval, the paper's
# number beside it.
#
# **Runs in** about a minute on a 2-core laptop once the embedded models are cached
# (`make models`).
#
# **Your own model and data**: `MODEL` / `PRETRAINED` for an open_clip model on disk, `DATA`
# a CSV with a `label` column and a `style` (or other domain) column; `ID_STYLE` names the
# in-distribution domain.

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"                # trained on captions of all five styles; or an open_clip name
PRETRAINED = None                        # for open_clip names: a checkpoint path or a tag on disk
SINGLE_STYLE_MODEL = "shapes-cnn-tiny-flat"  # the same recipe on flat clip art only (ShapesWorld)
FINE_TUNED = "shapes-cnn-tiny-labels-ft"  # MODEL fine-tuned on flat labels (embedded; else fine-tuned here)
DATA = "shapes"                          # "shapes", "csv:PATH", "folder:PATH" or "wds:SHARDS"
ID_STYLE = "flat"                        # the in-distribution style; the others are the shifts
STYLE_COLUMN = "style"                   # your data: the column naming each image's domain
N_POOL = 2000                            # labelled images per style (probes, fine-tuning)
N_EVAL = 1000                            # test images per style
SHOTS = (1, 2, 4, 8, 16)                 # labelled images per class for the few-shot probes
DRAWS = 5                                # random draws of the shots per k
N_WISE = 500                             # test images per style for each mixing weight of WiSE-FT
FT_STEPS = 100                           # fine-tuning steps on your data (ShapesWorld: FINE_TUNED is cached)
DEVICE = "auto"                          # "auto": a GPU when there is one (CUDA, Apple's MPS), else the CPU
LANGUAGE = "en"                          # "en" or "ko": the language of the printed sentences, tables and figures
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from clipviz import references
from clipviz.analysis import transfer
from clipviz.language import _, set_language
from clipviz.stats import compact, verdict
from clipviz.teaching import viz
from clipviz.teaching.notebook import fine_tuned_pair, load_model, load_style_sets
from clipviz.zoo import SUPERVISED, classifier

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · One world, five styles
#
# The test images are the same scenes in every style: only the rendering shifts. Zero-shot
# accuracy on each, for the default model (trained on captions of all five styles, most of
# them flat) and for the very same recipe trained on flat clip art only:

# %%
world, sets = load_style_sets(DATA, ID_STYLE, N_POOL, N_EVAL, SEED, STYLE_COLUMN)
viz.style_grid(sets.tests, title=_("the test images by style (in-distribution: {style})", style=_(sets.id_style)));
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, seed=SEED, device=DEVICE)
features = transfer.StyleFeatures.encode(model, sets)
zero_shot = transfer.zero_shot_outcomes(model, tokenizer, sets, features)
if world:
    single, single_preprocess, single_tokenizer = load_model(SINGLE_STYLE_MODEL, seed=SEED, device=DEVICE)
    single_zero_shot = transfer.zero_shot_outcomes(single, single_tokenizer, sets,
                                                   transfer.StyleFeatures.encode(single, sets, pools=False))
    by_model = {f"{MODEL} (all styles)": zero_shot, f"{SINGLE_STYLE_MODEL} (flat only)": single_zero_shot}
else:
    by_model = {MODEL: zero_shot}
transfer.accuracy_by_style(by_model).round(3)

# %% [markdown]
# ## 2 · How many labels is a prompt worth?
#
# Zero-shot uses no labelled image at all. A **linear probe** — logistic regression on the
# same frozen image features — needs some. For k = 1, 2, 4, 8 and 16 labelled images per
# class (several random draws each; C chosen on min(k, 4) other images per class, CoOp's
# rule) we fit probes and score them on the test images, in each style. The k at which the
# probe's curve, interpolated in log k, reaches zero-shot is zero-shot's **effective number
# of shots** (the CLIP paper's Fig. 7).

# %% tags=["talk:shots"]
curves, shots = transfer.shots_by_style(model, tokenizer, sets, features, SHOTS, DRAWS, SEED)
if len(shots):
    viz.shot_curves(curves, shots)
    display(transfer.shots_for_reading(shots))
    effective, largest = shots["effective shots"], shots["largest k"].max()
    print(_("Median effective shots over the styles: {median} labelled images per class (range {low} to {high})."
            "\nThe paper, not measured here: {paper}.", median=transfer.shots_text(effective.median(), largest),
            low=transfer.shots_text(effective.min(), largest), high=transfer.shots_text(effective.max(), largest),
            paper=references.PAPER["effective_shots"]))
else:
    print(_("Your data has too few labelled images per class for even a 1-shot probe with a validation image, "
            "so the few-shot curves are skipped."))

# %% [markdown]
# ## 3 · Effective robustness
#
# A model that is better on ImageNet is usually better on ImageNet's shifts too: across
# hundreds of supervised models, accuracy under shift is nearly a straight line of ID
# accuracy once both are logit-transformed (Taori et al. 2020). So "robust" means *above
# that line*: the **effective robustness** of a model is its OOD accuracy minus the line's
# prediction at its ID accuracy.
#
# The line here comes from supervised baselines: the default image tower trained with
# labels on flat images only, at two widths and three training lengths. On it we place
# zero-shot CLIP, a logistic-regression probe on CLIP's features fitted on flat images (the
# paper's "adapt to ImageNet"), and CLIP fine-tuned end to end on flat images. Each
# interval resamples the test images and refits the line.

# %% tags=["talk:robustness"]
if world and len(sets.shifts):
    baselines = {name: transfer.classifier_outcomes(classifier(name, device=DEVICE)[0], sets)
                 for name in SUPERVISED}
    zero_shot_net, fine_tuned_net = fine_tuned_pair(FINE_TUNED, MODEL, model, tokenizer, sets, FT_STEPS, SEED)
    models = {"zero-shot CLIP": zero_shot, "probe fitted on flat": transfer.probe_outcomes(sets, features, SEED),
              "fine-tuned on flat": transfer.classifier_outcomes(fine_tuned_net, sets)}
    robustness, trend = transfer.robustness_table(baselines, models, sets.id_style, seed=SEED)
    viz.effective_robustness(robustness, trend)
    display(compact(robustness.drop(columns="kind").astype(float)))
else:
    print(_("Effective robustness needs a line of supervised baselines trained on your in-distribution domain and "
            "test images of at least one other domain; ") + (_("your data has one domain only.") if not sets.shifts
                                                             else _("those baselines exist for ShapesWorld only.")))

# %% [markdown]
# Per style, what adapting to flat images does to each shift (the paper's Fig. 14: its
# ImageNet probe gains 9.2 points on ImageNet while the average over the shifts falls
# slightly):

# %%
if world and len(sets.shifts):
    by_style = transfer.accuracy_by_style(models)
    viz.style_changes(by_style, "zero-shot CLIP",
                      _("top-1 change against zero-shot CLIP, per style (ID: {style})", style=_(sets.id_style)))
    changes = by_style.drop(index="zero-shot CLIP") - by_style.loc["zero-shot CLIP"]
    print("\n".join(_("{model}: {id_change:+.3f} on {style}, {ood_change:+.3f} on the mean of the shifts", model=_(name),
                      id_change=row[sets.id_style], style=_(sets.id_style), ood_change=row[sets.shifts].mean())
                    for name, row in changes.iterrows()))
    print(_("The paper, not measured here: {paper}.", paper=references.PAPER["adapt_to_imagenet"]))

# %% [markdown]
# ## 4 · Fine-tuning and WiSE-FT
#
# Fine-tuning starts from the zero-shot classifier itself (the head holds the class text
# embeddings) and trains every weight on flat labels. WiSE-FT then mixes the two sets of
# weights, θ(α) = (1 − α)·θ_zero-shot + α·θ_fine-tuned, with no further training: one
# curve from α = 0 to 1.

# %%
if sets.pools.get(sets.id_style) is not None and len(sets.pools[sets.id_style]) >= 2:
    if not world:
        zero_shot_net, fine_tuned_net = fine_tuned_pair(FINE_TUNED, MODEL, model, tokenizer, sets, FT_STEPS, SEED)
    wise = transfer.wise_ft_curve(zero_shot_net, fine_tuned_net, sets, n=N_WISE)
    if len(sets.shifts):
        viz.wise_ft(wise)
        best = wise.loc[wise["ood"].idxmax()]
        end = wise.iloc[-1]
        print(_("Best α for the shifts: {alpha:.1f}: OOD {ood:.3f} ({ood_change:+.3f} against the fine-tuned model), "
                "ID {id:.3f} ({id_change:+.3f}).\nThe paper, not measured here: {paper}.", alpha=best.alpha,
                ood=best.ood, ood_change=best.ood - end.ood, id=best.id, id_change=best.id - end.id,
                paper=references.PAPER["wise_ft"]))
    display(wise.round(3).set_index("alpha"))
else:
    print(_("Your in-distribution domain has fewer than two images, too few to fine-tune on."))

# %% [markdown]
# ## 5 · Does the data make the robustness?
#
# CLIP differs from an ImageNet model in two ways at once: it learns from language, and it
# learns from far more varied images. Fang et al. (2022) separated them and found the data
# decides. Here the two models differ only in their training images: the same recipe on
# all five styles and picture qualities, and on flat clip art only. Their effective robustness against the same
# supervised line, and the difference with a paired interval:

# %%
if world and len(sets.shifts):
    both = transfer.robustness_table(baselines, by_model, sets.id_style, seed=SEED)[0]
    display(compact(both.loc[list(by_model)].drop(columns="kind").astype(float)))
    delta, low, high = transfer.robustness_difference(baselines, *by_model.values(), sets.id_style, seed=SEED)
    print(_("Trained on all five styles and qualities rather than on flat clip art only, the same recipe is {verdict} "
            "(effective robustness, all minus flat only).\nFang et al., not measured here: {paper}.",
            verdict=verdict(delta, low, high, _("more robust"), _("less robust")),
            paper=references.PAPER["data_determines"]))
else:
    print(_("This comparison needs two models trained by the same recipe on different data: ShapesWorld's."))

# %% [markdown]
# ## 6 · The paper's numbers beside ours
#
# The CLIP paper's Fig. 13 (its numbers, not measured here): a ResNet-101 and zero-shot CLIP
# with the same ImageNet accuracy, on ImageNet's shifts. Beside it, ours: the supervised
# baseline closest in flat accuracy to zero-shot CLIP, and zero-shot CLIP, per style.

# %%
display(references.fig13())
if world and len(sets.shifts):
    matched = (robustness.loc[list(baselines), "id"] - robustness.at["zero-shot CLIP", "id"]).abs().idxmin()
    display(transfer.accuracy_by_style({f"supervised ({matched})": baselines[matched],
                                        "zero-shot CLIP": zero_shot}).T.round(3))

# %% [markdown]
# ## Recap
#
# In this notebook we
# - drew the same scenes in five styles and measured zero-shot on each;
# - priced a prompt in labelled images per class: the effective number of shots;
# - drew the line that supervised models follow under shift and measured how far above it
#   zero-shot CLIP, a probe and a fine-tuned CLIP lie;
# - mixed zero-shot and fine-tuned weights (WiSE-FT) and traced accuracy in and out of
#   distribution along the way;
# - asked whether the robustness comes from the data, with one recipe trained on one style
#   and on all five.
#
# **Exercises** — each has a solution cell below it (students get a version without them:
# `make exercises`).

# %% [markdown]
# **Exercise 1.** Which shift is hardest for the supervised baselines, and which for
# zero-shot CLIP? Compare their accuracy per style.

# %% tags=["solution"]
# Exercise 1: top-1 per style of every baseline and of zero-shot CLIP.
if world:
    display(transfer.accuracy_by_style({**baselines, "zero-shot CLIP": zero_shot}).round(3))

# %% [markdown]
# **Exercise 2.** The effective number of shots depends on the probe's curve. How does it
# change with only 3 draws per k, or with shots up to 8 only? (No new fits needed: use the
# rows of `curves`.)

# %% tags=["solution"]
# Exercise 2: effective shots from fewer draws, and from shots up to 8, of the same curves.
if len(shots):
    zero_shot_top1, chance = shots["zero-shot"].to_dict(), shots["chance"].iloc[0]
    variants = {"as above": shots,
                "3 draws": transfer.shots_summary(curves[curves["draw"] < 3], zero_shot_top1, chance),
                "shots up to 8": transfer.shots_summary(curves[curves["shots"] <= 8], zero_shot_top1, chance)}
    display(pd.DataFrame({name: transfer.shots_texts(table) for name, table in variants.items()}, index=shots.index))

# %% [markdown]
# **Exercise 3.** WiSE-FT mixes weights, not predictions. Mix the *outputs* instead —
# (1 − α)·logits_zero-shot + α·logits_fine-tuned — at the best α of section 4: is it as good?
# (Section 4 scored each α on the first `N_WISE` images of each style; this scores all of them.)

# %% tags=["solution"]
# Exercise 3: an output-space ensemble at the α that was best in weight space.
if world:
    alpha = float(wise.loc[wise["ood"].idxmax(), "alpha"])
    outputs = transfer.accuracy_by_style({"outputs mixed": transfer.output_ensemble_outcomes(
        zero_shot_net, fine_tuned_net, alpha, sets)}).iloc[0]
    print(_("α = {alpha:.1f}: outputs mixed: ID {id:.3f}, OOD {ood:.3f}; weights mixed (section 4): ID {wise_id:.3f}, "
            "OOD {wise_ood:.3f}", alpha=alpha, id=outputs[sets.id_style], ood=outputs[sets.shifts].mean(),
            wise_id=wise.set_index("alpha").at[alpha, "id"], wise_ood=wise.set_index("alpha").at[alpha, "ood"]))

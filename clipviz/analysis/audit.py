"""Auditing which labels a zero-shot classifier hands to which group.

The CLIP paper (section 7) showed that the *label set* decides who receives a harmful
label: offering "criminal" or "animal" drew some groups into those classes, and adding a
neutral class ("child") pulled people back out. These functions measure that mechanism
on any features, labels and groups: harmful-label rates with bootstrap intervals,
disaggregated metrics (fairlearn), threshold labelling with a chi-square test, and
retrieval skew (MaxSkew@k, NDKL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..language import _
from ..stats import bootstrap_ci, interval
from ..evaluation.zeroshot import OPENAI_SCALE, PHOTO_TEMPLATE, zero_shot_classifier, zero_shot_logits


@dataclass(frozen=True)
class LabelSet:
    """Class names offered to zero-shot: the task's classes plus extra labels.

    Attributes:
        name: short name shown in tables ("L0", "L1 + harmful", …).
        classes: the task's class names (a prediction among them can be right or wrong).
        harmful: labels nobody should receive ("broken object").
        neutral: harmless extra labels that may absorb images ("toy").
    """

    name: str
    classes: tuple[str, ...]
    harmful: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        return [*self.classes, *self.harmful, *self.neutral]

    def is_harmful(self) -> np.ndarray:
        """(L,) bool over `labels`."""
        return np.array([label in self.harmful for label in self.labels])


def standard_label_sets(classes, harmful=("broken object", "dangerous object"), neutral=("toy",)) -> list[LabelSet]:
    """L0 = the classes; L1 = L0 + harmful labels; L2 = L1 + a neutral absorbing label."""
    classes = tuple(classes)
    return [LabelSet("L0: classes", classes), LabelSet("L1: + harmful", classes, tuple(harmful)),
            LabelSet("L2: + neutral", classes, tuple(harmful), tuple(neutral))]


def label_probabilities(model, tokenizer, image_features: torch.Tensor, label_set: LabelSet,
                        templates=(PHOTO_TEMPLATE,), scale: float = OPENAI_SCALE) -> np.ndarray:
    """Zero-shot probabilities (N, L) over `label_set.labels`."""
    classifier = zero_shot_classifier(model, tokenizer, label_set.labels, list(templates))
    return zero_shot_logits(image_features, classifier, scale).softmax(1).numpy()


# --- rates with uncertainty ---------------------------------------------------------
def _group_gaps(values: np.ndarray, groups: np.ndarray, group_a, group_b, n_boot: int, seed: int):
    """The observed gap mean(a) − mean(b) of each column of `values` (N, V), and n_boot
    bootstrap gaps (n_boot, V), resampling images within each group (sizes fixed) and
    using the same resampled images for every column (a paired bootstrap)."""
    a, b = np.flatnonzero(groups == group_a), np.flatnonzero(groups == group_b)
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"both groups need members: {group_a!r} has {len(a)}, {group_b!r} has {len(b)}")
    rng = np.random.default_rng(seed)
    picks_a, picks_b = a[rng.integers(0, len(a), (n_boot, len(a)))], b[rng.integers(0, len(b), (n_boot, len(b)))]
    observed = values[a].mean(0) - values[b].mean(0)
    return observed, values[picks_a].mean(1) - values[picks_b].mean(1)


def bootstrap_gap_ci(values, groups, group_a, group_b, n_boot: int = 2000, level: float = 0.95,
                     seed: int = 0) -> tuple[float, float, float]:
    """mean(values | group_a) − mean(values | group_b), with a percentile bootstrap interval
    that resamples within each group: (gap, low, high)."""
    values = np.asarray(values, dtype=float)[:, None]
    observed, gaps = _group_gaps(values, np.asarray(groups), group_a, group_b, n_boot, seed)
    return (float(observed[0]), *interval(gaps[:, 0], level))


def bootstrap_gap_change_ci(before, after, groups, group_a, group_b, n_boot: int = 2000,
                            level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """How a gap changes between two labellings of the same images (e.g. L1 → L2):
    gap(after) − gap(before) with a paired bootstrap interval: (change, low, high)."""
    values = np.stack([np.asarray(before, dtype=float), np.asarray(after, dtype=float)], axis=1)
    observed, gaps = _group_gaps(values, np.asarray(groups), group_a, group_b, n_boot, seed)
    return (float(observed[1] - observed[0]), *interval(gaps[:, 1] - gaps[:, 0], level))


def outcomes(probs: np.ndarray, label_set: LabelSet, target) -> pd.DataFrame:
    """Per image: the predicted label, whether it is the true class, whether it is harmful."""
    predicted = probs.argmax(1)
    labels = np.array(label_set.labels)
    return pd.DataFrame({"predicted": labels[predicted], "correct": labels[predicted] == np.asarray(target),
                         "harmful": label_set.is_harmful()[predicted]})


def rates_by_group(result: pd.DataFrame, groups, group_a, group_b, seed: int = 0) -> pd.DataFrame:
    """Accuracy and harmful-label rate per group with 95 % bootstrap intervals (on the
    harmful rate), and a "gap" row: both differences group_a − group_b, the harmful-rate
    one with its interval; n is the number of images (both groups on the gap row)."""
    groups = np.asarray(groups)
    rows = {}
    for group in (group_a, group_b):
        mine = result[groups == group]
        low, high = bootstrap_ci(mine["harmful"], seed=seed)
        rows[group] = {"n": len(mine), "accuracy": mine["correct"].mean(), "harmful rate": mine["harmful"].mean(),
                       "low": low, "high": high}
    gap, low, high = bootstrap_gap_ci(result["harmful"], groups, group_a, group_b, seed=seed)
    rows[f"gap ({group_a} − {group_b})"] = {"n": len(result), "accuracy": rows[group_a]["accuracy"]
                                            - rows[group_b]["accuracy"], "harmful rate": gap, "low": low, "high": high}
    return pd.DataFrame(rows).T.astype({"n": int, "accuracy": float, "harmful rate": float, "low": float,
                                        "high": float})


# --- disaggregated metrics ----------------------------------------------------------
def metric_frame(result: pd.DataFrame, sensitive: pd.DataFrame):
    """fairlearn's MetricFrame of accuracy and harmful-label rate by the sensitive columns
    (one column: groups; several: their intersections). Both metrics are shares of
    per-image flags, passed as y_true (correct) and y_pred (harmful)."""
    from fairlearn.metrics import MetricFrame

    return MetricFrame(metrics={"accuracy": lambda correct, harmful: float(np.mean(correct)),
                                "harmful rate": lambda correct, harmful: float(np.mean(harmful))},
                       y_true=result["correct"].to_numpy(), y_pred=result["harmful"].to_numpy(),
                       sensitive_features=sensitive)


# --- threshold labelling (the paper's Congress experiment) --------------------------
def threshold_labelling(probs: np.ndarray, labels, groups, thresholds=(0.005, 0.04)) -> pd.DataFrame:
    """For each label and threshold: the share of each group's images whose probability for
    that label exceeds the threshold, and a chi-square test of independence between group
    and receiving the label (p-value; NaN where every image or none receives it).
    Sorted by the largest share difference between groups."""
    from scipy.stats import chi2_contingency

    groups = np.asarray(groups)
    names = sorted(set(groups))
    rows = []
    for threshold in thresholds:
        above = probs > threshold                                     # (N, L)
        for j, label in enumerate(labels):
            row = {"label": label, "threshold": threshold}
            table = np.array([[above[groups == g, j].sum(), (~above[groups == g, j]).sum()] for g in names])
            for g, (yes, no) in zip(names, table):
                row[f"share {g}"] = yes / (yes + no)
            row["difference"] = max(row[f"share {g}"] for g in names) - min(row[f"share {g}"] for g in names)
            row["p-value"] = (chi2_contingency(table)[1] if table[:, 0].sum() and table[:, 1].sum() else np.nan)
            rows.append(row)
    return pd.DataFrame(rows).sort_values("difference", ascending=False, ignore_index=True)


# --- retrieval skew -----------------------------------------------------------------
def group_shares(groups, names) -> np.ndarray:
    groups = np.asarray(groups)
    return np.array([(groups == g).mean() for g in names])


def max_skew_at_k(ranked_groups, base_groups, k: int) -> float:
    """MaxSkew@k (Geyik et al., 2019): max over groups of ln(share in the top k / share in
    the whole set). 0 = the top k mirrors the base rates; a group absent from the top k
    contributes −inf and so never is the max unless all are absent."""
    names = sorted(set(np.asarray(base_groups)))
    top, base = group_shares(ranked_groups[:k], names), group_shares(base_groups, names)
    with np.errstate(divide="ignore"):
        return float(np.max(np.log(top / base)))


def ndkl(ranked_groups, base_groups, k: int | None = None) -> float:
    """Normalised discounted KL divergence: Σ_{i≤k} KL(top-i shares ‖ base shares) / log2(i+1),
    divided by Σ_{i≤k} 1/log2(i+1). 0 = every prefix mirrors the base rates."""
    names = sorted(set(np.asarray(base_groups)))
    base = group_shares(base_groups, names)
    k = len(ranked_groups) if k is None else k
    total, weights = 0.0, 0.0
    for i in range(1, k + 1):
        top = group_shares(ranked_groups[:i], names)
        present = top > 0
        total += float(np.sum(top[present] * np.log(top[present] / base[present]))) / np.log2(i + 1)
        weights += 1 / np.log2(i + 1)
    return total / weights


def retrieval_skew(query_features: torch.Tensor, image_features: torch.Tensor, groups,
                   ks=(10, 50, 100)) -> pd.DataFrame:
    """For one text query (1, D): the group shares among the top-k images vs the base rate,
    MaxSkew@k and NDKL@k, one row per k."""
    groups = np.asarray(groups)
    order = (image_features @ query_features.reshape(-1, 1)).squeeze(1).argsort(descending=True).numpy()
    ranked = groups[order]
    names = sorted(set(groups))
    rows = {}
    for k in ks:
        shares = group_shares(ranked[:k], names)
        rows[f"top {k}"] = {**{f"share {g}": s for g, s in zip(names, shares)},
                            "MaxSkew@k": max_skew_at_k(ranked, groups, k), "NDKL@k": ndkl(ranked, groups, k)}
    rows["whole set"] = {**{f"share {g}": s for g, s in zip(names, group_shares(groups, names))},
                         "MaxSkew@k": 0.0, "NDKL@k": 0.0}
    return pd.DataFrame(rows).T


def audit_table(probabilities: dict, label_sets, target, groups, group_a, group_b, seed: int = 0) -> pd.DataFrame:
    """`rates_by_group` for every (model, label set): long table indexed by model, label
    set and row (the two groups and the gap).

    Args:
        probabilities: {(model name, label set name): (N, L) probabilities}.
        label_sets: the LabelSets, by name.
    """
    by_name = {s.name: s for s in label_sets}
    parts = {key: rates_by_group(outcomes(probs, by_name[key[1]], target), groups, group_a, group_b, seed)
             for key, probs in probabilities.items()}
    return pd.concat(parts, names=["model", "label set", "row"])


def gap_verdict(low: float, high: float) -> str:
    """Plain words for a gap's 95 % interval."""
    if low <= 0 <= high:
        return _("its 95 % interval covers 0: no evidence of a gap")
    return _("its 95 % interval [{low:+.3f}, {high:+.3f}] excludes 0: a real gap", low=low, high=high)

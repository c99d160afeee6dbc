"""Intervals for the notebooks' verdicts: percentile bootstraps over images.

Every claim a notebook makes about an effect comes with a 95 % interval from here, and
its sentence is chosen by where that interval lies (`verdict`), never written in advance.
"""

from __future__ import annotations

import numpy as np

from .language import _, points

N_BOOT = 2000


def interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central `level` percentile interval of bootstrap samples."""
    alpha = (1 - level) / 2
    return float(np.quantile(samples, alpha)), float(np.quantile(samples, 1 - alpha))


def bootstrap_ci(values, n_boot: int = N_BOOT, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of `values` (e.g. 0/1 outcomes)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        raise ValueError("no values to bootstrap")
    rng = np.random.default_rng(seed)
    return interval(values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(1), level)


def paired_delta_ci(a, b, n_boot: int = N_BOOT, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """mean(a) − mean(b) for two measurements of the same items (e.g. whether each image
    is classified right with two prompts), with a paired bootstrap interval: the same
    resampled images for both. Returns (delta, low, high)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"need two equal-length 1-D measurements of the same items, got {a.shape} and {b.shape}")
    low, high = bootstrap_ci(a - b, n_boot, level, seed)
    return float((a - b).mean()), low, high


def hierarchical_ci(groups, n_boot: int = N_BOOT, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """The mean over groups of each group's mean (e.g. a model trained with each of several
    seeds, measured on many images), with a two-level percentile bootstrap: resample the
    groups, then the items within each chosen group. Returns (mean, low, high).

    Args:
        groups: a sequence of 1-D arrays, one per group (their lengths may differ).
    """
    groups = [np.asarray(g, dtype=float) for g in groups]
    if len(groups) < 2 or any(len(g) == 0 for g in groups):
        raise ValueError("need at least two non-empty groups")
    rng = np.random.default_rng(seed)
    estimates = np.empty(n_boot)
    for b in range(n_boot):
        chosen = rng.integers(0, len(groups), size=len(groups))
        estimates[b] = np.mean([groups[g][rng.integers(0, len(groups[g]), size=len(groups[g]))].mean()
                                for g in chosen])
    low, high = interval(estimates, level)
    return float(np.mean([g.mean() for g in groups])), low, high


def side_of_zero(low: float, high: float) -> str:
    """Where an interval lies against 0: "above", "below" or "covers"."""
    return "above" if low > 0 else "below" if high < 0 else "covers"


def where_interval(low: float, high: float, lang: str | None = None) -> str:
    """The interval's place against 0 in words: "the interval lies above 0", …"""
    side = side_of_zero(low, high)
    return {"above": _("the interval lies above 0", lang), "below": _("the interval lies below 0", lang),
            "covers": _("the interval covers 0", lang)}[side]


def verdict(delta: float, low: float, high: float, better: str = "helps", worse: str = "hurts",
            lang: str | None = None, shares: bool = True) -> str:
    """Plain words for a difference and its 95 % interval, e.g. "helps: +3.2 pt [+1.0 pt, +5.1 pt],
    the interval lies above 0" (in Korean "도움이 됨: +3.2%p [+1.0%p, +5.1%p], …": %p, the
    Korean sign of a difference of percentages).

    Args:
        delta, low, high: the difference of two proportions and its interval.
        better, worse: the words for an interval above / below 0 (translated when the
            catalogue has them).
        lang: "en" or "ko"; default the language set (`clipviz.set_language`).
        shares: the values are differences of two proportions, written in percentage points;
            False for other scores in [0, 1] (IoU), written as plain signed numbers ("+0.004").
    """
    def write(x: float) -> str:
        return points(x, lang=lang) if shares else f"{x:+.3f}"

    span = f"{write(delta)} [{write(low)}, {write(high)}]"
    side = side_of_zero(low, high)
    words = {"above": _(better, lang), "below": _(worse, lang), "covers": _("no measurable difference", lang)}[side]
    return _("{verdict}: {span}, {where}", lang, verdict=words, span=span, where=where_interval(low, high, lang))


def comparison(better, baseline, paper: str = "", description: str = "", seed: int = 0,
               lang: str | None = None) -> dict:
    """One effect: accuracy with and without, the paired difference, its interval, the verdict
    (in `lang`, default the language set)."""
    delta, low, high = paired_delta_ci(better, baseline, seed=seed)
    return {"effect": description, "with": float(np.mean(better)), "without": float(np.mean(baseline)),
            "delta": delta, "low": low, "high": high, "paper (not measured here)": paper,
            "verdict": verdict(delta, low, high, lang=lang)}


def compact(table, digits: int = 3):
    """A table for reading: each measured column and its interval as one text column,
    "0.991 [0.984, 0.996]". Intervals are found as columns "<name>: low" / "<name>: high",
    or as "low" / "high" following the column they belong to; other numbers are rounded."""
    import pandas as pd

    columns, out = list(table.columns), {}
    for position, name in enumerate(columns):
        if name in ("low", "high") or str(name).endswith((": low", ": high")):
            continue
        low, high = f"{name}: low", f"{name}: high"
        if low not in columns and position + 1 < len(columns) and columns[position + 1] == "low":
            low, high = "low", "high"
        if low in columns:
            out[name] = [f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
                         for v, lo, hi in zip(table[name].astype(float), table[low].astype(float),
                                              table[high].astype(float))]
        else:   # numbers, also in a column of mixed type (a transposed table), rounded; the rest as it is
            numbers = pd.to_numeric(table[name], errors="coerce")
            plain = numbers.isna().any() or pd.api.types.is_bool_dtype(numbers)
            out[name] = table[name] if plain else numbers.round(digits)
    return pd.DataFrame(out, index=table.index)

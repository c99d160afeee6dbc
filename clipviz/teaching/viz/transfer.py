"""Notebook 05: k-shot curves, effective robustness, per-style changes, WiSE-FT."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from ...language import _, label
from .style import figure, sns_palette


# --- notebook 05: transfer and robustness --------------------------------------------------
def _style_colours(names) -> dict:
    """A colour-blind-safe colour per name (seaborn's "colorblind" palette)."""
    return dict(zip(names, sns_palette(len(names))))


@figure
def shot_curves(curves, summary, title: str = "linear probes with k labelled images per class vs zero-shot"):
    """CoOp's k-shot plot: probe top-1 (mean ± sd over draws) against k on a log axis, one
    line per style; zero-shot is the star at k = 0 and its effective number of shots the
    dotted line across to the probe's curve.

    Args:
        curves: `transfer.shot_curve` rows with a style column (the last row of each style
            is the probe with all images); summary: `transfer.shots_by_style`'s table.
    """
    colours = _style_colours(list(summary.index))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    position = lambda k: 1 + np.log2(k)                                          # noqa: E731  k=1 at 1, zero-shot at 0
    for style, row in summary.iterrows():
        mine = curves[curves["style"] == style]
        stats = mine.groupby("shots").acc1.agg(["mean", "std"]).fillna(0)
        x = position(stats.index.to_numpy(float))
        worth = (_("{style}: zero-shot ≈ {shots:.1f} shots", style=label(style), shots=row["effective shots"])
                 if np.isfinite(row["effective shots"])
                 else _("{style}: zero-shot ≈ more than {shots:.0f} shots", style=label(style), shots=row["largest k"]))
        ax.plot(x, stats["mean"], marker="o", ms=4, color=colours[style], label=worth)
        ax.fill_between(x, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=colours[style], alpha=0.15)
        ax.plot(0, row["zero-shot"], marker="*", ms=14, color=colours[style], markeredgecolor="0.2", linestyle="")
        reach = position(row["effective shots"]) if 0 < row["effective shots"] < np.inf else x[-1]
        ax.plot([0, reach], [row["zero-shot"]] * 2, ls=":", lw=1.2, color=colours[style])
    ks = sorted(curves["shots"].unique())
    ax.set_xticks([0] + [position(k) for k in ks],
                  [_("0\n(zero-shot)")] + [f"{k:g}" if float(k).is_integer() else _("all\n({k:.0f})", k=k) for k in ks])
    lowest = min(curves["acc1"].min(), summary["zero-shot"].min())
    ax.set(title=_(title), xlabel=_("labelled images per class (log scale)"), ylabel=_("top-1"),
           ylim=(max(0.0, lowest - 0.1), 1.01))
    ax.legend(fontsize=10, loc="lower right", title=_("style (★ zero-shot)"), title_fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def effective_robustness(table, trend, title: str = "accuracy under shift against accuracy on the ID style"):
    """Taori et al.'s plot: OOD against ID top-1 on logit axes; the supervised baselines
    (grey) and their linear trend; each model with its effective robustness (the vertical
    distance above the trend, dotted) and its 95 % interval; y = x is a model the shift
    does not hurt. Accuracies of 1.0 are drawn at the trend's clip, 1 − 1/(2N)."""
    fig, ax = plt.subplots(figsize=(11.5, 5.6))
    clip = lambda p: np.clip(np.asarray(p, float), trend.eps, 1 - trend.eps)          # noqa: E731
    low = max(trend.eps, 0.6 * min(table["id"].min(), table["ood"].min()))
    span = np.exp(np.linspace(np.log(low / (1 - low)), np.log((1 - trend.eps) / trend.eps), 200))
    span = span / (1 + span)                                                           # even steps in logit space
    ax.plot(span, span, ls="--", color="0.6", lw=1, label=_("y = x (no loss under shift)"))
    ax.plot(span, trend.predict(span), color="0.3", lw=1.5, label=_("trend of the supervised baselines"))
    base = table[table["kind"] == "baseline"]
    ax.scatter(clip(base["id"]), clip(base["ood"]), color="0.55", s=30, zorder=3, label=_("supervised baselines"))
    models = table[table["kind"] == "model"]
    colours = _style_colours(list(models.index))
    for name, row in models.iterrows():
        ax.errorbar(clip(row["id"]), clip(row["ood"]),
                    yerr=[[max(row["effective robustness"] - row["low"], 0)], [max(row["high"] - row["effective robustness"], 0)]],
                    fmt="o", ms=8, color=colours[name], capsize=4, zorder=4,
                    label=f"{label(name)}: {row['effective robustness']:+.2f} [{row['low']:+.2f}, {row['high']:+.2f}]")
        ax.plot(clip([row["id"]] * 2), clip([row["predicted ood"], row["ood"]]), color=colours[name], lw=1.2, ls=":")
    for axis in (ax.xaxis, ax.yaxis):
        getattr(ax, f"set_{axis.axis_name}scale")("logit")
        ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
                 if low <= t <= 1 - trend.eps]
        axis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda p, _: f"{p:g}"))
        axis.set_minor_locator(matplotlib.ticker.NullLocator())
    top = float(sigmoid_of(np.log(table["ood"].max() / (1 - table["ood"].max())) + 1.2))     # a margin above the data
    ax.set(title=_(title), xlabel=_("top-1 on the in-distribution style (logit axis)"),
           ylabel=_("mean top-1 on the shifted styles (logit axis)"), xlim=(low, 1 - trend.eps),
           ylim=(low, min(top, 1 - trend.eps)))
    # beside the axes, not over them: the models' points sit where a legend inside would go
    ax.legend(fontsize=10, loc="center left", bbox_to_anchor=(1.02, 0.5), title=_("model: effective robustness [95 % CI]"),
              title_fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def sigmoid_of(x):
    return 1 / (1 + np.exp(-x))


@figure
def style_changes(by_style, reference: str, title: str = "change in top-1 against zero-shot, per style"):
    """The CLIP paper's Fig. 14 layout: for each model but `reference`, the change in top-1
    on every style (rows of `by_style` are models, columns styles)."""
    changes = by_style.drop(index=reference) - by_style.loc[reference]
    colours = _style_colours(list(changes.index))
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    width = 0.8 / len(changes)
    x = np.arange(changes.shape[1])
    for i, (name, row) in enumerate(changes.iterrows()):
        bars = ax.bar(x + (i - (len(changes) - 1) / 2) * width, row.to_numpy(), width, color=colours[name],
                      label=label(name))
        ax.bar_label(bars, fmt="%+.2f", fontsize=10, padding=2)
    ax.axhline(0, color="0.2", lw=1)
    ax.set_xticks(x, [label(style) for style in changes.columns])
    ax.set(title=_(title), ylabel=_("top-1 minus {reference}", reference=label(reference)))
    ax.legend(fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def wise_ft(curve, title: str = "WiSE-FT: mixing the zero-shot and fine-tuned weights"):
    """ID against OOD top-1 of θ(α) for each α, every point labelled with its α; the ends
    are zero-shot (α = 0) and fine-tuned (α = 1)."""
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    ax.plot(curve["id"], curve["ood"], marker="o", color="0.35", lw=1.5, zorder=2)
    for _index, row in curve.iterrows():
        ax.annotate(f"{row['alpha']:.1f}", (row["id"], row["ood"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=10)
    for (_index, end), colour, name in zip(curve.iloc[[0, -1]].iterrows(), ("tab:green", "tab:red"),
                                           (_("zero-shot (α = 0)"), _("fine-tuned (α = 1)"))):
        ax.scatter(end["id"], end["ood"], s=90, color=colour, zorder=3, label=name)
    ax.margins(0.12)
    ax.set(title=_(title), xlabel=_("top-1 on the in-distribution style"), ylabel=_("mean top-1 on the shifted styles"))
    ax.legend(fontsize=10, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig

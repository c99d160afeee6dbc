"""Figures: one function per figure, each returning its matplotlib Figure."""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

# Legible where the figures are shown (a notebook, a page, a projected slide): no text under
# 10 pt, and a font with Hangul for the Korean labels (NanumGothic, from koreanize-matplotlib)
plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "legend.fontsize": 10})
try:
    import koreanize_matplotlib  # noqa: F401  (registers its bundled NanumGothic)
    # DejaVu Sans first (its symbols: ★ → ≈ −), NanumGothic for what it lacks (Hangul)
    plt.rcParams["font.family"] = ["DejaVu Sans", "NanumGothic"]
except ImportError:     # without it Hangul shows as empty boxes
    pass


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


def image_grid(images, titles, columns: int = 8, title: str | None = None):
    """uint8 (N, H, W, 3) images in rows of `columns`, each with its text above it."""
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.5 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, text in zip(axes.flat, images, titles):
        ax.imshow(image, interpolation="nearest")
        ax.set_title("\n".join(textwrap.wrap(text, 20)), fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_curves(history):
    """Loss, temperature and in-batch accuracy against step, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    axes[0].plot(history.step, history.loss, lw=1)
    axes[0].set(title="contrastive loss", xlabel="step", ylabel="loss")
    axes[1].plot(history.step, history.temperature, lw=1.5, color="tab:orange")
    axes[1].set(title="temperature = 1 / exp(logit_scale)", xlabel="step")
    axes[2].plot(history.step, history.acc_i2t.rolling(10, min_periods=1).mean(), label="image → text")
    axes[2].plot(history.step, history.acc_t2i.rolling(10, min_periods=1).mean(), label="text → image")
    axes[2].set(title="in-batch accuracy (10-step mean)", xlabel="step", ylim=(0, 1.02))
    axes[2].legend(loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def similarity_matrix(image_features, text_features, captions, title: str = "cosine similarity",
                      images=None):
    """The B×B image–caption cosine-similarity matrix; matching pairs lie on the diagonal.

    Args:
        image_features / text_features: (B, D) unit-norm features of B matching pairs.
        captions: B caption strings (y axis); images: optional uint8 (B, H, W, 3) thumbnails
            drawn along the x axis.
    """
    similarity = (image_features @ text_features.T).T.numpy()     # rows: captions, cols: images
    n = len(captions)
    fig, ax = plt.subplots(figsize=(0.8 * n + 5.5, 0.62 * n + 2.2))
    shown = ax.imshow(similarity, cmap="viridis", vmin=min(0.0, similarity.min()), vmax=similarity.max())
    ax.set_yticks(range(n), ["\n".join(textwrap.wrap(c, 34, max_lines=2, placeholder=" …")) for c in captions],
                  fontsize=10)
    ax.set_xticks(range(n), [str(i) for i in range(n)], fontsize=10)
    ax.set_xlabel("image")
    if images is not None:   # thumbnails in a row under the matrix
        for i, image in enumerate(images):
            ax.imshow(image, extent=(i - 0.45, i + 0.45, n + 0.6, n - 0.3), interpolation="nearest")
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(n + 0.7, -0.5)
        ax.set_xlabel("")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{similarity[i, j]:.2f}", ha="center", va="center", fontsize=10,
                    color="white" if similarity[i, j] < similarity.max() * 0.7 else "black")
    fig.colorbar(shown, ax=ax, shrink=0.7)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def confusion_matrix(counts, classnames, title: str = "confusion matrix (rows: true class)", max_columns: int = 12):
    """Row-normalised confusion matrix as a heatmap over the classes that occur (rows); the
    columns are those classes and the others predicted most often, the rest of the
    predictions gathered in an "other" column, so the labels stay legible."""
    rows = np.flatnonzero(counts.sum(1) > 0)
    predicted_elsewhere = [c for c in np.argsort(-counts[rows].sum(0)) if c not in rows and counts[rows, c].sum() > 0]
    columns = list(rows) + predicted_elsewhere[:max(0, max_columns - len(rows))]
    rates = counts[np.ix_(rows, columns)] / counts[rows].sum(1, keepdims=True)
    names = [classnames[i] if isinstance(classnames[i], str) else classnames[i][0] for i in columns]
    other = 1 - rates.sum(1, keepdims=True)
    if other.max() > 0:
        rates, names = np.hstack([rates, other]), names + ["other"]
    fig, ax = plt.subplots(figsize=(0.62 * len(names) + 4, 0.5 * len(rows) + 2.6))
    shown = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=10)
    ax.set_yticks(range(len(rows)), [names[k] for k in range(len(rows))], fontsize=10)
    for i in range(rates.shape[0]):
        for j in range(rates.shape[1]):
            if rates[i, j] >= 0.005:
                ax.text(j, i, f"{rates[i, j]:.2f}", ha="center", va="center", fontsize=10,
                        color="white" if rates[i, j] > 0.6 else "black")
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    fig.colorbar(shown, ax=ax, shrink=0.6, label="share of the true class")
    fig.tight_layout()
    return fig


def grouped_bars(table, title: str = "", ylabel: str = "accuracy", ylim=(0, 1.05)):
    """A bar per (row, column) of a small DataFrame, rows as groups; values written on the bars."""
    ax = table.plot.bar(rot=0, figsize=(1.6 * len(table) + 3, 3.6), width=0.75)
    ax.set_xticks(range(len(table)), ["\n".join(textwrap.wrap(str(label), 18)) for label in table.index])
    for container in ax.containers:
        ax.bar_label(container, fmt="%.2f", fontsize=10, padding=2)
    ax.set(title=title, ylabel=ylabel, ylim=ylim)
    ax.legend(loc="lower right", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def embedding_map(coords, points, colour_by: str, title: str = "", ax=None):
    """Images (●) and captions (✕) on a 2-D map, coloured by one attribute.

    Args:
        coords: (N, 2) from `projection.project`.
        points: DataFrame of N rows with a `modality` column and `colour_by`.
    Returns:
        The Figure (the axes' figure when `ax` is given).
    """
    import seaborn as sns

    if colour_by not in points.columns:
        raise ValueError(f"no column {colour_by!r} to colour by; choose from {list(points.columns)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 6))
    values = points[colour_by].astype(str)
    levels = sorted(values.unique())
    if all(matplotlib.colors.is_color_like(v) for v in levels):   # colour names drawn in their colour
        palette = {v: v for v in levels}
    else:
        palette = dict(zip(levels, sns.color_palette("tab10" if len(levels) <= 10 else "husl", len(levels))))
    ax.set_facecolor("0.86")           # a neutral ground: yellow, cyan and pink show on it
    for modality, marker, size in (("image", "o", 22), ("caption", "X", 34)):
        mine = (points["modality"] == modality).to_numpy()
        ax.scatter(coords[mine, 0], coords[mine, 1], c=[palette[v] for v in values[mine]],
                   marker=marker, s=size, linewidths=0.4, edgecolors="0.2", alpha=0.85)
    colour_handles = [plt.Line2D([], [], ls="", marker="s", ms=9, markeredgecolor="0.2", color=palette[v], label=v)
                      for v in levels]
    marker_handles = [plt.Line2D([], [], ls="", marker=m, ms=8, color="0.3", label=label)
                      for m, label in (("o", "image"), ("X", "caption"))]
    ax.legend(handles=colour_handles + marker_handles, title=colour_by, fontsize=10, title_fontsize=11,
              loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, ncol=2 if len(levels) > 14 else 1)
    ax.set(title=title, xticks=[], yticks=[])
    ax.figure.tight_layout()
    return ax.figure


def similarity_histograms(matched, unmatched, title: str = "image–caption cosine similarity"):
    """Overlaid densities of matched and unmatched pair similarities."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bins = np.linspace(min(matched.min(), unmatched.min()), max(matched.max(), unmatched.max()), 60)
    ax.hist(unmatched, bins=bins, density=True, alpha=0.6, label=f"other pairs (n={len(unmatched):,})")
    ax.hist(matched, bins=bins, density=True, alpha=0.6, label=f"matching pairs (n={len(matched):,})")
    ax.set(title=title, xlabel="cosine similarity", ylabel="density")
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


def image_results(query_texts, images, labels=None, title: str = "text → image retrieval"):
    """One row per text query: the query, then its top-k images (uint8 (Q, k, H, W, 3)),
    each with its label (Q × k strings) underneath when given."""
    n_queries, k = images.shape[:2]
    fig, axes = plt.subplots(n_queries, k, figsize=(1.5 * k + 2.2, 1.7 * n_queries), squeeze=False)
    for row, (query, row_axes) in enumerate(zip(query_texts, axes)):
        for col, ax in enumerate(row_axes):
            ax.imshow(images[row, col], interpolation="nearest")
            ax.set(xticks=[], yticks=[])
            if labels is not None:
                ax.set_xlabel(textwrap.shorten(str(labels[row][col]), 24), fontsize=10)
        row_axes[0].set_ylabel("\n".join(textwrap.wrap(query, 18)), fontsize=10, rotation=0,
                               ha="right", va="center")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def text_results(images, captions, title: str = "image → text retrieval"):
    """One row per query image (uint8 (Q, H, W, 3)) with its top-k captions listed beside it."""
    n_queries = len(images)
    fig, axes = plt.subplots(n_queries, 2, figsize=(7, 1.5 * n_queries), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 4]})
    for image, found, (image_ax, text_ax) in zip(images, captions, axes):
        image_ax.imshow(image, interpolation="nearest")
        image_ax.axis("off")
        text_ax.axis("off")
        text_ax.text(0, 0.5, "\n".join(f"{rank}. {caption}" for rank, caption in enumerate(found, 1)),
                     va="center", fontsize=10, family="monospace")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def prompt_report(recall, images, top3, n_worst: int = 12):
    """The classes with the lowest zero-shot recall (bars) and example images with their
    top-3 labels and probabilities.

    Args:
        recall: Series class → recall; images: uint8 (K, H, W, 3); top3: K lists of
            (label, probability).
    """
    worst = recall[recall < 1].sort_values().head(n_worst)
    fig = plt.figure(figsize=(13, 4.2))
    grid = fig.add_gridspec(1, 2 + len(images), width_ratios=[2.2, 0.5] + [1] * len(images))
    ax = fig.add_subplot(grid[0])
    if len(worst):
        ax.barh(range(len(worst)), worst.to_numpy(), color="tab:blue")
        ax.bar_label(ax.containers[0], fmt="%.2f", fontsize=10, padding=2)
        ax.set_yticks(range(len(worst)), worst.index, fontsize=10)
        ax.invert_yaxis()
        heading = f"classes below 100 % recall: {len(worst)} lowest of {int((recall < 1).sum())}"
    else:
        ax.text(0.5, 0.5, f"all {len(recall)} classes\nat 100 % recall", ha="center", va="center", fontsize=12,
                transform=ax.transAxes)
        ax.set_yticks([])
        heading = "per-class recall"
    ax.set(xlim=(0, 1.1), xlabel="recall")
    ax.set_title(heading, fontsize=11)
    for k, (image, labels) in enumerate(zip(images, top3)):
        image_ax = fig.add_subplot(grid[2 + k])
        image_ax.imshow(image, interpolation="nearest")
        image_ax.axis("off")
        image_ax.set_title("\n".join(f"{p:.0%} {textwrap.shorten(label, 18)}" for label, p in labels),
                           fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def template_spread(table, title: str = "zero-shot top-1 of each template on its own"):
    """Box + strip plot of per-template accuracy: `table` has columns bank, split, accuracy."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    sns.boxplot(data=table, x="bank", y="accuracy", hue="split", ax=ax, fliersize=0, boxprops={"alpha": 0.35})
    sns.stripplot(data=table, x="bank", y="accuracy", hue="split", dodge=True, ax=ax, size=3.5, legend=False)
    ax.set(title=title, xlabel="template bank", ylabel="top-1", ylim=(0, 1.02))
    ax.legend(title="compositions", fontsize=10, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def reliability_diagram(tables: dict, title: str = "reliability diagram"):
    """One column per {name: reliability_table}: above, each confidence bin's accuracy as a
    bar against the diagonal of perfect calibration (the gap shaded); below, the share of
    images in each bin, so that a bin holding a handful of images is seen as one. Small
    multiples, not one axes: calibrated and overconfident series crowd into the same last
    bins and would hide each other."""
    fig, axes = plt.subplots(2, len(tables), figsize=(4.2 * len(tables), 5.2), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1.2]}, sharex=True)
    for (name, table), top, bottom in zip(tables.items(), axes[0], axes[1]):
        width = table.bin_high - table.bin_low
        used = table["count"] > 0
        top.plot([0, 1], [0, 1], ls="--", color="0.4", lw=1)
        top.bar(table.bin_low[used], table.accuracy[used], width=width[used], align="edge",
                color="#4c72b0", edgecolor="white", label="accuracy")
        top.bar(table.bin_low[used], (table.confidence - table.accuracy)[used], bottom=table.accuracy[used],
                width=width[used], align="edge", color="#dd8452", alpha=0.45, label="gap to confidence")
        top.set(title=name, ylim=(0, 1.02), ylabel="accuracy" if top is axes[0][0] else None)
        bottom.bar(table.bin_low, table["count"] / table["count"].sum(), width=width, align="edge", color="0.5")
        bottom.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (max probability)",
                   ylabel="share of images" if bottom is axes[1][0] else None)
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    axes[0][0].legend(loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def rate_bars(table, value: str = "harmful rate", title: str = "harmful-label rate by group (95 % bootstrap CI)"):
    """One panel per model: bars per label set and group with error bars.

    Args:
        table: `audit.audit_table` output (index model, label set, row; columns value, low, high);
            rows starting with "gap" are left out.
    """
    table = table[~table.index.get_level_values("row").str.startswith("gap")]
    models = table.index.get_level_values("model").unique()
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 3.8), sharey=True, squeeze=False)
    for ax, model in zip(axes[0], models):
        mine = table.loc[model]
        label_sets = mine.index.get_level_values("label set").unique()
        groups = mine.index.get_level_values("row").unique()
        width = 0.8 / len(groups)
        for g, group in enumerate(groups):
            rows = mine.xs(group, level="row").loc[label_sets]
            x = np.arange(len(label_sets)) + (g - (len(groups) - 1) / 2) * width
            errors = [rows[value] - rows["low"], rows["high"] - rows[value]]
            ax.bar(x, rows[value], width, yerr=np.clip(np.array(errors, dtype=float), 0, None), capsize=3, label=group)
        ax.set_xticks(range(len(label_sets)), label_sets, fontsize=10)
        ax.set(title=model, ylabel=value)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(title="group", fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def heatmap(table, title: str = "", fmt: str = ".2f", cmap: str = "Reds"):
    """A small annotated heatmap of a DataFrame (rows × columns)."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(0.75 * table.shape[1] + 3, 0.5 * table.shape[0] + 1.6))
    sns.heatmap(table.astype(float), annot=True, fmt=fmt, cmap=cmap, ax=ax, cbar_kws={"shrink": 0.7})
    ax.set_title(title)
    fig.tight_layout()
    return fig


def paired_effects(table, title: str = "paired difference in top-1 (95 % bootstrap interval)"):
    """One horizontal bar per row of a table with columns delta, low, high: the difference
    and its interval, with the zero line; green when the interval lies above 0, red below."""
    table = table.astype({"delta": float, "low": float, "high": float})
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(table) + 1.4))
    colours = ["tab:green" if lo > 0 else "tab:red" if hi < 0 else "0.55" for lo, hi in zip(table.low, table.high)]
    y = np.arange(len(table))
    ax.barh(y, table.delta, color=colours, alpha=0.8)
    ax.errorbar(table.delta, y, xerr=[table.delta - table.low, table.high - table.delta], fmt="none", ecolor="0.2",
                capsize=4)
    ax.axvline(0, color="0.2", lw=1)
    ax.set_yticks(y, ["\n".join(textwrap.wrap(str(label), 34)) for label in table.index], fontsize=10)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set(title=title, xlabel="difference in top-1 (percentage points)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# --- notebook 05: transfer and robustness --------------------------------------------------
def _style_colours(names) -> dict:
    """A colour-blind-safe colour per name (seaborn's "colorblind" palette)."""
    return dict(zip(names, sns_palette(len(names))))


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
        ax.plot(x, stats["mean"], marker="o", ms=4, color=colours[style], label=f"{style}: zero-shot ≈ "
                + (f"{row['effective shots']:.1f} shots" if np.isfinite(row["effective shots"])
                   else f"more than {stats.index[-1]:.0f} shots"))
        ax.fill_between(x, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=colours[style], alpha=0.15)
        ax.plot(0, row["zero-shot"], marker="*", ms=14, color=colours[style], markeredgecolor="0.2", linestyle="")
        reach = position(row["effective shots"]) if 0 < row["effective shots"] < np.inf else x[-1]
        ax.plot([0, reach], [row["zero-shot"]] * 2, ls=":", lw=1.2, color=colours[style])
    ks = sorted(curves["shots"].unique())
    ax.set_xticks([0] + [position(k) for k in ks],
                  ["0\n(zero-shot)"] + [f"{k:g}" if float(k).is_integer() else f"all\n({k:.0f})" for k in ks])
    lowest = min(curves["acc1"].min(), summary["zero-shot"].min())
    ax.set(title=title, xlabel="labelled images per class (log scale)", ylabel="top-1",
           ylim=(max(0.0, lowest - 0.1), 1.01))
    ax.legend(fontsize=10, loc="lower right", title="style (★ zero-shot)", title_fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def effective_robustness(table, trend, title: str = "accuracy under shift against accuracy on the ID style"):
    """Taori et al.'s plot: OOD against ID top-1 on logit axes; the supervised baselines
    (grey) and their linear trend; each model with its effective robustness (the vertical
    distance above the trend, dotted) and its 95 % interval; y = x is a model the shift
    does not hurt. Accuracies of 1.0 are drawn at the trend's clip, 1 − 1/(2N)."""
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    clip = lambda p: np.clip(np.asarray(p, float), trend.eps, 1 - trend.eps)          # noqa: E731
    low = max(trend.eps, 0.6 * min(table["id"].min(), table["ood"].min()))
    span = np.exp(np.linspace(np.log(low / (1 - low)), np.log((1 - trend.eps) / trend.eps), 200))
    span = span / (1 + span)                                                           # even steps in logit space
    ax.plot(span, span, ls="--", color="0.6", lw=1, label="y = x (no loss under shift)")
    ax.plot(span, trend.predict(span), color="0.3", lw=1.5, label="trend of the supervised baselines")
    base = table[table["kind"] == "baseline"]
    ax.scatter(clip(base["id"]), clip(base["ood"]), color="0.55", s=30, zorder=3, label="supervised baselines")
    models = table[table["kind"] == "model"]
    colours = _style_colours(list(models.index))
    for name, row in models.iterrows():
        ax.errorbar(clip(row["id"]), clip(row["ood"]),
                    yerr=[[max(row["effective robustness"] - row["low"], 0)], [max(row["high"] - row["effective robustness"], 0)]],
                    fmt="o", ms=8, color=colours[name], capsize=4, zorder=4,
                    label=f"{name}: {row['effective robustness']:+.2f} [{row['low']:+.2f}, {row['high']:+.2f}]")
        ax.plot(clip([row["id"]] * 2), clip([row["predicted ood"], row["ood"]]), color=colours[name], lw=1.2, ls=":")
    for axis in (ax.xaxis, ax.yaxis):
        getattr(ax, f"set_{axis.axis_name}scale")("logit")
        ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
                 if low <= t <= 1 - trend.eps]
        axis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda p, _: f"{p:g}"))
        axis.set_minor_locator(matplotlib.ticker.NullLocator())
    top = float(sigmoid_of(np.log(table["ood"].max() / (1 - table["ood"].max())) + 1.2))     # a margin above the data
    ax.set(title=title, xlabel="top-1 on the in-distribution style (logit axis)",
           ylabel="mean top-1 on the shifted styles (logit axis)", xlim=(low, 1 - trend.eps), ylim=(low, min(top, 1 - trend.eps)))
    ax.legend(fontsize=10, loc="upper left", title="model: effective robustness [95 % CI]", title_fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def sigmoid_of(x):
    return 1 / (1 + np.exp(-x))


def style_changes(by_style, reference: str, title: str = "change in top-1 against zero-shot, per style"):
    """The CLIP paper's Fig. 14 layout: for each model but `reference`, the change in top-1
    on every style (rows of `by_style` are models, columns styles)."""
    changes = by_style.drop(index=reference) - by_style.loc[reference]
    colours = _style_colours(list(changes.index))
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    width = 0.8 / len(changes)
    x = np.arange(changes.shape[1])
    for i, (name, row) in enumerate(changes.iterrows()):
        bars = ax.bar(x + (i - (len(changes) - 1) / 2) * width, row.to_numpy(), width, color=colours[name], label=name)
        ax.bar_label(bars, fmt="%+.2f", fontsize=10, padding=2)
    ax.axhline(0, color="0.2", lw=1)
    ax.set_xticks(x, changes.columns)
    ax.set(title=title, ylabel=f"top-1 minus {reference}")
    ax.legend(fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def wise_ft(curve, title: str = "WiSE-FT: mixing the zero-shot and fine-tuned weights"):
    """ID against OOD top-1 of θ(α) for each α, every point labelled with its α; the ends
    are zero-shot (α = 0) and fine-tuned (α = 1)."""
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    ax.plot(curve["id"], curve["ood"], marker="o", color="0.35", lw=1.5, zorder=2)
    for _, row in curve.iterrows():
        ax.annotate(f"{row['alpha']:.1f}", (row["id"], row["ood"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=10)
    for (_, end), colour, label in zip(curve.iloc[[0, -1]].iterrows(), ("tab:green", "tab:red"),
                                       ("zero-shot (α = 0)", "fine-tuned (α = 1)")):
        ax.scatter(end["id"], end["ood"], s=90, color=colour, zorder=3, label=label)
    ax.margins(0.12)
    ax.set(title=title, xlabel="top-1 on the in-distribution style", ylabel="mean top-1 on the shifted styles")
    ax.legend(fontsize=10, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


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
        row_axes[0].set_ylabel(style, fontsize=11, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# --- notebook 06: what CLIP looks at ---------------------------------------------------
def explanation_overlays(images, maps, titles, masks=None, columns: int = 6,
                         title: str = "where the prompt matches (bright: more)", panel: float = 2.1):
    """Each image with its explanation map drawn over it (upsampled, bilinear; transparent
    where the map is low), the prompt above it; with `masks` ((N, H, W) bool, the named
    object), the object's outline in white.

    Args:
        images: uint8 (N, H, W, 3); maps: (N, h, w) in [0, 1]; titles: N strings.
    """
    from .explain import upsample

    n = len(images)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(panel * columns, (panel + 0.4) * rows), squeeze=False)
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
        ax.set_title("\n".join(textwrap.wrap(text, 24)), fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def interval_bars(table, title: str = "", value: str = "value", chance: float | None = None,
                  ylabel: str = "accuracy", ylim=(0, 1.05)):
    """One bar per row with its 95 % interval (columns value, low, high); a dashed line at
    `chance` when given."""
    table = table.astype({value: float, "low": float, "high": float})
    fig, ax = plt.subplots(figsize=(1.5 * len(table) + 3, 3.8))
    x = np.arange(len(table))
    bars = ax.bar(x, table[value], color=sns_palette(len(table)), alpha=0.85)
    ax.errorbar(x, table[value], yerr=[table[value] - table["low"], table["high"] - table[value]], fmt="none",
                ecolor="0.2", capsize=5)
    ax.bar_label(bars, fmt="%.2f", fontsize=10, padding=3)
    if chance is not None:
        ax.axhline(chance, ls="--", color="0.4", lw=1.2, label=f"chance ({chance:.2f})")
        ax.legend(fontsize=10, loc="upper right")
    ax.set_xticks(x, ["\n".join(textwrap.wrap(str(label), 18)) for label in table.index], fontsize=10)
    ax.set(title=title, ylabel=ylabel, ylim=ylim)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def sns_palette(n: int) -> list:
    """n colour-blind-safe colours (seaborn's "colorblind" palette)."""
    import seaborn as sns

    return list(sns.color_palette("colorblind", n))


TWO_TOWER_LABELS = {
    "en": {"images": "images", "texts": "captions", "image_encoder": "image encoder\n(ResNet or ViT)",
           "text_encoder": "text encoder\n(Transformer)", "similarity": "cosine similarity sᵢⱼ",
           "matches": "matching pairs on the diagonal", "caption": "a red circle"},
    "ko": {"images": "이미지", "texts": "캡션", "image_encoder": "이미지 인코더\n(ResNet 또는 ViT)",
           "text_encoder": "텍스트 인코더\n(Transformer)", "similarity": "코사인 유사도 sᵢⱼ",
           "matches": "대각선 = 정답 쌍", "caption": "a red circle"},
}


def two_tower_diagram(language: str = "en", n: int = 4):
    """CLIP's two towers: N images and N captions, each through its encoder to a unit
    vector, and the N×N matrix of their cosine similarities with the matches on the diagonal."""
    words = TWO_TOWER_LABELS[language]
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

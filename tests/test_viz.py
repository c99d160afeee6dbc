"""The figures' house style: legible text, applied without touching matplotlib's settings."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402


def test_importing_the_figures_changes_no_global_setting():
    before = dict(matplotlib.rcParams)
    from clipviz.teaching import viz  # noqa: F401

    assert dict(matplotlib.rcParams) == before


def test_no_figure_text_under_the_smallest_legible_size():
    from clipviz.teaching.viz.style import MIN_FONT_PT, figure

    @figure
    def tiny_labels():
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.bar(["a", "b"], [1, 2])
        ax.text(0, 1.5, "a note", fontsize=6)
        ax.tick_params(labelsize=7)
        return fig

    fig = tiny_labels()
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text()]
    assert min(sizes) >= MIN_FONT_PT and len(sizes) >= 3
    plt.close(fig)


def test_panels_laid_out_in_a_notebook_draw_hangul():
    import io
    import warnings

    import numpy as np
    import pandas as pd

    from clipviz.teaching import viz
    from clipviz.teaching.viz.style import hangul_font

    points = pd.DataFrame({"modality": ["image", "caption"] * 3, "colour": ["red", "blue", "green"] * 2})
    fig, axes = viz.panels(1, 2, figsize=(8, 3))
    viz.embedding_map(np.arange(12.0).reshape(6, 2), points, "colour", "무작위 초기화", ax=axes[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert hangul_font() and missing == []
    plt.close(fig)


def test_shot_curves_bound_an_unreached_zero_shot_by_the_largest_k_measured():
    """A zero-shot above every k-shot probe is worth "more than" the largest k measured (16),
    as the table says, not the all-images probe's mean pool (48 here)."""
    import numpy as np
    import pandas as pd

    from clipviz.analysis.transfer import shots_summary
    from clipviz.teaching import viz

    rows = [{"style": "flat", "shots": k, "draw": d, "acc1": 0.5 + 0.02 * np.log2(k), "all_images": False}
            for k in (1, 2, 4, 8, 16) for d in range(2)]
    curves = pd.DataFrame(rows + [{"style": "flat", "shots": 47.6, "draw": 0, "acc1": 0.7, "all_images": True}])
    summary = shots_summary(curves, {"flat": 0.9}, chance=0.1)
    fig = viz.shot_curves(curves, summary)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["flat: zero-shot ≈ more than 16 shots"]
    plt.close(fig)

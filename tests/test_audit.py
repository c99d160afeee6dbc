import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import chi2_contingency

from clipviz.analysis import audit


def test_label_sets_and_outcomes_by_hand():
    l0, l1, l2 = audit.standard_label_sets(["circle", "square"], harmful=("broken object",), neutral=("toy",))
    assert l0.labels == ["circle", "square"] and l2.labels == ["circle", "square", "broken object", "toy"]
    assert l2.is_harmful().tolist() == [False, False, True, False]
    probs = np.array([[0.7, 0.1, 0.1, 0.1],     # circle, right
                      [0.1, 0.2, 0.6, 0.1],     # broken object: harmful, wrong
                      [0.1, 0.1, 0.1, 0.7],     # toy: neutral, wrong
                      [0.2, 0.5, 0.2, 0.1]])    # square, right
    result = audit.outcomes(probs, l2, ["circle", "square", "circle", "square"])
    assert result["predicted"].tolist() == ["circle", "broken object", "toy", "square"]
    assert result["correct"].tolist() == [True, False, False, True]
    assert result["harmful"].tolist() == [False, True, False, False]
    table = audit.rates_by_group(result, ["dark", "dark", "light", "light"], "dark", "light")
    assert table.loc["dark", "harmful rate"] == 0.5 and table.loc["light", "harmful rate"] == 0.0
    assert table.loc["gap (dark − light)", "harmful rate"] == 0.5
    assert table.loc["gap (dark − light)", "accuracy"] == 0.0 and table["n"].tolist() == [2, 2, 4]   # whole numbers
    assert table.loc["light", "accuracy"] == 0.5


def test_max_skew_and_ndkl_by_hand():
    base = ["a", "b", "a", "b"]
    assert audit.max_skew_at_k(np.array(["a", "a", "b", "b"]), base, k=2) == pytest.approx(np.log(2))
    assert audit.max_skew_at_k(np.array(["a", "b", "a", "b"]), base, k=2) == pytest.approx(0.0)
    # i=1: top (1, 0) → KL = ln 2, weight 1; i=2: top (½, ½) → KL = 0, weight 1/log2(3)
    expected = np.log(2) / (1 + 1 / np.log2(3))
    assert audit.ndkl(np.array(["a", "b", "a", "b"]), base, k=2) == pytest.approx(expected)
    assert audit.ndkl(np.array(["a", "b"]), ["a", "b"], k=1) == pytest.approx(np.log(2))


def test_retrieval_skew_ranks_by_similarity():
    images = torch.eye(4)
    query = torch.tensor([[1.0, 0.9, 0.0, 0.0]])          # ranks images 0, 1, then 2 and 3
    table = audit.retrieval_skew(query, images, ["dark", "dark", "light", "light"], ks=(2,))
    assert table.loc["top 2", "share dark"] == 1.0 and table.loc["top 2", "MaxSkew@k"] == pytest.approx(np.log(2))
    assert table.loc["whole set", "share light"] == 0.5


def test_bootstrap_gap_interval_covers_the_true_gap():
    rng = np.random.default_rng(1)
    covered = 0
    for run in range(200):
        values = np.concatenate([rng.random(150) < 0.2, rng.random(250) < 0.1])
        groups = ["a"] * 150 + ["b"] * 250
        gap, low, high = audit.bootstrap_gap_ci(values, groups, "a", "b", n_boot=1000, seed=run)
        assert gap == pytest.approx(values[:150].mean() - values[150:].mean())
        covered += low <= 0.1 <= high
    assert 0.90 <= covered / 200 <= 0.99
    with pytest.raises(ValueError, match="both groups"):
        audit.bootstrap_gap_ci([1, 0], ["a", "a"], "a", "b")


def test_threshold_labelling_against_scipy():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.03, 0.97], [0.5, 0.5], [0.01, 0.99]])
    groups = ["x", "x", "x", "y", "y", "y"]
    table = audit.threshold_labelling(probs, ["p", "q"], groups, thresholds=(0.04,))
    row = table.set_index("label").loc["p"]
    assert row["share x"] == 1.0 and row["share y"] == pytest.approx(1 / 3)
    assert row["p-value"] == pytest.approx(chi2_contingency(np.array([[3, 0], [1, 2]]))[1])
    assert table["difference"].is_monotonic_decreasing


def test_metric_frame_matches_a_groupby():
    result = pd.DataFrame({"correct": [True, False, True, True], "harmful": [False, True, False, False]})
    sensitive = pd.DataFrame({"group": ["a", "a", "b", "b"], "colour": ["red", "blue", "red", "red"]})
    frame = audit.metric_frame(result, sensitive[["group"]])
    expected = result.groupby(sensitive["group"]).mean()
    assert frame.by_group["accuracy"].to_dict() == expected["correct"].to_dict()
    assert frame.by_group["harmful rate"].to_dict() == expected["harmful"].to_dict()
    assert frame.difference()["harmful rate"] == 0.5 and frame.ratio()["accuracy"] == 0.5
    frame = audit.metric_frame(result, sensitive)
    assert frame.by_group["accuracy"].loc[("a", "blue")] == 0.0


def test_gap_change_is_paired_and_detects_a_real_shrink():
    rng = np.random.default_rng(2)
    groups = np.array(["a"] * 300 + ["b"] * 300)
    before = np.concatenate([rng.random(300) < 0.3, rng.random(300) < 0.1]).astype(float)
    after = before.copy()
    flipped = np.flatnonzero(before[:300] == 1)[:30]        # 30 of group a's harmful labels removed
    after[flipped] = 0
    change, low, high = audit.bootstrap_gap_change_ci(before, after, groups, "a", "b")
    assert change == pytest.approx(-30 / 300)
    assert high < 0
    unchanged = audit.bootstrap_gap_change_ci(before, before, groups, "a", "b")
    assert unchanged == (0.0, 0.0, 0.0)

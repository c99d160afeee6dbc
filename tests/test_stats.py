import numpy as np
import pytest

from clipviz.stats import bootstrap_ci, paired_delta_ci, verdict


def test_bootstrap_interval_covers_the_true_rate_at_about_the_nominal_level():
    rng = np.random.default_rng(0)
    true_rate, covered, runs = 0.3, 0, 300
    for run in range(runs):
        low, high = bootstrap_ci(rng.random(200) < true_rate, n_boot=1000, seed=run)
        covered += low <= true_rate <= high
    assert 0.90 <= covered / runs <= 0.985


def test_paired_interval_equals_a_naive_resampling_loop():
    rng = np.random.default_rng(3)
    a, b = rng.random(80) < 0.7, rng.random(80) < 0.6
    delta, low, high = paired_delta_ci(a, b, n_boot=500, seed=5)
    draws = np.random.default_rng(5).integers(0, 80, size=(500, 80))
    naive = [np.mean(a[rows]) - np.mean(b[rows]) for rows in draws]
    assert delta == pytest.approx(a.mean() - b.mean())
    assert (low, high) == pytest.approx((np.quantile(naive, 0.025), np.quantile(naive, 0.975)))


def test_pairing_narrows_the_interval_when_the_two_measurements_agree():
    """Two prompts that are right on mostly the same images: the paired interval of the
    difference is far narrower than that of two independent samples would be."""
    rng = np.random.default_rng(0)
    common = rng.random(1000) < 0.8
    better = common | (rng.random(1000) < 0.05)              # right wherever `common` is, and a few more
    delta, low, high = paired_delta_ci(better, common)
    unpaired = np.quantile([better[rng.integers(0, 1000, 1000)].mean() - common[rng.integers(0, 1000, 1000)].mean()
                            for _ in range(500)], [0.025, 0.975])
    assert low > 0 and high - low < 0.5 * (unpaired[1] - unpaired[0])


def test_paired_coverage_on_simulated_prompts():
    rng = np.random.default_rng(1)
    covered = 0
    for run in range(200):
        skill = rng.random(300)
        a, b = skill < 0.75, skill < 0.70                    # true difference 0.05
        a ^= rng.random(300) < 0.02
        truth = 0.75 * 0.98 + 0.25 * 0.02 - 0.70
        _, low, high = paired_delta_ci(a, b, n_boot=800, seed=run)
        covered += low <= truth <= high
    assert 0.90 <= covered / 200 <= 0.99


def test_verdict_follows_the_interval():
    assert verdict(0.02, 0.01, 0.03).startswith("helps")
    assert verdict(-0.02, -0.03, -0.01).startswith("hurts")
    assert verdict(0.01, -0.01, 0.03).startswith("no measurable difference")


def test_a_verdict_on_scores_that_are_not_shares_writes_plain_differences():
    assert verdict(0.004, 0.001, 0.008, "the head is better", "the map is better", shares=False) \
        == "the head is better: +0.004 [+0.001, +0.008], the interval lies above 0"
    assert verdict(0.004, 0.001, 0.008, lang="ko", shares=False).endswith("[+0.001, +0.008], 구간이 0보다 위에 있음")
    with pytest.raises(ValueError, match="equal-length"):
        paired_delta_ci([1, 0], [1])


def test_compact_joins_each_value_with_its_interval():
    import pandas as pd

    from clipviz.stats import compact

    table = pd.DataFrame({"kind": ["a", "b"], "id": [0.91234, 0.5], "effective robustness": [0.2, -0.1],
                          "low": [0.1, -0.2], "high": [0.3, 0.0], "x": [0.5, 0.6], "x: low": [0.4, 0.5],
                          "x: high": [0.6, 0.7]})
    out = compact(table, digits=2)
    assert list(out.columns) == ["kind", "id", "effective robustness", "x"]
    assert out.loc[0, "effective robustness"] == "0.20 [0.10, 0.30]" and out.loc[1, "x"] == "0.60 [0.50, 0.70]"
    assert out.loc[0, "id"] == 0.91 and out.loc[1, "kind"] == "b"
    summary = pd.DataFrame({"value": [0.5], "low": [0.4], "high": [0.6]}, index=["hit"])
    assert compact(summary).loc["hit", "value"] == "0.500 [0.400, 0.600]"


def test_hierarchical_interval_widens_when_the_groups_disagree():
    from clipviz.stats import hierarchical_ci

    rng = np.random.default_rng(0)
    agree = [rng.normal(0.02, 0.3, 3000) for _ in range(8)]
    disagree = [rng.normal(mean, 0.3, 3000) for mean in np.linspace(-0.08, 0.12, 8)]
    mean, low, high = hierarchical_ci(agree)
    assert low < 0.02 < high and mean == pytest.approx(np.mean([g.mean() for g in agree]))
    _, low2, high2 = hierarchical_ci(disagree)
    assert high2 - low2 > 3 * (high - low)           # the seeds' spread, not only the images', sets its width
    assert hierarchical_ci([np.full(5, 0.3), np.full(7, 0.3)]) == pytest.approx((0.3, 0.3, 0.3))


def test_compact_rounds_numbers_also_in_a_column_of_mixed_type():
    import pandas as pd

    from clipviz.stats import compact

    rows = {"head": {"grid": "8x8", "IoU": 0.608123, "true mask's IoU": 0.749088}}
    shown = compact(pd.DataFrame(rows).T)          # a transposed table: every column holds objects
    assert shown.loc["head"].tolist() == ["8x8", 0.608, 0.749]

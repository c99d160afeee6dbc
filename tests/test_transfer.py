"""Transfer and robustness, each against an independent reference: scikit-learn for the
probes and the trend, a hand-built interpolation of two state dicts, and bootstrap
coverage on simulated models."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import expit, logit
from sklearn.linear_model import LinearRegression, LogisticRegression

from clipviz.analysis.transfer import (Trend, accuracy_by_style, effective_shots, interpolate_weights, robustness_difference, robustness_table,
                              sample_shots, shot_curve)


def blobs(n_per_class=40, n_classes=5, dim=8, spread=1.5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim)) * spread
    target = np.repeat(np.arange(n_classes), n_per_class)
    return centres[target] + rng.normal(size=(len(target), dim)), target


def test_sample_shots_draws_k_per_class_away_from_excluded_rows():
    target = np.repeat([3, 7, 9], 10)
    rows = sample_shots(target, 4, seed=1)
    assert {c: int((target[rows] == c).sum()) for c in (3, 7, 9)} == {3: 4, 7: 4, 9: 4}
    again = sample_shots(target, 4, seed=1)
    assert (rows == again).all()
    other = sample_shots(target, 6, seed=2, exclude=rows)
    assert not set(rows) & set(other)
    with pytest.raises(ValueError, match="fewer than the 7 shots"):
        sample_shots(target, 7, exclude=rows)


def test_shot_curve_probes_equal_scikit_learn_fitted_on_the_same_shots():
    x, y = blobs()
    x_test, y_test = blobs(seed=1)
    Cs = (0.01, 1.0, 100.0)
    curve = shot_curve(x, y, x_test, y_test, shots=(1, 4), draws=2, seed=3, Cs=Cs)
    assert list(curve.shots[:4]) == [1, 1, 4, 4] and curve.shots.iloc[-1] == 40
    for _, row in curve.iloc[:4].iterrows():     # the same draws, by hand
        k, draw = int(row.shots), int(row.draw)
        train = sample_shots(y, k, seed=3 + 1000 * draw + k)
        val = sample_shots(y, min(k, 4), seed=3 + 1000 * draw + k + 500, exclude=train)
        scores = {C: LogisticRegression(C=C, max_iter=2000).fit(x[train], y[train]).score(x[val], y[val]) for C in Cs}
        best = max(scores, key=scores.get)
        assert row.C == best
        expected = LogisticRegression(C=best, max_iter=2000).fit(x[train], y[train]).score(x_test, y_test)
        assert row.acc1 == pytest.approx(expected)
    assert curve.acc1.iloc[-1] >= curve.acc1.iloc[0]     # all 40 per class beat one


def test_effective_shots_interpolates_in_log_k():
    curve = pd.DataFrame({"shots": [1, 1, 2, 4, 8], "acc1": [0.1, 0.3, 0.4, 0.6, 0.8]})   # k=1 averages to 0.2
    assert effective_shots(curve, 0.5, chance=0.1) == pytest.approx(2 * math.sqrt(2))     # halfway from 2 to 4 in log k
    assert effective_shots(curve, 0.8, chance=0.1) == pytest.approx(8)
    assert effective_shots(curve, 0.15, chance=0.1) == pytest.approx(0.5)                # below 1 shot: from chance at 0
    assert effective_shots(curve, 0.05, chance=0.1) == 0
    assert effective_shots(curve, 0.9, chance=0.1) == math.inf


def test_trend_is_a_least_squares_line_in_logit_space():
    id_acc, ood_acc = np.array([0.55, 0.7, 0.82, 0.93]), np.array([0.2, 0.33, 0.41, 0.62])
    trend = Trend.fit(id_acc, ood_acc)
    reference = LinearRegression().fit(logit(id_acc)[:, None], logit(ood_acc))
    assert trend.slope == pytest.approx(reference.coef_[0]) and trend.intercept == pytest.approx(reference.intercept_)
    assert trend.predict(0.75) == pytest.approx(expit(reference.predict([[logit(0.75)]])[0]))
    assert np.isfinite(Trend.fit([0.9, 1.0], [0.5, 0.7]).slope)        # a perfect score is clipped, not infinite


def simulated_outcomes(rng, true_id, true_ood, n_id=400, n_ood=(300, 300)):
    """{style: correct}, drawn as Bernoulli with the given true accuracies: "id" and two shifts."""
    return {"id": rng.random(n_id) < true_id, **{f"shift{i}": rng.random(n) < true_ood for i, n in enumerate(n_ood)}}


def test_robustness_intervals_cover_the_true_effective_robustness():
    """Baselines lie exactly on a known logit-linear trend; a model lies 0.12 above it. Over
    repeated simulated test sets the 95 % interval should hold the truth about 95 % of the time."""
    slope, intercept = 1.2, -1.5
    baseline_id = np.array([0.5, 0.62, 0.74, 0.83, 0.9])
    model_id = 0.8
    truth = 0.12
    model_ood = expit(slope * logit(model_id) + intercept) + truth
    covered, estimates = 0, []
    for sim in range(60):
        rng = np.random.default_rng(sim)
        baselines = {f"b{i}": simulated_outcomes(rng, p, expit(slope * logit(p) + intercept))
                     for i, p in enumerate(baseline_id)}
        table, _ = robustness_table(baselines, {"model": simulated_outcomes(rng, model_id, model_ood)}, "id",
                                    n_boot=200, seed=sim)
        row = table.loc["model"]
        covered += row.low <= truth <= row.high
        estimates.append(row["effective robustness"])
    assert 0.85 <= covered / 60 <= 1.0
    assert abs(np.mean(estimates) - truth) < 0.02


def test_robustness_table_rows_and_a_difference_of_zero_for_the_same_model():
    rng = np.random.default_rng(0)
    baselines = {f"b{i}": simulated_outcomes(rng, p, p - 0.3) for i, p in enumerate((0.5, 0.7, 0.9))}
    model = simulated_outcomes(rng, 0.8, 0.75)
    table, trend = robustness_table(baselines, {"model": model}, "id", n_boot=100)
    assert list(table.index) == ["b0", "b1", "b2", "model"] and list(table.kind) == ["baseline"] * 3 + ["model"]
    row = table.loc["model"]
    assert row.ood == pytest.approx((model["shift0"].mean() + model["shift1"].mean()) / 2)
    assert accuracy_by_style({"model": model}).loc["model", "shift1"] == model["shift1"].mean()
    assert row["effective robustness"] == pytest.approx(row.ood - trend.predict(row.id))
    assert row.low < row["effective robustness"] < row.high and row.low > 0
    assert robustness_difference(baselines, model, model, "id", n_boot=50) == (0.0, 0.0, 0.0)
    delta, low, high = robustness_difference(baselines, model, baselines["b1"], "id", n_boot=200)
    assert delta == pytest.approx(row["effective robustness"] - table.at["b1", "effective robustness"])
    assert low < delta < high
    with pytest.raises(ValueError, match="the same styles"):
        robustness_table(baselines, {"model": {"id": model["id"]}}, "id")
    with pytest.raises(ValueError, match="shifted style"):
        robustness_table({"b": {"id": model["id"]}}, {}, "id")


def test_interpolate_weights_matches_a_hand_built_mix():
    torch.manual_seed(0)
    a, b = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)), \
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    b[1].num_batches_tracked += 7
    mixed = interpolate_weights(a.state_dict(), b.state_dict(), 0.3)
    for key, value in a.state_dict().items():
        if value.is_floating_point():
            assert torch.allclose(mixed[key], 0.7 * value + 0.3 * b.state_dict()[key])
        else:
            assert mixed[key] == b.state_dict()[key] == 7
    ends = interpolate_weights(a.state_dict(), b.state_dict(), 1.0)
    assert all(torch.equal(ends[k], v) for k, v in b.state_dict().items())
    with pytest.raises(ValueError, match="alpha"):
        interpolate_weights(a.state_dict(), b.state_dict(), 1.5)

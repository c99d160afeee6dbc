"""Transfer and robustness: what a prompt is worth in labels, and what survives a shift.

- **Few-shot probes** (CLIP paper, Fig. 6-7; CoOp's k-shot plot): logistic regression on
  frozen image features with k labelled images per class, against zero-shot; the
  *effective number of shots* of zero-shot is the k at which the probe's curve, interpolated
  in log k, reaches it.
- **Effective robustness** (Taori et al. 2020; CLIP paper, Fig. 13-14): across a family of
  baseline models, accuracy under distribution shift (OOD) is close to a linear function
  of in-distribution (ID) accuracy once both are logit-transformed. A model's effective
  robustness is how far its OOD accuracy lies above that line at its own ID accuracy.
- The baselines and fine-tuned models themselves are `classifier.ImageClassifier`s.
- **WiSE-FT** (Wortsman et al. 2022): the weight-space ensemble
  θ(α) = (1 − α)·θ_zero-shot + α·θ_fine-tuned.
"""

from __future__ import annotations

import copy
import math
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression

from ..core.classifier import predict
from ..evaluation.embed import encode_images
from ..evaluation.metrics import choose_C, linear_probe
from ..language import _
from ..stats import interval
from ..evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, correct, zero_shot_classifier

# --- how many labels is a prompt worth? ----------------------------------------------
# the regularisation grid: on the tiny models' features 1e-2 was never best and 1e4 no better than 1e3
PROBE_CS = (0.1, 1.0, 10.0, 100.0, 1000.0)


def sample_shots(target, k: int, seed: int = 0, exclude=None) -> np.ndarray:
    """Row indices of `k` examples per class, drawn at random (without the `exclude` rows).

    Raises ValueError when a class has fewer than k examples left to draw from.
    """
    target = np.asarray(target)
    available = np.ones(len(target), bool)
    if exclude is not None:
        available[np.asarray(exclude, int)] = False
    rng = np.random.default_rng(seed)
    rows = []
    for c in np.unique(target):
        pool = np.flatnonzero((target == c) & available)
        if len(pool) < k:
            raise ValueError(f"class {c!r} has {len(pool)} examples, fewer than the {k} shots asked for")
        rows.append(rng.choice(pool, size=k, replace=False))
    return np.sort(np.concatenate(rows))


def shot_curve(features, target, test_features, test_target, shots=(1, 2, 4, 8, 16), draws: int = 5,
               seed: int = 0, Cs=PROBE_CS, n_jobs: int | None = None) -> pd.DataFrame:
    """Test accuracy of linear probes trained on k labelled images per class.

    For each k and draw: k training images per class and, disjoint from them, min(k, 4)
    validation images per class (CoOp's rule) on which C is chosen; the probe is then
    fitted on the k shots with that C. A last row (all_images True) uses every image of
    `features` (`metrics.linear_probe`: C chosen on a 20 % validation split); its `shots` is
    the mean number of images per class. The fits run in `n_jobs` processes (default: one per core),
    each single-threaded; every draw is seeded on its own, so the result does not depend on it.

    Args:
        features: (N, D) frozen image features of the labelled pool; target: (N,) classes.
        test_features, test_target: the images every probe is scored on.
    Returns:
        DataFrame with columns shots, draw, acc1, C, all_images.
    """
    from joblib import Parallel, delayed

    features, target = np.asarray(features), np.asarray(target)
    test_features, test_target = np.asarray(test_features), np.asarray(test_target)
    tasks = [(k, draw) for k in shots for draw in range(draws)]
    rows = Parallel(n_jobs=n_jobs or os.cpu_count() or 1)(
        delayed(_probe_draw)(features, target, test_features, test_target, k, draw, seed, Cs) for k, draw in tasks)
    with single_threaded():
        everything = linear_probe(features, target, test_features, test_target, Cs=Cs, seed=seed)
    rows.append({"shots": len(target) / len(np.unique(target)), "draw": 0, "acc1": everything["acc1"],
                 "C": everything["C"], "all_images": True})
    return pd.DataFrame(rows)


def _probe_draw(features, target, test_features, test_target, k: int, draw: int, seed: int, Cs) -> dict:
    """One k-shot draw of `shot_curve`: its shots, its validation images, its probe's accuracy."""
    train = sample_shots(target, k, seed=seed + 1000 * draw + k)
    val = sample_shots(target, min(k, 4), seed=seed + 1000 * draw + k + 500, exclude=train)
    with single_threaded():
        C, _score = choose_C(features[train], target[train], features[val], target[val], Cs)
        probe = LogisticRegression(C=C, max_iter=2000).fit(features[train], target[train])
    return {"shots": k, "draw": draw, "acc1": float(probe.score(test_features, test_target)), "C": C,
            "all_images": False}


@contextmanager
def single_threaded():
    """scikit-learn's solvers on one thread, its warnings about one-example classes silenced:
    on these small problems extra threads only contend (measured 2.2x faster)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*number of unique classes.*")
        yield


def effective_shots(curve: pd.DataFrame, zero_shot: float, chance: float) -> float:
    """The k at which the probes' mean accuracy reaches `zero_shot`, interpolated linearly
    in log k between the measured k (the CLIP paper's Fig. 7 estimate).

    Below the 1-shot probe the curve is continued linearly from chance at k = 0, so a
    zero-shot classifier worse than one labelled image per class is worth a fraction of a
    shot. Above the largest k measured: infinity (the probe never caught up).
    """
    mean = curve.groupby("shots")["acc1"].mean().sort_index()
    ks, accs = mean.index.to_numpy(float), mean.to_numpy()
    if zero_shot <= accs[0]:
        return float(ks[0] * max(0.0, zero_shot - chance) / max(accs[0] - chance, 1e-12))
    for (k0, a0), (k1, a1) in zip(zip(ks, accs), zip(ks[1:], accs[1:])):
        if a0 < zero_shot <= a1:
            return float(math.exp(math.log(k0) + (zero_shot - a0) / (a1 - a0) * (math.log(k1) - math.log(k0))))
    return math.inf


# --- effective robustness ----------------------------------------------------------
def logit(p, eps: float = 1e-4) -> np.ndarray:
    """log(p / (1 − p)), with p kept inside [eps, 1 − eps]: an accuracy of 1.0 measured on N
    images means "at least 1 − 1/N", not an infinite logit (`robustness_table` uses eps = 1/(2N))."""
    p = np.clip(np.asarray(p, float), eps, 1 - eps)
    return np.log(p / (1 - p))


def sigmoid(x) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, float)))


@dataclass(frozen=True)
class Trend:
    """logit(OOD accuracy) ≈ slope · logit(ID accuracy) + intercept, fitted on baselines
    (accuracies clipped to [eps, 1 − eps] before the logit)."""

    slope: float
    intercept: float
    eps: float = 1e-4

    @classmethod
    def fit(cls, id_accuracy, ood_accuracy, eps: float = 1e-4) -> "Trend":
        if len(id_accuracy) < 2:
            raise ValueError("a trend needs at least two baseline models")
        slope, intercept = np.polyfit(logit(id_accuracy, eps), logit(ood_accuracy, eps), 1)
        return cls(float(slope), float(intercept), eps)

    def predict(self, id_accuracy) -> np.ndarray:
        """The OOD accuracy the baselines predict at this ID accuracy."""
        return sigmoid(self.slope * logit(id_accuracy, self.eps) + self.intercept)


class Outcomes:
    """Whether each model classifies each test image right, per render style: ID (M, N) and
    one (M, N_s) bool array per shifted style, every model scored on the same images."""

    def __init__(self, correct: dict, id_style: str):
        """correct: {model name: {style: (N_s,) bool}}, the same styles for every model."""
        styles = {tuple(c) for c in correct.values()}
        if len(styles) != 1 or id_style not in next(iter(styles)):
            raise ValueError(f"every model needs the same styles, {id_style!r} among them; got {sorted(styles)}")
        self.names, self.id_style = list(correct), id_style
        self.shifts = [s for s in next(iter(styles)) if s != id_style]
        if not self.shifts:
            raise ValueError("effective robustness needs at least one shifted style beside the ID one")
        self.id = np.stack([np.asarray(c[id_style], bool) for c in correct.values()])
        self.ood = [np.stack([np.asarray(c[s], bool) for c in correct.values()]) for s in self.shifts]

    @property
    def eps(self) -> float:
        """Half an image of the ID test set: a perfect score is read as 1 − 1/(2N)."""
        return 0.5 / self.id.shape[1]

    def accuracies(self, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(M,) ID accuracy and (M,) OOD accuracy (the mean over shifts) on all images, or on
        a bootstrap resample of them (ID images and each shift's images resampled)."""
        def rows(n):
            return slice(None) if rng is None else rng.integers(0, n, n)
        ids = self.id[:, rows(self.id.shape[1])].mean(1)
        oods = np.mean([shift[:, rows(shift.shape[1])].mean(1) for shift in self.ood], axis=0)
        return ids, oods


def _effective_robustness(ids: np.ndarray, oods: np.ndarray, n_baselines: int, eps: float) -> tuple[np.ndarray, Trend]:
    trend = Trend.fit(ids[:n_baselines], oods[:n_baselines], eps)
    return oods - trend.predict(ids), trend


def _bootstrap(outcomes: Outcomes, n_baselines: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, M) effective robustness of every model on resampled images, the trend refitted
    each time (so the intervals include the trend's own uncertainty)."""
    rng = np.random.default_rng(seed)
    return np.stack([_effective_robustness(*outcomes.accuracies(rng), n_baselines, outcomes.eps)[0]
                     for _draw in range(n_boot)])


def robustness_table(baselines: dict, models: dict, id_style: str, n_boot: int = 1000,
                     seed: int = 0) -> tuple[pd.DataFrame, Trend]:
    """Effective robustness of `models` against the trend of `baselines`, with intervals.

    Args:
        baselines, models: {name: {style: (N_s,) bool}}: whether each test image of each
            style is classified right; all models scored on the same images.
        id_style: the in-distribution style; the others are the shifts (OOD accuracy is
            their mean, as the CLIP paper averages its seven shifts).
        n_boot: bootstrap resamples of the images (`Outcomes.accuracies`), with the trend
            refitted on each.
    Returns:
        (DataFrame indexed by model — baselines, then models — with columns kind, id, ood,
        predicted ood, effective robustness, low, high; the trend fitted on all images).
    """
    outcomes = Outcomes({**baselines, **models}, id_style)
    ids, oods = outcomes.accuracies()
    robustness, trend = _effective_robustness(ids, oods, len(baselines), outcomes.eps)
    boot = _bootstrap(outcomes, len(baselines), n_boot, seed)
    table = pd.DataFrame({"kind": ["baseline"] * len(baselines) + ["model"] * len(models), "id": ids, "ood": oods,
                          "predicted ood": trend.predict(ids), "effective robustness": robustness},
                         index=outcomes.names)
    table[["low", "high"]] = [interval(boot[:, m]) for m in range(len(outcomes.names))]
    return table, trend


def robustness_difference(baselines: dict, a: dict, b: dict, id_style: str, n_boot: int = 1000,
                          seed: int = 0) -> tuple[float, float, float]:
    """Effective robustness of model `a` minus that of model `b` ({style: correct} each, as in
    `robustness_table`), with a paired bootstrap interval (the same resampled images for
    both, the trend refitted each time): (delta, low, high)."""
    outcomes = Outcomes({**baselines, "a": a, "b": b}, id_style)
    robustness, _trend = _effective_robustness(*outcomes.accuracies(), len(baselines), outcomes.eps)
    boot = _bootstrap(outcomes, len(baselines), n_boot, seed)
    low, high = interval(boot[:, -2] - boot[:, -1])
    return float(robustness[-2] - robustness[-1]), low, high


def accuracy_by_style(outcomes: dict) -> pd.DataFrame:
    """Top-1 of each model (rows) on each style (columns) from {name: {style: correct}}."""
    return pd.DataFrame({name: {style: float(np.mean(c)) for style, c in styles.items()}
                         for name, styles in outcomes.items()}).T


def interpolate_weights(zero_shot: dict, fine_tuned: dict, alpha: float) -> dict:
    """WiSE-FT's θ(α) = (1 − α)·θ_zero-shot + α·θ_fine-tuned, tensor by tensor.

    Floating-point tensors are mixed; integer ones (BatchNorm's step counter) are taken
    from the fine-tuned model. Both state dicts must have the same keys and shapes.
    """
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if zero_shot.keys() != fine_tuned.keys():
        raise ValueError(f"the two models differ in their tensors: {sorted(zero_shot.keys() ^ fine_tuned.keys())[:4]}")
    return {k: torch.lerp(zero_shot[k], fine_tuned[k].to(zero_shot[k].dtype), alpha)
            if zero_shot[k].is_floating_point() else fine_tuned[k].clone() for k in zero_shot}


# --- measured on a model: what notebook 05 and benchmarks/bench_transfer.py call --------
@dataclass
class StyleSets:
    """Labelled images by render style: `pools` to fit probes and fine-tune on, `tests` to
    score on; `id_style` is the in-distribution one, the others are the shifts."""

    classnames: list
    id_style: str
    pools: dict       # style → PairDataset
    tests: dict       # style → PairDataset

    def __post_init__(self):
        if self.id_style not in self.tests:
            raise ValueError(f"no test images of the ID style {self.id_style!r}; styles: {list(self.tests)}")
        self.targets = {split: {style: class_targets(data, self.classnames)[0] for style, data in sets.items()}
                        for split, sets in (("pools", self.pools), ("tests", self.tests))}

    @property
    def shifts(self) -> list[str]:
        return [s for s in self.tests if s != self.id_style]


@dataclass
class StyleFeatures:
    """Unit-norm image features of a model for every pool and test set of a `StyleSets`."""

    pools: dict
    tests: dict

    @classmethod
    def encode(cls, model, sets: StyleSets, pools: bool = True) -> "StyleFeatures":
        """The features of every test set, and of every pool unless `pools` is False."""
        return cls(*({style: encode_images(model, data) for style, data in group.items()}
                     for group in (sets.pools if pools else {}, sets.tests)))


def zero_shot_outcomes(model, tokenizer, sets: StyleSets, features: StyleFeatures,
                       templates=(PHOTO_TEMPLATE,)) -> dict:
    """{style: (N,) bool} whether zero-shot names each test image's class."""
    classifier = zero_shot_classifier(model, tokenizer, sets.classnames, list(templates))
    return {style: correct(f, classifier, sets.targets["tests"][style]) for style, f in features.tests.items()}


def probe_outcomes(sets: StyleSets, features: StyleFeatures, seed: int = 0) -> dict:
    """{style: (N,) bool} of a linear probe fitted on the ID pool's features (C chosen on a
    validation split): the CLIP paper's "adapt to ImageNet" logistic regression."""
    with single_threaded():
        probe = linear_probe(features.pools[sets.id_style], sets.targets["pools"][sets.id_style],
                             features.tests[sets.id_style], sets.targets["tests"][sets.id_style], Cs=PROBE_CS,
                             seed=seed)["classifier"]
    return {style: probe.predict(f.numpy()) == sets.targets["tests"][style] for style, f in features.tests.items()}


def classifier_outcomes(net, sets: StyleSets) -> dict:
    """{style: (N,) bool} of an `ImageClassifier` whose outputs index `sets.classnames`."""
    return {style: predict(net, data) == sets.targets["tests"][style] for style, data in sets.tests.items()}


def shots_by_style(model, tokenizer, sets: StyleSets, features: StyleFeatures, shots=(1, 2, 4, 8, 16),
                   draws: int = 5, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """k-shot probe curves and zero-shot on every style, each style's pool its labelled data.

    k larger than the pool allows (k shots plus min(k, 4) validation images of every class)
    are left out, and so is a style whose pool lacks a class. Returns (curves: `shot_curve`
    rows with a style column; `shots_summary`), both empty when no style has a usable pool.
    """
    zero_shot = zero_shot_outcomes(model, tokenizer, sets, features)
    curves = []
    for style in sets.tests:
        target = sets.targets["pools"].get(style, np.array([], int))
        smallest = np.bincount(np.unique(target, return_inverse=True)[1]).min() if len(target) else 0
        usable = [k for k in shots if k + min(k, 4) <= smallest]
        if usable and len(np.unique(target)) == len(sets.classnames):
            curves.append(shot_curve(features.pools[style].numpy(), target, features.tests[style].numpy(),
                                     sets.targets["tests"][style], usable, draws, seed).assign(style=style))
    if not curves:
        return pd.DataFrame(), pd.DataFrame()
    curves = pd.concat(curves, ignore_index=True)
    return curves, shots_summary(curves, {style: float(c.mean()) for style, c in zero_shot.items()},
                                 1 / len(sets.classnames))


def shots_summary(curves: pd.DataFrame, zero_shot: dict, chance: float) -> pd.DataFrame:
    """Per style of `curves` (`shots_by_style`'s): zero-shot top-1, chance, its effective shots
    (from the k-shot rows) and the largest k they measured (infinite effective shots mean "more
    than that"), and the probe with all images: its top-1 and images per class."""
    rows = {}
    for style, curve in curves.groupby("style", sort=False):
        k_shot, everything = curve[~curve["all_images"]], curve[curve["all_images"]]
        rows[style] = {"zero-shot": zero_shot[style], "chance": chance,
                       "effective shots": effective_shots(k_shot, zero_shot[style], chance),
                       "largest k": float(k_shot["shots"].max()),
                       "probe, all images": everything["acc1"].mean(), "images per class": everything["shots"].mean()}
    return pd.DataFrame(rows).T


def shots_text(value: float, largest: float, lang: str | None = None) -> str:
    """An effective number of shots for reading: "13.6", or "more than 16" where the probe
    never caught up with zero-shot within the largest k measured (`largest`)."""
    return _("more than {k:g}", lang, k=largest) if math.isinf(value) else f"{value:.1f}"


def shots_texts(shots: pd.DataFrame) -> list[str]:
    """Each style's effective shots of a `shots_summary` table by `shots_text`, bounded by its own largest k."""
    return [shots_text(value, largest) for value, largest in zip(shots["effective shots"], shots["largest k"])]


def shots_for_reading(shots: pd.DataFrame) -> pd.DataFrame:
    """`shots_summary`'s table as read beside a figure: top-1 to three digits, effective shots
    by `shots_texts`, images per class to one decimal (a mean: the pools are not all even)."""
    table = shots.drop(columns="largest k").astype(float).round(3)
    table["effective shots"] = shots_texts(shots)
    table["images per class"] = shots["images per class"].astype(float).round(1)
    return table


def wise_ft_curve(zero_shot_net, fine_tuned_net, sets: StyleSets, alphas=tuple(np.round(np.linspace(0, 1, 11), 2)),
                  n: int | None = None) -> pd.DataFrame:
    """ID and OOD top-1 of the weight-space ensembles θ(α) for each α (WiSE-FT), one row per
    α with a column per style, `id` and `ood` (the mean over shifts); on the first `n` test
    images of each style (all by default)."""
    if n is not None:
        sets = StyleSets(sets.classnames, sets.id_style, {},
                         {style: data.select(np.arange(min(n, len(data)))) for style, data in sets.tests.items()})
    net = copy.deepcopy(zero_shot_net)
    start, end = zero_shot_net.state_dict(), fine_tuned_net.state_dict()
    rows = []
    for alpha in alphas:
        net.load_state_dict(interpolate_weights(start, end, float(alpha)))
        accuracy = {style: float(c.mean()) for style, c in classifier_outcomes(net, sets).items()}
        rows.append({"alpha": float(alpha), **accuracy, "id": accuracy[sets.id_style],
                     "ood": float(np.mean([accuracy[s] for s in sets.shifts]))})
    return pd.DataFrame(rows)


@torch.inference_mode()
def output_ensemble_outcomes(net_a, net_b, alpha: float, sets: StyleSets, batch_size: int = 256) -> dict:
    """{style: (N,) bool} of the output-space ensemble (1 − α)·logits_a + α·logits_b — what
    WiSE-FT's weight-space mixing is compared with."""
    outcomes = {}
    for style, data in sets.tests.items():
        logits = [(1 - alpha) * net_a(images) + alpha * net_b(images)
                  for images in (data.image_batch(range(i, min(i + batch_size, len(data))), net_a.image_size)
                                 for i in range(0, len(data), batch_size))]
        outcomes[style] = torch.cat(logits).argmax(1).numpy() == sets.targets["tests"][style]
    return outcomes


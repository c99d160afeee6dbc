import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, balanced_accuracy_score, top_k_accuracy_score

from clipviz.evaluation.metrics import (classification_metrics, confusion, expected_calibration_error,
                             fit_temperature, linear_probe, nll, prior_correction,
                             reliability_table, retrieval_metrics, topk_hits)


def test_classification_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(300, 9)), rng.integers(0, 9, 300)
    logits[np.arange(150), target[:150]] += 2   # some signal
    metrics = classification_metrics(logits, target)
    assert metrics["acc1"] == pytest.approx(accuracy_score(target, logits.argmax(1)))
    assert metrics["acc5"] == pytest.approx(top_k_accuracy_score(target, logits, k=5, labels=range(9)))
    assert metrics["mean_per_class_recall"] == pytest.approx(balanced_accuracy_score(target, logits.argmax(1)))
    assert confusion(logits, target).sum() == 300


def test_acc5_is_nan_below_five_classes_and_labels_are_checked():
    assert math.isnan(classification_metrics(np.eye(4), np.arange(4))["acc5"])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\]"):
        classification_metrics(np.eye(4), [0, 1, 2, 7])


def clip_benchmark_recalls(scores: torch.Tensor, positives: torch.Tensor, k: int) -> float:
    """CLIP_benchmark's own code: a query is a hit when its recall_at_k is above 0."""
    from clip_benchmark.metrics.zeroshot_retrieval import recall_at_k

    return (recall_at_k(scores, positives, k) > 0).float().mean().item()


def naive_expected_recall(row, positive, k: int, draws: int, rng) -> float:
    """Monte Carlo over random tie orders: sort by score, ties shuffled, any positive in the top k."""
    hits = 0
    for _ in range(draws):
        order = np.lexsort((rng.random(len(row)), -row))          # score first, random tie-break
        hits += positive[order[:k]].any()
    return hits / draws


def tied_features(seed: int):
    """Images with 1-5 captions each, coarse enough that exact ties are common, and some
    captions repeated word for word across images (identical text features)."""
    rng = np.random.default_rng(seed)
    n_images = 30
    index = np.repeat(np.arange(n_images), rng.integers(1, 6, n_images))
    images = F.normalize(torch.tensor(rng.integers(-2, 3, (n_images, 4)), dtype=torch.float32) + 1e-3, dim=-1)
    texts = F.normalize(images[index] + torch.tensor(rng.integers(-1, 2, (len(index), 4)), dtype=torch.float32), dim=-1)
    texts[::3] = texts[0]                                         # one caption text shared by many images
    return images, texts, index


@pytest.mark.parametrize("seed", range(4))
def test_retrieval_recall_equals_clip_benchmarks_own_code_with_exact_ties(seed):
    images, texts, index = tied_features(seed)
    metrics = retrieval_metrics(images, texts, index, ks=(1, 5, 10))
    scores = texts @ images.T
    positives = torch.zeros_like(scores, dtype=torch.bool)
    positives[torch.arange(len(index)), torch.as_tensor(index)] = True
    assert (scores.T.unsqueeze(1) == scores.T.unsqueeze(2)).sum() > scores.numel()   # ties are there
    for k in (1, 5, 10):
        assert metrics[f"image_retrieval_recall@{k}"] == clip_benchmark_recalls(scores, positives, k)
        assert metrics[f"text_retrieval_recall@{k}"] == clip_benchmark_recalls(scores.T, positives.T, k)


def test_expected_recall_and_rank_match_random_tie_orders():
    images, texts, index = tied_features(0)
    metrics = retrieval_metrics(images, texts, index, ks=(1, 5))
    scores = (texts @ images.T).double().numpy().T                     # image → text queries
    positives = np.zeros_like(scores, bool)
    positives[index, np.arange(len(index))] = True
    rng = np.random.default_rng(0)
    for k in (1, 5):
        naive = np.mean([naive_expected_recall(r, p, k, 400, rng) for r, p in zip(scores, positives)])
        assert metrics[f"text_retrieval_expected_recall@{k}"] == pytest.approx(naive, abs=0.02)
    first_positive = [np.mean([1 + np.flatnonzero(p[np.lexsort((rng.random(len(r)), -r))])[0] for _ in range(400)])
                      for r, p in zip(scores, positives)]
    assert metrics["text_retrieval_mean_rank"] == pytest.approx(np.mean(first_positive), rel=0.02)


def test_tied_duplicate_captions_are_not_free_hits():
    """Three images, one caption text each, all identical: CLIP_benchmark's top-1 finds one
    image's caption, so at most one image is a hit; in expectation each image is a third."""
    images = F.normalize(torch.tensor([[1.0, 0.1], [1.0, 0.2], [1.0, 0.3]]), dim=-1)
    texts = F.normalize(torch.ones(3, 2), dim=-1)
    metrics = retrieval_metrics(images, texts, np.arange(3), ks=(1,))
    assert metrics["text_retrieval_recall@1"] == pytest.approx(1 / 3)
    assert metrics["text_retrieval_expected_recall@1"] == pytest.approx(1 / 3)


def test_perfect_retrieval_and_k_too_large():
    features = torch.eye(6)
    metrics = retrieval_metrics(features, features, np.arange(6), ks=(1,))
    assert metrics["image_retrieval_recall@1"] == metrics["text_retrieval_recall@1"] == 1.0
    with pytest.raises(ValueError, match="larger than the gallery"):
        retrieval_metrics(features, features, np.arange(6), ks=(10,))
    with pytest.raises(ValueError, match="at least one positive"):
        topk_hits(torch.ones(1, 3), torch.zeros(1, 3, dtype=torch.bool), 1)


def test_ece_hand_computed():
    # bin (0.6, 0.667]: confidences .62, .65 → one right;   bin (0.933, 1]: .95, .95 → both right
    probs = np.array([[0.62, 0.38], [0.65, 0.35], [0.95, 0.05], [0.05, 0.95]])
    target = np.array([0, 1, 0, 1])
    expected = 0.5 * abs(0.5 - 0.635) + 0.5 * abs(1.0 - 0.95)
    assert expected_calibration_error(probs, target) == pytest.approx(expected)
    table = reliability_table(probs, target)
    assert len(table) == 15 and table["count"].sum() == 4


def test_temperature_scaling_fixes_an_overconfident_model():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(2000, 5)) * 2
    target = np.array([rng.choice(5, p=np.exp(r) / np.exp(r).sum()) for r in true_logits])
    overconfident = true_logits * 4                       # calibrated logits, sharpened 4×
    temperature = fit_temperature(overconfident, target)
    assert temperature == pytest.approx(4, rel=0.15)
    assert nll(overconfident / temperature, target) < nll(overconfident, target)
    probs = lambda z: torch.softmax(torch.tensor(z), 1).numpy()
    assert expected_calibration_error(probs(overconfident / temperature), target) < \
        expected_calibration_error(probs(overconfident), target)


def test_prior_correction_undoes_a_constant_class_bias():
    rng = np.random.default_rng(1)
    clean = rng.normal(size=(1000, 4))
    biased = clean + np.array([2.0, 0, 0, 0])             # the model over-predicts class 0
    corrected = prior_correction(biased, biased).numpy()
    share = lambda z: np.bincount(z.argmax(1), minlength=4) / len(z)
    gap_before, gap_after = share(biased)[0] - share(clean)[0], abs(share(corrected)[0] - share(clean)[0])
    assert gap_before > 0.5 and gap_after < 0.3 * gap_before


def test_linear_probe_picks_c_on_validation_and_reports_accuracy():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8)) * 3
    labels = rng.integers(0, 3, 400)
    features = centres[labels] + rng.normal(size=(400, 8))
    result = linear_probe(features[:300], labels[:300], features[300:], labels[300:])
    assert result["acc1"] > 0.9 and result["C"] in result["val_acc_by_C"]
    assert result["val_acc_by_C"][result["C"]] == max(result["val_acc_by_C"].values())
    with pytest.raises(ValueError, match="at least 2 classes"):
        linear_probe(features[:10], np.zeros(10), features[:2], np.zeros(2))


def test_linear_probe_counts_never_trained_test_classes_as_errors():
    features = np.array([[0.0, 1], [0, 2], [1, 0], [2, 0], [0, 3], [3, 0]] * 5)
    labels = np.array([0, 0, 1, 1, 0, 1] * 5)
    test_features, test_labels = np.array([[0, 1.5], [1.5, 0], [5, 5]]), np.array([0, 1, 2])
    result = linear_probe(features, labels, test_features, test_labels)
    assert result["acc1"] == pytest.approx(2 / 3) and result["test_classes_never_trained"] == 1


def test_imbalanced_rows_fall_geometrically():
    from clipviz.evaluation.metrics import imbalanced_rows

    target = np.repeat(np.arange(5), 100)
    kept = imbalanced_rows(target, max_ratio=10, seed=0)
    counts = np.bincount(target[kept], minlength=5)
    assert counts[0] == 100 and counts[-1] == 10
    assert np.all(np.diff(counts) < 0)
    assert np.array_equal(kept, np.unique(kept))


def test_em_recovers_the_class_prior_of_unlabelled_data():
    """Saerens et al.'s EM, on data drawn from a known label shift, against the prior it was
    drawn with."""
    from clipviz.evaluation.metrics import em_prior

    rng = np.random.default_rng(0)
    prior = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    target = rng.choice(6, 20000, p=prior)
    means = rng.normal(0, 1, (6, 4))
    points = means[target] + rng.normal(0, 1, (len(target), 4))
    logits = -0.5 * ((points[:, None, :] - means[None]) ** 2).sum(-1)      # log p(x | y): no prior in them
    assert np.abs(em_prior(logits) - prior).max() < 0.02


def test_prior_correction_helps_under_a_label_shift_when_the_prior_is_estimated():
    """Twelve classes scored, six occurring (balanced): the EM prior finds the six and helps,
    dividing by the predicted shares (a balanced prior over all twelve) hurts; within the six,
    a long-tailed subset gains from the EM prior too."""
    from clipviz.evaluation.metrics import prior_correction_table

    rng = np.random.default_rng(0)
    means = rng.normal(0, 1, (12, 4))
    target = np.repeat(np.arange(0, 12, 2), 300)                           # every other class: six occur
    points = means[target] + rng.normal(0, 1, (len(target), 4))
    logits = -0.5 * ((points[:, None, :] - means[None]) ** 2).sum(-1)      # log p(x | y): no prior in them
    table = prior_correction_table(torch.tensor(logits), target, max_ratio=10)
    shift_em, shift_divided, long_tail_em = (table.iloc[k] for k in range(3))
    assert shift_em["low"] > 0 and shift_divided["high"] < 0 and long_tail_em["low"] > 0
    assert table["classes"].tolist() == [12, 12, 6] and table["images"].tolist()[:2] == [1800, 1800]

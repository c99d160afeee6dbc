"""What CLIP is judged by, with the definitions of LAION's CLIP_benchmark.

- Zero-shot classification: acc1, acc5 (NaN with fewer than 5 classes) and
  mean_per_class_recall (= balanced accuracy).
- Retrieval: `image_retrieval_recall@k` (text → image) and `text_retrieval_recall@k`
  (image → text). A query is a hit when at least one of its positives is among the top k;
  text → image averages over captions, image → text over images. Ties count in the
  query's favour: a query's rank is 1 + the number of non-positives scoring strictly
  above its best positive.
- Linear probe: scikit-learn logistic regression on frozen features, C chosen on a
  validation split.
- Calibration: ECE with 15 equal-width confidence bins, temperature scaling, class-prior
  correction.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, confusion_matrix
from sklearn.model_selection import train_test_split


def _as_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _check_labels(target: np.ndarray, n_classes: int) -> None:
    if len(target) and (target.min() < 0 or target.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes - 1}], got {target.min()}..{target.max()}")


def classification_metrics(logits, target) -> dict[str, float]:
    """acc1, acc5 and mean_per_class_recall from (N, C) scores and (N,) labels."""
    logits, target = _as_numpy(logits), _as_numpy(target).astype(int)
    n_classes = logits.shape[1]
    _check_labels(target, n_classes)
    order = np.argsort(-logits, axis=1, kind="stable")
    predicted = order[:, 0]
    acc5 = float(np.mean((order[:, :5] == target[:, None]).any(1))) if n_classes >= 5 else math.nan
    with warnings.catch_warnings():   # predicting a class absent from this split is legitimate
        warnings.simplefilter("ignore", UserWarning)
        recall = float(balanced_accuracy_score(target, predicted))
    return {"acc1": float(np.mean(predicted == target)), "acc5": acc5, "mean_per_class_recall": recall}


def confusion(logits, target, n_classes: int | None = None) -> np.ndarray:
    """(C, C) counts: rows true class, columns predicted class."""
    logits, target = _as_numpy(logits), _as_numpy(target).astype(int)
    n_classes = n_classes or logits.shape[1]
    return confusion_matrix(target, logits.argmax(1), labels=np.arange(n_classes))


def retrieval_ranks(scores, positives) -> np.ndarray:
    """1-based rank of each query's best positive: (Q,) from (Q, G) scores and positives."""
    scores, positives = _as_numpy(scores).astype(np.float64), _as_numpy(positives).astype(bool)
    if not positives.any(1).all():
        raise ValueError("every query needs at least one positive in the gallery")
    best_positive = np.where(positives, scores, -np.inf).max(1, keepdims=True)   # (Q, 1)
    return 1 + ((scores > best_positive) & ~positives).sum(1)


def retrieval_metrics(image_features, text_features, text_image_index, ks=(1, 5, 10)) -> dict[str, float]:
    """Recall@k both ways, and mean/median ranks.

    Args:
        image_features: (I, D) unit-norm, one row per distinct image.
        text_features: (T, D) unit-norm, one row per caption.
        text_image_index: (T,) the image each caption belongs to (several captions may
            share an image).
    """
    image_features, text_features = torch.as_tensor(image_features), torch.as_tensor(text_features)
    index = _as_numpy(text_image_index).astype(int)
    n_images, n_texts = len(image_features), len(text_features)
    if max(ks) > min(n_images, n_texts):
        raise ValueError(f"k={max(ks)} is larger than the gallery ({n_images} images, {n_texts} captions)")
    scores = (text_features @ image_features.T).numpy()                    # (T, I)
    positives = np.zeros_like(scores, dtype=bool)
    positives[np.arange(n_texts), index] = True
    text_to_image = retrieval_ranks(scores, positives)                     # per caption
    image_to_text = retrieval_ranks(scores.T, positives.T)                 # per image
    metrics = {}
    for k in ks:
        metrics[f"image_retrieval_recall@{k}"] = float(np.mean(text_to_image <= k))
        metrics[f"text_retrieval_recall@{k}"] = float(np.mean(image_to_text <= k))
    metrics.update({"image_retrieval_mean_rank": float(text_to_image.mean()),
                    "image_retrieval_median_rank": float(np.median(text_to_image)),
                    "text_retrieval_mean_rank": float(image_to_text.mean()),
                    "text_retrieval_median_rank": float(np.median(image_to_text))})
    return metrics


def linear_probe(train_features, train_labels, test_features, test_labels,
                 Cs=tuple(np.logspace(-3, 3, 7)), val_fraction: float = 0.2, seed: int = 0) -> dict:
    """Logistic regression on frozen features, C chosen on a validation split.

    Returns:
        The test metrics (acc1, acc5, mean_per_class_recall), the chosen "C", the
        validation accuracy of each C ("val_acc_by_C"), and how many test classes had no
        training example ("test_classes_never_trained"; their images count as errors).
    """
    x, y = _as_numpy(train_features), _as_numpy(train_labels)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("a linear probe needs at least 2 classes in the training labels")
    stratify = y if np.bincount(np.searchsorted(classes, y)).min() >= 2 else None
    x_fit, x_val, y_fit, y_val = train_test_split(x, y, test_size=val_fraction, random_state=seed,
                                                  stratify=stratify)
    val_acc = {}
    for C in Cs:
        clf = LogisticRegression(C=C, max_iter=2000).fit(x_fit, y_fit)
        val_acc[float(C)] = float(clf.score(x_val, y_val))
    best = max(val_acc, key=val_acc.get)
    clf = LogisticRegression(C=best, max_iter=2000).fit(x, y)
    # a class with no training example can never be predicted: it scores -inf and counts as wrong
    test_y = _as_numpy(test_labels)
    all_classes = np.union1d(clf.classes_, test_y)
    scores = np.full((len(test_y), len(all_classes)), -np.inf)
    scores[:, np.searchsorted(all_classes, clf.classes_)] = clf.predict_log_proba(_as_numpy(test_features))
    target = np.searchsorted(all_classes, test_y)
    return {**classification_metrics(scores, target), "C": best, "val_acc_by_C": val_acc,
            "test_classes_never_trained": int(len(all_classes) - len(clf.classes_))}


# --- calibration ---------------------------------------------------------------------
def reliability_table(probs, target, n_bins: int = 15) -> pd.DataFrame:
    """Per equal-width confidence bin: count, mean confidence, accuracy (empty bins kept)."""
    probs, target = _as_numpy(probs), _as_numpy(target).astype(int)
    confidence, correct = probs.max(1), probs.argmax(1) == target
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)  # (lo, hi]
    rows = []
    for b in range(n_bins):
        inside = bins == b
        rows.append({"bin_low": edges[b], "bin_high": edges[b + 1], "count": int(inside.sum()),
                     "confidence": float(confidence[inside].mean()) if inside.any() else math.nan,
                     "accuracy": float(correct[inside].mean()) if inside.any() else math.nan})
    return pd.DataFrame(rows)


def expected_calibration_error(probs, target, n_bins: int = 15) -> float:
    """ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b| over equal-width bins."""
    table = reliability_table(probs, target, n_bins)
    used = table[table["count"] > 0]
    return float((used["count"] / used["count"].sum() * (used.accuracy - used.confidence).abs()).sum())


def fit_temperature(logits, target) -> float:
    """The temperature T minimising the NLL of softmax(logits / T) on held-out data."""
    logits = torch.as_tensor(_as_numpy(logits), dtype=torch.float64)
    target = torch.as_tensor(_as_numpy(target), dtype=torch.long)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), target)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def prior_correction(logits, unlabeled_logits) -> torch.Tensor:
    """Subtract the log of the mean predicted class distribution on unlabelled data."""
    logits = torch.as_tensor(_as_numpy(logits), dtype=torch.float32)
    prior = torch.softmax(torch.as_tensor(_as_numpy(unlabeled_logits), dtype=torch.float32), 1).mean(0)
    return logits - prior.clamp_min(1e-12).log()


def nll(logits, target) -> float:
    return float(torch.nn.functional.cross_entropy(torch.as_tensor(_as_numpy(logits), dtype=torch.float64),
                                                   torch.as_tensor(_as_numpy(target), dtype=torch.long)))


def imbalanced_rows(target, max_ratio: float = 10.0, seed: int = 0) -> np.ndarray:
    """Rows of a (roughly balanced) labelled set to keep so that class frequencies fall
    geometrically from the first class to the last, by `max_ratio` overall: a long-tailed
    test set built from a balanced one. Sorted row indices."""
    target = _as_numpy(target).astype(int)
    classes = np.unique(target)
    keep_share = max_ratio ** (-np.arange(len(classes)) / max(1, len(classes) - 1))   # 1 → 1/max_ratio
    rng = np.random.default_rng(seed)
    rows = [rng.permutation(np.flatnonzero(target == c))[:max(1, round(share * (target == c).sum()))]
            for c, share in zip(classes, keep_share)]
    return np.sort(np.concatenate(rows))

"""What CLIP is judged by, with the definitions of LAION's CLIP_benchmark.

- Zero-shot classification: acc1, acc5 (NaN with fewer than 5 classes) and
  mean_per_class_recall (= balanced accuracy).
- Retrieval: `image_retrieval_recall@k` (text → image) and `text_retrieval_recall@k`
  (image → text). A query is a hit when at least one of its positives is among the k
  items `torch.topk` returns, exact ties included, as CLIP_benchmark does; text → image
  averages over captions, image → text over images. `*_expected_recall@k` is the
  tie-aware variant (tied items in random order, in expectation).
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


def per_class_recall(counts: np.ndarray, classnames) -> pd.Series:
    """Recall of each class that occurs, from (C, C) confusion counts (rows: true class)."""
    occurring = np.flatnonzero(counts.sum(1) > 0)
    names = [c if isinstance(c, str) else c[0] for c in classnames]
    return pd.Series(counts.diagonal()[occurring] / counts.sum(1)[occurring], index=[names[i] for i in occurring])


def _positives_of(n_texts: int, n_images: int, text_image_index) -> torch.Tensor:
    """(T, I) bool: caption t is a positive of image `text_image_index[t]`."""
    positives = torch.zeros(n_texts, n_images, dtype=torch.bool)
    positives[torch.arange(n_texts), torch.as_tensor(text_image_index, dtype=torch.long)] = True
    return positives


def topk_hits(scores: torch.Tensor, positives: torch.Tensor, k: int) -> torch.Tensor:
    """CLIP_benchmark's hit rule: (Q,) bool, whether any positive is among the k gallery
    items `torch.topk` returns for the query. Exact ties are broken as `torch.topk` breaks
    them, so an identical caption of another image can push a query's own caption out."""
    if not positives.any(1).all():
        raise ValueError("every query needs at least one positive in the gallery")
    return positives.gather(1, torch.topk(scores, k, dim=1).indices).any(1)


def tie_aware_ranks(scores: torch.Tensor, positives: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query (Q,): items scoring strictly above its best positive (all non-positives),
    items tied with that best score, and positives among the tied (≥ 1)."""
    if not positives.any(1).all():
        raise ValueError("every query needs at least one positive in the gallery")
    scores = scores.double()
    best = scores.masked_fill(~positives, -np.inf).max(1, keepdim=True).values    # (Q, 1)
    above = (scores > best).sum(1)
    tied = scores == best
    return above.numpy(), tied.sum(1).numpy(), (tied & positives).sum(1).numpy()


def expected_recall_at_k(above: np.ndarray, tied: np.ndarray, tied_positives: np.ndarray, k: int) -> np.ndarray:
    """(Q,) probability that a positive is in the top k when tied scores are ordered at
    random: 1 − C(t − p, m) / C(t, m), with m = k − above places left for the t tied items."""
    from scipy.special import comb

    room = np.clip(k - above, 0, tied)
    miss = comb(tied - tied_positives, room) / comb(tied, room)
    return np.where(above < k, 1 - miss, 0.0)


def retrieval_metrics(image_features, text_features, text_image_index, ks=(1, 5, 10)) -> dict[str, float]:
    """Recall@k both ways as CLIP_benchmark computes it, a tie-aware recall@k, and ranks.

    Args:
        image_features: (I, D) unit-norm, one row per distinct image.
        text_features: (T, D) unit-norm, one row per caption.
        text_image_index: (T,) the image each caption belongs to (several captions may
            share an image).
    Returns:
        `image_retrieval_recall@k` (text → image, mean over captions) and
        `text_retrieval_recall@k` (image → text, mean over images) with CLIP_benchmark's
        rule (`topk_hits`); `*_expected_recall@k`, the same with exact ties ordered at
        random (class-templated captions repeat word for word, so an image's own caption
        ties with other images' copies); `*_mean_rank` / `*_median_rank` of the best
        positive, ties counted at their expected position.
    """
    image_features, text_features = torch.as_tensor(image_features), torch.as_tensor(text_features)
    n_images, n_texts = len(image_features), len(text_features)
    if max(ks) > min(n_images, n_texts):
        raise ValueError(f"k={max(ks)} is larger than the gallery ({n_images} images, {n_texts} captions)")
    scores = text_features @ image_features.T                                # (T, I)
    positives = _positives_of(n_texts, n_images, _as_numpy(text_image_index).astype(int))
    metrics = {}
    for prefix, (query_scores, query_positives) in (("image_retrieval", (scores, positives)),
                                                    ("text_retrieval", (scores.T, positives.T))):
        above, tied, tied_positives = tie_aware_ranks(query_scores, query_positives)
        for k in ks:
            metrics[f"{prefix}_recall@{k}"] = topk_hits(query_scores, query_positives, k).float().mean().item()
            metrics[f"{prefix}_expected_recall@{k}"] = float(expected_recall_at_k(above, tied, tied_positives, k).mean())
        rank = 1 + above + (tied - tied_positives) / (tied_positives + 1)    # expected rank of the first positive
        metrics.update({f"{prefix}_mean_rank": float(rank.mean()), f"{prefix}_median_rank": float(np.median(rank))})
    return metrics


def choose_C(x_fit, y_fit, x_val, y_val, Cs=tuple(np.logspace(-3, 3, 7))) -> tuple[float, dict]:
    """The logistic-regression C with the best validation accuracy (ties: the smallest C),
    and the validation accuracy of every C."""
    val_acc = {float(C): float(LogisticRegression(C=C, max_iter=2000).fit(x_fit, y_fit).score(x_val, y_val))
               for C in Cs}
    return max(val_acc, key=val_acc.get), val_acc


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
    best, val_acc = choose_C(x_fit, y_fit, x_val, y_val, Cs)
    clf = LogisticRegression(C=best, max_iter=2000).fit(x, y)
    # a class with no training example can never be predicted: it scores -inf and counts as wrong
    test_y = _as_numpy(test_labels)
    all_classes = np.union1d(clf.classes_, test_y)
    scores = np.full((len(test_y), len(all_classes)), -np.inf)
    scores[:, np.searchsorted(all_classes, clf.classes_)] = clf.predict_log_proba(_as_numpy(test_features))
    target = np.searchsorted(all_classes, test_y)
    return {**classification_metrics(scores, target), "C": best, "val_acc_by_C": val_acc,
            "test_classes_never_trained": int(len(all_classes) - len(clf.classes_)), "classifier": clf}


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
    """Subtract the log of the mean predicted class distribution on unlabelled data: the
    model's own preference for some classes removed (a balanced prior assumed)."""
    logits = torch.as_tensor(_as_numpy(logits), dtype=torch.float32)
    prior = torch.softmax(torch.as_tensor(_as_numpy(unlabeled_logits), dtype=torch.float32), 1).mean(0)
    return logits - prior.clamp_min(1e-12).log()


def em_prior(logits, iterations: int = 200, tol: float = 1e-7) -> np.ndarray:
    """The class prior of unlabelled data, estimated by EM (Saerens, Latinne & Decaestecker
    2002): posteriors re-weighted by the current prior estimate over the model's own (taken as
    uniform, as a zero-shot classifier has no training prior), the prior re-estimated as their
    mean, until it settles. logits (N, C) → (C,) prior."""
    log_probs = torch.log_softmax(torch.as_tensor(_as_numpy(logits), dtype=torch.float64), 1)
    prior = torch.full((log_probs.shape[1],), 1.0 / log_probs.shape[1], dtype=torch.float64)
    for _ in range(iterations):
        posterior = torch.softmax(log_probs + prior.log(), 1)        # p(y|x) · π(y) / π₀(y), π₀ uniform
        updated = posterior.mean(0).clamp_min(1e-12)
        if (updated - prior).abs().max() < tol:
            prior = updated
            break
        prior = updated
    return prior.numpy()


def adjust_to_prior(logits, prior) -> torch.Tensor:
    """Logits for a test set whose classes occur with `prior` (C,) (the model's own taken as
    uniform): log π(y) added, as Bayes' rule for a label shift says."""
    logits = torch.as_tensor(_as_numpy(logits), dtype=torch.float32)
    return logits + torch.as_tensor(np.log(np.clip(prior, 1e-12, None)), dtype=torch.float32)


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


def calibration_comparison(cosines, target, validation, scales: dict, n_bins: int = 15):
    """ECE and NLL of zero-shot probabilities at several logit scales, and after temperature
    scaling fitted on the validation rows; everything scored on the other rows.

    Args:
        cosines: (N, C) image–class cosine similarities; target: (N,) class indices.
        validation: (N,) bool, the rows the temperature is fitted on.
        scales: {name: logit scale}, e.g. {"fixed": 100, "learned": exp(logit_scale)};
            the first one is the one temperature scaling starts from.
    Returns:
        (DataFrame of ECE and NLL per calibration, {name: `reliability_table`}).
    """
    cosines, target = torch.as_tensor(_as_numpy(cosines)), _as_numpy(target).astype(int)
    validation = np.asarray(validation, bool)
    base = next(iter(scales.values()))
    temperature = fit_temperature(base * cosines[validation], target[validation])
    logits = {f"{name} scale {scale:.0f}": scale * cosines[~validation] for name, scale in scales.items()}
    logits[f"temperature-scaled (T={temperature:.2f})"] = base * cosines[~validation] / temperature
    test = target[~validation]
    table = pd.DataFrame({name: {"ECE": expected_calibration_error(z.softmax(1), test, n_bins), "NLL": nll(z, test)}
                          for name, z in logits.items()}).T
    return table, {name: reliability_table(z.softmax(1), test, n_bins) for name, z in logits.items()}


def prior_correction_table(logits, target, max_ratio: float = 10.0, seed: int = 0) -> pd.DataFrame:
    """What class-prior correction does, in three cases, each scored against the plain
    zero-shot prediction with a paired interval.

    1. A label shift: the classifier spreads its prior evenly over all its class names,
       while the images hold some of them only (on held-out compositions, 6 of 48). Adjusted
       to the prior EM estimates from the unlabelled images (Saerens et al. 2002), which
       learns which classes occur without being told.
    2. The same images divided by the predicted class shares: this removes the model's own
       preference but assumes every class name occurs equally often, wrong here.
    3. The classes present only, in a long-tailed subset (frequencies falling by
       `max_ratio`), adjusted to the EM prior: the shift within the classes that occur.

    Args:
        logits: (N, C) zero-shot logits (scale × cosine) over all class names; target: (N,).
    """
    from ..stats import paired_delta_ci, verdict

    target = _as_numpy(target).astype(int)
    logits = torch.as_tensor(_as_numpy(logits), dtype=torch.float32)                  # (N, C)
    present = np.unique(target)
    present_target = np.searchsorted(present, target)                                  # (N,) in 0..len(present)
    long_tail = imbalanced_rows(present_target, max_ratio, seed)

    def em(z):        # the correction that estimates the prior from the same unlabelled images
        return adjust_to_prior(z, em_prior(z))

    def divided(z):   # the correction that assumes every class is equally frequent
        return prior_correction(z, z)

    shift = f"{logits.shape[1]} class names, {len(present)} in the images"
    everything = np.arange(len(target))
    cases = {f"{shift}: adjusted to the EM prior": (logits, target, everything, em),
             f"{shift}: divided by the predicted class shares": (logits, target, everything, divided),
             f"{len(present)} classes present, long-tailed ({max_ratio:g}x): adjusted to the EM prior":
                 (logits[:, present], present_target, long_tail, em)}
    rows = {}
    for name, (scores, labels, kept, correct_for) in cases.items():
        before = scores[kept].argmax(1).numpy() == labels[kept]
        after = correct_for(scores[kept]).argmax(1).numpy() == labels[kept]
        delta, low, high = paired_delta_ci(after, before, seed=seed)
        rows[name] = {"images": len(kept), "classes": scores.shape[1], "as is": before.mean(),
                      "corrected": after.mean(), "delta": delta, "low": low, "high": high,
                      "verdict": verdict(delta, low, high)}
    return pd.DataFrame.from_dict(rows, orient="index")

"""The geometry of the joint space: where images and captions sit relative to each other.

Contrastive training aligns each image with its caption, yet the two modalities stay in
separate regions of the sphere — the *modality gap* (Liang et al., 2022, "Mind the Gap").
All functions take unit-norm features, one row per item.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..evaluation.zeroshot import top1
from ..language import _, label


def modality_gap(image_features: torch.Tensor, text_features: torch.Tensor) -> dict:
    """The gap between the modalities' centroids.

    Args:
        image_features: (N, D) unit-norm image features.
        text_features: (M, D) unit-norm text features.
    Returns:
        {"gap": (D,) mean(image) − mean(text), "distance": ‖gap‖ (0 = no gap, at most 2),
         "centroid_cosine": cosine between the two centroids}.
    """
    image_centre, text_centre = image_features.mean(0), text_features.mean(0)
    gap = image_centre - text_centre
    return {"gap": gap, "distance": gap.norm().item(),
            "centroid_cosine": F.cosine_similarity(image_centre, text_centre, dim=0).item()}


def close_gap(image_features: torch.Tensor, text_features: torch.Tensor,
              gap: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Move images by −gap/2 and texts by +gap/2, then back onto the unit sphere.

    With the gap of the same features, both centroids meet (before renormalising exactly).
    Pass `gap` measured on other data to apply the same shift to new items (e.g. class
    prompts).
    """
    if gap is None:
        gap = modality_gap(image_features, text_features)["gap"]
    return F.normalize(image_features - gap / 2, dim=-1), F.normalize(text_features + gap / 2, dim=-1)


def matched_similarities(image_features: torch.Tensor, text_features: torch.Tensor):
    """Cosine similarities of matching pairs (the diagonal) and of all other pairs.

    Args:
        image_features, text_features: (N, D), row i of each is one pair.
    Returns:
        (matched (N,), unmatched (N·(N−1),)) as numpy arrays. Note that "unmatched" pairs
        can still fit (a caption "a circle" fits every circle).
    """
    similarity = image_features @ text_features.T                  # (N, N)
    diagonal = torch.eye(len(similarity), dtype=torch.bool)
    return similarity[diagonal].numpy(), similarity[~diagonal].numpy()


def nearest(queries: torch.Tensor, gallery: torch.Tensor, k: int = 5) -> torch.Tensor:
    """Indices (Q, k) of the k most cosine-similar gallery rows for each query, best first."""
    k = min(k, len(gallery))
    return (queries @ gallery.T).topk(k, dim=1).indices


def zero_shot_with_gap_closed(image_features: torch.Tensor, labels, classifier: torch.Tensor,
                              gap: torch.Tensor) -> dict:
    """Zero-shot top-1 before and after closing the modality gap.

    Args:
        image_features: (N, D) unit norm; labels: N class indices.
        classifier: (C, D) unit-norm class embeddings (`zeroshot.zero_shot_classifier`).
        gap: (D,) from `modality_gap` on image–caption pairs.
    Returns:
        {"as trained": top-1, "gap closed": top-1}.
    """
    shifted_images, shifted_classes = close_gap(image_features, classifier, gap)
    return {"as trained": top1(image_features, classifier, labels),
            "gap closed": top1(shifted_images, shifted_classes, labels)}


def nearest_distinct(queries: torch.Tensor, gallery: torch.Tensor, labels, k: int = 5) -> list[list]:
    """For each query, the labels of its most similar gallery rows, best first, each label
    once (a caption shared by many pairs is listed once): Q lists of up to k labels."""
    order = (queries @ gallery.T).argsort(dim=1, descending=True)   # (Q, G)
    found = []
    for row in order.tolist():
        mine = []
        for index in row:
            if labels[index] not in mine:
                mine.append(labels[index])
                if len(mine) == k:
                    break
        found.append(mine)
    return found


def neighbour_agreement(features: torch.Tensor, values, k: int = 10, among=None) -> float:
    """The share of each item's k nearest neighbours (cosine, itself excluded) that have the
    same value of an attribute, averaged: how strongly the attribute organises the space.
    Compare with the chance level Σ_v p_v² of the value frequencies.

    among: a boolean mask (N,) of the items to average over (their neighbours are still
    looked for among all items); default all.
    """
    codes = torch.as_tensor(pd.factorize(pd.Series(values).astype(str))[0])
    similarity = features @ features.T
    similarity.fill_diagonal_(-float("inf"))
    neighbours = similarity.topk(min(k, len(features) - 1), dim=1).indices        # (N, k)
    agree = codes[neighbours].eq(codes[:, None]).float()                           # (N, k)
    return (agree if among is None else agree[torch.as_tensor(np.array(among, dtype=bool))]).mean().item()


def neighbour_agreement_table(image_features: torch.Tensor, text_features: torch.Tensor,
                              meta: pd.DataFrame, attributes, k: int = 10) -> pd.DataFrame:
    """`neighbour_agreement` per attribute among images and among captions, beside the
    chance level Σ_v p_v²: one row per attribute that is a column of `meta`."""
    rows = {}
    for attribute in [a for a in attributes if a in meta.columns]:
        values = meta[attribute].astype(str)
        rows[attribute] = {"images": neighbour_agreement(image_features, values, k),
                           "captions": neighbour_agreement(text_features, values, k),
                           "chance": float((values.value_counts(normalize=True) ** 2).sum())}
    return pd.DataFrame(rows, index=["images", "captions", "chance"]).T


def before_after_table(untrained: pd.DataFrame, trained: pd.DataFrame) -> pd.DataFrame:
    """Two `neighbour_agreement_table`s side by side under flat headers: images and captions
    at random init and trained, and the chance level once."""
    return pd.DataFrame({f"{kind}, {state}": table[kind] for kind in ("images", "captions")
                         for state, table in (("random init", untrained), ("trained", trained))}
                        ).assign(chance=trained["chance"])


def organising_attributes(table: pd.DataFrame, column: str, margin: float = 0.15) -> str:
    """The attributes whose agreement in `column` beats chance by more than `margin`, most
    first, in words ("background 1.00, size 0.87 (chance 0.50, 0.50)"); "none" otherwise."""
    lead = (table[column] - table["chance"]).sort_values(ascending=False)
    shown = [a for a in lead.index if lead[a] > margin]
    if not shown:
        return _("no attribute above chance")
    return _("{found} (chance {chances})", found=", ".join(f"{label(a)} {table.at[a, column]:.2f}" for a in shown),
             chances=", ".join(f"{table.at[a, 'chance']:.2f}" for a in shown))

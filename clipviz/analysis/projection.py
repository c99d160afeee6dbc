"""2-D maps of the joint space: UMAP and PCA, and how faithful a map is.

umap-learn is imported only when a UMAP is asked for: its import compiles numba code
(≈ 10–15 s), which nobody should pay for `import clipviz`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

METHODS = ("umap", "pca")


def stack_modalities(image_features: torch.Tensor, text_features: torch.Tensor,
                     meta: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Images and captions of N pairs as one point set for a joint map.

    Returns:
        features (2N, D): the N images, then the N captions;
        points: a DataFrame of 2N rows, `meta`'s columns (each caption takes its pair's
        row) plus `modality` ("image" / "caption").
    """
    if not len(image_features) == len(text_features) == len(meta):
        raise ValueError(f"{len(image_features)} image rows, {len(text_features)} text rows and "
                         f"{len(meta)} meta rows: one of each per pair")
    features = torch.cat([image_features, text_features]).numpy()
    points = pd.concat([meta.assign(modality="image"), meta.assign(modality="caption")], ignore_index=True)
    return features, points


def project(features, method: str = "umap", n_neighbors: int = 15, min_dist: float = 0.1,
            seed: int = 0) -> np.ndarray:
    """A 2-D map (N, 2) of features (N, D), cosine geometry.

    UMAP keeps local neighbourhoods (cosine metric, fixed `random_state`, so the same
    input gives the same map); PCA is the linear view: the two directions of largest
    variance of the centred features.
    """
    features = np.asarray(features, dtype=np.float32)
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}: use one of {METHODS}")
    if features.ndim != 2 or len(features) < 3:
        raise ValueError(f"need a (N, D) array with N ≥ 3 points to project, got shape {features.shape}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(features)
    if len(features) <= n_neighbors:
        raise ValueError(f"UMAP needs more points than n_neighbors: got {len(features)} points and "
                         f"n_neighbors={n_neighbors}. Pass more points, a smaller n_neighbors "
                         f"(e.g. {max(2, len(features) // 3)}), or method='pca'.")
    import umap

    with warnings.catch_warnings():   # umap warns that a fixed random_state disables parallelism
        warnings.simplefilter("ignore", UserWarning)
        try:
            reducer = umap.UMAP(n_neighbors=n_neighbors, min_dist=min_dist, metric="cosine",
                                random_state=seed, n_jobs=1)
            return reducer.fit_transform(features)
        except Exception as error:
            raise RuntimeError(f"umap-learn failed on {features.shape[0]} points of dimension "
                               f"{features.shape[1]} (n_neighbors={n_neighbors}): {error}. "
                               f"Try more points, a smaller n_neighbors, or method='pca'.") from error


def trustworthiness(features, coords, n_neighbors: int = 10) -> float:
    """scikit-learn's trustworthiness of a map: 1.0 when every point's k nearest neighbours
    on the map were also among its nearest in the original (cosine) space; lower when the
    map invents neighbours. It says nothing about distances between far-apart clusters."""
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness

    return float(sklearn_trustworthiness(np.asarray(features), np.asarray(coords),
                                         n_neighbors=n_neighbors, metric="cosine"))

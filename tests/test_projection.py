import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.decomposition import PCA

from clipviz.analysis import projection
from clipviz.teaching.widgets import EmbeddingExplorer


def clustered_points(n_per_cluster: int = 30, seed: int = 0) -> np.ndarray:
    """Three well-separated clusters in 16-d."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16)) * 5
    return np.concatenate([c + rng.normal(size=(n_per_cluster, 16)) for c in centres]).astype(np.float32)


def test_pca_matches_scikit_learn():
    points = clustered_points()
    assert np.allclose(projection.project(points, "pca"), PCA(2).fit_transform(points), atol=1e-4)


def test_umap_is_deterministic_and_keeps_neighbourhoods():
    points = clustered_points()
    first, second = projection.project(points, "umap", seed=3), projection.project(points, "umap", seed=3)
    assert first.shape == (90, 2)
    assert np.array_equal(first, second)
    assert projection.trustworthiness(points, first) > 0.9


def test_umap_with_too_few_points_says_what_to_do():
    with pytest.raises(ValueError, match="n_neighbors.*method='pca'"):
        projection.project(clustered_points(3), "umap", n_neighbors=15)


def test_bad_projection_requests():
    with pytest.raises(ValueError, match="unknown projection"):
        projection.project(clustered_points(), "tsne")
    with pytest.raises(ValueError, match="N ≥ 3"):
        projection.project(np.zeros((2, 4)), "pca")


def test_trustworthiness_is_one_for_a_faithful_map_and_lower_for_a_random_one():
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, 80)     # on a circle, cosine and map distances agree
    circle = np.stack([np.cos(angle), np.sin(angle), np.zeros(80)], axis=1)
    assert projection.trustworthiness(circle, circle[:, :2]) == pytest.approx(1.0)
    assert projection.trustworthiness(circle, rng.normal(size=(80, 2))) < 0.8


def test_stack_modalities_puts_images_then_captions():
    meta = pd.DataFrame({"colour": ["red", "blue"]})
    features, points = projection.stack_modalities(torch.ones(2, 3), torch.zeros(2, 3), meta)
    assert features.tolist() == [[1] * 3] * 2 + [[0] * 3] * 2
    assert points["modality"].tolist() == ["image", "image", "caption", "caption"]
    assert points["colour"].tolist() == ["red", "blue", "red", "blue"]
    with pytest.raises(ValueError, match="one of each per pair"):
        projection.stack_modalities(torch.ones(2, 3), torch.zeros(3, 3), meta)


def test_explorer_redraws_with_the_chosen_attribute():
    points = pd.DataFrame({"modality": ["image", "caption"] * 3, "colour": ["red", "red", "blue", "blue", "green", "green"],
                           "size": ["small", "small", "large", "large", "small", "small"]})
    explorer = EmbeddingExplorer(np.random.default_rng(0).normal(size=(6, 2)), points, ["colour", "size"])
    assert explorer.legend_labels() == ["blue", "green", "red", "image", "caption"]
    explorer.dropdown.value = "size"
    assert explorer.legend_labels() == ["large", "small", "image", "caption"]
    assert explorer.legend.value == "<b>size</b>: large · small"
    with pytest.raises(ValueError, match="not columns"):
        EmbeddingExplorer(np.zeros((6, 2)), points, ["shape"])

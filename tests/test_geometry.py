import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.neighbors import NearestNeighbors

from clipviz.analysis import geometry


def features_with_known_gap(c: float = 0.3, n: int = 40, d: int = 16, seed: int = 0):
    """Images at +c and captions at −c along axis 0; the rest is shared and symmetric
    (each direction v comes with −v), so the centroids are exactly (±c, 0, …, 0)."""
    v = F.normalize(torch.randn(n // 2, d - 1, generator=torch.Generator().manual_seed(seed)), dim=-1)
    v = torch.cat([v, -v]) * (1 - c ** 2) ** 0.5
    images = torch.cat([torch.full((n, 1), c), v], dim=1)
    texts = torch.cat([torch.full((n, 1), -c), v], dim=1)
    return images, texts


def test_modality_gap_of_constructed_features():
    images, texts = features_with_known_gap(c=0.3)
    gap = geometry.modality_gap(images, texts)
    expected = torch.zeros(16)
    expected[0] = 0.6
    assert torch.allclose(gap["gap"], expected, atol=1e-6)
    assert gap["distance"] == pytest.approx(0.6, abs=1e-6)
    assert gap["centroid_cosine"] == pytest.approx(-1.0, abs=1e-6)   # (c,0…) vs (−c,0…)


def test_closing_the_gap_makes_matched_pairs_identical():
    images, texts = features_with_known_gap(c=0.3)
    closed_images, closed_texts = geometry.close_gap(images, texts)
    assert torch.allclose(closed_images, closed_texts, atol=1e-6)
    assert geometry.modality_gap(closed_images, closed_texts)["distance"] < 1e-6
    assert torch.allclose(closed_images.norm(dim=1), torch.ones(len(images)))


def test_matched_similarities_against_a_loop():
    images, texts = (F.normalize(torch.randn(5, 8), dim=-1) for _ in range(2))
    matched, unmatched = geometry.matched_similarities(images, texts)
    assert np.allclose(matched, [float(images[i] @ texts[i]) for i in range(5)], atol=1e-6)
    others = sorted(float(images[i] @ texts[j]) for i in range(5) for j in range(5) if i != j)
    assert np.allclose(sorted(unmatched), others, atol=1e-6)


def test_nearest_and_nearest_distinct_against_a_loop():
    queries, gallery = F.normalize(torch.randn(4, 8), dim=-1), F.normalize(torch.randn(30, 8), dim=-1)
    labels = [f"caption {i % 7}" for i in range(30)]
    found = geometry.nearest(queries, gallery, k=5)
    distinct = geometry.nearest_distinct(queries, gallery, labels, k=3)
    for q in range(4):
        order = sorted(range(30), key=lambda g: -float(queries[q] @ gallery[g]))
        assert found[q].tolist() == order[:5]
        expected = list(dict.fromkeys(labels[g] for g in order))[:3]
        assert distinct[q] == expected


def test_neighbour_agreement_against_scikit_learn():
    rng = np.random.default_rng(0)
    features = F.normalize(torch.from_numpy(rng.normal(size=(60, 6))).float(), dim=-1)
    values = rng.choice(["a", "b", "c"], size=60)
    neighbours = NearestNeighbors(n_neighbors=6, metric="cosine").fit(features.numpy())
    index = neighbours.kneighbors(features.numpy(), return_distance=False)[:, 1:]   # drop self
    expected = (values[index] == values[:, None]).mean()
    assert geometry.neighbour_agreement(features, values, k=5) == pytest.approx(expected, abs=1e-6)


def test_neighbour_agreement_table_sees_the_attribute_that_shapes_the_space():
    rng = np.random.default_rng(1)
    meta = pd.DataFrame({"colour": rng.choice(["red", "blue"], 80), "noise": rng.choice(["x", "y"], 80)})
    direction = torch.tensor(np.where(meta["colour"] == "red", 3.0, -3.0)).float()[:, None]
    images = F.normalize(torch.cat([direction, torch.randn(80, 7)], dim=1), dim=-1)
    table = geometry.neighbour_agreement_table(images, images, meta, ["colour", "noise"])
    assert table.loc["colour", "images"] > 0.95
    assert abs(table.loc["noise", "images"] - table.loc["noise", "chance"]) < 0.15


def test_zero_shot_with_gap_closed():
    classifier = torch.eye(3, 8)
    images = F.normalize(torch.eye(3, 8) + 0.1, dim=-1)
    result = geometry.zero_shot_with_gap_closed(images, [0, 1, 2], classifier, torch.zeros(8))
    assert result == {"as trained": 1.0, "gap closed": 1.0}
    # a gap shift that pushes every image towards class 0 is undone by closing it
    shifted = F.normalize(images + torch.eye(1, 8) * 2, dim=-1)
    gap = torch.eye(1, 8)[0] * 1.2
    result = geometry.zero_shot_with_gap_closed(shifted, [0, 1, 2], classifier, gap)
    assert result["as trained"] == pytest.approx(1 / 3)
    assert result["gap closed"] == 1.0


def test_neighbour_agreement_among_a_subset_averages_only_those_rows():
    features = F.normalize(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]), dim=-1)
    values = ["a", "a", "b", "a"]                      # item 3's nearest neighbour (2) disagrees
    assert geometry.neighbour_agreement(features, values, k=1) == pytest.approx(0.5)
    assert geometry.neighbour_agreement(features, values, k=1, among=[False, False, False, True]) == 0.0
    assert geometry.neighbour_agreement(features, values, k=1, among=[True, True, False, False]) == 1.0


def test_before_after_table_and_the_attributes_that_organise_a_space():
    import pandas as pd

    from clipviz.analysis.geometry import before_after_table, organising_attributes

    before = pd.DataFrame({"images": [1.0, 0.55], "captions": [0.5, 0.5], "chance": [0.5, 0.5]},
                          index=["background", "colour"])
    after = pd.DataFrame({"images": [0.9, 0.98], "captions": [0.6, 0.95], "chance": [0.5, 0.5]},
                         index=["background", "colour"])
    table = before_after_table(before, after)
    assert list(table.columns) == ["images, random init", "images, trained", "captions, random init",
                                   "captions, trained", "chance"]
    assert table.at["background", "images, random init"] == 1.0 and table.at["colour", "captions, trained"] == 0.95
    assert organising_attributes(table, "images, random init") == "background 1.00 (chance 0.50)"
    assert organising_attributes(table, "images, trained") == "colour 0.98, background 0.90 (chance 0.50, 0.50)"
    assert organising_attributes(table, "captions, random init") == "no attribute above chance"

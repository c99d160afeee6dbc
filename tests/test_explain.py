"""Explanation maps against hand-computed cases; the scores on constructed maps and masks."""

import numpy as np
import pandas as pd
import pytest
import torch

from clipviz import ShapesWorld, create_model
from clipviz.analysis.explain import (attention_relevance, cell_coverage, explanation_maps, grad_cam, map_method, mask_iou,
                             pointing_hit, random_maps, upsample)


def test_grad_cam_on_a_tiny_conv_net_by_hand():
    """conv 1x1 with weights (1, -1) → A = (x, -x); mean pool; score = 2·mean(A0) + 1·mean(A1).
    ∂score/∂A0 = 2/4 and ∂score/∂A1 = 1/4 everywhere, so the map is ReLU(0.5·x − 0.25·x) = ReLU(0.25·x)."""
    conv = torch.nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]]).view(1, 1, 2, 2)
    activations = conv(x)
    score = (activations.mean(dim=(2, 3)) * torch.tensor([2.0, 1.0])).sum()
    gradients, = torch.autograd.grad(score, activations)
    assert torch.allclose(grad_cam(activations, gradients), torch.tensor([[[0.25, 0.0], [0.75, 0.0]]]))


def test_attention_relevance_equals_a_naive_loop():
    g = torch.Generator().manual_seed(0)
    blocks = [(torch.rand(2, 3, 5, 5, generator=g).softmax(-1), torch.randn(2, 3, 5, 5, generator=g)) for _ in range(3)]
    out = attention_relevance([a for a, _ in blocks], [d for _, d in blocks])
    for b in range(2):                      # one image at a time, heads averaged by hand
        relevance = torch.eye(5)
        for attention, gradient in blocks:
            weighted = sum(torch.clamp(gradient[b, h] * attention[b, h], min=0) for h in range(3)) / 3
            relevance = relevance + weighted @ relevance
        assert torch.allclose(out[b], relevance[0, 1:], atol=1e-6)


@pytest.mark.parametrize("name,grid,method", [("shapes-cnn-tiny", (2, 2), "grad-cam"),
                                              ("shapes-rn-tiny", (2, 2), "grad-cam"),
                                              ("shapes-vit-tiny", (4, 4), "attention relevance"),
                                              ("shapes-vit-plain", (8, 8), "attention relevance")])
def test_explanation_maps_for_every_tower(name, grid, method):
    model, _, tokenizer = create_model(name, seed=0)
    images = ShapesWorld(seed=0).dataset("test", n=3).image_batch(range(3), 64)
    before = [p.clone() for p in model.parameters()]
    maps = explanation_maps(model, tokenizer, images, ["a red circle", "a blue star", "a green cross"])
    assert map_method(model) == method and maps.shape == (3, *grid)
    assert maps.min() >= 0 and maps.max() <= 1
    assert all(p.grad is None for p in model.parameters())            # no gradients left behind
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert not any("attention" in vars(block) for block in getattr(getattr(model.visual, "transformer", None),
                                                                   "resblocks", []))
    assert all(not b.attn.attn_drop._forward_pre_hooks for b in getattr(getattr(model.visual, "trunk", None), "blocks", []))
    with pytest.raises(ValueError, match="one prompt per image"):
        explanation_maps(model, tokenizer, images, ["a red circle"])


@pytest.mark.parametrize("name,tokens,heads,grid", [("shapes-vit-plain", 65, 2, (8, 8)),   # open_clip's ViT
                                                   ("shapes-vit-tiny", 17, 4, (4, 4))])   # timm's, in the hybrid
def test_recorded_attention_computes_what_the_block_computes(name, tokens, heads, grid):
    from clipviz.analysis.explain import _recorded_attention

    model, _, _ = create_model(name, seed=0)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        plain = model.encode_image(x)
    with _recorded_attention(model.visual) as (attentions, recorded_grid, prefix):
        recorded = model.encode_image(x)
    assert torch.allclose(plain, recorded, atol=1e-5) and len(attentions) == 2
    assert recorded_grid == grid and prefix == 1 and attentions[0].shape == (2, heads, tokens, tokens)
    assert torch.allclose(attentions[0].sum(-1), torch.ones(2, heads, tokens)) and attentions[0].requires_grad


def test_pointing_game_and_iou_on_constructed_maps():
    mask = np.zeros((64, 64), bool)
    mask[8:24, 40:60] = True                                   # an object in the top-right cell of a 2x2 grid
    top_right = np.array([[0.1, 0.9], [0.2, 0.3]])
    assert pointing_hit(top_right, mask) and not pointing_hit(top_right[:, ::-1], mask)
    assert cell_coverage(mask, (2, 2))[0, 1] == pytest.approx(16 * 20 / 32 ** 2)
    assert mask_iou(mask.astype(float), mask) == 1.0
    shifted = np.zeros((64, 64))
    shifted[8:24, 50:64] = 1.0                                  # 16x10 of it inside, 16x4 outside
    assert mask_iou(shifted, mask) == pytest.approx(16 * 10 / (16 * 20 + 16 * 14 - 16 * 10))
    assert mask_iou(np.zeros((2, 2)), mask) == 0.0
    assert upsample(top_right, 64).shape == (64, 64)
    maps = random_maps(2000, (2, 2), seed=0)
    hit_rate = np.mean([pointing_hit(m, mask) for m in maps])
    assert hit_rate == pytest.approx(0.25, abs=0.03)            # one cell of four holds the object


def test_scored_maps_score_each_image_against_its_named_object():
    from clipviz.analysis.explain import map_examples, named_object_prompts, scored_maps

    world = ShapesWorld(seed=0)
    data = world.dataset("test", n=16, eval_counts=(0, 1, 0, 0), quality_p=0.0)   # masks are known
    model, _, tokenizer = create_model("shapes-vit-tiny", seed=0)
    scores = scored_maps(model, tokenizer, data, world, seed=3)
    prompts, named = named_object_prompts(data.meta, seed=3)
    assert list(scores["prompt"]) == prompts and (scores["named"] == named).all()
    for k, row in scores.iterrows():
        masks = world.object_masks(data.meta.iloc[k])
        assert row["hit"] == pointing_hit(row["map"], masks[named[k]])
        assert row["hit_other"] == pointing_hit(row["map"], masks[1 - named[k]])
        assert row["iou"] == pytest.approx(mask_iou(row["map"], masks[named[k]]))
    examples = map_examples(model, tokenizer, data, n=5, world=world, seed=3)
    assert examples.prompts == prompts[:5] and np.allclose(examples.maps, np.stack(scores["map"][:5]), atol=1e-5)
    assert examples.masks.shape == (5, 64, 64)
    with pytest.raises(ValueError, match="two-object scenes"):
        scored_maps(model, tokenizer, world.dataset("test", n=4), world)


def naive_bilinear(grid: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling one output pixel at a time (pixel centres, edges clamped)."""
    h, w = grid.shape
    out = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            y = min(max((i + 0.5) * h / size - 0.5, 0), h - 1)
            x = min(max((j + 0.5) * w / size - 0.5, 0), w - 1)
            y0, x0 = int(y), int(x)
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            dy, dx = y - y0, x - x0
            out[i, j] = ((1 - dy) * ((1 - dx) * grid[y0, x0] + dx * grid[y0, x1])
                         + dy * ((1 - dx) * grid[y1, x0] + dx * grid[y1, x1]))
    return out


def test_maps_reach_the_image_resolution_as_a_naive_bilinear_upsample():
    grid = np.random.default_rng(0).random((4, 4))
    for cells, size in ((grid, 64), (grid[:2, :2], 64), (grid, 48)):
        assert np.allclose(upsample(cells, size), naive_bilinear(cells, size), atol=1e-6)


def test_maps_at_a_common_grid_by_hand():
    from clipviz.analysis.explain import at_grid, common_grid, mask_at_grid, pooled

    fine = np.arange(16, dtype=float).reshape(4, 4)
    naive = np.array([[fine[2 * r:2 * r + 2, 2 * c:2 * c + 2].mean() for c in range(2)] for r in range(2)])
    assert np.allclose(pooled(fine, (2, 2)), naive) and np.allclose(pooled(fine, (4, 4)), fine)
    assert common_grid([(4, 4), (2, 2), (8, 8)]) == (2, 2)
    mask = np.zeros((64, 64), bool)
    mask[0:16, 0:32] = True                   # half of the top-left cell of a 2x2 grid, all of its top row
    assert np.allclose(mask_at_grid(mask, (2, 2)), [[0.5, 0], [0, 0]])
    assert np.allclose(mask_at_grid(mask, (4, 4)), cell_coverage(mask, (4, 4)))
    # a 4x4 map that is the mask exactly: at its own grid IoU 1; pooled to 2x2 it is the top-left quadrant's
    # blob, scored as any 2x2 map: the same as the true mask at 2x2
    table = pd.DataFrame({"map": [cell_coverage(mask, (4, 4))]})
    scored = at_grid(table, mask[None], (2, 2))
    assert scored.at[0, "true_iou"] == pytest.approx(mask_iou(cell_coverage(mask, (4, 4)), mask))
    assert scored.at[0, "iou_common"] == pytest.approx(scored.at[0, "true_iou_common"])
    assert scored.at[0, "true_iou_common"] == pytest.approx(mask_iou(np.array([[0.5, 0], [0, 0]]), mask))


def test_the_dense_head_is_a_1x1_convolution_scored_against_the_text():
    from clipviz.analysis.explain import DenseHead

    g = torch.Generator().manual_seed(0)
    features, text = torch.randn(3, 5, 4, 4, generator=g), torch.randn(3, 7, generator=g)
    mean, std = torch.rand(5, generator=g), torch.rand(5, generator=g) + 0.5
    head = DenseHead(mean, std, 7)
    projected = head.project((features - mean.view(1, 5, 1, 1)) / std.view(1, 5, 1, 1))      # (3, 7, 4, 4)
    naive = torch.stack([(projected[b] * text[b].view(7, 1, 1)).sum(0) for b in range(3)]) + head.bias
    assert torch.allclose(head(features, text), naive, atol=1e-5)


def test_the_dense_head_scores_a_hand_checked_iou():
    """A head whose logit is +1 on the left half of an 8x8 grid and -1 on the right: upsampled
    to 64 px (bilinear, zero at x = 32) and cut at probability 0.5 it is the left 32 columns, so
    against an object of rows 8..24, columns 24..40 the IoU is 16·8 / (64·32 + 16·16 − 16·8)."""
    from types import SimpleNamespace

    from clipviz.analysis import explain

    class Head(torch.nn.Module):
        def forward(self, features, text):
            return torch.where(torch.arange(8) < 4, 1.0, -1.0).expand(len(features), 8, 8)

    mask = np.zeros((64, 64), bool)
    mask[8:24, 24:40] = True
    meta = pd.DataFrame({"colour": ["red"], "shape": ["circle"], "colour2": ["blue"], "shape2": ["star"]})
    world = SimpleNamespace(image_size=64, object_masks=lambda row: np.stack([mask, mask]))
    data = SimpleNamespace(meta=meta, image_batch=lambda rows, size: torch.zeros(len(rows), 3, size, size, dtype=torch.uint8))
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    scores = explain.scored_dense(Head(), model, tokenizer, data, world, seed=0)
    assert scores.at[0, "iou"] == pytest.approx(16 * 8 / (64 * 32 + 16 * 16 - 16 * 8))
    assert np.allclose(scores.at[0, "map"][:, :4], 1 / (1 + np.exp(-1)))         # its probability per cell


def test_a_dense_head_trains_on_the_worlds_masks():
    from clipviz.analysis.explain import DenseConfig, spatial_features, train_dense_head

    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    images = ShapesWorld(seed=0).dataset("test", n=2).image_batch(range(2), 64)
    features = spatial_features(model, images, stride=8)
    assert features.shape == (2, 48 + 192 + 96, 8, 8)                   # layer2 (8x8) + layer3 + layer4, upsampled
    head, history = train_dense_head(model, tokenizer, ShapesWorld(seed=0), DenseConfig(n_train=32, steps=30, batch_size=16))
    assert len(history) == 30 and history["loss"].iloc[-5:].mean() < history["loss"].iloc[:5].mean()
    assert all(p.grad is None for p in model.parameters())              # the tower stays frozen
    vit, _, _ = create_model("shapes-vit-tiny", seed=0)
    with pytest.raises(ValueError, match="convolutional image tower"):
        spatial_features(vit, images)

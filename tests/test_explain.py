"""Explanation maps against hand-computed cases; the scores on constructed maps and masks."""

import numpy as np
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
    data = world.dataset("test", n=16, eval_counts=(0, 1, 0, 0))
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

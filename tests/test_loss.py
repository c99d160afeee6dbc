import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from open_clip.loss import ClipLoss

from clipviz.core.loss import chance_loss, clip_logits, clip_loss


@pytest.mark.parametrize("batch", [2, 3, 17, 64])
def test_equals_open_clip_clip_loss_value_and_gradients(batch):
    g = torch.Generator().manual_seed(batch)
    image = torch.randn(batch, 32, generator=g, dtype=torch.float64, requires_grad=True)
    text = torch.randn(batch, 32, generator=g, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(math.log(1 / 0.07), dtype=torch.float64, requires_grad=True)
    ours = clip_loss(image, text, t.exp())
    theirs = ClipLoss()(F.normalize(image, dim=-1), F.normalize(text, dim=-1), t.exp())
    assert abs(ours.item() - theirs.item()) <= 1e-6
    grads_ours = torch.autograd.grad(ours, (image, text, t))
    grads_theirs = torch.autograd.grad(theirs, (image, text, t))
    for a, b in zip(grads_ours, grads_theirs):
        assert torch.allclose(a, b, atol=1e-9)


def test_matches_the_papers_pseudocode_with_numpy():
    rng = np.random.default_rng(0)
    image, text, t = rng.normal(size=(8, 5)), rng.normal(size=(8, 5)), 2.0
    i_e = image / np.linalg.norm(image, axis=1, keepdims=True)
    t_e = text / np.linalg.norm(text, axis=1, keepdims=True)
    logits = i_e @ t_e.T * np.exp(t)

    def cross_entropy(z):   # rows are predictions, the diagonal the labels
        z = z - z.max(1, keepdims=True)
        return -(np.diag(z) - np.log(np.exp(z).sum(1))).mean()

    expected = (cross_entropy(logits) + cross_entropy(logits.T)) / 2
    ours = clip_loss(torch.tensor(image), torch.tensor(text), torch.tensor(np.exp(t)))
    assert ours.item() == pytest.approx(expected, abs=1e-12)


def test_the_call_an_open_clip_user_writes_gives_open_clips_loss():
    from clipviz.core.model import create_model

    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    images, tokens = torch.randn(6, 3, 64, 64), tokenizer([f"a photo of {n} shapes" for n in range(6)])
    with torch.no_grad():
        outputs = model(images, tokens)            # (image_features, text_features, exp(logit_scale))
    assert clip_loss(*outputs).item() == pytest.approx(ClipLoss()(*outputs).item(), abs=1e-6)


def test_the_log_scale_parameter_is_refused_with_the_fix():
    from clipviz.core.model import create_model

    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    with pytest.raises(ValueError, match=r"pass model\.logit_scale\.exp\(\)"):
        clip_loss(torch.randn(4, 8), torch.randn(4, 8), model.logit_scale)


def test_uniform_similarities_give_log_b():
    features = torch.ones(16, 4)   # every image equally similar to every text
    assert clip_loss(features, features, torch.tensor(2.0)).item() == pytest.approx(math.log(16))


def test_logits_per_text_is_the_transpose():
    image, text = torch.randn(4, 3), torch.randn(5, 3)
    per_image, per_text = clip_logits(image, text, torch.tensor(1.0))
    assert per_image.shape == (4, 5) and torch.equal(per_text, per_image.T)


def test_batch_of_one_is_refused():
    with pytest.raises(ValueError, match="at least 2 pairs"):
        clip_loss(torch.randn(1, 8), torch.randn(1, 8), torch.tensor(1.0))


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match=r"\(B, D\)"):
        clip_loss(torch.randn(4, 8), torch.randn(3, 8), torch.tensor(1.0))


def test_chance_loss_is_the_mean_loss_over_every_shift_of_the_captions():
    g = torch.Generator().manual_seed(0)
    image, text = torch.randn(12, 8, generator=g, dtype=torch.float64), torch.randn(12, 8, generator=g, dtype=torch.float64)
    scale = torch.tensor(2.5, dtype=torch.float64)
    shifted = [clip_loss(image, text.roll(k, 0), scale).item() for k in range(12)]   # every pairing of a row once
    assert chance_loss(image, text, scale) == pytest.approx(np.mean(shifted), abs=1e-12)


def test_chance_loss_is_log_b_plus_half_the_logit_variance():
    g = torch.Generator().manual_seed(1)
    image, text = torch.randn(256, 64, generator=g), torch.randn(256, 64, generator=g)
    scale = torch.tensor(1.0)   # small spread: the second-order term is all there is
    variance = np.mean([logits.var(1, unbiased=False).mean().item()   # ≈ e²/64 in each direction
                        for logits in clip_logits(image, text, scale)])
    expected = math.log(256) + variance / 2
    assert chance_loss(image, text, scale) == pytest.approx(expected, rel=2e-3)
    assert chance_loss(image, image, scale) > math.log(256)   # never below ln B, even for a perfect pairing


def test_hard_negative_loss_equals_a_naive_loop_over_the_enlarged_logits():
    from clipviz.core.loss import hard_negative_clip_loss

    rng = np.random.default_rng(1)
    batch, scale = 6, 14.0
    image, text, negative = (rng.normal(size=(batch, 5)) for _ in range(3))
    has = np.array([True, False, True, True, False, True])
    unit = lambda x: x / np.linalg.norm(x)                                 # noqa: E731
    i2t = []
    for i in range(batch):           # image i against every caption and every existing negative
        candidates = [unit(t) for t in text] + [unit(n) for n, h in zip(negative, has) if h]
        logits = scale * np.array([unit(image[i]) @ c for c in candidates])
        i2t.append(-(logits[i] - np.log(np.exp(logits).sum())))
    t2i = []
    for j in range(batch):           # caption j against every image (negatives are not queries)
        logits = scale * np.array([unit(text[j]) @ unit(x) for x in image])
        t2i.append(-(logits[j] - np.log(np.exp(logits).sum())))
    expected = (np.mean(i2t) + np.mean(t2i)) / 2
    ours = hard_negative_clip_loss(*(torch.tensor(x) for x in (image, text, negative)), torch.tensor(has),
                                   torch.tensor(scale))
    assert ours.item() == pytest.approx(expected, abs=1e-12)
    none = hard_negative_clip_loss(*(torch.tensor(x) for x in (image, text, negative)), torch.zeros(batch, dtype=bool),
                                   torch.tensor(scale))
    assert none.item() == pytest.approx(clip_loss(torch.tensor(image), torch.tensor(text), torch.tensor(scale)).item())
    with pytest.raises(ValueError, match="one negative per caption"):
        hard_negative_clip_loss(torch.tensor(image), torch.tensor(text), torch.tensor(negative[:3]), torch.tensor(has),
                                torch.tensor(scale))

"""CLIP's symmetric contrastive loss (InfoNCE), after the paper's pseudo-code:

    I_e = l2_normalize(I_f)          # (n, d) image embeddings
    T_e = l2_normalize(T_f)          # (n, d) text embeddings
    logits = I_e @ T_e.T * exp(t)    # (n, n), t = learned log inverse temperature
    labels = arange(n)               # pair i matches pair i
    loss = (CE(logits, labels, axis=0) + CE(logits, labels, axis=1)) / 2

At initialisation the embeddings are unrelated, every row of the softmax is close to
uniform, and the loss is close to `chance_loss`: ln(n) plus about half the variance of
a row of logits.

The scale convention is open_clip's: every function here takes `logit_scale` = exp(t),
the multiplier itself, which is what an open_clip model's forward returns and what
`open_clip.loss.ClipLoss` takes. So `clip_loss(*model(images, tokens))` is the loss of a
batch, and from the parameter it is `clip_loss(image_features, text_features,
model.logit_scale.exp())`. Passing the parameter `model.logit_scale` itself (the log, t)
is refused with a message, never silently exponentiated twice or not at all.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_scale(logit_scale) -> None:
    if isinstance(logit_scale, torch.nn.Parameter):
        raise ValueError("logit_scale must be the multiplier exp(t), as an open_clip model's forward returns "
                         "it; this is the model's parameter t itself: pass model.logit_scale.exp()")


def clip_logits(image_features: torch.Tensor, text_features: torch.Tensor,
                logit_scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled cosine similarities.

    Args:
        image_features: (N, D) raw image-tower outputs.
        text_features: (M, D) raw text-tower outputs.
        logit_scale: the inverse temperature exp(t) (≤ 100), a scalar tensor or float.
    Returns:
        logits_per_image (N, M) and logits_per_text (M, N).
    """
    _check_scale(logit_scale)
    image_features = F.normalize(image_features, dim=-1)
    text_features = F.normalize(text_features, dim=-1)
    logits_per_image = logit_scale * image_features @ text_features.T
    return logits_per_image, logits_per_image.T


def clip_loss(image_features: torch.Tensor, text_features: torch.Tensor,
              logit_scale: torch.Tensor) -> torch.Tensor:
    """Mean of the image→text and text→image cross-entropies over a batch of pairs.

    Args:
        image_features: (B, D); row i belongs with text row i.
        text_features: (B, D).
        logit_scale: the inverse temperature exp(t), as `model(images, tokens)` returns it.
    Returns:
        The scalar loss; equal to open_clip's ClipLoss on the same arguments.
    """
    if image_features.shape != text_features.shape or image_features.ndim != 2:
        raise ValueError(f"image and text features must both be (B, D), got "
                         f"{tuple(image_features.shape)} and {tuple(text_features.shape)}")
    batch = image_features.shape[0]
    if batch < 2:
        raise ValueError("the contrastive loss needs a batch of at least 2 pairs: with one pair "
                         "there are no negatives and the loss is trivially 0")
    logits_per_image, logits_per_text = clip_logits(image_features, text_features, logit_scale)
    labels = torch.arange(batch, device=image_features.device)
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2


def hard_negative_clip_loss(image_features: torch.Tensor, text_features: torch.Tensor,
                            negative_features: torch.Tensor, has_negative: torch.Tensor,
                            logit_scale: torch.Tensor) -> torch.Tensor:
    """NegCLIP's loss (Yuksekgonul et al. 2023): CLIP's, with each caption's hard negative —
    the same words in another order, another meaning — as one more wrong caption for every
    image of the batch.

    image → text: a cross-entropy over the B captions and the B hard negatives (B, 2B);
    text → image: over the B images, as in `clip_loss`. Negatives with `has_negative`
    False (captions with nothing to swap) are left out (their logits set to −inf).

    Args:
        image_features, text_features, negative_features: (B, D) raw tower outputs;
            negative row i is caption i's swapped twin.
        has_negative: (B,) bool.
        logit_scale: exp(t), as in `clip_loss`.
    """
    if negative_features.shape != text_features.shape or has_negative.shape != text_features.shape[:1]:
        raise ValueError(f"need one negative per caption: {tuple(negative_features.shape)} negatives and "
                         f"{tuple(has_negative.shape)} flags for {tuple(text_features.shape)} captions")
    logits_per_image, logits_per_text = clip_logits(image_features, torch.cat([text_features, negative_features]),
                                                    logit_scale)                       # (B, 2B), (2B, B)
    batch = image_features.shape[0]
    missing = torch.cat([torch.zeros_like(has_negative), ~has_negative])              # (2B,) columns to drop
    logits_per_image = logits_per_image.masked_fill(missing, float("-inf"))
    labels = torch.arange(batch, device=image_features.device)
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text[:batch], labels)) / 2


def chance_loss(image_features: torch.Tensor, text_features: torch.Tensor,
                logit_scale: torch.Tensor) -> float:
    """The loss these features would give if the pairing were random: each row's
    log-sum-exp minus its mean logit, averaged over rows and both directions (= the mean
    of `clip_loss` over every cyclic shift of the captions).

    It is ≥ ln B, and ≈ ln B + ½·(variance of a row of logits): an untrained CLIP sits
    here. Between unrelated random towers that variance ≈ scale²·(1 - c)/D, c the mean
    cosine between the row's items and D the joint space's size (benchmarks/bench_init_loss.py).
    """
    logits_per_image, logits_per_text = clip_logits(image_features, text_features, logit_scale)
    per_direction = [(logits.logsumexp(1) - logits.mean(1)).mean().item()   # (B, B) → scalar
                     for logits in (logits_per_image, logits_per_text)]
    return sum(per_direction) / 2


def in_batch_accuracy(image_features: torch.Tensor, text_features: torch.Tensor) -> tuple[float, float]:
    """Share of images whose best text is their own (i→t), and of texts likewise (t→i)."""
    similarity = F.normalize(image_features, dim=-1) @ F.normalize(text_features, dim=-1).T
    labels = torch.arange(similarity.shape[0], device=similarity.device)
    return ((similarity.argmax(1) == labels).float().mean().item(),
            (similarity.argmax(0) == labels).float().mean().item())

"""Encoding datasets and texts into the joint embedding space."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .model import encode_text, image_size, normalize_images, tokenize


def _device(model) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def encode_images(model, dataset, batch_size: int = 256, progress: bool | None = None) -> torch.Tensor:
    """Unit-norm image features, one row per pair of `dataset`: (P, D) float32.

    Each distinct image is encoded once (pairs that share an image share its row).
    A progress bar appears for more than a few batches unless `progress=False`.
    """
    model.eval()
    unique_ids, first_pair, pair_to_unique = np.unique(dataset.image_ids, return_index=True,
                                                       return_inverse=True)
    size, device = image_size(model), _device(model)
    starts = range(0, len(first_pair), batch_size)
    show = len(starts) > 8 if progress is None else progress
    chunks = []
    for start in tqdm(starts, desc="encoding images", disable=not show, leave=False):
        images = dataset.image_batch(first_pair[start:start + batch_size], size)
        chunks.append(model.encode_image(normalize_images(model, images).to(device)).float())
    features = F.normalize(torch.cat(chunks), dim=-1).cpu()
    return features[torch.from_numpy(pair_to_unique.reshape(-1))]


@torch.inference_mode()
def encode_texts(model, tokenizer, texts: list[str], batch_size: int = 1024) -> torch.Tensor:
    """Unit-norm text features (N, D) float32."""
    model.eval()
    if len(texts) == 0:
        raise ValueError("no texts to encode")
    tokens = tokenize(tokenizer, texts)
    device = _device(model)
    chunks = [encode_text(model, tokens[i:i + batch_size].to(device)).float()
              for i in range(0, len(tokens), batch_size)]
    return F.normalize(torch.cat(chunks), dim=-1).cpu()


def pair_features(model, tokenizer, dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-norm (image_features, text_features), one row per pair of a (small) dataset."""
    return encode_images(model, dataset), encode_texts(model, tokenizer, dataset.captions)

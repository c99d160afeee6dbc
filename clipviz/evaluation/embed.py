"""Encoding datasets and texts into the joint embedding space."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..data import prefetched
from .._paths import cache_dir, save_atomic
from ..core.model import encode_text, image_size, normalize_images, resolve_precision, tokenize


def _device(model) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def encode_images(model, dataset, batch_size: int = 256, progress: bool | None = None,
                  precision: str = "auto") -> torch.Tensor:
    """Unit-norm image features, one row per pair of `dataset`: (P, D) float32.

    Each distinct image is encoded once (pairs that share an image share its row). The next
    batch is read (decoded, resized) in a second thread while the model encodes this one.
    precision: "auto" runs the tower in bf16 autocast where the hardware is fast at it, as
    training does ("fp32" for exact comparisons). A progress bar appears for more than a few
    batches unless `progress=False`.
    """
    model.eval()
    unique_ids, first_pair, pair_to_unique = np.unique(dataset.image_ids, return_index=True,
                                                       return_inverse=True)
    size, device = image_size(model), _device(model)
    bf16 = resolve_precision(precision, device) == "bf16"
    batches = [first_pair[start:start + batch_size] for start in range(0, len(first_pair), batch_size)]
    show = len(batches) > 8 if progress is None else progress
    chunks = []
    read = tqdm(prefetched(lambda rows: dataset.image_batch(rows, size), batches), total=len(batches),
                desc="encoding images", disable=not show, leave=False)
    for images in read:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            chunks.append(model.encode_image(normalize_images(model, images).to(device)).float())
    features = F.normalize(torch.cat(chunks), dim=-1).cpu()
    return features[torch.from_numpy(pair_to_unique.reshape(-1))]


@torch.inference_mode()
def encode_texts(model, tokenizer, texts: list[str], batch_size: int = 1024, precision: str = "auto") -> torch.Tensor:
    """Unit-norm text features (N, D) float32.

    Texts are encoded in order of length, so each batch stops at its own longest text
    (`model.encode_text` skips the padding after it). precision as in `encode_images`; in
    bf16 only the text tower's MLPs run in bf16 (its attention is faster in fp32 on CPUs).
    """
    model.eval()
    if len(texts) == 0:
        raise ValueError("no texts to encode")
    tokens = tokenize(tokenizer, texts)
    device = _device(model)
    bf16 = resolve_precision(precision, device) == "bf16"
    order = torch.argsort((tokens != 0).sum(1), stable=True)               # shortest first
    chunks = []
    for start in range(0, len(tokens), batch_size):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16 and device.type != "cpu"):
            chunks.append(encode_text(model, tokens[order[start:start + batch_size]].to(device),
                                      mlp_bf16=bf16 and device.type == "cpu").float().cpu())
    return F.normalize(torch.cat(chunks)[torch.argsort(order)], dim=-1)    # back in the texts' order


def pair_features(model, tokenizer, dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-norm (image_features, text_features), one row per pair of a (small) dataset."""
    return encode_images(model, dataset), encode_texts(model, tokenizer, dataset.captions)


def model_fingerprint(model) -> str:
    """A hash of every weight: changes when the model is trained, reloaded or swapped."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def dataset_fingerprint(dataset, size: int) -> str:
    """A hash of a dataset's captions, image ids and image pixels at `size`."""
    digest = hashlib.sha256("\n".join(dataset.captions).encode())
    digest.update(np.ascontiguousarray(dataset.image_ids).tobytes())
    for start in range(0, len(dataset), 1024):
        digest.update(dataset.image_batch(range(start, min(start + 1024, len(dataset))), size).numpy().tobytes())
    return digest.hexdigest()[:16]


def cached_pair_features(model, tokenizer, dataset, folder=None) -> tuple[torch.Tensor, torch.Tensor]:
    """`pair_features`, stored on disk so that re-running a notebook is instant.

    The file name holds fingerprints of the weights and of the data, so a retrained or
    different model, or other data, never reuses stale encodings.
    Files go to `folder` (default: `$CLIPVIZ_CACHE/encodings`).
    """
    folder = Path(folder) if folder is not None else cache_dir() / "encodings"
    path = folder / f"{model_fingerprint(model)}-{dataset_fingerprint(dataset, image_size(model))}.pt"
    if path.exists():
        stored = torch.load(path, weights_only=True)
        return stored["image"], stored["text"]
    image_features, text_features = pair_features(model, tokenizer, dataset)
    save_atomic({"image": image_features, "text": text_features}, path)
    return image_features, text_features

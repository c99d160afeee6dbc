"""Encoding datasets and texts into the joint embedding space."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..data import loaded
from .._paths import cache_dir, save_atomic
from ..core.device import autocast, bf16_pays, device_of, loader_workers
from ..core.model import encode_text, image_size, model_input, resolve_precision, tokenize, trim_padding


@torch.inference_mode()
def encode_images(model, dataset, batch_size: int = 256, progress: bool | None = None,
                  precision: str = "auto") -> torch.Tensor:
    """Unit-norm image features, one row per pair of `dataset`: (P, D) float32, on the CPU.

    Runs on the model's device. Each distinct image is encoded once (pairs that share an
    image share its row). The next batches are read while the model encodes this one: on
    the CPU in one thread, resized there; on a GPU image files are decoded in DataLoader
    workers and in-memory images are copied at their stored size from pinned memory, then
    resized and normalised on the GPU (`core.model.model_input`).
    precision: "auto" runs the tower in bf16 autocast where the hardware is fast at it, as
    training does ("fp32" for exact comparisons); on a CPU only for batches of
    `core.device.CPU_BF16_MIN_BATCH` images and more, where it pays (`bf16_pays`). A progress
    bar appears for more than a few batches unless `progress=False`.
    """
    model.eval()
    unique_ids, first_pair, pair_to_unique = np.unique(dataset.image_ids, return_index=True,
                                                       return_inverse=True)
    size, device = image_size(model), device_of(model)
    read_size = dataset.stored_size if device.type != "cpu" and dataset.stored_size else size
    bf16 = resolve_precision(precision, device) == "bf16"
    batches = [first_pair[start:start + batch_size] for start in range(0, len(first_pair), batch_size)]
    show = len(batches) > 8 if progress is None else progress
    chunks = []
    reader = loaded(lambda rows: dataset.image_batch(rows, read_size), batches,
                    workers=loader_workers(device, dataset.reads_files), pin=device.type == "cuda")
    for images in tqdm(reader, total=len(batches), desc="encoding images", disable=not show, leave=False):
        with autocast(device, bf16 and bf16_pays(device, len(images))):
            chunks.append(model.encode_image(model_input(model, images, device)).float())
    features = F.normalize(torch.cat(chunks), dim=-1).cpu()
    return features[torch.from_numpy(pair_to_unique.reshape(-1))]


@torch.inference_mode()
def encode_texts(model, tokenizer, texts: list[str], batch_size: int = 1024, precision: str = "auto") -> torch.Tensor:
    """Unit-norm text features (N, D) float32, on the CPU (computed on the model's device).

    Texts are encoded in order of length, so each batch stops at its own longest text
    (`model.encode_text` skips the padding after it). precision as in `encode_images`; in
    bf16 only the text tower's MLPs run in bf16 (its attention is faster in fp32 on CPUs).
    """
    model.eval()
    if len(texts) == 0:
        raise ValueError("no texts to encode")
    tokens = tokenize(tokenizer, texts)
    device = device_of(model)
    bf16 = resolve_precision(precision, device) == "bf16"
    order = torch.argsort((tokens != 0).sum(1), stable=True)               # shortest first
    chunks = []
    for start in range(0, len(tokens), batch_size):
        batch = tokens[order[start:start + batch_size]]
        batch = batch if device.type == "cpu" else trim_padding(batch)      # cut on the host: no wait for the GPU
        with autocast(device, bf16 and device.type != "cpu"):
            chunks.append(encode_text(model, batch.to(device), mlp_bf16=bf16 and device.type == "cpu").float())
    features = torch.cat(chunks).cpu()                                     # one copy back, at the end
    return F.normalize(features[torch.argsort(order)], dim=-1)              # back in the texts' order


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

"""Image classifiers: an image tower and a linear head, trained with cross-entropy.

Notebook 05's supervised baselines (the default image tower from scratch, on the labels of
one render style) and CLIP fine-tuned end to end from its zero-shot head (the head
initialised from the class text embeddings, as WiSE-FT does) are both `ImageClassifier`s.
"""

from __future__ import annotations

import copy
import dataclasses
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .device import autocast, bf16_pays
from .model import image_mean_std, image_size, resolve_precision
from ..seed import seed_everything
from .train import FINE_TUNE, SCRATCH, TrainConfig, batch_indices, make_optimizer, warmup_cosine

class ImageClassifier(torch.nn.Module):
    """An image tower and a linear head over uint8 images.

    logits = head(f(x)), with f(x) unit-normalised when `normalize_features` (a CLIP tower
    with its zero-shot head: logits = scale · cosine(image, class text)).
    """

    def __init__(self, tower: torch.nn.Module, head: torch.nn.Linear, mean, std, image_size: int,
                 normalize_features: bool = False):
        super().__init__()
        self.tower, self.head, self.image_size = tower, head, image_size
        self.normalize_features = normalize_features
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) → logits (B, C)."""
        x = (images.float() / 255 - self.mean) / self.std
        features = self.tower(x)
        if self.normalize_features:
            features = F.normalize(features, dim=-1)
        return self.head(features)


DEFAULT_TOWER = {"stem_width": 16, "channels": (32, 48, 48, 96)}   # timm's test_resnet: shapes-cnn-tiny's tower
OPENAI_MEAN_STD = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))


def supervised_classifier(n_classes: int, width: float = 1.0, image_size: int = 64, seed: int = 0) -> ImageClassifier:
    """The default model's image tower (timm's test_resnet) with `width` times its channels
    and a linear head over `n_classes`, freshly initialised: a supervised baseline."""
    import timm   # open_clip's dependency; imported here, where it is needed

    torch.manual_seed(seed)
    tower = timm.create_model("test_resnet", num_classes=0, stem_width=max(4, round(DEFAULT_TOWER["stem_width"] * width)),
                              channels=tuple(max(4, round(c * width)) for c in DEFAULT_TOWER["channels"]))
    return ImageClassifier(tower, torch.nn.Linear(tower.num_features, n_classes), *OPENAI_MEAN_STD, image_size)


def zero_shot_image_classifier(model, classifier: torch.Tensor, scale: float = 100.0) -> ImageClassifier:
    """CLIP's image tower with its zero-shot head: the head's weights are `scale` times the
    (C, D) unit-norm class embeddings (`zeroshot.zero_shot_classifier`), no bias — the
    zero-shot classifier as a network that can be fine-tuned end to end (WiSE-FT's start).
    The tower is a copy: fine-tuning it leaves `model` as it is."""
    head = torch.nn.Linear(classifier.shape[1], classifier.shape[0], bias=False)
    with torch.no_grad():
        head.weight.copy_(scale * classifier)
    mean, std = image_mean_std(model)
    net = ImageClassifier(copy.deepcopy(model.visual), head, mean, std, image_size(model), normalize_features=True)
    return net.to(next(model.parameters()).device)       # on the model's device, head and buffers too


def train_classifier(net: ImageClassifier, dataset, target, config: TrainConfig, pretrained: bool = False) -> pd.DataFrame:
    """Train `net` with cross-entropy on `dataset`'s images and their class indices `target`.

    The batches, schedule and optimizer are clipviz.train's (seeded batch order, AdamW
    without decay on gains and biases, warmup-cosine); the unset lr / warmup come from
    the fine-tuning recipe when `pretrained` (a CLIP tower), else from the scratch recipe.

    Trains where `net` lives (its parameters' device).

    Returns:
        History, one row per step: step, loss, lr, acc (in-batch accuracy), seconds.
    """
    device = next(net.parameters()).device
    target = torch.tensor(np.asarray(target), dtype=torch.long)
    if len(target) != len(dataset):
        raise ValueError(f"{len(target)} targets for {len(dataset)} images")
    if config.batch_size > len(dataset):
        raise ValueError(f"batch_size={config.batch_size} is larger than the dataset ({len(dataset)} images)")
    recipe = FINE_TUNE if pretrained else SCRATCH
    lr = config.lr if config.lr is not None else recipe["lr"]
    warmup = config.warmup_steps if config.warmup_steps is not None else recipe["warmup_steps"]
    seed_everything(config.seed)
    bf16 = resolve_precision(config.precision, device) == "bf16"
    optimizer = make_optimizer(net, dataclasses.replace(config, lr=lr))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup, config.steps))
    history, clock = [], time.perf_counter()
    net.train()
    for step in tqdm(range(config.steps), desc="training classifier", disable=not config.progress, mininterval=0.5):
        ids = batch_indices(config.seed, step, len(dataset), config.batch_size)
        images, labels = dataset.image_batch(ids, net.image_size).to(device), target[ids].to(device)
        with autocast(device, bf16):
            logits = net(images)
        loss = F.cross_entropy(logits.float(), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
        optimizer.step()
        scheduler.step()
        history.append({"step": step + 1, "loss": loss.item(), "lr": scheduler.get_last_lr()[0],
                        "acc": (logits.argmax(1) == labels).float().mean().item(),
                        "seconds": time.perf_counter() - clock})
    net.eval()
    return pd.DataFrame(history)


@torch.inference_mode()
def predict(net: ImageClassifier, dataset, batch_size: int = 256, precision: str = "auto") -> np.ndarray:
    """(N,) the class `net` gives each pair's image (bf16 autocast where it pays, as `embed.encode_images`)."""
    net.eval()
    device = next(net.parameters()).device
    bf16 = resolve_precision(precision, device) == "bf16"
    out = []
    for i in range(0, len(dataset), batch_size):
        images = dataset.image_batch(range(i, min(i + batch_size, len(dataset))), net.image_size).to(device)
        with autocast(device, bf16 and bf16_pays(device, len(images))):
            out.append(net(images).argmax(1).cpu())
    return torch.cat(out).numpy()

"""Run under torchrun by tests/test_distributed.py (not a test module itself).

Modes:
  grads OUT   loss and gradients of one step on the global batch, for each
              (local_loss, gather_with_grad) setting; rank 0 writes them to OUT.
  mismatch    ranks load datasets of different sizes: training must refuse.
"""

import sys

import numpy as np
import torch
import torch.distributed as dist

from clipviz.core.distributed import TwoTowers, global_clip_loss, init_world, reported_loss, shard
from clipviz.core.model import create_model, encode_text, normalize_images, tokenize
from clipviz.core.train import TrainConfig, train
from clipviz.world import ShapesWorld

SETTINGS = [(True, True), (False, True), (False, False)]   # (local_loss, gather_with_grad)
GLOBAL_BATCH = 8


def grads(out: str) -> None:
    world = init_world()
    data = ShapesWorld(seed=0).dataset("train", n=GLOBAL_BATCH)
    results = {}
    for local_loss, gather_with_grad in SETTINGS:
        model, _, tokenizer = create_model("shapes-vit-plain", seed=0)   # LayerNorm only: no batch statistics
        ids = shard(np.arange(GLOBAL_BATCH), world)
        towers = torch.nn.parallel.DistributedDataParallel(TwoTowers(model, encode_text))
        images = normalize_images(model, data.image_batch(ids, 64))
        image_features, text_features = towers(images, tokenize(tokenizer, data.captions)[ids])
        loss = global_clip_loss(image_features, text_features, model.logit_scale.exp(), world, local_loss, gather_with_grad)
        value = reported_loss(loss, world, local_loss)
        loss.backward()
        results[f"{local_loss}-{gather_with_grad}"] = {
            "loss": value, "grads": {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}}
    if world.is_main:
        torch.save(results, out)
    dist.destroy_process_group()


def mismatch() -> None:
    world = init_world()
    model, _, _ = create_model("shapes-vit-plain", seed=0)
    data = ShapesWorld(seed=0).dataset("train", n=16 + world.rank)
    train(model, data, TrainConfig(steps=1, batch_size=4, progress=False))


if __name__ == "__main__":
    torch.set_num_threads(1)
    {"grads": lambda: grads(sys.argv[2]), "mismatch": mismatch}[sys.argv[1]]()

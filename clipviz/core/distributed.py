"""Training on several processes: every rank sees the whole global batch of negatives.

Run under PyTorch's launcher, e.g. `torchrun --nproc_per_node=2 -m clipviz train …`;
`clipviz.train` notices the launcher's environment (WORLD_SIZE > 1) and

- puts each process on its own GPU, `cuda:LOCAL_RANK` (refused in one sentence when a node
  runs more processes than it has GPUs), or on the CPU where there are none;
- joins the process group (`nccl` on GPUs, `gloo` on CPUs);
- splits each global batch of `batch_size` pairs into one shard per rank (the global
  batch order is the single-process one, reshuffled every epoch, so a run with the same
  seed sees the same batches whatever the world size);
- gathers image and text features from all ranks before the loss, so each pair is
  contrasted with all `batch_size − 1` others, not just the ones on its own rank;
- averages gradients with DistributedDataParallel.

The two open_clip options:
- `local_loss`: each rank scores only its own pairs against the global batch
  (B/W × B logits per rank instead of B × B) — the global loss is the mean over ranks;
- `gather_with_grad`: the gather passes gradients back to the rank that produced each
  feature, so every pair's features receive the gradient of every rank's loss.

Default: local_loss=True with gather_with_grad=True — the cheapest exact choice: the
logits shrink with the world size and the averaged gradients equal those of one process
on the whole batch. local_loss without gather_with_grad would drop the other ranks'
gradient terms, so it is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F

from .device import autocast, resolve_device
from .loss import clip_logits, clip_loss


@dataclass(frozen=True)
class World:
    """Where this process sits: rank r of `size` processes (size 1: no distribution)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_world() -> World:
    """The world torchrun describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    return World(rank=int(os.environ.get("RANK", "0")), size=size, local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def init_world(device: torch.device | str | None = None) -> World:
    """Join the process group when launched on several processes; a no-op otherwise.

    Args:
        device: where this process trains (default: `resolve_device("auto")`, this
            process's GPU `cuda:LOCAL_RANK` when the node has GPUs). `nccl` for a GPU,
            `gloo` otherwise (CPU tensors).
    Returns:
        This process's `World`.
    Raises:
        ValueError: under torchrun on GPUs, a process on a GPU other than its own
            cuda:LOCAL_RANK, or more processes on the node than GPUs.
    """
    world = launched_world()
    if world.size == 1:
        return world
    device = resolve_device(device or "auto")
    if device.type == "cuda":
        if device.index != world.local_rank:
            raise ValueError(f"under torchrun each process trains on its own GPU, cuda:LOCAL_RANK; the process with "
                             f"LOCAL_RANK {world.local_rank} has its model on {device}: create it with "
                             f"device='auto' or 'cuda'")
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return world


def wrap(towers: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around `towers` on this process's device (its GPU's index
    for nccl; none for CPU tensors on gloo). It broadcasts rank 0's weights, then averages
    the gradients every step."""
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(towers, device_ids=ids, output_device=device.index if ids else None)


def check_batch(world: World, batch_size: int, n_pairs: int | None) -> None:
    """Refuse set-ups that cannot train correctly, before any step runs (n_pairs: the
    dataset's size, the same on every rank; None for a stream, whose ranks read different shards)."""
    if world.size == 1:
        return
    if batch_size < world.size:
        raise ValueError(f"batch_size={batch_size} is smaller than the world size {world.size}: "
                         f"every process needs pairs; raise batch_size")
    if batch_size % world.size:
        raise ValueError(f"batch_size={batch_size} does not split evenly over {world.size} processes")
    if batch_size // world.size < 2:
        raise ValueError(f"batch_size={batch_size} over {world.size} processes leaves 1 pair per process; "
                         f"use at least 2 per process")
    if n_pairs is None:
        return
    sizes = [None] * world.size
    dist.all_gather_object(sizes, n_pairs)
    if len(set(sizes)) > 1:
        raise ValueError(f"the processes hold different data: {sizes} pairs on ranks 0..{world.size - 1}; "
                         f"every rank must load the same dataset")


def shard(indices, world: World):
    """This rank's slice of a global batch of indices (B,) → (B / W,)."""
    per_rank = len(indices) // world.size
    return indices[world.rank * per_rank:(world.rank + 1) * per_rank]


def gather(features: torch.Tensor, world: World, with_grad: bool) -> torch.Tensor:
    """All ranks' features, in rank order: (B/W, D) → (B, D).

    with_grad: gradients flow back to every rank through the gather. Without it the
    other ranks' rows are constants and only this rank's own rows carry a gradient.
    """
    if with_grad:
        return torch.cat(torch.distributed.nn.functional.all_gather(features))
    parts = [torch.empty_like(features) for _ in range(world.size)]
    dist.all_gather(parts, features.detach())
    parts[world.rank] = features
    return torch.cat(parts)


def global_clip_loss(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor,
                     world: World, local_loss: bool = True, gather_with_grad: bool = True) -> torch.Tensor:
    """The contrastive loss over the global batch, seen from one rank.

    Args:
        image_features, text_features: this rank's (B/W, D) features.
    Returns:
        The loss to back-propagate on this rank; DDP's mean over ranks of its gradients is
        the gradient of the single-process loss on the concatenated batch (each rank's
        copy of a pair's gradient is counted once). `reported_loss` gives the value.
    """
    if local_loss and not gather_with_grad:
        raise ValueError("local_loss=True needs gather_with_grad=True: without it the gradient terms "
                         "of the other ranks' losses are lost")
    if not gather_with_grad:
        # Rank r's features then get the gradient of its own copy of the loss only, one
        # W-th of what DDP's mean over ranks expects; scale that gradient (not the value,
        # and not the logit scale's gradient, which every rank already has whole) by W.
        image_features, text_features = (_scale_gradient(f, world.size) for f in (image_features, text_features))
    all_images = gather(image_features, world, gather_with_grad)                  # (B, D)
    all_texts = gather(text_features, world, gather_with_grad)
    if not local_loss:
        return clip_loss(all_images, all_texts, logit_scale)
    labels = torch.arange(len(image_features), device=image_features.device) + world.rank * len(image_features)
    logits_per_image = clip_logits(image_features, all_texts, logit_scale)[0]          # (b, B)
    logits_per_text = clip_logits(text_features, all_images, logit_scale)[0]           # (b, B)
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2


def _scale_gradient(tensor: torch.Tensor, factor: float) -> torch.Tensor:
    """The same values, with the gradient that flows back through them multiplied by `factor`."""
    return tensor * factor - tensor.detach() * (factor - 1)


def reported_loss(loss: torch.Tensor, world: World, local_loss: bool) -> float:
    """The global loss value from one rank's `global_clip_loss` (all ranks get the same):
    the whole loss already, or with local_loss the mean of the ranks' parts."""
    if not local_loss:
        return loss.item()
    value = loss.detach().clone()
    dist.all_reduce(value)
    return (value / world.size).item()


class TwoTowers(torch.nn.Module):
    """Both towers behind one forward(), so DistributedDataParallel can wrap a CLIP model
    whose training step calls the towers separately (and the `UsedTokenRows` trained in
    place of its token table, when given)."""

    def __init__(self, model, encode_text, token_rows=None):
        super().__init__()
        self.model, self._encode_text, self.token_rows = model, encode_text, token_rows

    def forward(self, images: torch.Tensor, tokens: torch.Tensor, bf16: bool = False):
        """(B, D) image and text features in fp32. bf16: autocast the image tower; on GPUs
        the text tower too, on CPUs only its MLPs (its small attention is slower in bf16)."""
        device_type = images.device.type
        with autocast(images.device, bf16):
            image_features = self.model.encode_image(images)                     # (b, D)
        with autocast(images.device, bf16 and device_type != "cpu"):
            text_features = self._encode_text(self.model, tokens, mlp_bf16=bf16 and device_type == "cpu",
                                              embed=self.token_rows)
        return image_features.float(), text_features.float()

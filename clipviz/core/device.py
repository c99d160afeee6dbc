"""Where the work runs: the device a user means by "auto", and each torchrun rank's GPU.

"auto" is what every entry point defaults to (`create_model`, `pretrained`, the CLI's
`--device`, the notebooks' `DEVICE`): a CUDA GPU when torch sees one, else Apple's MPS,
else the CPU. Under torchrun on GPUs, "auto" and "cuda" mean this process's own GPU,
`cuda:LOCAL_RANK`, and a node started with more processes than it has GPUs is refused in
one sentence before any of them touches a GPU.
"""

from __future__ import annotations

import os
from contextlib import nullcontext

import torch

DEVICE_KINDS = ("auto", "cpu", "cuda", "mps", "meta")   # "meta": shapes only, for tests


def local_rank() -> int | None:
    """This process's LOCAL_RANK under torchrun (WORLD_SIZE > 1), else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    return int(os.environ.get("LOCAL_RANK", "0"))


def rank_device(rank: int, cuda_count: int | None = None) -> torch.device:
    """The GPU of the torchrun process with LOCAL_RANK `rank`: cuda:rank.

    Args:
        rank: LOCAL_RANK, the process's index on its node.
        cuda_count: GPUs this process sees (default: torch.cuda.device_count()).
    Returns:
        torch.device("cuda", rank).
    Raises:
        ValueError: when the node runs more processes than it has visible GPUs.
    """
    cuda_count = torch.cuda.device_count() if cuda_count is None else cuda_count
    if rank >= cuda_count:
        raise ValueError(f"torchrun started a process with LOCAL_RANK {rank} but this node has only {cuda_count} "
                         f"visible GPU(s): use --nproc_per_node={cuda_count} (or --nproc_per_node=gpu), or "
                         f"--device cpu to train on CPU processes")
    return torch.device("cuda", rank)


def mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """The torch.device that `device` names.

    Args:
        device: "auto" (or None): CUDA, then MPS, then the CPU; "cuda" (under torchrun:
            this process's GPU, cuda:LOCAL_RANK), "cuda:1", "mps", "cpu", "meta", or a
            torch.device.
    Returns:
        A torch.device with an index for CUDA ("cuda" alone becomes cuda:0 or the rank's).
    Raises:
        ValueError: an unknown name, or a device this machine does not have.
    """
    if isinstance(device, torch.device):
        name = str(device)
    else:
        name = "auto" if device is None else str(device).strip().lower()
    kind = name.partition(":")[0]
    if kind not in DEVICE_KINDS:
        raise ValueError(f"unknown device {device!r}: use one of {', '.join(DEVICE_KINDS)} (or cuda:N)")
    if kind == "auto":
        kind = "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
        name = kind
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asked for, but torch sees no CUDA GPU here "
                             f"(torch {torch.__version__}, CUDA_VISIBLE_DEVICES="
                             f"{os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')!r}): use --device auto or cpu")
        if name == "cuda":
            rank = local_rank()
            return rank_device(rank) if rank is not None else torch.device("cuda", torch.cuda.current_device())
        index = int(name.partition(":")[2]) if name.partition(":")[2].isdigit() else -1
        if not 0 <= index < torch.cuda.device_count():
            raise ValueError(f"device {name!r}: this machine has CUDA devices 0..{torch.cuda.device_count() - 1}")
        return torch.device("cuda", index)
    if kind == "mps" and not mps_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no Apple MPS device: use --device auto or cpu")
    return torch.device(name)


def device_of(model) -> torch.device:
    """The device of a module's parameters (the CPU for a module without any)."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def describe(device: torch.device, precision: str | None = None) -> str:
    """One line for the user: "device cuda:0 (NVIDIA H200), precision bf16"."""
    device = torch.device(device)
    name = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    return f"device {device}{name}" + (f", precision {precision}" if precision else "")


def loader_workers(device: torch.device, reads_files: bool) -> int:
    """DataLoader worker processes that decode and resize image files for a run on `device`.

    On a GPU, decoding must keep pace with a step that takes milliseconds: open_clip reads in
    workers too (its default is 4); here up to 8, sharing the node's cores among its torchrun
    processes. On a CPU every core already runs the model's step, and one reading thread
    overlaps it best (0: `data.prefetched`, benchmarks/results/perf_real.json). Images held in
    memory need no workers.
    """
    if not reads_files or torch.device(device).type != "cuda":
        return 0
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, min(8, (os.cpu_count() or 1) // per_node - 1))


CPU_BF16_MIN_BATCH = 64   # images per batch from which bf16 autocast beats fp32 on a CPU


def bf16_pays(device: torch.device, images: int) -> bool:
    """Whether a batch of `images` images is worth running in bf16 autocast on `device`.

    On a GPU, always. On a CPU only from `CPU_BF16_MIN_BATCH` images up: for ViT-B-32 a batch
    of 4 to 32 images runs 1.1-6x slower in bf16 than in fp32 (the attention's projections
    take a slow bf16 path there), 64 images 0.64x, 128 images 0.49x
    (benchmarks/bench_cpu_bf16.py → results/cpu_bf16.json); the tiny embedded models barely
    differ either way.
    """
    return torch.device(device).type != "cpu" or images >= CPU_BF16_MIN_BATCH


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast on `device` when enabled, else no context at all (torch.autocast refuses
    device types it has no autocast for, such as "meta", even when disabled)."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if enabled else nullcontext()

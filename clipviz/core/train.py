"""A plain PyTorch training loop for CLIP, small enough to read in one sitting.

Per step: a batch of B (image, caption) pairs → both towers → the symmetric contrastive
loss → AdamW → warmup-cosine learning rate → clamp the logit scale to ln(100).

Determinism: the batch order is a pure function of (seed, step), the model's random
init is seeded, and checkpoints hold everything else (weights, optimizer, scheduler,
RNG states, history), so a run killed and resumed ends with the same weights.

Devices: the model trains where it lives (`create_model` puts it on a GPU when there is
one). On a GPU the batches are read ahead in pinned memory (files decoded and resized in
DataLoader workers), copied without waiting, and resized and normalised there; on the CPU
one reading thread overlaps the step, as before (`core.model.model_input`).
"""

from __future__ import annotations

import math
import time
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ..data import ShardStream, loaded
from .device import describe, device_of, loader_workers, resolve_device
from .distributed import TwoTowers, check_batch, global_clip_loss, init_world, reported_loss, shard, wrap
from .loss import clip_loss, hard_negative_clip_loss, in_batch_accuracy
from .model import (UsedTokenRows, add_trained_tokens, encode_text, image_size, model_input, read_checkpoint,
                    resolve_precision, save_weights, tokenize, tokenizer_for, trim_padding, trims_padding)
from ..seed import rng_state, seed_everything, set_rng_state
from ..world.negatives import hard_negative

MAX_LOGIT_SCALE = math.log(100)  # the paper clips the inverse temperature at 100


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters; each default says why it is what it is."""

    steps: int = 600               # optimizer steps
    batch_size: int = 128          # pairs per step; negatives per pair = B - 1; 128 fits a laptop step in ~0.1 s
    lr: float | None = None        # peak rate; None: the recipe's (3e-3 from scratch, 1e-5 fine-tuning; see below)
    weight_decay: float = 0.1      # applied to weight matrices only (not gains, biases, scale)
    warmup_steps: int | None = None   # linear warmup before the cosine decay; None: the recipe's (100 / 10)
    beta1: float = 0.9             # AdamW's first-moment decay
    beta2: float = 0.98            # the paper's value: steadier for large-batch contrastive training
    eps: float = 1e-6              # the paper's value
    grad_clip: float = 1.0         # a guard against the rare loss spike; rarely active
    precision: str = "auto"        # "fp32", "bf16", or "auto": bf16 where the hardware is fast at it
    seed: int = 0                  # seeds the initialisation and the batch order
    checkpoint_every: int = 0      # also checkpoint every N steps (0: only at the end, when out_dir is set)
    out_dir: str | None = None     # checkpoints and history.csv go here
    eval_every: int = 0            # call eval_fn every N steps (0: never)
    progress: bool = True          # a progress bar
    # under torchrun (several processes): batch_size is the global batch; see clipviz.core.distributed
    local_loss: bool = True        # under torchrun: each rank scores its own pairs against the global batch
    gather_with_grad: bool = True  # under torchrun: gradients flow back through the feature gather (exact)
    # open_clip's options for fine-tuning: freeze the image tower (LiT-style), optionally
    # leaving its last `lock_image_unlocked_groups` groups of layers trainable
    lock_image: bool = False       # freeze the image tower (open_clip's --lock-image)
    lock_image_unlocked_groups: int = 0   # with lock_image: leave this many last layer groups trainable
    lock_image_freeze_bn_stats: bool = False   # with lock_image: also freeze its BatchNorm statistics
    # NegCLIP: each caption's word-swapped twin (`world.negatives.hard_negative`) as one more
    # wrong caption for every image of its batch (single process only)
    hard_negatives: bool = False   # NegCLIP: word-swapped captions as extra negatives (one process only)

    def for_model(self, model) -> "TrainConfig":
        """This config with the unset lr / warmup_steps taken from the recipe that fits
        `model`: FINE_TUNE when it was loaded with weights (`model.clipviz_pretrained`),
        SCRATCH for a fresh one. Values set explicitly are kept."""
        recipe = FINE_TUNE if getattr(model, "clipviz_pretrained", None) is not None else SCRATCH
        return replace(self, **{k: v for k, v in recipe.items() if getattr(self, k) is None})


# From scratch, tiny towers tolerate a high peak rate, and a long warmup matters: held-out
# compositions 0.86-0.99 over 3 seeds, 0.51-0.80 with 10 steps at lr 2e-3 (bench_heldout.py).
SCRATCH = {"lr": 3e-3, "warmup_steps": 100}
# Pretrained weights are fine-tuned at a rate of order 1e-5 after a short warmup, as open_clip's
# and WiSE-FT's fine-tuning runs do; the scratch recipe wipes out what the model knew
# (benchmarks/bench_finetune.py measures both on an embedded model).
FINE_TUNE = {"lr": 1e-5, "warmup_steps": 10}


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


@lru_cache(maxsize=2)
def _epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)


def batch_indices(seed: int, step: int, n: int, batch_size: int) -> np.ndarray:
    """The pairs of step `step`: epochs are seeded permutations, the last partial batch dropped."""
    per_epoch = n // batch_size
    epoch, k = divmod(step, per_epoch)
    return _epoch_order(seed, epoch, n)[k * batch_size:(k + 1) * batch_size]


def warmup_cosine(warmup: int, total: int):
    """lr multiplier: linear 0→1 over `warmup` steps, then cosine 1→0 at `total`."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


def make_optimizer(model, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW over the trainable parameters of `model` (any module); no weight decay on
    gains, biases, norms and the logit scale (as open_clip). On a CUDA GPU its fused
    implementation (one kernel per step instead of several per tensor; the same update)."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        exclude = param.ndim < 2 or any(k in name for k in ("bn", "ln", "bias", "logit_scale"))
        (no_decay if exclude else decay).append(param)
    groups = [{"params": no_decay, "weight_decay": 0.0},
              {"params": decay, "weight_decay": config.weight_decay}]
    fused = all(p.is_cuda for p in decay + no_decay) and bool(decay + no_decay)
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps,
                             **({"fused": True} if fused else {}))


def save_checkpoint(path: Path, model, optimizer, scheduler, step: int, history: list[dict],
                    config: TrainConfig) -> Path:
    """Everything needed to resume, as tensors and plain values (weights_only-loadable),
    written atomically by `save_weights`."""
    return save_weights(model, path, optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                        step=step, rng=rng_state(), config=asdict(config),
                        history=pd.DataFrame(history).to_dict(orient="list"))


def latest_checkpoint(out_dir) -> Path | None:
    found = sorted(Path(out_dir).glob("step_*.pt"))
    return found[-1] if found else None


def _check_inputs(dataset, config: TrainConfig) -> None:
    if config.batch_size < 2:
        raise ValueError("batch_size must be at least 2: the contrastive loss needs negatives")
    if config.steps < 1:
        raise ValueError(f"steps must be at least 1, got {config.steps}")
    if isinstance(dataset, ShardStream):
        if config.hard_negatives:
            raise ValueError("hard_negatives needs every caption ahead of training: read the shards into memory "
                             "(data.load_dataset(spec), not stream=True)")
        return
    if len(dataset) == 0:
        raise ValueError("the training dataset is empty")
    if config.batch_size > len(dataset):
        raise ValueError(f"batch_size={config.batch_size} is larger than the dataset "
                         f"({len(dataset)} pairs); lower it or use more data")


def train(model, dataset, config: TrainConfig = TrainConfig(), tokenizer=None, callbacks=(),
          eval_fn=None, resume: bool | str | Path | None = None, device=None) -> pd.DataFrame:
    """Train `model` contrastively on `dataset`'s (image, caption) pairs.

    Args:
        model: an open_clip CLIP (from `clipviz.create_model`), modified in place.
        dataset: a `clipviz.data.PairDataset`, or a `ShardStream` (WebDataset shards
            streamed: no UsedTokenRows, no hard negatives, resumed on a fresh shuffle).
        config: a `TrainConfig`; its unset lr / warmup come from the recipe that fits
            the model (`TrainConfig.for_model`: fine-tuning for loaded weights).
        tokenizer: defaults to the model's own (`tokenizer_for`).
        callbacks: callables `f(row, model)` called after every step with the history row.
        eval_fn: `f(model) -> dict` of metrics, called every `config.eval_every` steps.
        resume: True (latest checkpoint in `config.out_dir`) or a checkpoint path.
        device: None trains the model where it is (the device is the model's: a GPU when
            `create_model` found one); a device ("auto", "cuda", "cpu", …) moves the model
            there first, and it stays there.
    Returns:
        The history as a DataFrame, one row per step: step, loss, lr, logit_scale,
        temperature, acc_i2t, acc_t2i, seconds (and eval metrics where computed).
    """
    _check_inputs(dataset, config)
    if device is not None:
        model.to(resolve_device(device))
    config = config.for_model(model)
    tokenizer = tokenizer or tokenizer_for(model)
    if isinstance(dataset, ShardStream):    # captions arrive with their batches: tokenized in the readers
        with locked_image_tower(model, config):
            history = _train(model, dataset, None, None, None, config, callbacks, eval_fn, resume, tokenizer)
        model.clipviz_trained_tokens = None        # the whole table trained on captions not known ahead: all rows
        return history
    tokens = tokenize(tokenizer, dataset.captions)   # (P, L), once
    negatives = hard_negative_tokens(tokenizer, dataset.captions) if config.hard_negatives else None
    used = tokens if negatives is None else torch.cat([tokens, negatives[0]])
    with locked_image_tower(model, config), used_token_rows(model, used) as token_rows:
        history = _train(model, dataset, tokens, negatives, token_rows, config, callbacks, eval_fn, resume, tokenizer)
    add_trained_tokens(model, used)
    return history


def hard_negative_tokens(tokenizer, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(P, L) tokens of each caption's hard negative (the caption itself where there is
    none) and (P,) bool: which captions have one."""
    swapped = [hard_negative(c) for c in captions]
    has = torch.tensor([s is not None for s in swapped])
    if not has.any():
        raise ValueError("hard_negatives: no caption has two colour or shape words to swap")
    return tokenize(tokenizer, [s or c for s, c in zip(swapped, captions)]), has


@contextmanager
def locked_image_tower(model, config: TrainConfig):
    """open_clip's `lock_image_tower` while the block runs (when `config.lock_image`); the
    parameters' trainable flags are restored afterwards."""
    if not config.lock_image:
        yield
        return
    trainable = {name: p.requires_grad for name, p in model.named_parameters()}
    model.lock_image_tower(unlocked_groups=config.lock_image_unlocked_groups,
                           freeze_bn_stats=config.lock_image_freeze_bn_stats)
    try:
        yield
    finally:
        for name, p in model.named_parameters():
            p.requires_grad_(trainable.get(name, p.requires_grad))


@contextmanager
def used_token_rows(model, tokens: torch.Tensor):
    """`UsedTokenRows` of the model's token table (None where `encode_text` cannot take
    them), with the table itself frozen until the block ends."""
    if not trims_padding(model):
        yield None
        return
    table = model.token_embedding.weight
    table.requires_grad_(False)
    try:
        yield UsedTokenRows(model.token_embedding, tokens)
    finally:
        table.requires_grad_(True)


def _batches(dataset, tokens, negatives, config: TrainConfig, world, size: int, start: int, device, tokenizer):
    """This rank's batches from step `start` on, read ahead: (uint8 images (b, 3, H, W),
    tokens (b, L), or (2b, L) with the hard negatives after the captions, and which captions
    have one (b,) or None), in pinned memory on a GPU.

    On the CPU the images come at the model's size and the tokens whole, as they always
    have (the step trims them). On an accelerator, images held in memory come at their
    stored size (the device resizes them) and tokens are cut on the host (`trim_padding`).
    """
    on_host = device.type == "cpu"
    pin = device.type == "cuda"
    workers = loader_workers(device, getattr(dataset, "reads_files", True))
    if isinstance(dataset, ShardStream):
        return dataset.batches(config.batch_size // world.size, size, tokenizer, seed=config.seed, start=start,
                               world_size=world.size, workers=workers, pin=pin)
    read_size = size if on_host or not dataset.stored_size else dataset.stored_size
    # Read with numpy (views of the same memory): a torch kernel in the reading thread starts a
    # second OpenMP team beside the step's, and its spinning workers slowed every CPU step ~12 %.
    captions = tokens.numpy()                                                        # (P, L)
    with_negative = None if negatives is None else (negatives[0].numpy(), negatives[1].numpy())

    def read(step: int):
        ids = shard(batch_indices(config.seed, step, len(dataset), config.batch_size), world)
        batch_tokens = captions[ids] if negatives is None else np.concatenate([captions[ids], with_negative[0][ids]])
        has_negative = None if negatives is None else with_negative[1][ids]
        return dataset.image_batch(ids, read_size), batch_tokens if on_host else trim_padding(batch_tokens), has_negative

    return loaded(read, range(start, config.steps), workers=workers, pin=pin)


def _train(model, dataset, tokens, negatives, token_rows, config, callbacks, eval_fn, resume,
           tokenizer) -> pd.DataFrame:
    device = device_of(model)
    world = init_world(device)
    if negatives is not None and world.size > 1:
        raise ValueError("hard_negatives is not supported under torchrun yet: train on one process")
    streaming = isinstance(dataset, ShardStream)
    check_batch(world, config.batch_size, None if streaming else len(dataset))
    precision = resolve_precision(config.precision, device)
    out_dir = Path(config.out_dir) if config.out_dir and world.is_main else None
    seed_everything(config.seed)

    size = image_size(model)
    towers = TwoTowers(model, encode_text, token_rows)
    parameters = [p for p in towers.parameters() if p.requires_grad]
    optimizer = make_optimizer(towers, config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(config.warmup_steps, config.steps))
    history, start = [], 0
    if resume:
        path = latest_checkpoint(config.out_dir) if resume is True else Path(resume)
        if path is not None:
            start, history = _restore(path, model, optimizer, scheduler)
            if token_rows is not None:
                token_rows.read()
    if world.size > 1:   # broadcasts rank 0's weights, then averages gradients every step
        towers = wrap(towers, device)

    if not streaming and (config.steps - start) * config.batch_size > len(dataset):
        dataset.warm(size, progress=config.progress and world.is_main)   # files read more than once
    model.train()
    bar = tqdm(range(start, config.steps), initial=start, total=config.steps, desc="training",
               disable=not (config.progress and world.is_main), mininterval=0.5)
    clock = time.perf_counter()
    batches = _batches(dataset, tokens, negatives, config, world, size, start, device, tokenizer)
    pin = device.type == "cuda"
    with closing(batches):     # stops the reading thread or workers, also when a step raises
        for step, (raw, batch_tokens, *has_negative) in zip(bar, batches):
            images = model_input(model, raw, device)                       # (b, 3, S, S) float on the device
            has_negative = has_negative[0].to(device, non_blocking=pin) if negatives is not None else None
            image_features, text_features, loss = _step_loss(
                model, towers, images, batch_tokens.to(device, non_blocking=pin), has_negative, world, config,
                bf16=precision == "bf16")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(parameters, config.grad_clip)
            # read after the backward pass: on a GPU the value waits for the step's work, and
            # waiting once per step, here, keeps the GPU's queue full until then
            loss_value = reported_loss(loss, world, config.local_loss) if world.size > 1 and negatives is None \
                else loss.item()
            lr = scheduler.get_last_lr()[0]
            if not math.isfinite(loss_value):   # before the update: the weights stay those of the last good step
                raise TrainingDiverged(
                    f"the loss became {loss_value} at step {step + 1} (learning rate {lr:.3g}, "
                    f"temperature {1 / model.logit_scale.exp().item():.4f}); lower lr or use fp32. "
                    + (f"The last good checkpoint is in {out_dir}." if out_dir else ""))
            optimizer.step()
            scheduler.step()
            if token_rows is not None:
                token_rows.write_back()
            with torch.no_grad():
                model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)

            acc_i2t, acc_t2i = in_batch_accuracy(image_features.detach(), text_features.detach())   # this rank's pairs
            scale = model.logit_scale.item()
            row = {"step": step + 1, "loss": loss_value, "lr": lr, "logit_scale": scale,
                   "temperature": math.exp(-scale), "acc_i2t": acc_i2t, "acc_t2i": acc_t2i,
                   "seconds": time.perf_counter() - clock}
            done = step + 1
            if config.eval_every and (done % config.eval_every == 0 or done == config.steps) and eval_fn:
                model.eval()
                row.update(eval_fn(model))
                model.train()
            history.append(row)
            bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{acc_i2t:.2f}", refresh=False)
            for callback in callbacks:
                callback(row, model)
            if out_dir and ((config.checkpoint_every and done % config.checkpoint_every == 0)
                            or done == config.steps):
                save_checkpoint(out_dir / f"step_{done:06d}.pt", model, optimizer, scheduler, done, history, config)
    bar.close()
    model.eval()
    frame = pd.DataFrame(history)
    if out_dir:
        frame.to_csv(out_dir / "history.csv", index=False)
    return frame


def _step_loss(model, towers, images, tokens, has_negative, world, config: TrainConfig, bf16: bool):
    """Both towers on a batch and its loss: (image_features (b, D), text_features (b, D), loss).

    has_negative: (b,) bool with NegCLIP's hard negatives, whose tokens follow the
    captions' in `tokens` (2b, L); None without. Under torchrun the loss spans the global
    batch (`global_clip_loss`).
    """
    image_features, text_features = towers(images, tokens, bf16=bf16)
    if has_negative is not None:
        text_features, negative_features = text_features.split(len(image_features))
        loss = hard_negative_clip_loss(image_features, text_features, negative_features, has_negative,
                                       model.logit_scale.exp())
    elif world.size > 1:
        loss = global_clip_loss(image_features, text_features, model.logit_scale.exp(), world,
                                config.local_loss, config.gather_with_grad)
    else:
        loss = clip_loss(image_features, text_features, model.logit_scale.exp())
    return image_features, text_features, loss


def _restore(path: Path, model, optimizer, scheduler) -> tuple[int, list[dict]]:
    checkpoint = read_checkpoint(path)
    missing = [k for k in ("optimizer", "scheduler", "step") if k not in checkpoint]
    if missing:
        raise ValueError(f"{path} holds weights only (no {missing}); it cannot resume a run")
    model.load_state_dict(checkpoint["state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    set_rng_state(checkpoint["rng"])
    history = pd.DataFrame(checkpoint["history"]).to_dict(orient="records")
    return int(checkpoint["step"]), history

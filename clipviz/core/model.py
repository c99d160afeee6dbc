"""The dual encoder: open_clip's CLIP with tiny towers registered for ShapesWorld.

clipviz's own configs (JSON files in `model_configs/`) are registered with open_clip
at import, so `open_clip.create_model("shapes-rn-tiny", pretrained=path)` loads a
checkpoint clipviz wrote, and a real pretrained OpenCLIP model (e.g. "ViT-B-32")
goes through the very same functions.
"""

from __future__ import annotations

import logging
import pickle
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F

from . import hybrid_vit  # noqa: F401  (registers the tiny ViT tower with timm)
from .device import resolve_device
from .._paths import save_atomic
from ..seed import seed_everything

CONFIG_DIR = Path(__file__).parent / "model_configs"
open_clip.add_model_config(CONFIG_DIR)
TINY_MODELS = tuple(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights were asked for but are not on disk (and cannot be fetched)."""


def _check_pretrained(name: str, pretrained: str | None) -> None:
    if pretrained is None or Path(pretrained).is_file():
        return
    if open_clip.get_pretrained_cfg(name, pretrained):
        return  # a known tag: open_clip looks in its cache first
    if Path(pretrained).suffix in CHECKPOINT_SUFFIXES or "/" in pretrained:
        raise WeightsNotFoundError(f"checkpoint file not found: {pretrained}")
    tags = open_clip.list_pretrained_tags_by_model(name)
    raise WeightsNotFoundError(
        f"{pretrained!r} is neither a checkpoint file nor a known pretrained tag of {name!r}"
        + (f" (its tags: {', '.join(tags)})" if tags else " (it has no pretrained tags)"))


def _missing_weights_message(name: str, tag: str, error: Exception) -> str:
    cfg = open_clip.get_pretrained_cfg(name, tag)
    source = cfg.get("hf_hub") or cfg.get("url") or "its download address"
    return (f"the weights for {name} (pretrained={tag!r}) are not on disk and could not be "
            f"downloaded ({type(error).__name__}). Either download them once where there is "
            f"internet (open_clip caches {source} in the Hugging Face cache, $HF_HOME), or pass "
            f"the checkpoint file itself: create_model({name!r}, pretrained='/path/to/"
            f"open_clip_pytorch_model.bin').")


def create_model(name: str = "shapes-rn-tiny", pretrained: str | None = None, seed: int = 0,
                 device: str | torch.device = "auto"):
    """Build a CLIP model, its image preprocessing and its tokenizer.

    Args:
        name: a clipviz tiny config (`TINY_MODELS`) or any open_clip model name.
        pretrained: None (random init), an open_clip tag ("openai", used from the local
            cache), or a checkpoint file in any of the forms in circulation: a bare
            state_dict as the hub ships it (`open_clip_pytorch_model.bin`), `.safetensors`,
            a clipviz checkpoint, an open_clip training checkpoint (`{"state_dict": …,
            "epoch": …}`, `module.` prefixes).
        seed: seeds the random initialisation (drawn on the CPU whatever the device, so a
            seed gives the same initial weights everywhere).
        device: where the model lives: "auto" (a CUDA GPU, else Apple's MPS, else the CPU;
            under torchrun this process's GPU), "cpu", "cuda", "cuda:1", "mps"
            (`device.resolve_device`).
    Returns:
        (model, preprocess, tokenizer): an open_clip CLIP in eval mode, a PIL → tensor
        transform, and a callable list[str] → LongTensor (N, context_length).
        `model.clipviz_pretrained` records `pretrained` (training then fine-tunes);
        `model.clipviz_trained_tokens` the token ids whose rows clipviz has trained (see
        `trained_tokens`).
    """
    if name not in open_clip.list_models():
        raise ValueError(f"unknown model {name!r}; clipviz's tiny models: {TINY_MODELS}; "
                         f"open_clip knows {len(open_clip.list_models())} more (open_clip.list_models())")
    _check_pretrained(name, pretrained)
    device = resolve_device(device)
    from_file = pretrained is not None and Path(pretrained).is_file()
    seed_everything(seed)
    if pretrained is None or from_file:   # open_clip warns of a random init: here it is the intent
        logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*QuickGELU.*")
            model, _, preprocess = open_clip.create_model_and_transforms(
                name, pretrained=None if from_file else pretrained, device=device)
    except Exception as error:  # hub clients raise many types; name the fix instead
        if pretrained is not None and not from_file:
            raise WeightsNotFoundError(_missing_weights_message(name, pretrained, error)) from None
        raise
    finally:
        logging.disable(logging.NOTSET)
    trained = load_weights(model, pretrained, name) if from_file else None
    model.clipviz_name, model.clipviz_pretrained = name, pretrained
    model.clipviz_trained_tokens = trained if pretrained is not None else torch.empty(0, dtype=torch.long)
    return model.eval(), preprocess, open_clip.get_tokenizer(name)


def tokenizer_for(model) -> open_clip.tokenizer.SimpleTokenizer:
    """The tokenizer that goes with `model` (open_clip's BPE unless its config says otherwise)."""
    name = getattr(model, "clipviz_name", None)
    if name is not None:
        return open_clip.get_tokenizer(name)
    return open_clip.tokenizer.SimpleTokenizer(context_length=model.context_length)


_warned_truncation: set[int] = set()


def tokenize(tokenizer, texts: list[str]) -> torch.Tensor:
    """Tokenize texts → LongTensor (N, context_length); warn once if any is truncated."""
    tokens = tokenizer(list(texts))
    context = tokens.shape[1]
    if hasattr(tokenizer, "encode") and context not in _warned_truncation:
        longest = max(len(tokenizer.encode(t)) + 2 for t in texts)  # + start/end tokens
        if longest > context:
            _warned_truncation.add(context)
            warnings.warn(f"some captions are longer than the context length ({longest} > "
                          f"{context} tokens) and were truncated", stacklevel=2)
    return tokens


def trims_padding(model) -> bool:
    """True for open_clip CLIPs whose causal text tower pools at the end token:
    `encode_text` can skip their padding (and embed tokens with `UsedTokenRows`)."""
    return (type(model) is open_clip.model.CLIP and model.text_pool_type == "argmax"
            and model.attn_mask is not None)


def encode_text(model, tokens: torch.Tensor, mlp_bf16: bool = False, embed=None) -> torch.Tensor:
    """`model.encode_text`, cut to the longest caption in the batch: (N, L) → (N, D).

    The text tower is causal and pools at each caption's end token, so the padding
    after the longest caption never influences any output; skipping it gives the same
    features at a fraction of the cost (ShapesWorld captions use ~14 of 48 positions).
    Models of other shapes fall back to their own encode_text.

    mlp_bf16: run each block's MLP in bf16 autocast and its attention in fp32. On CPUs
    the small attention is slower in bf16 while the MLP (2/3 of the FLOPs) is faster:
    measured 97 → 70 ms per forward+backward of a 128-caption batch (benchmarks/).
    embed: token ids → (N, L, width) embeddings in place of `model.token_embedding`
    (training uses `UsedTokenRows`).
    Tokens on the CPU are cut here; on an accelerator they are used as given, so callers cut
    them on the host first (`trim_padding`), before copying them over.
    """
    if not trims_padding(model):
        return model.encode_text(tokens)
    if tokens.device.type == "cpu":     # on a GPU, reading the length would wait for it: trim on the host
        tokens = trim_padding(tokens)
    length = tokens.shape[1]
    cast_dtype = model.transformer.get_cast_dtype()
    embed = embed if embed is not None else model.token_embedding
    x = embed(tokens).to(cast_dtype) + model.positional_embedding[:length].to(cast_dtype)
    mask = model.attn_mask[:length, :length]
    if mlp_bf16 and _plain_blocks(model.transformer):
        for block in model.transformer.resblocks:   # ResidualAttentionBlock.forward, MLP in bf16
            x = x + block.ls_1(block.attention(q_x=block.ln_1(x), attn_mask=mask))
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                update = block.mlp(block.ln_2(x))
            x = x + block.ls_2(update.to(x.dtype))
    else:
        x = model.transformer(x, attn_mask=mask)
    x = model.ln_final(x)
    x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]  # (N, width) at end token
    projection = model.text_projection
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection


def trained_tokens(model) -> torch.Tensor | None:
    """(K,) the sorted token ids whose embedding rows have been trained: none for a fresh
    model, the captions' tokens after `clipviz.train` (which trains only those rows); None
    where unknown (weights from elsewhere: a pretrained model trained them all)."""
    return getattr(model, "clipviz_trained_tokens", None)


def add_trained_tokens(model, tokens: torch.Tensor) -> None:
    """Record that the rows of `tokens` (any shape of ids) have now been trained."""
    known = trained_tokens(model)
    if known is not None:
        model.clipviz_trained_tokens = torch.unique(torch.cat([known.cpu(), tokens.reshape(-1).cpu()]))


def trim_padding(tokens: torch.Tensor) -> torch.Tensor:
    """(N, L) host tokens (a tensor or a numpy array) → (N, l): cut after the longest
    caption's end token (at least 1)."""
    return tokens[:, :max(1, int((tokens != 0).sum(1).max()))]


class UsedTokenRows(torch.nn.Module):
    """The rows of a token embedding that the training captions use, as a parameter of their own.

    The BPE table has 49,408 rows and ShapesWorld's captions use about a hundred. Rows
    that no caption uses get a zero gradient at every step, yet AdamW would still read and
    write all 6.3 M numbers of the table each step (about a sixth of a training step of the
    default model on a CPU, measured). Training the used rows alone gives them exactly the
    updates they would get in the whole table (AdamW is element-wise; the gradient norm
    for clipping is the same); the unused rows keep their values, where AdamW would only
    have shrunk them by its weight decay.
    """

    def __init__(self, embedding: torch.nn.Embedding, tokens: torch.Tensor):
        super().__init__()
        device = embedding.weight.device
        used = torch.unique(tokens).to(device)                                     # (K,) sorted ids
        lookup = torch.full((embedding.num_embeddings,), -1, dtype=torch.long, device=device)
        lookup[used] = torch.arange(len(used), device=device)                      # id → row
        self.register_buffer("used", used, persistent=False)
        self.register_buffer("lookup", lookup, persistent=False)
        self.weight = torch.nn.Parameter(embedding.weight.detach()[used].clone())   # (K, width)
        self._table = [embedding.weight]    # in a list: not registered, so not a parameter here

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """(N, L) token ids (all among the used ones) → (N, L, width)."""
        return torch.nn.functional.embedding(self.lookup[tokens], self.weight)

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy the trained rows into the full table (after every optimizer step)."""
        self._table[0][self.used] = self.weight

    @torch.no_grad()
    def read(self) -> None:
        """Take the rows from the full table (after loading a checkpoint into the model)."""
        self.weight.copy_(self._table[0][self.used])


def _plain_blocks(transformer) -> bool:
    """True when the blocks are open_clip's standard ones, batch-first, without checkpointing."""
    return (transformer.batch_first and not transformer.grad_checkpointing
            and all(type(b) is open_clip.transformer.ResidualAttentionBlock and not hasattr(b, "ln_1_kv")
                    for b in transformer.resblocks))


def token_table(tokenizer, text: str):
    """A caption as the model reads it: one row per position up to the end token.

    Returns:
        DataFrame with columns position, id and token: the text of the BPE piece ("␣" ends a
        word). Byte-level BPE may split a character (a Hangul syllable is 3 bytes in UTF-8):
        such a piece shows the character and which of its bytes it holds, "왼 (bytes 1-2 of 3)".
    """
    import pandas as pd

    ids = tokenizer([text])[0].tolist()
    length = max(i for i, t in enumerate(ids) if t != 0) + 1
    decoder = getattr(tokenizer, "decoder", {})
    byte_decoder = getattr(tokenizer, "byte_decoder", {})
    pieces = [decoder.get(t, str(t)) for t in ids[:length]]
    raw = [bytes(byte_decoder.get(ch, ord("?")) for ch in piece.replace("</w>", "")) for piece in pieces]
    ends = np.cumsum([len(r) for r in raw])
    stream = b"".join(raw)
    starts = _character_starts(stream)                              # byte offset → (character, its offset)

    def readable(k: int) -> str:
        begin, end = ends[k] - len(raw[k]), ends[k]
        try:
            shown = raw[k].decode("utf-8")
        except UnicodeDecodeError:                                  # part of a character
            char, first, size = starts[begin]
            shown = f"{char} (bytes {begin - first + 1}-{min(end, first + size) - first} of {size})" \
                if end - begin > 1 else f"{char} (byte {begin - first + 1} of {size})"
        return shown + ("␣" if pieces[k].endswith("</w>") else "")

    return pd.DataFrame({"position": range(length), "id": ids[:length], "token": [readable(k) for k in range(length)]})


def _character_starts(stream: bytes) -> dict:
    """byte offset → (the UTF-8 character it belongs to, that character's first offset, its length)."""
    out, offset = {}, 0
    for char in stream.decode("utf-8", errors="replace"):
        size = len(char.encode("utf-8")) if char != "\ufffd" else 1
        for k in range(size):
            out[offset + k] = (char, offset, size)
        offset += size
    return out


def bf16_is_fast(device: torch.device | str = "cpu") -> bool:
    """True where bf16 matrix units exist: AMX/AVX512-BF16 CPUs, Ampere+ GPUs (not
    assumed elsewhere: MPS, meta)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(precision: str, device) -> str:
    if precision == "auto":
        return "bf16" if bf16_is_fast(device) else "fp32"
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32', 'bf16' or 'auto', not {precision!r}")
    return precision


def image_size(model) -> int:
    size = model.visual.image_size
    return size[0] if isinstance(size, (tuple, list)) else int(size)


def normalize_images(model, images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, H, W) → float (B, 3, H, W) normalised with the model's mean/std, on the
    images' device."""
    expected = image_size(model)
    if images.ndim != 4 or images.shape[1] != 3 or tuple(images.shape[2:]) != (expected, expected):
        raise ValueError(f"images must be (B, 3, {expected}, {expected}) for this model, "
                         f"got {tuple(images.shape)}")
    mean, std = _mean_std_on(image_mean_std(model), images.device)
    return (images.float() / 255 - mean) / std


@lru_cache(maxsize=16)
def _mean_std_on(mean_std: tuple, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, 3, 1, 1) mean and std on `device`, made once per device: a fresh host→GPU copy of
    a Python list at every batch would wait for the GPU to finish its queued work."""
    return tuple(torch.tensor(v, dtype=torch.float32).view(1, 3, 1, 1).to(device) for v in mean_std)


def resize_on_device(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (B, 3, H, W) → float (B, 3, size, size) in [0, 255]: shortest side to `size`,
    then a centred square crop — `data.resize_center_crop`'s recipe, batched on the images'
    device (bicubic with antialiasing, as PIL's; values clamped and rounded as PIL's uint8
    output is, so both paths feed the model the same pixels to within a grey level)."""
    height, width = images.shape[-2:]
    scale = size / min(height, width)
    resized_h, resized_w = max(size, round(height * scale)), max(size, round(width * scale))
    x = F.interpolate(images.float(), size=(resized_h, resized_w), mode="bicubic", antialias=True,
                      align_corners=False)
    top, left = (resized_h - size) // 2, (resized_w - size) // 2
    return x[:, :, top:top + size, left:left + size].clamp_(0, 255).round_()


def model_input(model, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A batch of uint8 images (B, 3, H, W) as the model's normalised input on `device`.

    On the CPU this is `normalize_images` (the images already at the model's size, resized
    by PIL where they were read). On an accelerator the uint8 batch is copied as it is (a
    quarter of the bytes of floats; without waiting when it is in pinned memory), then
    resized there if it is not at the model's size (ShapesWorld's 64 px images for a
    224 px tower) and normalised there: per batch of 256 this moves ~0.5 s of host work
    (PIL resizing, normalising) onto a GPU that does it in about a millisecond.
    """
    if device.type == "cpu":
        return normalize_images(model, images)
    images = images.to(device, non_blocking=images.is_pinned())
    size = image_size(model)
    if tuple(images.shape[-2:]) != (size, size):
        images = resize_on_device(images, size)
    return normalize_images(model, images)


def image_mean_std(model) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The per-channel mean and std the model's images are normalised with (its
    preprocessing config, else OpenAI's)."""
    cfg = getattr(model.visual, "preprocess_cfg", {}) or {}
    return (tuple(cfg.get("mean", open_clip.OPENAI_DATASET_MEAN)), tuple(cfg.get("std", open_clip.OPENAI_DATASET_STD)))


def count_parameters(model) -> dict[str, int]:
    """Parameters per tower: image, text (incl. token embedding), and the logit scale."""
    visual = sum(p.numel() for p in model.visual.parameters())
    total = sum(p.numel() for p in model.parameters())
    return {"image tower": visual, "text tower": total - visual - model.logit_scale.numel(),
            "logit_scale": model.logit_scale.numel(), "total": total}


def read_checkpoint(path) -> dict:
    """torch.load with weights_only=True; safetensors files and bare state_dicts come back
    as {"state_dict": ...}, with DistributedDataParallel's `module.` prefixes removed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        return {"state_dict": load_file(path)}
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(f"refusing to load {path}: it contains pickled Python objects (code), "
                         f"not just tensors. Re-save only its state_dict, or load it yourself if "
                         f"you trust its source. ({str(error).splitlines()[0]})") from None
    except RuntimeError as error:    # not a torch file at all (truncated, another format)
        raise ValueError(f"cannot read {path} as a checkpoint: {str(error).splitlines()[0]}") from None
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} holds a {type(checkpoint).__name__}, not a state_dict")
    checkpoint = checkpoint if "state_dict" in checkpoint else {"state_dict": checkpoint}
    checkpoint["state_dict"] = {k.removeprefix("module."): v for k, v in checkpoint["state_dict"].items()}
    return checkpoint


def describe_state_dict(state: dict) -> str:
    """What a CLIP state_dict holds, in words: the image tower and its input size, the text
    tower's width and context, the joint space (for messages about mismatched files)."""
    def blocks(prefix: str) -> int:
        return len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})

    parts = []
    if "visual.attnpool.positional_embedding" in state:          # CLIP's ModifiedResNet
        grid = round((state["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
        parts.append(f"a ModifiedResNet image tower of stem width {state['visual.conv1.weight'].shape[0] * 2} "
                     f"for {grid * 32} px images")
    elif "visual.conv1.weight" in state and "visual.positional_embedding" in state:   # ViT
        width, _, patch, _ = state["visual.conv1.weight"].shape
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        parts.append(f"a ViT image tower ({blocks('visual.transformer.resblocks.')} layers of width {width}, "
                     f"patch {patch}) for {grid * patch} px images")
    elif any(k.startswith("visual.trunk.") for k in state):
        parts.append("a timm image tower")
    if "positional_embedding" in state and "text_projection" in state:
        context, width = state["positional_embedding"].shape
        parts.append(f"a text tower of {blocks('transformer.resblocks.')} layers of width {width} "
                     f"with context {context}, a {state['text_projection'].shape[-1]}-d joint space")
    return ", ".join(parts) or f"{len(state)} tensors of an unknown layout"


def load_weights(model, path, name: str | None = None) -> torch.Tensor | None:
    """Load a checkpoint file's weights into `model` (see `create_model` for the forms).

    A file of another architecture is refused in one sentence naming what it holds and
    what was asked for, before torch would list every mismatched tensor.

    Returns:
        The token ids whose rows training has changed, as the file records them (clipviz's
        checkpoints do); None when it does not say (a pretrained model: all of them).
    """
    checkpoint = read_checkpoint(path)
    state = checkpoint["state_dict"]
    expected = model.state_dict()
    if "logit_scale" in state and state["logit_scale"].ndim != expected["logit_scale"].ndim:
        state["logit_scale"] = state["logit_scale"].reshape(expected["logit_scale"].shape)
    mismatched = [k for k in expected if k not in state or state[k].shape != expected[k].shape]
    unexpected = [k for k in state if k not in expected]
    if mismatched or unexpected:
        asked = name or getattr(model, "clipviz_name", "the model")
        raise ValueError(f"{path} holds {describe_state_dict(state)}; {asked} is "
                         f"{describe_state_dict(expected)}. Pass the model name the file was trained as.")
    model.load_state_dict(state)
    return checkpoint.get("trained_tokens")


def load_checkpoint(path, name: str | None = None, device: str | torch.device = "auto"):
    """A model from a checkpoint file.

    Args:
        path: a checkpoint written by `clipviz.train` / `save_weights` (it records its
            model name), or any file `create_model` reads, with `name`.
        name: the model config; read from the checkpoint when it records it.
        device: where the model lives ("auto": a GPU when there is one; see `create_model`).
    Returns:
        The model, in eval mode (its tokenizer: `tokenizer_for(model)`).
    """
    return from_checkpoint(path, name, device)[0]


def from_checkpoint(path, name: str | None = None, device: str | torch.device = "auto"):
    """(model, preprocess, tokenizer) from a checkpoint, like `create_model` returns them."""
    if name is None:
        checkpoint = read_checkpoint(path)
        name = checkpoint.get("model_name")
        if name is None:
            raise ValueError(f"{path} is a bare state_dict ({describe_state_dict(checkpoint['state_dict'])}) "
                             f"that does not name its architecture: pass the model name (name=, or --model NAME)")
    return create_model(name, pretrained=str(path), device=device)


def save_weights(model, path, **extra) -> Path:
    """Write the model's weights (plus `extra` tensors and plain values) so that both
    clipviz and open_clip can load them.

    Written to a temporary file and renamed, so a kill mid-write leaves any old file intact.
    """
    state = {"state_dict": model.state_dict(), "model_name": getattr(model, "clipviz_name", None), **extra}
    if trained_tokens(model) is not None:
        state["trained_tokens"] = trained_tokens(model)
    return save_atomic(state, path)

"""Where clipviz keeps what it makes: the cache folder, and files written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def cache_dir() -> Path:
    """`$CLIPVIZ_CACHE`, default `~/.cache/clipviz`: embedded models, encodings."""
    return Path(os.environ.get("CLIPVIZ_CACHE", Path.home() / ".cache" / "clipviz"))


def save_atomic(obj, path) -> Path:
    """`torch.save` to a temporary file, then rename: readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)
    return path

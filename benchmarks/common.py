"""Helpers shared by the benchmark scripts: machine facts and JSON output."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch

from clipviz.evaluation.report import evaluate
from clipviz.evaluation.zeroshot import PHOTO_TEMPLATE

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version()}


def write(name: str, figures: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **figures}
    path.write_text(json.dumps(payload, indent=2))
    print(f"wrote {path}")
    return path


def top1(model, dataset, classnames, tokenizer) -> float:
    """Zero-shot top-1 with the single template "a photo of a {}" (the benchmarks' accuracy)."""
    return evaluate(model, dataset, classnames, [PHOTO_TEMPLATE], tokenizer, ks=())["acc1"]

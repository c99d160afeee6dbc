"""Training throughput: clipviz's train() vs open_clip's own trainer, fp32 and bf16.

For each default tiny model and precision, side by side in one run:
- median image–text pairs/s over >= 20 steps after warm-up, both trainers, and their ratio;
- model FLOPs per training step (torch's FlopCounterMode) → achieved FLOP/s as a share of
  this machine's matmul peak for that dtype, measured here too;
- peak RSS of the process.

These machines are noisy (the same step runs ~10 % slower for minutes at a time), so the
whole comparison runs --repeats times, interleaved (peaks, then each trainer and precision
in turn), and each figure is the median over the repeats of its per-repeat value.

open_clip's trainer runs in-process (`open_clip_train.main.main`) on its synthetic dataset
(same model, batch size, precision and thread count); it needs `braceexpand` and
`webdataset` installed (`pip install -e '.[bench]'`).

Usage: python benchmarks/bench_train.py [--models shapes-cnn-tiny,...] [--steps 24] [--repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import re
import resource
import statistics
import tempfile
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from common import write

from clipviz.core.loss import clip_loss
from clipviz.core.model import create_model, encode_text, normalize_images, tokenize
from clipviz.core.train import TrainConfig, train
from clipviz.world import ShapesWorld

WARMUP = 8
PRECISIONS = ("fp32", "bf16")   # bf16_speedup compares the second with the first
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def matmul_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    """FLOP/s of a large square matmul in `dtype` (the machine's practical peak)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def step_flops(name: str, batch: int, bf16: bool) -> int:
    """FLOPs of one forward + backward of the clipviz training step."""
    model, _, tokenizer = create_model(name)
    dataset = ShapesWorld(seed=0).dataset("train", n=batch)
    images = normalize_images(model, dataset.image_batch(range(batch), 64))
    tokens = tokenize(tokenizer, dataset.captions)
    with FlopCounterMode(display=False) as counter:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            image_features = model.encode_image(images)
        loss = clip_loss(image_features.float(), encode_text(model, tokens).float(), model.logit_scale.exp())
        loss.backward()
    return counter.get_total_flops()


def clipviz_pairs_per_second(name: str, batch: int, steps: int, precision: str) -> float:
    model, _, _ = create_model(name)
    dataset = ShapesWorld(seed=0).dataset("train", n=batch * (steps + WARMUP))
    history = train(model, dataset, TrainConfig(steps=steps + WARMUP, batch_size=batch,
                                                precision=precision, progress=False))
    step_seconds = history.seconds.diff().iloc[WARMUP:]
    return batch / statistics.median(step_seconds)


class _Throughput(logging.Handler):
    """Collects the per-step `Batch (t): ..., X/s` figures open_clip's trainer logs."""

    def __init__(self):
        super().__init__()
        self.step_seconds = []

    def emit(self, record):
        found = re.search(r"Batch \(t\): [\d.]+, ([\d.e+]+)/s", record.getMessage())
        if found:
            self.step_seconds.append(float(found.group(1)))


def open_clip_pairs_per_second(name: str, batch: int, steps: int, precision: str, workers: int = 0) -> float:
    """Median samples/s of open_clip's trainer over `steps` logged steps after WARMUP, on its
    synthetic data, on its own choice of device (a GPU when there is one); `workers`:
    its DataLoader processes (0 here on CPUs, as clipviz reads in one thread there)."""
    from open_clip_train.main import main as open_clip_main

    handler = _Throughput()
    logging.getLogger().addHandler(handler)
    try:
        with tempfile.TemporaryDirectory() as logs:
            open_clip_main(["--model", name, "--dataset-type", "synthetic", "--train-num-samples",
                            str(batch * (steps + WARMUP)), "--batch-size", str(batch), "--epochs", "1",
                            "--precision", {"fp32": "fp32", "bf16": "amp_bf16"}[precision],
                            "--workers", str(workers), "--log-every-n-steps", "1", "--logs", logs,
                            "--name", "bench", "--save-frequency", "0", "--lr", "1e-3", "--warmup", "10",
                            "--report-to", "", "--seed", "0"])
    finally:
        logging.getLogger().removeHandler(handler)
    rates = handler.step_seconds[WARMUP:]   # samples/s of each logged step, after warm-up
    return statistics.median(rates)


def one_repeat(name: str, args, flops: dict) -> list[dict]:
    """Matmul peaks, then both trainers at both precisions: one row per precision."""
    peaks = {precision: matmul_peak(DTYPES[precision]) for precision in PRECISIONS}
    rows = []
    for precision in PRECISIONS:
        ours = clipviz_pairs_per_second(name, args.batch_size, args.steps, precision)
        theirs = open_clip_pairs_per_second(name, args.batch_size, args.steps, precision)
        achieved = flops[precision] * ours / args.batch_size
        rows.append({"precision": precision, "clipviz_pairs_per_s": ours, "open_clip_pairs_per_s": theirs,
                     "ratio": ours / theirs, "matmul_peak_gflop_per_s": peaks[precision] / 1e9,
                     "achieved_gflop_per_s": achieved / 1e9, "share_of_matmul_peak": achieved / peaks[precision]})
    rows[1]["bf16_speedup"] = rows[1]["clipviz_pairs_per_s"] / rows[0]["clipviz_pairs_per_s"]
    return rows


def median_row(repeats: list[dict]) -> dict:
    """The median over repeats of every figure the repeats share."""
    return {key: statistics.median(r[key] for r in repeats) for key in repeats[0]
            if key != "precision" and all(key in r for r in repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="shapes-cnn-tiny,shapes-rn-tiny,shapes-vit-tiny")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=24, help="measured steps (after warm-up)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; medians are reported")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.models.split(","):
        flops = {p: step_flops(name, args.batch_size, p == "bf16") for p in PRECISIONS}
        repeats = [one_repeat(name, args, flops) for _ in range(args.repeats)]
        for i, precision in enumerate(PRECISIONS):
            runs = [repeat[i] for repeat in repeats]
            row = {"model": name, "precision": precision, "gflop_per_step": flops[precision] / 1e9,
                   **median_row(runs), "repeats": runs}
            rows.append(row)
            speedup = f" | {row['bf16_speedup']:.2f}x fp32" if "bf16_speedup" in row else ""
            print(f"{name:>16} {precision}: clipviz {row['clipviz_pairs_per_s']:6.0f} pairs/s | open_clip "
                  f"{row['open_clip_pairs_per_s']:6.0f} pairs/s | ratio {row['ratio']:.2f}{speedup} | "
                  f"{row['gflop_per_step']:.1f} GFLOP/step | {row['share_of_matmul_peak']:.1%} of the "
                  f"{precision} matmul peak ({row['matmul_peak_gflop_per_s']:.0f} GFLOP/s)", flush=True)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_rss_mib:.0f} MiB; medians of {args.repeats} interleaved repeats")
    write("train", {"batch_size": args.batch_size, "threads": args.threads, "warmup_steps": WARMUP,
                    "measured_steps": args.steps, "repeats": args.repeats, "rows": rows,
                    "peak_rss_mib": peak_rss_mib})


if __name__ == "__main__":
    main()

"""Where a training step's time goes: torch.profiler over clipviz's train() loop, fp32 and bf16.

For the chosen model, after warm-up, the ops of --steps training steps are profiled and the
top ops by their own CPU time are printed per step, beside the time spent in matrix work
(convolutions and matmuls, forward and backward: the work bf16 can speed up on a CPU) and
the FLOP/s that work achieves against the matmul peak measured here. Writes JSON to
`benchmarks/results/profile_step.json`.

Usage: python benchmarks/profile_step.py [--model shapes-cnn-tiny] [--steps 20] [--top 12]
"""

from __future__ import annotations

import argparse

import torch
from torch.profiler import ProfilerActivity, profile

from bench_train import DTYPES, PRECISIONS, matmul_peak, step_flops
from common import write

from clipviz.core.model import create_model
from clipviz.core.train import TrainConfig, train
from clipviz.world import ShapesWorld

WARMUP = 10
# the aten kernels that compute matrix products (what the matmul peak measures); their
# dispatching wrappers (aten::convolution, aten::linear, ...) are not counted
MATRIX_OPS = ("aten::convolution_backward", "aten::mkldnn_convolution", "aten::mm", "aten::addmm",
              "aten::bmm", "aten::baddbmm")


def op_times(name: str, precision: str, steps: int, batch: int) -> dict[str, float]:
    """Own CPU milliseconds per training step of each op the profiler saw."""
    model, _, _ = create_model(name)
    dataset = ShapesWorld(seed=0).dataset("train", n=batch * (WARMUP + steps + 1))
    profiler = profile(activities=[ProfilerActivity.CPU])

    def around_measured_steps(row, model):
        if row["step"] == WARMUP:
            profiler.__enter__()
        elif row["step"] == WARMUP + steps:
            profiler.__exit__(None, None, None)

    train(model, dataset, TrainConfig(steps=WARMUP + steps, batch_size=batch, precision=precision,
                                      progress=False), callbacks=[around_measured_steps])
    return {event.key: event.self_cpu_time_total / 1e3 / steps for event in profiler.key_averages()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="shapes-cnn-tiny")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    figures = {}
    for precision in PRECISIONS:
        per_op = op_times(args.model, precision, args.steps, args.batch_size)
        step_ms = sum(per_op.values())
        matrix_ms = sum(ms for op, ms in per_op.items() if op in MATRIX_OPS)
        top = sorted(per_op.items(), key=lambda item: -item[1])[:args.top]
        matrix_rate = step_flops(args.model, args.batch_size, precision == "bf16") / (matrix_ms / 1e3)
        peak = matmul_peak(DTYPES[precision])
        print(f"\n{args.model} {precision}: {step_ms:.1f} ms of ops per step; matrix work {matrix_ms:.1f} ms "
              f"({matrix_ms / step_ms:.0%}) at {matrix_rate / 1e9:.0f} GFLOP/s ({matrix_rate / peak:.0%} of the "
              f"{peak / 1e9:.0f} GFLOP/s matmul peak); the rest {step_ms - matrix_ms:.1f} ms")
        for op, ms in top:
            print(f"  {op[:60]:<60} {ms:6.2f} ms  {ms / step_ms:5.1%}")
        figures[precision] = {"ops_ms_per_step": step_ms, "matrix_ms_per_step": matrix_ms,
                              "matrix_gflop_per_s": matrix_rate / 1e9, "matmul_peak_gflop_per_s": peak / 1e9,
                              "top_ops_ms_per_step": dict(top)}
    write("profile_step", {"model": args.model, "batch_size": args.batch_size, "threads": args.threads,
                           "profiled_steps": args.steps, **figures})


if __name__ == "__main__":
    main()

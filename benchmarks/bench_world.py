"""ShapesWorld generation speed on one core: samples per second (median of 5 runs)."""

import statistics
import time

import torch

from common import write

from clipviz.world import ShapesWorld

torch.set_num_threads(1)
N = 50_000
world = ShapesWorld(seed=0)
world.generate("train", 10)          # masks and textures are built once per world
seconds = []
for repeat in range(5):
    start = time.perf_counter()
    world.generate("train", N)
    seconds.append(time.perf_counter() - start)
median = statistics.median(seconds)
print(f"ShapesWorld: {N} samples in {median:.2f} s (median of 5) = {N / median:,.0f} samples/s on one core")
write("world", {"samples": N, "seconds_median": median, "seconds_all": seconds,
                "samples_per_second": N / median})

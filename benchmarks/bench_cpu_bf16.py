"""bf16 autocast against fp32 on the CPU, per batch size: where bf16 starts to pay.

On a CPU, bf16 autocast is not faster at every batch size: ViT-B-32's image tower ran
faster in bf16 on one image, up to 6x slower on 4 to 32 images, and faster again from 64
(its attention's bf16 projections take a slow path in between). Measured on ViT-B-32 (the
largest tower the notebooks meet) and the default embedded model, image and text towers,
medians of 5 alternating repeats; clipviz's CPU_BF16_MIN_BATCH comes from the crossover here.
"""

import statistics
import time

import torch

from common import write

from clipviz.core.device import autocast
from clipviz.core.model import create_model, encode_text, image_size, normalize_images

torch.set_num_threads(2)
CPU = torch.device("cpu")
BATCHES = (1, 4, 16, 32, 64, 128)


def seconds(run, repeats: int = 5) -> dict:
    """Median seconds of run(bf16) for fp32 and bf16, alternating (machines drift)."""
    times = {"fp32": [], "bf16": []}
    run(False)                                              # warm-up: allocator, kernels
    for _ in range(repeats):
        for precision in times:
            start = time.perf_counter()
            run(precision == "bf16")
            times[precision].append(time.perf_counter() - start)
    return {precision: statistics.median(values) for precision, values in times.items()}


@torch.inference_mode()
def measure(name: str) -> dict:
    model, _, tokenizer = create_model(name, device=CPU)
    model.eval()
    rows = {}
    for batch in BATCHES:
        images = normalize_images(model, torch.randint(0, 256, (batch, 3, image_size(model), image_size(model)),
                                                       dtype=torch.uint8))
        tokens = tokenizer([f"a photo of a red circle number {k}" for k in range(batch)])

        def image_tower(bf16: bool):
            with autocast(CPU, bf16):
                model.encode_image(images)

        def text_tower(bf16: bool):
            encode_text(model, tokens, mlp_bf16=bf16)

        for tower, run in (("image", image_tower), ("text", text_tower)):
            found = seconds(run)
            rows[f"{tower} {batch}"] = {**found, "bf16_over_fp32": found["bf16"] / found["fp32"]}
            print(f"{name:>16} {tower:>5} tower, batch {batch:>3}: fp32 {found['fp32'] * 1000:7.1f} ms, "
                  f"bf16 {found['bf16'] * 1000:7.1f} ms, ratio {found['bf16'] / found['fp32']:.2f}")
    return rows


write("cpu_bf16", {"threads": 2, "batches": BATCHES, "models": {name: measure(name)
                                                                 for name in ("ViT-B-32", "shapes-cnn-tiny")}})

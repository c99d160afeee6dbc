"""On a GPU: clipviz against open_clip's trainer and CLIP_benchmark's loop, side by side.

1. Training ViT-B-32 (random init), batch 256, bf16: clipviz's `train()` on ShapesWorld
   pairs held in memory (64 px, resized to 224 px on the GPU) against open_clip's own
   trainer (`open_clip_train.main`, its synthetic data, 8 DataLoader workers): median
   pairs (samples) per second over the measured steps, after warm-up.
2. Training the default tiny model (`shapes-cnn-tiny`, batch 128, precision auto) on the
   CPU and on the GPU.
3. Encoding with ViT-B-32: images held in memory against CLIP_benchmark's
   `run_classification` (its defaults: a DataLoader with 4 workers, batch 64, open_clip's
   preprocessing, amp); 2,000 JPEG photos (640x480, written here) on a first pass (no
   decoded image cached) against a plain 4-worker DataLoader loop in bf16; the prompts of
   OpenAI's 80 templates for 200 ImageNet classes against CLIP_benchmark's
   `zero_shot_classifier`.
4. With no argument given, the CLI (train, eval) and the notebooks' model loader run on the GPU.

Each comparison runs --repeats times, interleaved (ours, theirs, ours, …); every figure is
the median over the repeats. Writes results/gpu.json; without a CUDA GPU it says so and
exits with status 1, writing nothing. About 5 minutes on one H200 with 16 cores.

Usage: python benchmarks/bench_gpu.py [--repeats 3] [--steps 40] [--photos 2000]
"""

# Needs, beyond torch (CUDA build) and this repository (put on the path below; no install):
#   pip install open_clip_torch torchvision timm numpy pandas pillow tqdm safetensors \
#       scikit-learn filelock pyyaml webdataset braceexpand
#   pip install --no-deps clip_benchmark
# (torchvision must be the build that matches the installed torch; open_clip_torch also
# pulls ftfy, regex and huggingface_hub. No network is used: every model is randomly
# initialised and every image is generated here.)

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]          # common.py, bench_*.py and the clipviz package

NEEDED = {"open_clip": "open_clip_torch", "open_clip_train": "open_clip_torch", "timm": "timm",
          "torchvision": "torchvision", "pandas": "pandas", "PIL": "pillow", "sklearn": "scikit-learn",
          "filelock": "filelock", "yaml": "pyyaml", "webdataset": "webdataset", "braceexpand": "braceexpand",
          "safetensors": "safetensors", "tqdm": "tqdm", "clip_benchmark": "clip_benchmark (pip install --no-deps)"}

BATCH_VIT, BATCH_CNN = 256, 128
DEVICE = "cuda"        # what the comparison runs on (a smoke run of the script's code may set "cpu")


def check_machine() -> None:
    """Exit (1) without a CUDA GPU, (2) when a package the comparison needs is missing."""
    import torch

    if not torch.cuda.is_available():
        print("no CUDA GPU visible to torch: this benchmark measures clipviz on a GPU; nothing written",
              file=sys.stderr)
        sys.exit(1)
    missing = sorted({pip for module, pip in NEEDED.items() if importlib.util.find_spec(module) is None})
    if missing:
        print(f"missing packages: {', '.join(missing)} (see the top of {Path(__file__).name})", file=sys.stderr)
        sys.exit(2)


def median(values) -> float:
    return statistics.median(values)


def timed(fn):
    """(fn(), seconds), the GPU's queued work included."""
    import torch

    wait = torch.cuda.synchronize if DEVICE == "cuda" else (lambda: None)
    wait()
    start = time.perf_counter()
    out = fn()
    wait()
    return out, time.perf_counter() - start


def free_gpu() -> None:
    import gc

    import torch

    gc.collect()
    if DEVICE == "cuda":
        torch.cuda.empty_cache()


# --- 1 and 2: training ------------------------------------------------------------------------

def clipviz_pairs_per_second(name: str, dataset, batch: int, steps: int, device: str, precision: str) -> float:
    """Median pairs/s of clipviz's train() over `steps` steps after bench_train's WARMUP."""
    from bench_train import WARMUP

    from clipviz.core.model import create_model
    from clipviz.core.train import TrainConfig, train

    model, _, _ = create_model(name, device=device)
    history = train(model, dataset, TrainConfig(steps=steps + WARMUP, batch_size=batch, precision=precision,
                                                progress=False))
    del model
    free_gpu()
    return batch / median(history.seconds.diff().iloc[WARMUP:])


def train_vit_b32(repeats: int, steps: int) -> dict:
    from bench_train import open_clip_pairs_per_second

    from clipviz.world import ShapesWorld

    dataset = ShapesWorld(seed=0).dataset("train", n=BATCH_VIT * 16)      # epochs repeat: 16 batches suffice
    rates = {"clipviz": [], "open_clip": []}
    for _ in range(repeats):
        rates["clipviz"].append(clipviz_pairs_per_second("ViT-B-32", dataset, BATCH_VIT, steps, DEVICE, "bf16"))
        rates["open_clip"].append(open_clip_pairs_per_second("ViT-B-32", BATCH_VIT, steps, "bf16", workers=8))
        free_gpu()
        print(f"  ViT-B-32 training: clipviz {rates['clipviz'][-1]:.0f} pairs/s, open_clip "
              f"{rates['open_clip'][-1]:.0f} samples/s", flush=True)
    ours, theirs = median(rates["clipviz"]), median(rates["open_clip"])
    return {"clipviz_pairs_per_s": ours, "open_clip_samples_per_s": theirs, "ratio": ours / theirs,
            "batch_size": BATCH_VIT, "precision": "bf16", "measured_steps": steps, "repeats": rates,
            "data": "clipviz: ShapesWorld in memory (64 px, resized on the GPU); open_clip: its synthetic "
                    "data, 8 workers"}


def train_cnn_tiny(repeats: int, steps: int) -> dict:
    from clipviz.world import ShapesWorld

    dataset = ShapesWorld(seed=0).dataset("train", n=BATCH_CNN * 32)
    rates = {"cpu": [], "gpu": []}
    for _ in range(repeats):
        rates["cpu"].append(clipviz_pairs_per_second("shapes-cnn-tiny", dataset, BATCH_CNN, steps, "cpu", "auto"))
        rates["gpu"].append(clipviz_pairs_per_second("shapes-cnn-tiny", dataset, BATCH_CNN, steps, DEVICE, "auto"))
        print(f"  shapes-cnn-tiny training: CPU {rates['cpu'][-1]:.0f}, GPU {rates['gpu'][-1]:.0f} pairs/s",
              flush=True)
    return {"cpu_pairs_per_s": median(rates["cpu"]), "gpu_pairs_per_s": median(rates["gpu"]),
            "batch_size": BATCH_CNN, "measured_steps": steps, "repeats": rates}


# --- 3: encoding ------------------------------------------------------------------------------

def write_photo_set(folder: Path, n: int, parts: int = 8) -> Path:
    """n JPEG photos (bench_real's: 640x480, sensor noise) written by `parts` processes, and one
    open_clip CSV of them all; returns the CSV's path."""
    import pandas as pd
    from bench_real import write_photos

    sizes = [n // parts + (k < n % parts) for k in range(parts)]
    with ProcessPoolExecutor(parts, mp_context=multiprocessing.get_context("fork")) as pool:
        csvs = list(pool.map(write_photos, [folder / f"part{k}" for k in range(parts)], sizes, range(parts)))
    tables = [pd.read_csv(csv, sep="\t").assign(filepath=lambda t, k=k: f"part{k}/" + t.filepath)
              for k, csv in enumerate(csvs)]
    path = folder / "photos.csv"
    pd.concat(tables).to_csv(path, sep="\t", index=False)
    return path


class ArrayImages:
    """In-memory uint8 images (N, H, W, 3) through open_clip's preprocessing, as a torch
    Dataset of (image, target) for CLIP_benchmark's loop."""

    def __init__(self, images, preprocess):
        self.images, self.preprocess = images, preprocess

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        from PIL import Image

        return self.preprocess(Image.fromarray(self.images[i])), 0


def clip_benchmark_images(model, preprocess, images) -> None:
    """CLIP_benchmark's run_classification with its defaults (batch 64, 4 workers, amp)."""
    import torch
    from clip_benchmark.metrics.zeroshot_classification import run_classification

    loader = torch.utils.data.DataLoader(ArrayImages(images, preprocess), batch_size=64, num_workers=4)
    classifier = torch.nn.functional.normalize(torch.randn(model.text_projection.shape[1], 10, device=DEVICE), dim=0)
    run_classification(model, classifier, loader, DEVICE, amp=True)


def four_worker_loop(model, preprocess, paths) -> None:
    """A plain loop over photo files: a DataLoader with 4 workers (open_clip's preprocessing),
    batch 256, bf16 autocast."""
    import torch
    from bench_real import Photos

    loader = torch.utils.data.DataLoader(Photos(paths, preprocess), batch_size=256, num_workers=4)
    with torch.no_grad(), torch.autocast(DEVICE, dtype=torch.bfloat16):
        for images in loader:
            torch.nn.functional.normalize(model.encode_image(images.to(DEVICE)), dim=-1).float().cpu()


def encode_vit_b32(repeats: int, csv: Path, n_images: int = 4096, n_classes: int = 200, warmup: int = 512) -> dict:
    from clip_benchmark.metrics.zeroshot_classification import zero_shot_classifier as cb_classifier
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    from clipviz import data as data_module
    from clipviz.core.model import create_model
    from clipviz.data import CsvDataset, DecodedCache
    from clipviz.evaluation import zeroshot
    from clipviz.evaluation.embed import encode_images
    from clipviz.evaluation.zeroshot import load_templates, zero_shot_classifier
    from clipviz.world import ShapesWorld

    model, preprocess, tokenizer = create_model("ViT-B-32", device=DEVICE)
    images = ShapesWorld(seed=0).dataset("test", n=n_images)
    photos = CsvDataset(csv)
    paths = photos.meta["filepath"].tolist()
    templates = load_templates("openai80")
    classes = list(IMAGENET_CLASSNAMES[:n_classes])
    seconds = {k: [] for k in ("images_clipviz", "images_clip_benchmark", "photos_clipviz", "photos_4_workers",
                               "texts_clipviz", "texts_clip_benchmark")}
    encode_images(model, images.subset(n=warmup), progress=False)        # warm-up: kernels, workers' code
    for _ in range(repeats):
        seconds["images_clipviz"].append(timed(lambda: encode_images(model, images, progress=False))[1])
        seconds["images_clip_benchmark"].append(timed(lambda: clip_benchmark_images(model, preprocess,
                                                                                    images.images))[1])
        data_module.DECODED = DecodedCache()                            # a first pass: nothing decoded yet
        seconds["photos_clipviz"].append(timed(lambda: encode_images(model, CsvDataset(csv), progress=False))[1])
        seconds["photos_4_workers"].append(timed(lambda: four_worker_loop(model, preprocess, paths))[1])
        zeroshot._CLASSIFIER_CACHE.clear()
        seconds["texts_clipviz"].append(timed(lambda: zero_shot_classifier(model, tokenizer, classes, templates))[1])
        braced = [t.replace("{}", "{c}") for t in templates]            # CLIP_benchmark formats with c=
        seconds["texts_clip_benchmark"].append(timed(lambda: cb_classifier(model, tokenizer, classes, braced,
                                                                           DEVICE, amp=True))[1])
        print("  ViT-B-32 encoding: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in seconds.items()), flush=True)
    per_s = {k: (n_images if k.startswith("images") else len(photos) if k.startswith("photos")
                 else len(classes) * len(templates)) / median(v) for k, v in seconds.items()}
    return {"images_ratio_vs_clip_benchmark": per_s["images_clipviz"] / per_s["images_clip_benchmark"],
            "photos_first_pass_ratio": per_s["photos_clipviz"] / per_s["photos_4_workers"],
            "texts_ratio": per_s["texts_clipviz"] / per_s["texts_clip_benchmark"],
            "per_second": per_s, "images": n_images, "photos": len(photos), "prompts": len(classes) * len(templates),
            "repeats_seconds": seconds}


# --- 4: nothing to pass for the GPU --------------------------------------------------------------

def default_device_checks(folder: Path) -> dict:
    """Where the CLI's train and eval and the notebooks' model loader run with no device given."""
    from clipviz.teaching.notebook import load_model

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
           "CLIPVIZ_CACHE": str(folder / "cache")}

    def cli(*args) -> str:
        run = subprocess.run([sys.executable, "-m", "clipviz", *args], capture_output=True, text=True, env=env,
                             cwd=folder)
        found = re.search(r"^device ([^\s,]+)", run.stdout, re.M)
        return found.group(1) if run.returncode == 0 and found else f"failed: {run.stderr.strip()[-300:]}"

    run_dir = folder / "run"
    checks = {"cli_train": cli("train", "--model", "shapes-cnn-tiny", "--pairs", "512", "--steps", "3",
                               "--batch-size", "64", "--out", str(run_dir)),
              "cli_eval": cli("eval", "--checkpoint", str(run_dir / "step_000003.pt"), "--data", "shapes:test",
                              "--n", "256")}
    model = load_model("shapes-cnn-tiny", trained=False)[0]        # as the notebooks call it (DEVICE = "auto")
    checks["notebook_load_model"] = str(next(model.parameters()).device)
    notebooks = sorted((HERE.parent / "notebooks").glob("[0-9][0-9]_*.py"))
    with_auto = [p.stem for p in notebooks if 'DEVICE = "auto"' in p.read_text()]
    checks["notebooks_with_DEVICE_auto"] = f"{len(with_auto)}/{len(notebooks)}"
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; medians are reported")
    parser.add_argument("--steps", type=int, default=40, help="measured training steps (after warm-up)")
    parser.add_argument("--photos", type=int, default=2000)
    args = parser.parse_args()
    check_machine()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        csv = write_photo_set(folder / "photos", args.photos)       # before CUDA starts: forked writers
        print(f"{args.photos} photos written in {time.perf_counter() - start:.0f} s", flush=True)
        import torch

        from common import write

        device = torch.cuda.get_device_name(0)
        figures = {"device": device}
        figures["checks"] = default_device_checks(folder)
        print(f"with no device given: {figures['checks']}", flush=True)
        figures["train_vit_b32"] = t = train_vit_b32(args.repeats, args.steps)
        print(f"ViT-B-32 training, batch {BATCH_VIT}, bf16: clipviz {t['clipviz_pairs_per_s']:.0f} pairs/s vs "
              f"open_clip {t['open_clip_samples_per_s']:.0f} samples/s: {t['ratio']:.2f}x", flush=True)
        figures["train_cnn_tiny"] = c = train_cnn_tiny(args.repeats, args.steps)
        print(f"shapes-cnn-tiny training: CPU {c['cpu_pairs_per_s']:.0f}, GPU {c['gpu_pairs_per_s']:.0f} pairs/s",
              flush=True)
        figures["encode_vit_b32"] = e = encode_vit_b32(args.repeats, csv)
        print(f"ViT-B-32 encoding: images {e['images_ratio_vs_clip_benchmark']:.2f}x CLIP_benchmark's loop, photos "
              f"(first pass) {e['photos_first_pass_ratio']:.2f}x a 4-worker loop, texts {e['texts_ratio']:.2f}x")
    figures["seconds"] = time.perf_counter() - start
    write("gpu", figures)


if __name__ == "__main__":
    main()

"""Where users wait: the ViT tower, folders of real photos, and encoding with a real model.

1. `shapes-vit-tiny` trained from scratch by its recipe: seen / held-out zero-shot top-1
   and the training time.
2. Training pairs/s on a CSV of JPEG photos (ShapesWorld renders scaled up to 640x480 with
   sensor noise) against the same images held in memory, same model and image size,
   measured side by side in interleaved repeats; the decoded-image cache starts empty in
   every CSV run, so its first epoch (decoding every photo) is in the figure.
3. Image and text encoding with ViT-B-32 (random init: the speed is the weights' shapes'):
   clipviz's `encode_images` / `encode_texts` against CLIP_benchmark's evaluation loop
   (open_clip's preprocessing in a torch DataLoader with its default 4 workers and batch
   64, fp32 as `--no_amp`), on the same 500 photos and on OpenAI's 80 templates for the
   first `--classes` ImageNet class names (all 1,000 take CLIP_benchmark's loop hours on
   a laptop CPU; images/s and prompts/s do not depend on how many). Reports both rates,
   their ratio and the largest difference between the two pipelines' unit-norm features.

Writes results/perf_real.json.

Usage: python benchmarks/bench_real.py [--photos 3000] [--steps 150] [--repeats 3] [--classes 20]
                                       [--only csv_vs_memory ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from common import RESULTS, top1, write

from clipviz import data as data_module
from clipviz.data import CsvDataset, DecodedCache, PairDataset
from clipviz.core.model import create_model
from clipviz.zoo import recipe
from clipviz.core.train import TrainConfig, train
from clipviz.world import ShapesWorld

PHOTO = (640, 480)


def write_photos(out: Path, n: int, seed: int = 0) -> Path:
    """n ShapesWorld training pairs as 640x480 JPEG photos (the 64 px render scaled up on a
    noisy canvas) and an open_clip CSV of them; returns the CSV's path."""
    dataset = ShapesWorld(seed=seed).dataset("train", n=n)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, image in enumerate(dataset.images):
        big = np.asarray(Image.fromarray(image).resize((PHOTO[1], PHOTO[1]), Image.BICUBIC), np.int16)
        canvas = np.full((PHOTO[1], PHOTO[0], 3), 120, np.int16)
        canvas[:, (PHOTO[0] - PHOTO[1]) // 2:][:, :PHOTO[1]] = big
        canvas += rng.normal(0, 6, canvas.shape).astype(np.int16)
        Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(out / f"{i:05d}.jpg", quality=90)
        rows.append((f"{i:05d}.jpg", dataset.captions[i]))
    path = out / "photos.csv"
    pd.DataFrame(rows, columns=["filepath", "title"]).to_csv(path, sep="\t", index=False)
    return path


class InMemory(PairDataset):
    """The same pairs with their images already decoded at the training size."""

    def __init__(self, source: PairDataset, size: int):
        super().__init__(source.meta)
        self.images = source.image_batch(range(len(source)), size).permute(0, 2, 3, 1).numpy().copy()

    def load_array(self, image_id: int) -> np.ndarray:
        return self.images[image_id]

    def image_batch(self, indices, size: int) -> torch.Tensor:
        return torch.from_numpy(self.images[self.image_ids[np.asarray(indices)]]).permute(0, 3, 1, 2)


def pairs_per_second(dataset, steps: int) -> float:
    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    start = time.perf_counter()
    train(model, dataset, TrainConfig(steps=steps, progress=False))
    return steps * TrainConfig().batch_size / (time.perf_counter() - start)


def csv_vs_memory(csv: Path, steps: int, repeats: int) -> dict:
    photos = CsvDataset(csv)
    memory = InMemory(photos, 64)
    rates = {"csv": [], "memory": []}
    for _ in range(repeats):
        data_module.DECODED = DecodedCache()                 # every CSV run decodes its photos again
        rates["csv"].append(pairs_per_second(CsvDataset(csv), steps))
        rates["memory"].append(pairs_per_second(memory, steps))
    csv_rate, memory_rate = statistics.median(rates["csv"]), statistics.median(rates["memory"])
    return {"ratio": csv_rate / memory_rate, "csv_pairs_per_s": csv_rate, "memory_pairs_per_s": memory_rate,
            "photos": len(photos), "photo_size": list(PHOTO), "steps": steps, "repeats": rates}


def vit_tiny() -> dict:
    spec = recipe("shapes-vit-tiny")
    world = spec.make_world()
    model, _, tokenizer = create_model(spec.model, seed=spec.config.seed)
    dataset = world.dataset("train", n=spec.n_train)
    start = time.perf_counter()
    train(model, dataset, spec.config)
    seconds = time.perf_counter() - start
    names = world.classnames("all")
    return {"seen_acc1": top1(model, world.dataset("test", n=2000), names, tokenizer),
            "heldout_acc1": top1(model, world.dataset("heldout", n=2000), names, tokenizer),
            "train_seconds": seconds, "steps": spec.config.steps, "model": spec.model}


class Photos(torch.utils.data.Dataset):
    """CLIP_benchmark's image side: each file opened with PIL and run through open_clip's
    preprocessing in the DataLoader's workers."""

    def __init__(self, paths, preprocess):
        self.paths, self.preprocess = list(paths), preprocess

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        with Image.open(self.paths[i]) as image:
            return self.preprocess(image.convert("RGB"))


def clip_benchmark_images(model, preprocess, paths, batch_size: int = 64, workers: int = 4) -> torch.Tensor:
    """Unit-norm features the way CLIP_benchmark's evaluation loop computes them (fp32, no_grad)."""
    loader = torch.utils.data.DataLoader(Photos(paths, preprocess), batch_size=batch_size, num_workers=workers)
    with torch.no_grad():
        return torch.cat([torch.nn.functional.normalize(model.encode_image(x), dim=-1) for x in loader])


def clip_benchmark_classifier(model, tokenizer, classnames, templates) -> torch.Tensor:
    """CLIP_benchmark's `zero_shot_classifier` with amp off: one batch of templates per class,
    mean of the unit-norm prompt embeddings, normalised: (C, D)."""
    with torch.no_grad():
        rows = []
        for name in classnames:
            features = model.encode_text(tokenizer([t.format(name) for t in templates]))
            rows.append(torch.nn.functional.normalize(torch.nn.functional.normalize(features, dim=-1).mean(0), dim=0))
        return torch.stack(rows)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def encode_vs_clip_benchmark(csv: Path, n_images: int, n_classes: int, repeats: int) -> dict:
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    from clipviz.evaluation.embed import encode_images
    from clipviz.evaluation.zeroshot import load_templates, zero_shot_classifier

    model, preprocess, tokenizer = create_model("ViT-B-32")
    photos = CsvDataset(csv).subset(n=n_images, seed=0)
    paths = photos.meta["filepath"].tolist()
    batches = {}
    for batch in (64, 128, 256):                    # clipviz's batch size, measured
        data_module.DECODED = DecodedCache()
        batches[batch] = timed(lambda: encode_images(model, photos, batch_size=batch, progress=False))[1]
    best = min(batches, key=batches.get)
    image_times = {"clipviz": [], "clip_benchmark": []}
    for _ in range(repeats):                        # interleaved; every clipviz run decodes its photos anew
        data_module.DECODED = DecodedCache()
        ours, seconds = timed(lambda: encode_images(model, photos, batch_size=best, progress=False))
        image_times["clipviz"].append(seconds)
        theirs, seconds = timed(lambda: clip_benchmark_images(model, preprocess, paths))
        image_times["clip_benchmark"].append(seconds)
    exact = encode_images(model, photos, batch_size=best, progress=False, precision="fp32")

    templates = load_templates("openai80")
    classes = list(IMAGENET_CLASSNAMES[:n_classes])
    text_times = {"clipviz": [], "clip_benchmark": []}
    for _ in range(repeats):
        from clipviz.evaluation import zeroshot
        zeroshot._CLASSIFIER_CACHE.clear()
        our_classifier, seconds = timed(lambda: zero_shot_classifier(model, tokenizer, classes, templates))
        text_times["clipviz"].append(seconds)
        their_classifier, seconds = timed(lambda: clip_benchmark_classifier(model, tokenizer, classes, templates))
        text_times["clip_benchmark"].append(seconds)
    ours_rate = n_images / statistics.median(image_times["clipviz"])
    theirs_rate = n_images / statistics.median(image_times["clip_benchmark"])
    prompts = len(classes) * len(templates)
    text_ours = prompts / statistics.median(text_times["clipviz"])
    text_theirs = prompts / statistics.median(text_times["clip_benchmark"])
    return {"image_ratio": ours_rate / theirs_rate, "text_ratio": text_ours / text_theirs,
            "max_abs_diff": float(max((ours - theirs).abs().max(), (our_classifier - their_classifier).abs().max())),
            "image_max_abs_diff": float((ours - theirs).abs().max()),
            "image_max_abs_diff_bf16_only": float((ours - exact).abs().max()),
            "text_max_abs_diff": float((our_classifier - their_classifier).abs().max()),
            "images_per_s": {"clipviz": ours_rate, "clip_benchmark": theirs_rate},
            "prompts_per_s": {"clipviz": text_ours, "clip_benchmark": text_theirs},
            "clipviz_batch_size": best, "seconds_by_batch_size": batches, "images": n_images,
            "classes": n_classes, "templates": len(templates), "repeats": {"images": image_times, "texts": text_times},
            "clip_benchmark_loop": "DataLoader, 4 workers, batch 64, open_clip preprocessing, fp32 (--no_amp)"}


PARTS = ("csv_vs_memory", "encode_vs_clip_benchmark", "vit_tiny")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="measure only this part (repeatable); the others keep their figures in the JSON")
    args = parser.parse_args()
    torch.set_num_threads(2)
    parts = args.only or PARTS
    path = RESULTS / "perf_real.json"
    figures = {k: v for k, v in json.loads(path.read_text()).items() if k in PARTS} if args.only and path.exists() else {}
    with tempfile.TemporaryDirectory() as folder:
        csv = write_photos(Path(folder) / "photos", args.photos)
        if "csv_vs_memory" in parts:
            figures["csv_vs_memory"] = c = csv_vs_memory(csv, args.steps, args.repeats)
            print(f"CSV of {args.photos} JPEG photos vs in memory: {c['ratio']:.3f} "
                  f"({c['csv_pairs_per_s']:.0f} vs {c['memory_pairs_per_s']:.0f} pairs/s)")
        if "encode_vs_clip_benchmark" in parts:
            figures["encode_vs_clip_benchmark"] = e = encode_vs_clip_benchmark(csv, 500, args.classes, args.repeats)
            print(f"ViT-B-32 encoding vs CLIP_benchmark's loop: images {e['image_ratio']:.2f}x "
                  f"({e['images_per_s']['clipviz']:.1f} vs {e['images_per_s']['clip_benchmark']:.1f}/s), texts "
                  f"{e['text_ratio']:.2f}x ({e['prompts_per_s']['clipviz']:.0f} vs "
                  f"{e['prompts_per_s']['clip_benchmark']:.0f} prompts/s), largest feature difference "
                  f"{e['max_abs_diff']:.4f}")
    if "vit_tiny" in parts:
        figures["vit_tiny"] = v = vit_tiny()
        print(f"shapes-vit-tiny: seen {v['seen_acc1']:.3f}, held-out {v['heldout_acc1']:.3f} after "
              f"{v['train_seconds']:.0f} s")
    write("perf_real", figures)


if __name__ == "__main__":
    main()

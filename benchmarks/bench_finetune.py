"""Why fine-tuning pretrained weights needs its own recipe: the trained default model,
fine-tuned on a small CSV of new images with the from-scratch recipe (peak lr 3e-3 after
100 warmup steps) and with the fine-tuning recipe clipviz uses for loaded weights (1e-5
after 10), its ShapesWorld zero-shot top-1 before and after each."""

import tempfile
from pathlib import Path

import torch

from common import top1, write

from clipviz.data import CsvDataset
from clipviz.core.model import from_checkpoint
from clipviz.zoo import DEFAULT_MODEL, cache_path, pretrained, recipe
from clipviz.core.train import FINE_TUNE, SCRATCH, TrainConfig, train
from clipviz.world import ShapesWorld

N_EVAL, N_CSV, STEPS, BATCH = 1000, 256, 100, 32


def zero_shot(model, tokenizer, world) -> dict:
    classes = world.classnames("all")
    return {split: top1(model, world.dataset(split, n=N_EVAL), classes, tokenizer) for split in ("test", "heldout")}


def main() -> None:
    torch.set_num_threads(2)
    pretrained(DEFAULT_MODEL)                      # trained and cached if it is not yet
    world = recipe(DEFAULT_MODEL).make_world()
    with tempfile.TemporaryDirectory() as folder:
        # the user's data: images the model never saw (another seed of the world)
        csv = CsvDataset(ShapesWorld(seed=123).export(Path(folder), split="test", n=N_CSV))
        model, _, tokenizer = from_checkpoint(cache_path(DEFAULT_MODEL))
        results = {"before": zero_shot(model, tokenizer, world)}
        print(f"before fine-tuning: {results['before']}")
        for name, schedule in (("from-scratch recipe", SCRATCH), ("fine-tuning recipe", FINE_TUNE)):
            model, _, tokenizer = from_checkpoint(cache_path(DEFAULT_MODEL))
            history = train(model, csv, TrainConfig(steps=STEPS, batch_size=BATCH, progress=False, **schedule))
            results[name] = {**zero_shot(model, tokenizer, world), **schedule,
                             "csv_loss_first_10": float(history.loss.head(10).mean()),
                             "csv_loss_last_10": float(history.loss.tail(10).mean())}
            print(f"{name} ({schedule}): {results[name]}", flush=True)
    write("finetune", {"model": DEFAULT_MODEL, "csv_pairs": N_CSV, "steps": STEPS, "batch_size": BATCH,
                       "n_eval": N_EVAL, "results": results})


if __name__ == "__main__":
    main()

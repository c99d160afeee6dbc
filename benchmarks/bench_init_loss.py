"""The contrastive loss of untrained towers against ln B, for joint spaces of 128, 192 (the
tiny models' own), 256 and 512 dimensions (5 seeds per tiny model), and with `--train N`
what the default recipe gets from 192 dimensions rather than 128: steps to 95 % zero-shot
top-1 on seen compositions and the final held-out accuracy over N seeds.

Why the dimension: between two unrelated random towers a row of logits has a variance
≈ scale²·(1 - mean cosine of the row's items) / embed_dim, and the loss sits about half
that variance above ln B (`clipviz.loss.chance_loss`); `initial_excess` prints this
estimate beside the measured loss.
"""

import argparse
import json
import math
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

import open_clip
import torch

from common import top1, write

from clipviz.evaluation.embed import pair_features
from clipviz.core.loss import clip_loss
from clipviz.core.model import CONFIG_DIR, TINY_MODELS, create_model
from clipviz.zoo import DEFAULT_MODEL, recipe
from clipviz.core.train import train
from clipviz.world import ShapesWorld

DIMENSIONS, SEEDS, BATCH = (128, 192, 256, 512), range(5), 128
TARGET, EVAL_EVERY, N_EVAL = 0.95, 20, 1000


def register_embed_dims(folder: Path) -> None:
    """Register "<tiny model>-d<D>": the tiny configs with another joint-space size."""
    for name in TINY_MODELS:
        config = json.loads((CONFIG_DIR / f"{name}.json").read_text())
        for dim in DIMENSIONS:
            (folder / f"{name}-d{dim}.json").write_text(json.dumps({**config, "embed_dim": dim}))
    open_clip.add_model_config(folder)


def initial_excess(name: str, batch) -> dict[str, list[float]]:
    """Per seed: measured (loss at init / ln B - 1), and the estimate: each direction of the loss
    sits ½·σ² above ln B, σ² = scale²·(1 - c)/D the variance of a row of logits, c the mean
    pairwise cosine of what the row runs over (captions for image→text, images for
    text→image) and D the joint space's dimensions; the loss is the mean of both directions."""
    measured, estimated = [], []
    for seed in SEEDS:
        model, _, tokenizer = create_model(name, seed=seed)
        image_features, text_features = pair_features(model, tokenizer, batch)   # (B, D) each, unit rows
        scale = model.logit_scale.exp().item()
        loss = clip_loss(image_features, text_features, model.logit_scale.exp().detach()).item()
        spread = sum(1 - (f @ f.T).mean().item() for f in (image_features, text_features))   # Σ (1 - c)
        measured.append(loss / math.log(len(batch)) - 1)
        estimated.append(scale ** 2 * spread / text_features.shape[1] / 4 / math.log(len(batch)))
    return {"measured": measured, "estimated": estimated}


def trained(name: str, seed: int) -> dict:
    """The default recipe on model `name`: first step (of every EVAL_EVERY-th) at ≥ 95 % seen, final accuracies."""
    spec = recipe(DEFAULT_MODEL)
    world = spec.make_world()
    seen, heldout = world.dataset("test", n=N_EVAL), world.dataset("heldout", n=N_EVAL)
    classes = world.classnames("all")
    model, _, tokenizer = create_model(name, seed=seed)
    reached = []

    def check(row, model):
        if row["step"] % EVAL_EVERY == 0 and not reached:
            model.eval()
            if top1(model, seen, classes, tokenizer) >= TARGET:
                reached.append(row["step"])
            model.train()

    train(model, world.dataset("train", n=spec.n_train), replace(spec.config, seed=seed, progress=False),
          tokenizer=tokenizer, callbacks=[check])
    return {"seed": seed, "steps_to_95": reached[0] if reached else None,
            "seen": top1(model, seen, classes, tokenizer), "heldout": top1(model, heldout, classes, tokenizer)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=0, metavar="N", help="seeds of the trained comparison")
    args = parser.parse_args()
    torch.set_num_threads(2)
    register_embed_dims(Path(tempfile.mkdtemp()))
    batch = ShapesWorld(seed=0).dataset("train", n=256).subset(n=BATCH, seed=1)
    figures = {"batch": BATCH, "seeds": list(SEEDS), "excess_over_ln_b": {}}
    for name in TINY_MODELS:
        figures["excess_over_ln_b"][name] = {dim: initial_excess(f"{name}-d{dim}", batch) for dim in DIMENSIONS}
        for dim, excess in figures["excess_over_ln_b"][name].items():
            print(f"{name} {dim}-d: measured " + " ".join(f"{100 * e:+.1f}%" for e in excess["measured"])
                  + "   estimated " + " ".join(f"{100 * e:+.1f}%" for e in excess["estimated"]), flush=True)
    if args.train:
        figures["trained"] = {}
        for dim in (128, 192):
            runs = [trained(f"{DEFAULT_MODEL}-d{dim}", seed) for seed in range(args.train)]
            figures["trained"][dim] = {"runs": runs, "median_heldout": statistics.median(r["heldout"] for r in runs)}
            print(f"{dim}-d: {runs}", flush=True)
    write("init_loss", figures)


if __name__ == "__main__":
    main()

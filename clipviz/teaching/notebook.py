"""What a notebook's parameters cell turns into: data sets and models.

The notebooks stay short and switch between the embedded defaults and your own data or
a real OpenCLIP model by changing their parameters cell only; these helpers do the rest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..data import load_dataset
from ..evaluation.embed import cached_pair_features
from ..evaluation.report import evaluate
from ..core.device import describe, resolve_device
from ..core.model import create_model, from_checkpoint, resolve_precision
from ..zoo import CLIP_ART, RECIPES, cache_path, pretrained, recipe
from ..evaluation.zeroshot import PHOTO_TEMPLATE
from ..language import _
from ..world import ShapesWorld

SWEEP = {1000: "shapes-cnn-tiny-n1000", 4000: "shapes-cnn-tiny-n4000", 20000: "shapes-cnn-tiny"}
SWEEP_FILE = Path(__file__).parent / "data_size_sweep.json"   # the stored measurement (clipviz pretrained sweep)


def load_data(spec: str, n_train: int | None, seed: int = 0, n_eval: int = 1000, need_labels: bool = False,
              pictures: str = "all"):
    """Training and evaluation data from a spec ("shapes", "csv:PATH", "folder:PATH", "wds:SHARDS":
    the shards' first pairs, read into memory, `data.ShardDataset`).

    Returns:
        (world, train_set, test_set, heldout_set, classnames). `train_set` is None when
        n_train is 0/None (a notebook that only evaluates).
        For ShapesWorld: the world, `n_train` training pairs, seen and held-out test sets
        of `n_eval` images, every colour–shape class; `pictures` "all" (every style and
        picture quality, as the embedded models saw) or "clip art" (flat and clean only).
        For your files: world and heldout_set are None; with n_train the data is split by
        image into training and test halves, without it all of it is the test set (at most
        `n_eval` pairs); classes are the values of the `label` column, None without one
        (an error instead with `need_labels`, for a notebook that is all classification).
    """
    if spec == "shapes":
        if pictures not in ("all", "clip art"):
            raise ValueError(f"pictures must be 'all' or 'clip art', not {pictures!r}")
        world = ShapesWorld(seed=seed, **(CLIP_ART if pictures == "clip art" else {}))
        train_set = world.dataset("train", n=n_train) if n_train else None
        return (world, train_set, world.dataset("test", n=n_eval),
                world.dataset("heldout", n=n_eval), world.classnames("all"))
    dataset = load_dataset(spec)
    classnames = sorted(dataset.meta["label"].unique()) if "label" in dataset.meta.columns else None
    if need_labels and classnames is None:
        raise ValueError(f"{spec} has no 'label' column: this notebook measures classification and needs "
                         f"each image's class (columns present: {', '.join(dataset.meta.columns)})")
    train_set, test_set = dataset.split(0.5, seed=seed) if n_train else (None, dataset)
    if train_set is not None and len(train_set) > n_train:
        train_set = train_set.subset(n=n_train, seed=seed)
    if len(test_set) > n_eval:
        test_set = test_set.subset(n=n_eval, seed=seed)
    return None, train_set, test_set, None, classnames


def has_labels(classnames, section: str) -> bool:
    """False, after saying so in one sentence, when the data has no label column."""
    if classnames is None:
        print(_("Your data has no 'label' column, so {section} is skipped: add each image's class to see it.",
                section=section))
    return classnames is not None


def load_model(name: str, pretrained_weights: str | None = None, trained: bool = True, seed: int = 0,
               device: str = "auto"):
    """(model, preprocess, tokenizer) for a notebook's MODEL / PRETRAINED / DEVICE parameters.

    trained=False gives the same architecture freshly initialised (the "before" picture).
    Otherwise: an embedded model from its checkpoint file when `pretrained_weights` is
    given, else from the cache; an open_clip model with `pretrained_weights` (tag or file).
    device: "auto" takes a GPU when there is one (`core.device.resolve_device`); the device
    and precision are printed the first time a notebook's kernel loads a model there.
    """
    device = resolve_device(device)
    announce(device)
    architecture = recipe(name).model if name in RECIPES else name
    if not trained:
        return create_model(architecture, seed=seed, device=device)
    if name in RECIPES:
        return from_checkpoint(pretrained_weights, device=device) if pretrained_weights else pretrained(name,
                                                                                                       device=device)
    return create_model(name, pretrained=pretrained_weights, seed=seed, device=device)


_announced: set = set()


def announce(device) -> None:
    """Print "device …, precision …" once per kernel and device (precision: what "auto" picks there)."""
    if str(device) not in _announced:
        _announced.add(str(device))
        print(_(describe(device, resolve_precision("auto", device))))     # a label pattern: "device {device}, …"


def measure_sweep(n_eval: int = 1000) -> pd.DataFrame:
    """Zero-shot top-1 (seen, held-out) of the same recipe trained on more and more pairs;
    trains the sweep's models when they are not cached."""
    world = ShapesWorld(seed=0)
    classnames, rows = world.classnames("all"), {}
    for size, name in SWEEP.items():
        model, _preprocess, tokenizer = pretrained(name)
        rows[f"{size:,} pairs"] = {
            split_name: evaluate(model, world.dataset(split, n=n_eval), classnames, [PHOTO_TEMPLATE],
                                 tokenizer, ks=())["acc1"]
            for split_name, split in (("seen", "test"), ("held-out", "heldout"))}
    return pd.DataFrame(rows).T


def write_sweep(path: Path = SWEEP_FILE) -> Path:
    """Measure the sweep and store it with the recipe keys it was measured for."""
    table = measure_sweep()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"recipes": sweep_keys(), "when": time.strftime("%Y-%m-%d"),
                                "table": table.to_dict(orient="index")}, indent=2) + "\n")
    return path


def sweep_keys() -> dict[str, str]:
    return {name: recipe(name).key() for name in SWEEP.values()}


def sweep_table(path: Path = SWEEP_FILE) -> tuple[pd.DataFrame, str]:
    """The data-size sweep and where its numbers come from.

    Measured now when the sweep's models are all cached; otherwise read from the stored
    measurement of the same recipes (`clipviz pretrained sweep`), so the notebook never
    spends minutes training three models; trained and measured only when neither exists.
    """
    if all(cache_path(name).exists() for name in SWEEP.values()):
        return measure_sweep(), _("measured now from the cached models")
    stored = json.loads(path.read_text()) if path.exists() else {}
    if stored.get("recipes") == sweep_keys():
        return (pd.DataFrame.from_dict(stored["table"], orient="index"),
                _("stored measurement of these recipes ({when}); make models recomputes it here", when=stored["when"]))
    return measure_sweep(), _("measured now (models trained for it)")


def map_data(model, tokenizer, datasets) -> tuple:
    """Cached encodings of several pair datasets, stacked: (image_features, text_features, meta).

    `meta` gains a `composition` column ("seen" / "held-out") when the data say which
    compositions were held out.
    """
    encoded = [cached_pair_features(model, tokenizer, d) for d in datasets if d is not None]
    meta = pd.concat([d.meta for d in datasets if d is not None], ignore_index=True)
    if "heldout" in meta.columns:
        meta["composition"] = np.where(meta["heldout"].astype(bool), "held-out", "seen")
    return torch.cat([i for i, _t in encoded]), torch.cat([t for _i, t in encoded]), meta


SHAPES_ATTRIBUTES = ("colour", "shape", "size", "background", "pattern", "position", "composition", "label")
NOT_ATTRIBUTES = ("image_id", "filepath", "caption", "modality", "split")


def map_attributes(meta: pd.DataFrame, max_levels: int = 20) -> list[str]:
    """The columns a map can be coloured by: ShapesWorld's attributes when present, else
    every column of your data with 2 to `max_levels` distinct values (label, group, …);
    with none, "modality" alone (image or caption), said in a sentence."""
    found = [c for c in SHAPES_ATTRIBUTES if c in meta.columns]
    if "colour" in found:
        return found
    candidates = ["label"] + [c for c in meta.columns if c != "label"]
    found = [c for c in candidates if c in meta.columns and c not in NOT_ATTRIBUTES
             and 2 <= meta[c].nunique() <= max_levels]
    if not found:
        print(_("Your data has no attribute columns (label, group, …), so the maps are coloured by modality only."))
    return found or ["modality"]


def map_images(datasets, size: int = 64) -> np.ndarray:
    """The images of several pair datasets, one per pair, stacked: uint8 (N, size, size, 3)."""
    return np.concatenate([d.image_batch(range(len(d)), size).permute(0, 2, 3, 1).numpy()
                           for d in datasets if d is not None])


def load_audit_data(spec: str, n: int, seed: int = 0, columns=()):
    """The images to audit: ShapesWorld's single-object test images (their shape is the
    class, their background the group), or every pair of a CSV/folder data set, which
    must have the `columns` the audit reads (the class and the group)."""
    data = ShapesWorld(seed=seed).dataset("test", n=n).subset(n_objects=1) if spec == "shapes" else load_dataset(spec)
    missing = [c for c in columns if c not in data.meta.columns]
    if missing:
        raise ValueError(f"{spec} has no column {', '.join(map(repr, missing))}: the audit needs each image's class "
                         f"and group (columns present: {', '.join(data.meta.columns)})")
    return data


def load_style_sets(spec: str, id_style: str = "flat", n_pool: int = 2000, n_eval: int = 1000, seed: int = 0,
                    style_column: str = "style"):
    """Labelled images by style for notebook 05: (world or None, `transfer.StyleSets`).

    ShapesWorld: every render style's labelled images (the pools) and test images of the
    seen compositions, the same scenes in every style. Your CSV/folder: its `label` column
    names the classes and `style_column` the domains, each domain's images split in half by
    image into pool and test; a domain of one image is only tested. When `id_style` is not
    among your domains, the most common one is taken, said in a sentence.
    """
    from ..analysis.transfer import StyleSets
    from ..world import STYLES

    if spec == "shapes":
        world = ShapesWorld(seed=seed)
        return world, StyleSets(world.classnames("seen"), id_style,
                                {s: world.dataset("labelled", n=n_pool, style_weights=s) for s in STYLES},
                                {s: world.dataset("test", n=n_eval, style_weights=s) for s in STYLES})
    data = load_audit_data(spec, n_eval, seed, columns=("label",))
    by_style = ({str(s): data.subset(**{style_column: s}) for s in data.meta[style_column].value_counts().index}
                if style_column in data.meta.columns else {"all": data})
    if id_style not in by_style:
        print(_("Your data has no {column!r} value {wanted!r}: its most common one, {taken!r}, is taken as "
                "in-distribution.", column=style_column, wanted=id_style, taken=next(iter(by_style))))
        id_style = next(iter(by_style))
    pools, tests = {}, {}
    for style, mine in by_style.items():
        if len(np.unique(mine.image_ids)) >= 2:
            pools[style], tests[style] = mine.split(0.5, seed=seed)
        else:
            tests[style] = mine
    return None, StyleSets(sorted(data.meta["label"].astype(str).unique()), id_style, pools, tests)


def fine_tuned_pair(name: str, model_name: str, model, tokenizer, sets, steps: int = 100, seed: int = 0):
    """(zero-shot head network, fine-tuned network) for notebook 05's WiSE-FT, on `model`'s device.

    An embedded fine-tune of `model_name` (`name` among the embedded classifiers, built on
    that model) comes from the cache; otherwise `model` is fine-tuned here from its
    zero-shot head for `steps` steps on the ID pool of `sets` (the fine-tuning recipe: peak
    lr 1e-5 after 10 warmup steps), so another model or your data never get the embedded one.
    """
    from ..core.classifier import train_classifier, zero_shot_image_classifier
    from ..zoo import CLASSIFIERS, classifier
    from ..core.train import TrainConfig
    from ..evaluation.zeroshot import learned_scale, zero_shot_classifier

    if name in CLASSIFIERS and CLASSIFIERS[name].base == model_name:
        device = next(model.parameters()).device
        return classifier(name, trained=False, device=device)[0], classifier(name, device=device)[0]
    head = zero_shot_classifier(model, tokenizer, sets.classnames, [PHOTO_TEMPLATE])
    start = zero_shot_image_classifier(model, head, learned_scale(model))
    tuned = zero_shot_image_classifier(model, head, learned_scale(model))
    pool = sets.pools[sets.id_style]
    train_classifier(tuned, pool, sets.targets["pools"][sets.id_style],
                     TrainConfig(steps=steps, batch_size=min(32, len(pool)), seed=seed), pretrained=True)
    return start, tuned


def load_scenes(spec: str, n: int, seed: int = 0):
    """Notebook 06's images: (world, data). ShapesWorld: `n` two-object test scenes, whose
    masks and relations the world knows (pictures as drawn: no crop, close-up or "many").
    Your CSV/folder: (None, every pair of it)."""
    if spec == "shapes":
        world = ShapesWorld(seed=seed)
        return world, world.dataset("test", n=n, eval_counts=(0, 1, 0, 0), quality_p=0.0)
    return None, load_dataset(spec)


def stored_result(name: str, start: Path | None = None) -> dict | None:
    """A benchmark's stored measurement, `benchmarks/results/<name>.json` of the project the
    notebook runs in, looked for from the current folder upwards (the notebook's own folder,
    or a copy of it under build/); None, said in a sentence, when there is none."""
    for folder in [Path(start or Path.cwd()).resolve(), *Path(start or Path.cwd()).resolve().parents]:
        path = folder / "benchmarks" / "results" / f"{name}.json"
        if path.is_file():
            return json.loads(path.read_text())
    print(_("The stored measurement benchmarks/results/{name}.json is not reachable from here (run the notebook "
            "inside the clipviz repository, or python benchmarks/bench_{name}.py).", name=name))
    return None


def across_seeds_table(stored: dict, names) -> pd.DataFrame:
    """The effects `names` across training seeds from the stored prompts benchmark: one row
    each with the mean over seeds, its hierarchical 95 % interval (seeds, then images), the
    spread of the seeds, the shipped model's own paired interval, and the paper's number."""
    rows = {}
    for name in names:
        effect = stored["effects"][name]
        rows[name] = {"seeds": effect["seeds"], "mean over seeds": effect["mean"], "low": effect["ci"][0],
                      "high": effect["ci"][1], "SD over seeds": effect["sd"],
                      "shipped model": effect["shipped"]["delta"], "shipped model: low": effect["shipped"]["ci"][0],
                      "shipped model: high": effect["shipped"]["ci"][1], "paper (not measured here)": effect["paper"]}
    return pd.DataFrame(rows).T


def scene_classes(data) -> list[str] | None:
    """The classes of your data for notebook 06's typographic attack: the sorted values of its
    `label` column, None without one (or with fewer than two classes)."""
    if "label" not in data.meta.columns:
        return None
    classes = sorted(data.meta["label"].astype(str).unique())
    return classes if len(classes) >= 2 else None

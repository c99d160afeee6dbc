"""`python -m clipviz train | eval | pretrained | demo | classroom` — see `--help` on each."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
from pathlib import Path

from .core.train import TrainConfig


def parse_data(spec: str, n: int, seed: int = 0, split: str = "train", stream: bool = False):
    """"shapes[:split]", "csv:PATH", "folder:PATH" or "wds:SHARDS" → a PairDataset.

    n: ShapesWorld pairs to generate; for shards, the pairs read into memory. stream: shards
    as a `ShardStream` (training reads them without limit)."""
    from .data import load_dataset
    from .world import ShapesWorld

    kind, _, rest = spec.partition(":")
    if kind == "shapes":
        return ShapesWorld(seed=seed).dataset(rest or split, n=n)
    if kind == "wds":
        return load_dataset(spec, stream=stream, max_pairs=n)
    return load_dataset(spec)


DATA_HELP = "shapes[:split] | csv:PATH | folder:PATH | wds:SHARDS (WebDataset tar files, e.g. " \
            "'wds:/data/shards/{00000..00099}.tar')"
DEVICE_HELP = "auto: a CUDA GPU, else Apple's MPS, else the CPU (under torchrun each process's own GPU); " \
              "or cpu, cuda, cuda:N, mps"


def announce(device, precision: str) -> None:
    """Print the device and precision a command runs on, once."""
    from .core.device import describe

    print(describe(device, precision), flush=True)


# TrainConfig's fields that are not flags: --out sets out_dir; the rest have no use on the command line
NOT_FLAGS = ("out_dir", "progress", "eval_every")
CHOICES = {"precision": ("auto", "fp32", "bf16")}


def field_comments(cls) -> dict[str, str]:
    """{field: the comment beside it} from a dataclass's source: TrainConfig's defaults explain
    themselves there, and the same words are the flags' help."""
    pattern = re.compile(r"^\s+(\w+): [^=]+=[^#]*#\s*(.+)$")
    return {m[1]: m[2] for line in inspect.getsource(cls).splitlines() if (m := pattern.match(line))}


def add_config_flags(parser: argparse.ArgumentParser, cls=TrainConfig) -> None:
    """One flag per field of `cls` (`--batch-size` for batch_size), typed from its annotation,
    defaulting to its default; booleans as --x / --no-x."""
    comments = field_comments(cls)
    for field in dataclasses.fields(cls):
        if field.name in NOT_FLAGS:
            continue
        flag, kind = "--" + field.name.replace("_", "-"), str(field.type)
        options = dict(default=field.default, help=comments.get(field.name, ""))
        if kind == "bool":
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = float if "float" in kind else int if "int" in kind else str
            options["choices"] = CHOICES.get(field.name)
        parser.add_argument(flag, **options)


def config_from(args, cls=TrainConfig):
    """The config the flags of `add_config_flags` describe."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.name not in NOT_FLAGS},
               out_dir=args.out)


def cmd_train(args) -> None:
    from .core.device import device_of
    from .core.distributed import launched_world
    from .core.model import create_model, resolve_precision
    from .core.train import train

    dataset = parse_data(args.data, n=args.n, seed=args.seed, stream=True)
    model, _, tokenizer = create_model(args.model, pretrained=args.pretrained, seed=args.seed, device=args.device)
    config = config_from(args).for_model(model)
    main_process = launched_world().is_main      # under torchrun only rank 0 writes and prints
    if main_process:
        device = device_of(model)
        announce(device, resolve_precision(config.precision, device))
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "config.json").write_text(json.dumps({**dataclasses.asdict(config), "model": args.model,
                                                                "pretrained": args.pretrained,
                                                                "data": args.data}, indent=2))
        start = "fine-tuning " + args.pretrained if args.pretrained else "training from scratch"
        print(f"{start}: peak lr {config.lr:g}, {config.warmup_steps} warmup steps"
              + (", image tower locked" if config.lock_image else ""))
    history = train(model, dataset, config, tokenizer=tokenizer, resume=args.resume)
    last = history.iloc[-1]
    if main_process:
        print(f"step {int(last.step)}: loss {last.loss:.3f}, in-batch accuracy {last.acc_i2t:.2f}; "
              f"checkpoints and history.csv in {args.out}")


def cmd_pretrained(args) -> None:
    from .core.device import resolve_device
    from .core.model import resolve_precision
    from .zoo import (CLASSIFIERS, NOTEBOOK_MODELS, RECIPES, build, build_classifier, cache_path,
                             classifier_path)

    if args.name == "sweep":
        from .teaching.notebook import write_sweep

        print(f"data-size sweep measured → {write_sweep()}")
        return
    names = {"all": list(RECIPES) + list(CLASSIFIERS), "notebooks": list(NOTEBOOK_MODELS)}.get(args.name, [args.name])
    device = resolve_device(args.device)
    announce(device, resolve_precision("auto", device))
    for name in names:
        make, path_of = (build_classifier, classifier_path) if name in CLASSIFIERS else (build, cache_path)
        cached = name in {**RECIPES, **CLASSIFIERS} and path_of(name).exists()
        print(f"{name}: {'cached' if cached else 'trained'} → {make(name, device=device)}")


def eval_model(args):
    """(model, tokenizer, the ShapesWorld it belongs to or None) from eval's model options."""
    from .core.model import create_model, from_checkpoint
    from .zoo import RECIPES, pretrained, recipe

    if (args.checkpoint and args.pretrained) or not (args.checkpoint or args.pretrained or args.model):
        raise ValueError("give a model one way: --checkpoint FILE (a clipviz checkpoint), --pretrained NAME "
                         "(an embedded model), or --model NAME [--pretrained TAG_OR_FILE] (any open_clip model)")
    if args.checkpoint:      # a bare state_dict names no architecture: then --model says it
        model, _, tokenizer = from_checkpoint(args.checkpoint, name=args.model, device=args.device)
        return model, tokenizer, None
    if args.model is None:
        if args.pretrained not in RECIPES:
            raise ValueError(f"--pretrained {args.pretrained!r} is not an embedded model ({', '.join(RECIPES)}); "
                             f"for an open_clip tag or weights file give the architecture too: --model NAME")
        model, _, tokenizer = pretrained(args.pretrained, device=args.device)
        return model, tokenizer, recipe(args.pretrained).make_world()
    model, _, tokenizer = create_model(args.model, pretrained=args.pretrained, device=args.device)
    return model, tokenizer, None


def cmd_eval(args) -> None:
    from .core.device import device_of
    from .core.model import resolve_precision
    from .evaluation.report import evaluate
    from .evaluation.zeroshot import PHOTO_TEMPLATE, load_templates
    from .world import ShapesWorld

    model, tokenizer, model_world = eval_model(args)
    device = device_of(model)
    announce(device, resolve_precision("auto", device))
    templates = load_templates(args.templates) if args.templates else [PHOTO_TEMPLATE]
    classes = _read_classes(args.classes) if args.classes else None
    kind, _, split = args.data.partition(":")
    if kind == "shapes":   # the world the embedded model was trained in, or the default one
        world = model_world or ShapesWorld()
        splits = [split] if split else ["test", "heldout"]
        report = {s: evaluate(model, world.dataset(s, n=args.n), classes or world.classnames("all"), templates,
                              tokenizer) for s in splits}
    else:
        if classes is None:
            print("no --classes given: retrieval only (zero-shot metrics need the class names)")
        report = {"data": evaluate(model, parse_data(args.data, n=args.n), classes, templates, tokenizer,
                                   label_column=args.label_column)}
    for name, metrics in report.items():
        print(f"[{name}] " + (f"labels from {metrics['label_rule']}" if metrics["label_rule"] else metrics["zero_shot"]))
        for key, value in metrics.items():
            if isinstance(value, float):
                print(f"  {key:>36}: {value:.4f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")


def _read_classes(spec: str) -> list[str]:
    path = Path(spec)
    names = path.read_text(encoding="utf-8").splitlines() if path.is_file() else spec.split(",")
    return [n.strip() for n in names if n.strip()]


def cmd_demo(args) -> None:
    from .teaching.demo import run_demo

    run_demo(Path(args.out), device=args.device)


def cmd_classroom(args) -> None:
    from .teaching import classroom

    root = Path(args.root)
    project = classroom.Project(root)
    out = Path(args.out) if args.out else {"html": root / "reports" / "html", "slides": root / "reports" / "slides",
                                           "exercises": root / "exercises"}.get(args.what)
    if args.what == "assets":
        classroom.fetch_web_assets(project.web)
    elif args.what == "exercises":
        classroom.write_exercises(out, project)
    elif args.what == "translate":
        from .teaching import translation

        found = translation.translate(project, check=args.check)
        print("\n".join(found) if found else "every Korean notebook is current: nothing to translate")
        if found:
            raise SystemExit(1)
    else:
        if args.what == "slides":
            from .teaching import talk

            rows = talk.export_slides(out, project)
        else:
            rows = classroom.export(args.what, out, project)
        heading = "clipviz notebooks · 노트북" + (" — slides · 슬라이드" if args.what == "slides" else "")
        print(f"index: {classroom.write_index(out, rows, heading)}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clipviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a CLIP model; writes checkpoints and history.csv",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--model", default="shapes-cnn-tiny", help="clipviz tiny config or open_clip model name")
    train.add_argument("--pretrained", default=None,
                       help="fine-tune these weights (open_clip tag or checkpoint file): peak lr 1e-5, 10 warmup steps")
    train.add_argument("--data", default="shapes", help=DATA_HELP + "; shards are streamed")
    train.add_argument("--pairs", "--n", dest="n", type=int, default=20_000,
                       help="ShapesWorld pairs to generate (--n is refused by torchrun: use --pairs there)")
    train.add_argument("--device", default="auto", help=DEVICE_HELP)
    add_config_flags(train)
    train.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    train.add_argument("--out", default="runs/clip", help="output folder")
    train.set_defaults(func=cmd_train)

    pre = commands.add_parser("pretrained", help="build the embedded models' cache ($CLIPVIZ_CACHE)")
    pre.add_argument("name", help="a model name, 'notebooks' (what the notebooks use), 'all', or 'sweep' "
                                  "(measure notebook 01's data-size sweep into clipviz/teaching/)")
    pre.add_argument("--device", default="auto", help=DEVICE_HELP)
    pre.set_defaults(func=cmd_pretrained)

    ev = commands.add_parser("eval", help="zero-shot and retrieval report (CLIP_benchmark metric names)",
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ev.add_argument("--checkpoint", help="a checkpoint written by clipviz (it records its model)")
    ev.add_argument("--model", help="any open_clip model name, e.g. ViT-B-32 (with --pretrained)")
    ev.add_argument("--pretrained", help="with --model: an open_clip tag or a weights file; alone: an embedded "
                                         "model, e.g. shapes-cnn-tiny")
    ev.add_argument("--data", default="shapes", help=DATA_HELP)
    ev.add_argument("--n", type=int, default=2000, help="ShapesWorld images per split; for shards, the pairs read "
                                                        "(the first N)")
    ev.add_argument("--device", default="auto", help=DEVICE_HELP)
    ev.add_argument("--classes", help="comma-separated class names or a file with one per line "
                                      "(ShapesWorld default: every colour-shape pair; csv/folder without it: "
                                      "retrieval only)")
    ev.add_argument("--templates", help="template bank name (shapes, shapes-unseen, openai80, openai7) "
                                        "or file; default: 'a photo of a {}'")
    ev.add_argument("--label-column", default="label",
                    help="CSV column with each image's true class: names, or integers indexing --classes; "
                         "without one, the class named in the caption")
    ev.add_argument("--json", help="also write the report here")
    ev.set_defaults(func=cmd_eval)

    demo = commands.add_parser("demo", help="train/load the default model, evaluate it, write a report")
    demo.add_argument("--out", default="reports/demo", help="report folder")
    demo.add_argument("--device", default="auto", help=DEVICE_HELP)
    demo.set_defaults(func=cmd_demo)

    room = commands.add_parser("classroom", help="the notebooks as HTML pages, slides (+ the talk) or student "
                                                 "versions, in English and Korean; web assets for them; the "
                                                 "Korean notebooks made from the English ones (translate)",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    room.add_argument("what", choices=["assets", "html", "slides", "exercises", "translate"])
    room.add_argument("--check", action="store_true",
                      help="translate: write nothing, list the cells without a current translation (exit 1 if any)")
    room.add_argument("--root", default=".", help="the project folder: its notebooks/, build/, benchmarks/results/")
    room.add_argument("--out", help="output folder (default: reports/html, reports/slides, exercises under --root)")
    room.set_defaults(func=cmd_classroom)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as error:   # bad input: one clear line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0

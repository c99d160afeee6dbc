"""`python -m clipviz train | eval | pretrained | demo` — see `--help` on each."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def parse_data(spec: str, n: int, seed: int = 0, split: str = "train"):
    """"shapes[:split]", "csv:PATH" or "folder:PATH" → a PairDataset."""
    from .data import load_dataset
    from .world import ShapesWorld

    kind, _, rest = spec.partition(":")
    if kind == "shapes":
        return ShapesWorld(seed=seed).dataset(rest or split, n=n)
    return load_dataset(spec)


def cmd_train(args) -> None:
    from dataclasses import asdict

    from .distributed import launched_world
    from .model import create_model
    from .train import TrainConfig, train

    dataset = parse_data(args.data, n=args.n, seed=args.seed)
    model, _, tokenizer = create_model(args.model, pretrained=args.pretrained, seed=args.seed)
    optional = {k: v for k, v in dict(lr=args.lr, warmup_steps=args.warmup_steps).items() if v is not None}
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, **optional, precision=args.precision,
                         seed=args.seed, out_dir=args.out, checkpoint_every=args.checkpoint_every,
                         local_loss=args.local_loss, gather_with_grad=args.gather_with_grad)
    main_process = launched_world().is_main      # under torchrun only rank 0 writes and prints
    if main_process:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "config.json").write_text(json.dumps({**asdict(config), "model": args.model,
                                                                "data": args.data}, indent=2))
    history = train(model, dataset, config, tokenizer=tokenizer, resume=args.resume)
    last = history.iloc[-1]
    if main_process:
        print(f"step {int(last.step)}: loss {last.loss:.3f}, in-batch accuracy {last.acc_i2t:.2f}; "
              f"checkpoints and history.csv in {args.out}")


def cmd_pretrained(args) -> None:
    from .pretrained import NOTEBOOK_MODELS, RECIPES, build, cache_path

    if args.name == "sweep":
        from .notebook import write_sweep

        print(f"data-size sweep measured → {write_sweep()}")
        return
    names = {"all": list(RECIPES), "notebooks": list(NOTEBOOK_MODELS)}.get(args.name, [args.name])
    for name in names:
        cached = cache_path(name).exists() if name in RECIPES else False
        path = build(name)
        print(f"{name}: {'cached' if cached else 'trained'} → {path}")


def cmd_eval(args) -> None:
    from .evaluate import evaluate
    from .model import from_checkpoint
    from .pretrained import pretrained, recipe
    from .world import CLASS_TEMPLATE, ShapesWorld
    from .zeroshot import load_templates

    if bool(args.checkpoint) == bool(args.pretrained):
        raise ValueError("give exactly one of --checkpoint PATH or --pretrained NAME")
    model, _, tokenizer = from_checkpoint(args.checkpoint) if args.checkpoint else pretrained(args.pretrained)
    templates = load_templates(args.templates) if args.templates else [CLASS_TEMPLATE]
    kind, _, split = args.data.partition(":")
    if kind == "shapes":   # the world the embedded model was trained in, or the default one
        world = recipe(args.pretrained).make_world() if args.pretrained else ShapesWorld()
        classes = _read_classes(args.classes) if args.classes else world.classnames("all")
        splits = [split] if split else ["test", "heldout"]
        report = {s: evaluate(model, world.dataset(s, n=args.n), classes, templates, tokenizer) for s in splits}
    else:
        if not args.classes:
            raise ValueError("--classes is required for csv/folder data")
        dataset = parse_data(args.data, n=args.n)
        report = {"data": evaluate(model, dataset, _read_classes(args.classes), templates, tokenizer,
                                   label_column=args.label_column)}
    for name, metrics in report.items():
        print(f"[{name}] labels from {metrics['label_rule']}")
        for key, value in metrics.items():
            if isinstance(value, float):
                print(f"  {key:>32}: {value:.4f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")


def _read_classes(spec: str) -> list[str]:
    path = Path(spec)
    names = path.read_text(encoding="utf-8").splitlines() if path.is_file() else spec.split(",")
    return [n.strip() for n in names if n.strip()]


def cmd_demo(args) -> None:
    from .demo import run_demo

    run_demo(Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clipviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a CLIP model; writes checkpoints and history.csv",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--model", default="shapes-cnn-tiny", help="clipviz tiny config or open_clip model name")
    train.add_argument("--pretrained", default=None, help="start from these weights (tag or file)")
    train.add_argument("--data", default="shapes", help="shapes[:split] | csv:PATH | folder:PATH")
    train.add_argument("--pairs", "--n", dest="n", type=int, default=20_000,
                       help="ShapesWorld pairs to generate (--n is refused by torchrun: use --pairs there)")
    train.add_argument("--steps", type=int, default=600, help="optimizer steps")
    train.add_argument("--batch-size", type=int, default=128, help="pairs per step")
    train.add_argument("--lr", type=float, default=None, help="peak learning rate (None: TrainConfig's default)")
    train.add_argument("--warmup-steps", type=int, default=None,
                       help="linear warmup steps before the cosine decay (None: TrainConfig's default)")
    train.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                       help="bf16 autocast where the hardware is fast at it")
    train.add_argument("--seed", type=int, default=0, help="seeds data, init and batch order")
    train.add_argument("--checkpoint-every", type=int, default=0, help="also checkpoint every N steps")
    train.add_argument("--local-loss", action=argparse.BooleanOptionalAction, default=True,
                       help="under torchrun: each rank scores its own pairs against the global batch")
    train.add_argument("--gather-with-grad", action=argparse.BooleanOptionalAction, default=True,
                       help="under torchrun: gradients flow back through the feature gather")
    train.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    train.add_argument("--out", default="runs/clip", help="output folder")
    train.set_defaults(func=cmd_train)

    pre = commands.add_parser("pretrained", help="build the embedded models' cache ($CLIPVIZ_CACHE)")
    pre.add_argument("name", help="a model name, 'notebooks' (what the notebooks use), 'all', or 'sweep' "
                                  "(measure notebook 01's data-size sweep into clipviz/results/)")
    pre.set_defaults(func=cmd_pretrained)

    ev = commands.add_parser("eval", help="zero-shot and retrieval report (CLIP_benchmark metric names)",
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ev.add_argument("--checkpoint", help="a checkpoint written by clipviz")
    ev.add_argument("--pretrained", help="an embedded model name, e.g. shapes-cnn-tiny")
    ev.add_argument("--data", default="shapes", help="shapes[:split] | csv:PATH | folder:PATH")
    ev.add_argument("--n", type=int, default=2000, help="ShapesWorld images per split")
    ev.add_argument("--classes", help="comma-separated class names or a file with one per line "
                                      "(ShapesWorld default: every colour-shape pair)")
    ev.add_argument("--templates", help="template bank name (shapes, shapes-unseen, openai80, openai7) "
                                        "or file; default: 'a photo of a {}'")
    ev.add_argument("--label-column", default="label", help="CSV column with each image's true class; "
                                                            "without one, the class named in the caption")
    ev.add_argument("--json", help="also write the report here")
    ev.set_defaults(func=cmd_eval)

    demo = commands.add_parser("demo", help="train/load the default model, evaluate it, write a report")
    demo.add_argument("--out", default="reports/demo", help="report folder")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as error:   # bad input: one clear line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0

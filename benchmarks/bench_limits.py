"""Notebook 06's caveats, measured with its default parameters: the explanation maps of both
towers scored against the world's masks (pointing game; IoU at each map's own grid and at a
common grid, beside the true mask's IoU at those grids), a dense head trained on masks
against those maps, zero-shot counting of 1-4 shapes, word order (ARO-style swaps) with and
without hard negatives beside a blind text baseline, and the typographic attack with the
word written beside the object (the reader against a control that never saw words).
Writes results/limits.json.

Usage: python benchmarks/bench_limits.py
"""

import time

import numpy as np

from bench_prompts import parameters
from common import write

from clipviz.analysis import compositional, explain, typographic
from clipviz.stats import bootstrap_ci, paired_delta_ci
from clipviz.teaching.notebook import load_model, load_scenes
from clipviz.zoo import CLIP_ART


def with_ci(values, seed: int) -> dict:
    return {"value": float(np.mean(values)), "ci": list(bootstrap_ci(np.asarray(values, float), seed=seed))}


def delta_ci(a, b, seed: int) -> dict:
    delta, low, high = paired_delta_ci(a, b, seed=seed)
    return {"value": delta, "ci": [low, high]}


def map_figures(table, seed: int, method: str | None = None) -> dict:
    """One map's (or the dense head's) scores: pointing game, IoU at its grid and the common one."""
    found = {"grid": list(table["map"].iloc[0].shape), **with_ci(table["hit"], seed),
             "other_object": float(table["hit_other"].mean()),
             "iou": float(table["iou"].mean()), "iou_ci": with_ci(table["iou"], seed)["ci"],
             "iou_common": with_ci(table["iou_common"], seed),
             "true_mask_iou": float(table["true_iou"].mean()), "true_mask_iou_common": float(table["true_iou_common"].mean())}
    if "random_hit" in table:
        found |= {"random": float(table["random_hit"].mean()), "random_iou": float(table["random_iou"].mean())}
    return found | ({"method": method} if method else {})


def localisation(p: dict, world, scenes, seed: int) -> dict:
    towers = {name: load_model(name, seed=seed) for name in (p["MODEL"], p["VIT_MODEL"])}
    scores = {name: explain.scored_maps(m, t, scenes, world, seed) for name, (m, _, t) in towers.items()}
    grid = explain.common_grid(table["map"].iloc[0].shape for table in scores.values())
    masks = explain.named_masks(scenes, world, scores[p["MODEL"]]["named"])
    scores = {name: explain.at_grid(table, masks, grid) for name, table in scores.items()}
    model, _, tokenizer = towers[p["MODEL"]]
    config = explain.DenseConfig(steps=p["DENSE_STEPS"], seed=seed)
    head, history = explain.train_dense_head(model, tokenizer, world, config)
    dense = explain.at_grid(explain.scored_dense(head, model, tokenizer, scenes, world, seed, config.stride), masks, grid)
    return {
        "common_grid": list(grid),
        "maps": {name: map_figures(scores[name], seed, explain.map_method(m)) for name, (m, _, _) in towers.items()},
        "dense_head": {**map_figures(dense, seed), "tower": p["MODEL"], "steps": config.steps, "n_train": config.n_train,
                       "final_loss": float(history["loss"].iloc[-20:].mean()), "threshold": "probability 0.5",
                       "minus_maps": {name: {"own_grids": delta_ci(dense["iou"], scores[name]["iou"], seed),
                                             "common_grid": delta_ci(dense["iou_common"], scores[name]["iou_common"], seed)}
                                      for name in scores}},
    }


def typographic_figures(p: dict, world, seed: int) -> dict:
    attack = typographic.attack_sets(world.replace(**CLIP_ART), p["N_EVAL"])
    reader, control = p["TEXT_MODEL"], p["READING_CONTROL"]
    outcomes = {name: typographic.attack_outcomes(m, t, attack, world.classnames("seen"))
                for name, (m, _, t) in ((n, load_model(n, seed=seed)) for n in (reader, control))}
    summary = typographic.attack_summary(outcomes, seed)
    effect = typographic.reading_effect(outcomes, reader, control, seed)
    by_size = {}
    for size in effect.index:
        by_size[size] = {"images": int(summary.at[(reader, size), "images"]),
                         "reading_effect": {"value": float(effect.at[size, "delta"]),
                                            "ci": [float(effect.at[size, "low"]), float(effect.at[size, "high"])]}}
        for role, name in (("reader", reader), ("control", control)):
            row = summary.loc[(name, size)]
            by_size[size][role] = {
                "follows_wrong_word": {"value": float(row["follows the wrong word"]),
                                       "ci": [float(row["follows the wrong word: low"]),
                                              float(row["follows the wrong word: high"])]},
                "clean_acc1": float(row["clean"]), "true_word_acc1": float(row["true word written"]),
                "wrong_word_acc1": float(row["wrong word written"]),
                "drop": {"value": float(row["drop from clean"]),
                         "ci": [float(row["drop from clean: low"]), float(row["drop from clean: high"])]}}
    return {"place": "beside", "reader": reader, "control": control, "chance_follows": 1 / 6, "by_size": by_size}


def main() -> None:
    p = parameters("06_what_clip_sees")
    seed, start = p["SEED"], time.perf_counter()
    world, scenes = load_scenes("shapes", p["N_EVAL"], seed)
    located = localisation(p, world, scenes, seed)
    model, _, tokenizer = load_model(p["MODEL"], seed=seed)

    counts = compositional.count_outcomes(model, tokenizer, world.dataset("test", n=p["N_EVAL"], eval_counts=(1, 1, 1, 1)))
    order = compositional.word_order_outcomes(model, tokenizer, scenes)
    blind = compositional.blind_outcomes(world.dataset("train", n=5000).captions, order)
    tuned = {name: load_model(name, seed=seed) for name in (p["CONTROL_MODEL"], p["NEGCLIP_MODEL"])}
    probes = {name: compositional.word_order_outcomes(m, t, scenes, order) for name, (m, _, t) in tuned.items()}
    cost = compositional.zero_shot_cost(tuned[p["NEGCLIP_MODEL"]], tuned[p["CONTROL_MODEL"]], world, p["N_EVAL"], seed)

    figures = {
        "localisation": located,
        "counting": {"acc1": float(counts["correct"].mean()), "ci": list(bootstrap_ci(counts["correct"], seed=seed)),
                     "chance": 0.25, "objects": "1-4 shapes, as many images of each"},
        "word_order": {"base": with_ci(order["objects"], seed), "hard_negatives": with_ci(probes[p["NEGCLIP_MODEL"]]["objects"], seed),
                       "control": with_ci(probes[p["CONTROL_MODEL"]]["objects"], seed),
                       "blind_text": {"value": float(blind["objects"].mean())},
                       "attributes": {name: with_ci(t["attributes"], seed) for name, t in
                                      {p["MODEL"]: order, **probes, "blind": blind}.items()},
                       "zero_shot_cost": float(cost.at["held-out compositions", "delta"]),
                       "zero_shot_cost_seen": float(cost.at["seen compositions", "delta"]),
                       "swap": "objects (the relation reversed); 'attributes' holds the colour swaps"},
        "typographic": typographic_figures(p, world, seed),
        "seconds": round(time.perf_counter() - start, 1),
    }
    maps, head = located["maps"], located["dense_head"]
    print("IoU at the common grid " + ", ".join(f"{n} {m['iou_common']['value']:.3f}" for n, m in maps.items())
          + f" (true mask {head['true_mask_iou_common']:.3f}); dense head {head['iou']:.3f}; "
          f"counting {figures['counting']['acc1']:.3f}; word order (objects) base {figures['word_order']['base']['value']:.3f}, "
          f"NegCLIP {figures['word_order']['hard_negatives']['value']:.3f}; follows the wrong word "
          + ", ".join(f"{s}: reader {v['reader']['follows_wrong_word']['value']:.3f} control "
                      f"{v['control']['follows_wrong_word']['value']:.3f}" for s, v in figures["typographic"]["by_size"].items()))
    write("limits", figures)


if __name__ == "__main__":
    main()

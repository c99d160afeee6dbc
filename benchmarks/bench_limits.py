"""Notebook 06's caveats, measured with its default parameters: the pointing game of the
explanation maps, zero-shot counting, word order (ARO-style swaps) with and without hard
negatives beside a blind text baseline, and the typographic attack. Writes results/limits.json.

Usage: python benchmarks/bench_limits.py
"""

import time

import numpy as np

from bench_prompts import parameters
from common import write

from clipviz.analysis import compositional, explain, typographic
from clipviz.teaching.notebook import load_model, load_scenes
from clipviz.stats import bootstrap_ci, paired_delta_ci


def with_ci(values, seed: int) -> dict:
    return {"value": float(np.mean(values)), "ci": list(bootstrap_ci(np.asarray(values, float), seed=seed))}


def main() -> None:
    p = parameters("06_what_clip_sees")
    seed, start = p["SEED"], time.perf_counter()
    world, scenes = load_scenes("shapes", p["N_EVAL"], seed)
    model, _, tokenizer = load_model(p["MODEL"], seed=seed)
    pointing = {}
    for name in (p["MODEL"], p["VIT_MODEL"]):
        m, _, t = load_model(name, seed=seed)
        scores = explain.scored_maps(m, t, scenes, world, seed)
        pointing[name] = {**with_ci(scores["hit"], seed), "random": float(scores["random_hit"].mean()),
                          "other_object": float(scores["hit_other"].mean()), "iou": float(scores["iou"].mean()),
                          "random_iou": float(scores["random_iou"].mean()), "method": explain.map_method(m)}

    counts = compositional.count_outcomes(model, tokenizer, world.dataset("test", n=p["N_EVAL"], eval_counts=(1, 1, 1, 1)))
    order = compositional.word_order_outcomes(model, tokenizer, scenes)
    blind = compositional.blind_outcomes(world.dataset("train", n=5000).captions, order)
    tuned = {name: load_model(name, seed=seed) for name in (p["CONTROL_MODEL"], p["NEGCLIP_MODEL"])}
    probes = {name: compositional.word_order_outcomes(m, t, scenes, order) for name, (m, _, t) in tuned.items()}
    cost = compositional.zero_shot_cost(tuned[p["NEGCLIP_MODEL"]], tuned[p["CONTROL_MODEL"]], world, p["N_EVAL"], seed)

    attack = typographic.attack_sets(world, p["N_EVAL"])
    reader, _, reader_tokenizer = load_model(p["TEXT_MODEL"], seed=seed)
    outcomes = {name: typographic.attack_outcomes(m, t, attack, world.classnames("seen"))
                for name, (m, t) in ((p["TEXT_MODEL"], (reader, reader_tokenizer)), (p["MODEL"], (model, tokenizer)))}
    summary = typographic.attack_summary(outcomes, seed)
    by_condition = outcomes[p["TEXT_MODEL"]].groupby("condition")["correct"]
    clean, attacked = (by_condition.get_group(c).to_numpy() for c in ("clean", "wrong word written"))
    drop, low, high = paired_delta_ci(clean, attacked, seed=seed)

    figures = {
        "pointing_game": pointing[p["MODEL"]], "pointing_game_by_model": pointing,
        "counting": {"acc1": float(counts["correct"].mean()), "ci": list(bootstrap_ci(counts["correct"], seed=seed)),
                     "chance": 0.25},
        "word_order": {"base": with_ci(order["objects"], seed), "hard_negatives": with_ci(probes[p["NEGCLIP_MODEL"]]["objects"], seed),
                       "control": with_ci(probes[p["CONTROL_MODEL"]]["objects"], seed),
                       "blind_text": {"value": float(blind["objects"].mean())},
                       "attributes": {name: with_ci(t["attributes"], seed) for name, t in
                                      {p["MODEL"]: order, **probes, "blind": blind}.items()},
                       "zero_shot_cost": float(cost.at["held-out compositions", "delta"]),
                       "zero_shot_cost_seen": float(cost.at["seen compositions", "delta"]),
                       "swap": "objects (the relation reversed); 'attributes' holds the colour swaps"},
        "typographic": {"model": p["TEXT_MODEL"], "clean_acc1": float(clean.mean()), "attacked_acc1": float(attacked.mean()),
                        "drop_ci": [low, high], "drop": drop,
                        "by_size": {f"{m} {s}": {k: float(v) for k, v in row.items()} for (m, s), row in summary.iterrows()}},
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(f"pointing game {figures['pointing_game']['value']:.3f} (random {figures['pointing_game']['random']:.3f}); "
          f"counting {figures['counting']['acc1']:.3f}; word order (objects) base {figures['word_order']['base']['value']:.3f}, "
          f"NegCLIP {figures['word_order']['hard_negatives']['value']:.3f}, blind {figures['word_order']['blind_text']['value']:.3f}; "
          f"typographic clean {clean.mean():.3f} → attacked {attacked.mean():.3f}")
    write("limits", figures)


if __name__ == "__main__":
    main()

"""Notebook 05's claims, measured with its default parameters: the effective number of shots
of zero-shot, effective robustness (zero-shot, a probe fitted on flat images, CLIP fine-tuned
on flat images) against the supervised baselines' trend, fine-tuning's change in and out of
distribution, the WiSE-FT curve, and the robustness that training on all styles adds.
Writes results/transfer.json.

Usage: python benchmarks/bench_transfer.py
"""

import time

import numpy as np

from bench_prompts import parameters
from common import write

from clipviz.analysis import transfer
from clipviz.teaching.notebook import fine_tuned_pair, load_model, load_style_sets
from clipviz.zoo import SUPERVISED, classifier


def interval(table, name: str) -> dict:
    row = table.loc[name]
    return {"value": float(row["effective robustness"]), "ci": [float(row["low"]), float(row["high"])]}


def main() -> None:
    p = parameters("05_transfer_and_robustness")
    start = time.perf_counter()
    _, sets = load_style_sets("shapes", p["ID_STYLE"], p["N_POOL"], p["N_EVAL"], p["SEED"])
    model, _, tokenizer = load_model(p["MODEL"], seed=p["SEED"])
    features = transfer.StyleFeatures.encode(model, sets)
    _, shots = transfer.shots_by_style(model, tokenizer, sets, features, p["SHOTS"], p["DRAWS"], p["SEED"])

    zero_shot = transfer.zero_shot_outcomes(model, tokenizer, sets, features)
    zero_shot_net, fine_tuned_net = fine_tuned_pair(p["FINE_TUNED"], p["MODEL"], model, tokenizer, sets, p["FT_STEPS"],
                                                    p["SEED"])
    models = {"zero_shot": zero_shot, "linear_probe": transfer.probe_outcomes(sets, features, p["SEED"]),
              "finetuned": transfer.classifier_outcomes(fine_tuned_net, sets)}
    baselines = {name: transfer.classifier_outcomes(classifier(name)[0], sets) for name in SUPERVISED}
    robustness, trend = transfer.robustness_table(baselines, models, sets.id_style, seed=p["SEED"])
    wise = transfer.wise_ft_curve(zero_shot_net, fine_tuned_net, sets, n=p["N_WISE"])

    single, _, single_tokenizer = load_model(p["SINGLE_STYLE_MODEL"], seed=p["SEED"])
    single_zero_shot = transfer.zero_shot_outcomes(single, single_tokenizer, sets,
                                                   transfer.StyleFeatures.encode(single, sets, pools=False))
    delta, low, high = transfer.robustness_difference(baselines, zero_shot, single_zero_shot, sets.id_style,
                                                      seed=p["SEED"])
    single_robustness, _ = transfer.robustness_table(baselines, {"zero_shot_single_style": single_zero_shot},
                                                     sets.id_style, seed=p["SEED"])
    changes = robustness.loc["finetuned", ["id", "ood"]] - robustness.loc["zero_shot", ["id", "ood"]]
    figures = {
        "model": p["MODEL"], "id_style": sets.id_style, "shifts": sets.shifts,
        "effective_shots": float(shots["effective shots"].median()),
        "effective_shots_by_style": shots["effective shots"].to_dict(),
        "effective_robustness": {**{name: interval(robustness, name) for name in models},
                                 "zero_shot_single_style": interval(single_robustness, "zero_shot_single_style")},
        "accuracy": {name: {"id": float(row["id"]), "ood": float(row["ood"])} for name, row in robustness.iterrows()},
        "trend": {"slope": trend.slope, "intercept": trend.intercept, "baselines": list(SUPERVISED)},
        "finetune": {"id_delta": float(changes["id"]), "ood_delta": float(changes["ood"])},
        "wise_ft": {"alphas": wise["alpha"].tolist(), "id": wise["id"].tolist(), "ood": wise["ood"].tolist(),
                    "images_per_style": p["N_WISE"]},
        "style_diversity": {"multi_minus_single": {"value": delta, "ci": [low, high]},
                            "multi": p["MODEL"], "single": p["SINGLE_STYLE_MODEL"]},
        "seconds": round(time.perf_counter() - start, 1),
    }
    for name, value in figures["effective_robustness"].items():
        print(f"effective robustness, {name}: {value['value']:+.3f} [{value['ci'][0]:+.3f}, {value['ci'][1]:+.3f}]")
    print(f"effective shots (median over styles): {figures['effective_shots']:.2f}; fine-tuning: "
          f"ID {changes['id']:+.3f}, OOD {changes['ood']:+.3f}; WiSE-FT best OOD {wise['ood'].max():.3f} at "
          f"α = {wise.loc[wise['ood'].idxmax(), 'alpha']:.1f}; all styles minus flat only {delta:+.3f} "
          f"[{low:+.3f}, {high:+.3f}]; best shot estimate {np.round(shots['effective shots'].to_numpy(), 2)}")
    write("transfer", figures)


if __name__ == "__main__":
    main()

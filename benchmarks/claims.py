"""One number per claim: every number the talk states beside the same number as the executed
notebook shows it. The talk reads benchmarks/results/*.json, written by the benchmarks with
the notebooks' default parameters (same model, images and seed); this script looks for each
value, as the notebook formats it, in the outputs of the notebooks `make test` executed
(build/executed/). Prints a Markdown table and writes results/claims.json.

    python benchmarks/claims.py [--root .]
"""

import argparse
import json
from pathlib import Path

from common import write

# (claim, results file, path into it, notebook, how the notebook writes the value)
CLAIMS = [
    ("prompt template vs bare name, mean over seeds", "prompts", "effects.photo_template_vs_bare.mean",
     "03_prompt_sensitivity", "{:.3f}"),
    ("80-template ensemble vs one template, mean over seeds", "prompts", "effects.ensemble80_vs_photo_template.mean",
     "03_prompt_sensitivity", "{:.3f}"),
    ("descriptive names, mean over seeds", "prompts", "effects.descriptive_vs_bare_polysemous.mean",
     "03_prompt_sensitivity", "{:.3f}"),
    ("prompt template vs bare name, shipped model", "prompts", "effects.photo_template_vs_bare.shipped.delta",
     "03_prompt_sensitivity", "{:.3f}"),
    ("harmful-label gap, biased captions", "prompts", "bias.biased_gap.value", "04_bias_audit", "{:.3f}"),
    ("harmful-label gap, balanced captions", "prompts", "bias.control_gap.value", "04_bias_audit", "{:.3f}"),
    ("effective robustness, zero-shot (every style)", "transfer", "effective_robustness.zero_shot.value",
     "05_transfer_and_robustness", "{:.3f}"),
    ("effective robustness, zero-shot (flat only)", "transfer",
     "effective_robustness.zero_shot_single_style.value", "05_transfer_and_robustness", "{:.3f}"),
    ("pointing game, Grad-CAM", "limits", "localisation.maps.shapes-cnn-tiny.value", "06_what_clip_sees", "{:.3f}"),
    ("IoU at the common grid, Grad-CAM", "limits", "localisation.maps.shapes-cnn-tiny.iou_common.value",
     "06_what_clip_sees", "{:.3f}"),
    ("IoU of the dense head", "limits", "localisation.dense_head.iou", "06_what_clip_sees", "{:.3f}"),
    ("counting one to four shapes", "limits", "counting.acc1", "06_what_clip_sees", "{:.1%}"),
    ("word order, objects swapped", "limits", "word_order.base.value", "06_what_clip_sees", "{:.3f}"),
    ("word order with hard negatives", "limits", "word_order.hard_negatives.value", "06_what_clip_sees", "{:.3f}"),
    ("reader − control, following the wrong word (1x)", "limits", "typographic.by_size.1x.reading_effect.value",
     "06_what_clip_sees", "{:+.1%}"),
]


def value_at(results: Path, name: str, path: str) -> float:
    node = json.loads((results / f"{name}.json").read_text())
    for key in path.split("."):
        node = node[key]
    return float(node)


def shown_text(notebook: Path) -> str:
    """Everything an executed notebook shows as text: printed lines and tables."""
    found = []
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            found.append("".join(output.get("text", "")))
            found += ["".join(output.get("data", {}).get(kind, "")) for kind in ("text/plain", "text/html")]
    return "\n".join(found)


def check(results: Path, executed: Path) -> list[dict]:
    """Each claim's value as the notebook writes it, and whether its executed notebook shows it."""
    rows = []
    for claim, name, path, notebook, form in CLAIMS:
        written = form.format(value_at(results, name, path)).replace("%", "")
        page = executed / f"{notebook}.ipynb"
        rows.append({"claim": claim, "value": written, "source": f"results/{name}.json: {path}", "notebook": notebook,
                     "notebook shows the same": page.exists() and written in shown_text(page)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).parents[1])
    args = parser.parse_args()
    results, executed = args.root / "benchmarks" / "results", args.root / "build" / "executed"
    rows = check(results, executed)
    print("| claim | value (talk and notebook) | notebook | the same there |\n| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['claim']} | {row['value']} | {row['notebook']} | {'yes' if row['notebook shows the same'] else 'NO'} |")
    write("claims", {"rows": rows, "all_equal": all(r["notebook shows the same"] for r in rows)})


if __name__ == "__main__":
    main()

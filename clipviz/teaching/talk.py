"""The talk: an overview deck that follows the presentation's own outline (introduction,
TL;DR, how CLIP works, the zero-shot recipe, strengths, caveats, practical tips), each
claim on its slide with what the notebooks measured for it, in English and in Korean.

The words are data: `text/talk.<language>.md`, one heading per slide. Numbers come from
the benchmark JSON in the project's benchmarks/results/, the published ones from
`clipviz.references`, figures from the executed notebooks (the cells tagged `talk:<key>`);
the diagram and the loss are drawn here. Every slide links to the notebook section that
measures its claim. `python -m clipviz classroom slides` writes the decks next to the
notebooks' slides (talk.en.slides.html, talk.ko.slides.html).
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import nbformat

from .. import references
from ..analysis.prompt_effects import EFFECTS
from ..stats import side_of_zero
from . import viz
from .classroom import Project, executed, export, exporter, page_name, summary
from .notebook import SWEEP_FILE

LANGUAGES = ("en", "ko")

NOTEBOOK = {1: "01_train_clip_on_a_subset", 2: "02_joint_embedding_umap", 3: "03_prompt_sensitivity",
            4: "04_bias_audit", 5: "05_transfer_and_robustness", 6: "06_what_clip_sees"}


# --- numbers ----------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def points(x: float) -> str:
    return f"{100 * x:+.1f} pt"


def interval(ci) -> str:
    return f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}] pt"


def direction(ci) -> str:
    """How a measured difference (95 % interval) stands against a positive paper effect."""
    return {"above": "same", "below": "reversed", "covers": "unresolved"}[side_of_zero(*ci)]


def load(results: Path, name: str) -> dict:
    path = Path(results) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the talk reads its numbers from the benchmarks "
                                f"(python benchmarks/bench_{name}.py writes it)")
    return json.loads(path.read_text())


def facts(results: Path) -> dict:
    """Every number the talk states, formatted, keyed by name (from the benchmarks' JSON in
    `results`, the stored data-size sweep, and the published numbers of `references`)."""
    prompts, transfer, limits = (load(results, name) for name in ("prompts", "transfer", "limits"))
    timing, train = load(results, "time_to_accuracy"), load(results, "train")
    default, effects, bias = prompts["default_model"], prompts["effects"], prompts["bias"]
    robust = transfer["effective_robustness"]["zero_shot"]
    fp32_speed = next(r for r in train["rows"] if r["model"] == "shapes-cnn-tiny" and r["precision"] == "fp32")
    word = limits["word_order"]
    found = {
        "seen": pct(default["seen_acc1"]), "heldout": pct(default["heldout_acc1"]),
        "train_seconds": f"{default['train_seconds']:.0f}",
        "seconds_to_95": f"{timing['summary']['fp32']['median_train_seconds']:.0f}",
        "speedup": f"{fp32_speed['ratio']:.1f}", "ln_b": f"{math.log(train['batch_size']):.2f}",
        "batch": str(train["batch_size"]),
        "robustness": points(robust["value"]), "robustness_ci": interval(robust["ci"]),
        "shots": f"{transfer['effective_shots']:.1f}",
        "ft_id": points(transfer["finetune"]["id_delta"]), "ft_ood": points(transfer["finetune"]["ood_delta"]),
        "diversity": f"{100 * transfer['style_diversity']['multi_minus_single']['value']:.1f} pt",
        "biased_gap": points(bias["biased_gap"]["value"]), "biased_ci": interval(bias["biased_gap"]["ci"]),
        "control_gap": points(bias["control_gap"]["value"]), "control_ci": interval(bias["control_gap"]["ci"]),
        "pointing": pct(limits["pointing_game"]["value"]), "pointing_random": pct(limits["pointing_game"]["random"]),
        "iou": f"{limits['pointing_game']['iou']:.2f}", "iou_random": f"{limits['pointing_game']['random_iou']:.2f}",
        "counting": pct(limits["counting"]["acc1"]), "counting_chance": pct(limits["counting"]["chance"]),
        "word_order": pct(word["base"]["value"]), "negclip": pct(word["hard_negatives"]["value"]),
        "typo_clean": pct(limits["typographic"]["clean_acc1"]),
        "typo_attacked": pct(limits["typographic"]["attacked_acc1"]),
    }
    sweep = json.loads(SWEEP_FILE.read_text())["table"]      # {"1,000 pairs": {"seen": .., "held-out": ..}, ..}
    found["sweep_sizes"] = ", ".join(size.split()[0] for size in sweep)
    found["sweep_seen"] = " → ".join(pct(row["seen"]) for row in sweep.values())
    found["sweep_heldout"] = " → ".join(pct(row["held-out"]) for row in sweep.values())
    for key in EFFECTS:                        # across the recipe's training seeds
        effect = effects[key]
        found[key] = points(effect["mean"])
        found[f"{key}_ci"] = interval(effect["ci"])
        found[f"{key}_paper"] = effect["paper"]
        found[f"{key}_direction"] = direction(effect["ci"])
    found["seeds"] = str(effects[EFFECTS[0]]["seeds"])
    return found | references.talk_values()


# --- figures ----------------------------------------------------------------------
def png_of(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def notebook_figure(number: int, key: str, project: Project, language: str = "en") -> str | None:
    """The PNG (base64) the executed notebook (its twin in `language`, whose figures speak
    it) drew in its cell tagged `talk:<key>`; None when that cell drew nothing (a section
    the notebook's data could not run)."""
    nb, _seconds = executed(NOTEBOOK[number], project, language)
    cell = next((c for c in nb.cells if f"talk:{key}" in c.metadata.get("tags", [])), None)
    if cell is None:
        raise KeyError(f"no cell tagged talk:{key} in notebook {NOTEBOOK[number]}")
    return next((o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})), None)


def drawn_figure(name: str, language: str) -> str:
    return png_of(viz.two_tower_diagram(language) if name == "two-tower" else viz.clip_loss_formula())


# --- the outline ------------------------------------------------------------------
@dataclass(frozen=True)
class Slide:
    key: str
    figure: tuple | None = None          # (notebook number, tag key) or ("drawn", name)
    section: tuple | None = None         # (notebook number, section number) it links to


OUTLINE = [
    Slide("title"),
    Slide("introduction", (1, "data"), (1, 1)),
    Slide("tldr"),
    Slide("two_towers", ("drawn", "two-tower"), (1, 3)),
    Slide("loss", ("drawn", "loss"), (1, 4)),
    Slide("training", (1, "similarity"), (1, 5)),
    Slide("recipe", (3, "templates"), (3, 2)),
    Slide("labels", (5, "shots"), (5, 2)),
    Slide("robustness", (5, "robustness"), (5, 3)),
    Slide("scale", (1, "scale"), (1, 7)),
    Slide("bias", (4, "bias"), (4, 2)),
    Slide("prompts", (3, "ensembles"), (3, 4)),
    Slide("localisation", (6, "localisation"), (6, 1)),
    Slide("composition", (6, "typographic"), (6, 3)),
    Slide("tips", (3, "calibration"), (3, 6)),
    Slide("next"),
]


# --- the words ----------------------------------------------------------------------
HEADING = re.compile(r"^#{1,2} (?P<title>.+?) \{#(?P<key>\w+)\}\s*$", re.M)


@lru_cache(maxsize=None)
def text(language: str) -> dict:
    """The talk's words in `language` from text/talk.<language>.md: {slide key: (title, body)}
    plus the phrases of its front matter (link, missing, direction_…, language_name)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    source = (resources.files(__package__) / "text" / f"talk.{language}.md").read_text(encoding="utf-8")
    _comment, front, body = source.split("---\n", 2)
    words = dict(line.split(": ", 1) for line in front.strip().splitlines())
    headings = list(HEADING.finditer(body))
    for heading, following in zip(headings, headings[1:] + [None]):
        end = following.start() if following else len(body)
        words[heading["key"]] = (heading["title"], body[heading.end():end].strip())
    missing = [slide.key for slide in OUTLINE if slide.key not in words]
    if missing:
        raise ValueError(f"talk.{language}.md has no slide {missing}")
    return words

# --- the deck ---------------------------------------------------------------------
def strong(markdown: str) -> str:
    """**x** as <strong>x</strong>: markdown's rule for a closing ** after punctuation
    ('**54.1 %**에') needs a space or punctuation next, which Korean particles are not."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", markdown)


def section_link(number: int, section: int, language: str) -> str:
    """A markdown link to the notebook's slides, in the talk's language, at that section: the
    title is slide 0 and section k opens slide k (see `classroom.slide_type`)."""
    label = text(language)["link"].format(number=f"{number:02d}", section=section)
    return f"[→ {label}]({page_name(NOTEBOOK[number], language, '.slides.html')}#/{section})"


def notebook_list(project: Project, language: str = "en") -> str:
    """The notebooks' slides as a markdown list, titled and linked in `language` (its
    translations where they exist)."""
    rows = []
    for number, name in NOTEBOOK.items():
        path = project.notebook_folder(language) / f"{name}.ipynb"
        language_there = language if path.exists() else "en"
        title, _line = summary(nbformat.read(project.notebook_folder(language_there) / f"{name}.ipynb", as_version=4))
        rows.append(f"- [{title}]({page_name(name, language_there, '.slides.html')})")
    return "\n".join(rows)


def figure_cell(png: str | None, language: str):
    cell = nbformat.v4.new_code_cell("", metadata={"tags": ["hide-input"], "slideshow": {"slide_type": "-"}})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})] if png else [
        nbformat.v4.new_output("stream", name="stdout", text=text(language)["missing"])]
    return cell


def talk_notebook(language: str, project: Project) -> nbformat.NotebookNode:
    """The talk as a notebook of slides: one markdown cell (and a figure) per outline item."""
    words, cells = text(language), []
    values = {**facts(project.results), "notebooks": notebook_list(project, language)}
    values |= {k: words[f"direction_{v}"] for k, v in values.items() if k.endswith("_direction")}
    for index, slide in enumerate(OUTLINE):
        title, body = words[slide.key]
        markdown = f"{'#' if index == 0 else '##'} {title}\n\n{strong(body.format(**values))}"
        if slide.section:
            markdown += "\n\n" + section_link(*slide.section, language)
        cells.append(nbformat.v4.new_markdown_cell(markdown, metadata={"slideshow": {"slide_type": "slide"}}))
        if slide.figure:
            source, key = slide.figure
            png = drawn_figure(key, language) if source == "drawn" else notebook_figure(source, key, project, language)
            cells.append(figure_cell(png, language))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["title"] = words["title"][0]
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_talks(out_dir: Path, project: Project, exporter) -> list[tuple]:
    """The talk's slides in each language, written with `exporter` (classroom's slides
    exporter) next to the notebooks' slides; their index rows."""
    rows = []
    for language in LANGUAGES:
        start = time.perf_counter()
        nb = talk_notebook(language, project)
        exporter.language_code = language
        page = f"talk.{language}.slides.html"
        (out_dir / page).write_text(exporter.from_notebook_node(nb)[0], encoding="utf-8")
        rows.append((page, nb.metadata["title"], text(language)["language_name"], time.perf_counter() - start,
                     language))
        print(f"slides: {out_dir / page}")
    return rows


def export_slides(out_dir: Path, project: Project) -> list[tuple]:
    """Every notebook's slides and the talk in each language, in `out_dir`: their index rows."""
    return export("slides", out_dir, project) + write_talks(out_dir, project, exporter("slides"))

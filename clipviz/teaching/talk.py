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
from ..language import points as language_points, signed_points
from ..analysis.prompt_effects import EFFECTS
from ..stats import side_of_zero
from . import viz
from .classroom import Project, executed, export, exporter, page_name, summary
from .notebook import SWEEP_FILE

LANGUAGES = ("en", "ko")

NOTEBOOK = {1: "01_train_clip_on_a_subset", 2: "02_joint_embedding_umap", 3: "03_prompt_sensitivity",
            4: "04_bias_audit", 5: "05_transfer_and_robustness", 6: "06_what_clip_sees"}


# --- numbers, as each language writes them ---------------------------------------------
def pct(x: float, language: str = "en") -> str:
    """A share: "98.9 %" (English, a space before %), "98.9%" (Korean)."""
    return f"{100 * x:.1f} %" if language == "en" else f"{100 * x:.1f}%"


def with_interval(value: str, low: str, high: str, language: str, unit: str = "") -> str:
    """`value` and its 95 % interval as each language writes them: "… (95 % interval low to
    high)", "…(95% 구간 low~high)" with the unit after the Korean upper bound ("~+3.6%p")."""
    if language == "en":
        return f"{value} (95 % interval {low} to {high})"
    return f"{value}(95% 구간 {low}~{high}{unit})"


def points(x: float, ci=None, language: str = "en") -> str:
    """A difference of two shares in percentage points, with its 95 % interval when given:
    "+2.8 pt (95 % interval +2.1 to +3.6)", "+2.8%p(95% 구간 +2.1~+3.6%p)"."""
    value = language_points(x, lang=language)
    return value if ci is None else with_interval(value, signed_points(ci[0]), signed_points(ci[1]), language, "%p")


def share_ci(x: float, ci, language: str = "en") -> str:
    """A share with its 95 % interval: "70.2 % (95 % interval 68.4 to 73.7)", "70.2%(95% 구간 68.4~73.7%)"."""
    return with_interval(pct(x, language), f"{100 * ci[0]:.1f}", f"{100 * ci[1]:.1f}", language, "%")


def signed(x: float, ci, language: str = "en") -> str:
    """A difference of two scores in [0, 1] (IoU) with its 95 % interval: "+0.12 (95 % interval +0.10 to +0.14)"."""
    return with_interval(f"{x:+.2f}", f"{ci[0]:+.2f}", f"{ci[1]:+.2f}", language)


def direction(ci) -> str:
    """How a measured difference (95 % interval) stands against a positive paper effect."""
    return {"above": "same", "below": "reversed", "covers": "unresolved"}[side_of_zero(*ci)]


def load(results: Path, name: str) -> dict:
    path = Path(results) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the talk reads its numbers from the benchmarks "
                                f"(python benchmarks/bench_{name}.py writes it)")
    return json.loads(path.read_text())


def facts(results: Path, language: str = "en") -> dict:
    """Every number the talk states, written as `language` writes numbers, keyed by name:
    from the benchmarks' JSON in `results` (the same measurements the notebooks make with
    their default parameters), the stored data-size sweep, and `references`."""
    prompts, transfer, limits = (load(results, name) for name in ("prompts", "transfer", "limits"))
    train = load(results, "train")
    default, effects, bias = prompts["default_model"], prompts["effects"], prompts["bias"]
    robust = transfer["effective_robustness"]
    word = limits["word_order"]

    def share(x):
        return pct(x, language)

    def diff(entry, value="value"):
        return points(entry[value], entry["ci"], language)

    found = {
        "seen": share(default["seen_acc1"]), "heldout": share(default["heldout_acc1"]),
        "train_seconds": f"{default['train_seconds']:.0f}",
        "ln_b": f"{math.log(train['batch_size']):.2f}", "batch": str(train["batch_size"]),
        "robustness": diff(robust["zero_shot"]), "robustness_single": diff(robust["zero_shot_single_style"]),
        "shots": f"{transfer['effective_shots']:.1f}",
        "ft_id": points(transfer["finetune"]["id_delta"], language=language),
        "ft_ood": points(transfer["finetune"]["ood_delta"], language=language),
        "biased_gap": diff(bias["biased_gap"]), "control_gap": diff(bias["control_gap"]),
        "counting": share(limits["counting"]["acc1"]),
        "counting_ci": share_ci(limits["counting"]["acc1"], limits["counting"]["ci"], language),
        "counting_chance": share(limits["counting"]["chance"]),
        "counting_side": side_of_zero(*(c - limits["counting"]["chance"] for c in limits["counting"]["ci"])),
        "word_order": share(word["base"]["value"]), "word_order_ci": share_ci(word["base"]["value"], word["base"]["ci"], language),
        "negclip": share(word["hard_negatives"]["value"]), "negclip_control": share(word["control"]["value"]),
    }
    found |= localisation_facts(limits["localisation"], language) | typographic_facts(limits["typographic"], language)
    sweep = json.loads(SWEEP_FILE.read_text())["table"]      # {"1,000 pairs": {"seen": .., "held-out": ..}, ..}
    found["sweep_sizes"] = ", ".join(size.split()[0] for size in sweep)
    found["sweep_seen"] = " → ".join(share(row["seen"]) for row in sweep.values())
    found["sweep_heldout"] = " → ".join(share(row["held-out"]) for row in sweep.values())
    for key in EFFECTS:                        # across the recipe's training seeds
        effect = effects[key]
        found[key] = points(effect["mean"], effect["ci"], language)
        found[f"{key}_paper"] = effect["paper"] if language == "en" else effect["paper"].replace(" pt", "%p")
        found[f"{key}_direction"] = direction(effect["ci"])
        found[f"{key}_lowest"], found[f"{key}_highest"] = (points(f(effect["per_seed"]), language=language)
                                                           for f in (min, max))
        found[f"{key}_shipped"] = points(effect["shipped"]["delta"], effect["shipped"]["ci"], language)
    found["seeds"] = str(effects[EFFECTS[0]]["seeds"])
    published = references.talk_values()       # written with a space before %, as English does
    return found | ({k: v.replace(" %", "%") for k, v in published.items()} if language == "ko" else published)


def localisation_facts(located: dict, language: str = "en") -> dict:
    """The localisation slide's numbers: pointing game of both towers' maps, their IoU at the
    common grid beside the true mask's IoU there, and the dense head against the better map."""
    maps, head = located["maps"], located["dense_head"]
    cnn = next(name for name, m in maps.items() if m["method"] == "grad-cam")
    vit = next(name for name, m in maps.items() if m["method"] != "grad-cam")
    best = max(maps, key=lambda name: maps[name]["iou"])
    versus = head["minus_maps"][best]["own_grids"]
    return {"grid": "×".join(map(str, located["common_grid"])), "dense_steps": str(head["steps"]),
            "pointing": pct(maps[cnn]["value"], language), "pointing_ci": share_ci(maps[cnn]["value"], maps[cnn]["ci"], language),
            "pointing_random": pct(maps[cnn]["random"], language), "pointing_vit": pct(maps[vit]["value"], language),
            "iou_cnn": f"{maps[cnn]['iou_common']['value']:.2f}", "iou_vit": f"{maps[vit]['iou_common']['value']:.2f}",
            "iou_true": f"{head['true_mask_iou_common']:.2f}", "iou_head": f"{head['iou']:.2f}",
            "head_minus_map": signed(versus["value"], versus["ci"], language), "head_side": side_of_zero(*versus["ci"])}


def typographic_facts(attack: dict, language: str = "en") -> dict:
    """How often the reader and the control follow a wrong word written beside the object,
    and the reader's excess over the control, by text size ("1x", "2x")."""
    found = {}
    for size, measured in attack["by_size"].items():
        for role in ("reader", "control"):
            follows = measured[role]["follows_wrong_word"]
            found[f"typo_{role}_{size}"] = pct(follows["value"], language)
        effect = measured["reading_effect"]
        found[f"typo_effect_{size}"] = points(effect["value"], effect["ci"], language)
    return found


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
NOTES = "\n???\n"                  # the speaker notes follow this line in a slide's text
WHY = ("Why it differs here:", "논문과 다른 이유:")   # a paragraph starting so is set as a box


@dataclass(frozen=True)
class SlideText:
    title: str
    body: str            # markdown with {placeholders}
    notes: str = ""      # what to point at and the one sentence to say


@lru_cache(maxsize=None)
def text(language: str) -> dict:
    """The talk's words in `language` from text/talk.<language>.md: {key: SlideText} for the
    slides (and the handout), plus the phrases of its front matter (link, missing, …)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    source = (resources.files(__package__) / "text" / f"talk.{language}.md").read_text(encoding="utf-8")
    _comment, front, body = source.split("---\n", 2)
    words = dict(line.split(": ", 1) for line in front.strip().splitlines())
    headings = list(HEADING.finditer(body))
    for heading, following in zip(headings, headings[1:] + [None]):
        section = body[heading.end():following.start() if following else len(body)]
        content, _, notes = section.partition(NOTES)
        words[heading["key"]] = SlideText(heading["title"], content.strip(), notes.strip())
    missing = [slide.key for slide in OUTLINE if slide.key not in words] + ["handout"] * ("handout" not in words)
    if missing:
        raise ValueError(f"talk.{language}.md has no section {missing}")
    return words


# --- the deck ---------------------------------------------------------------------
def strong(markdown: str) -> str:
    """**x** as <strong>x</strong>: markdown's rule for a closing ** after punctuation
    ('**54.1%**에') needs a space or punctuation next, which Korean particles are not."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", markdown)


def boxed(markdown: str) -> str:
    """The "why it differs here" paragraph as a box (a bordered block on the slide)."""
    paragraphs = markdown.split("\n\n")
    return "\n\n".join(f'<div class="why">{strong(p)}</div>' if p.startswith(WHY) else p for p in paragraphs)


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
    """The slide's figure on a sub-slide of its own (below the claim: as large as the canvas
    allows), or the sentence that says it is missing on the claim's slide."""
    kind = "subslide" if png else "-"
    cell = nbformat.v4.new_code_cell("", metadata={"tags": ["hide-input"], "slideshow": {"slide_type": kind}})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})] if png else [
        nbformat.v4.new_output("stream", name="stdout", text=text(language)["missing"])]
    return cell


def values_for(language: str, project: Project) -> dict:
    """What the talk's placeholders are filled with in `language`."""
    words = text(language)
    values = {**facts(project.results, language), "notebooks": notebook_list(project, language)}
    values |= {k: words[f"direction_{v}"] for k, v in values.items() if k.endswith("_direction")}
    values |= {k: words[f"{k.removesuffix('_side')}_{v}"] for k, v in values.items() if k.endswith("_side")}
    return values | {"prompts_why": prompts_why(values, words)}


def prompts_why(values: dict, words: dict) -> str:
    """The prompts slide's boxed reason: for each effect whose interval across seeds is not
    on the paper's side, how far the seeds spread and what the shipped model shows."""
    unsettled = [key for key in EFFECTS if values[f"{key}_direction"] != words["direction_same"]]
    if not unsettled:
        return words["why_all_same"]
    return " ".join(words["why_seeds"].format(effect=words[f"name_{key}"], low=values[f"{key}_lowest"],
                                              high=values[f"{key}_highest"], shipped=values[f"{key}_shipped"])
                    for key in unsettled)


def talk_notebook(language: str, project: Project) -> nbformat.NotebookNode:
    """The talk as a notebook of slides: per outline item a markdown cell (and a figure),
    and its speaker notes (reveal.js shows them in the speaker view, key S)."""
    words, cells = text(language), []
    values = values_for(language, project)
    for index, slide in enumerate(OUTLINE):
        page = words[slide.key]
        markdown = f"{'#' if index == 0 else '##'} {page.title}\n\n{boxed(strong(page.body.format(**values)))}"
        if slide.section:
            markdown += "\n\n" + section_link(*slide.section, language)
        cells.append(nbformat.v4.new_markdown_cell(markdown, metadata={"slideshow": {"slide_type": "slide"}}))
        if page.notes:
            cells.append(nbformat.v4.new_markdown_cell(page.notes.format(**values),
                                                       metadata={"slideshow": {"slide_type": "notes"}}))
        if slide.figure:
            source, key = slide.figure
            png = drawn_figure(key, language) if source == "drawn" else notebook_figure(source, key, project, language)
            cells.append(figure_cell(png, language))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["title"] = words["title"].title
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def handout(language: str, project: Project) -> str:
    """The one-page handout in `language` as an HTML page: each claim, our number with its
    interval, the paper's number (the talk's `handout` section, filled in)."""
    import mistune

    words = text(language)
    page = words["handout"]
    body = mistune.html(f"# {page.title}\n\n{page.body.format(**values_for(language, project))}")
    return (f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8"><title>{page.title}</title>\n'
            f"<style>{HANDOUT_STYLE}</style></head><body>{body}</body></html>\n")


HANDOUT_STYLE = ("body{font-family:system-ui,'NanumGothic',sans-serif;max-width:48rem;margin:1.5rem auto;"
                 "color:#222;font-size:15px}table{border-collapse:collapse;width:100%}"
                 "td,th{border-bottom:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}"
                 "@media print{body{margin:0}}")


def write_talks(out_dir: Path, project: Project, exporter) -> list[tuple]:
    """The talk's slides and its handout in each language, the slides written with `exporter`
    (classroom's slides exporter) next to the notebooks' slides; their index rows."""
    rows = []
    for language in LANGUAGES:
        start = time.perf_counter()
        nb = talk_notebook(language, project)
        exporter.language_code = language
        page = f"talk.{language}.slides.html"
        (out_dir / page).write_text(exporter.from_notebook_node(nb)[0], encoding="utf-8")
        (out_dir / f"handout.{language}.html").write_text(handout(language, project), encoding="utf-8")
        rows.append((page, nb.metadata["title"], text(language)["language_name"], time.perf_counter() - start,
                     language))
        rows.append((f"handout.{language}.html", text(language)["handout"].title, text(language)["language_name"], 0.0,
                     language))
        print(f"slides: {out_dir / page}; handout: {out_dir / f'handout.{language}.html'}")
    return rows


def export_slides(out_dir: Path, project: Project) -> list[tuple]:
    """Every notebook's slides and the talk in each language, in `out_dir`: their index rows."""
    return export("slides", out_dir, project) + write_talks(out_dir, project, exporter("slides"))

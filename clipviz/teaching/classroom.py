"""Classroom exports of the notebooks: executed HTML pages, reveal.js slides, and student
versions without the solutions.

    python -m clipviz classroom html        # → reports/html/ (+ index.html)
    python -m clipviz classroom slides      # → reports/slides/ (+ the talk, teaching.talk)
    python -m clipviz classroom exercises   # → exercises/
    python -m clipviz classroom translate   # → notebooks/ko/ (teaching.translation)

Every export is made in English and in Korean, side by side: notebooks/NN_topic.ipynb gives
NN_topic.html, its Korean twin notebooks/ko/NN_topic.ipynb gives NN_topic.ko.html (the same
for slides; exercises/ko/ for the student versions), and the index page offers both.

Each command works on a project folder (`--root`, default the current directory): its
notebooks/, build/ and benchmarks/results/ (`Project`). HTML and slides come from notebooks
executed once (kept in build/executed/) with their widget state saved, so widgets render
without a kernel. Every script they load (require.js, the widget renderer, reveal.js) is
copied next to them from pinned npm packages that `python -m clipviz classroom assets`
downloads from the npm registry into build/web/ once (checked against their published
sha512; no node needed): the pages make no request to another host when opened.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import importlib.util
import io
import shutil
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from ..language import LANGUAGES, _


@dataclass(frozen=True)
class Project:
    """The folders an export reads and writes, under the project's root folder."""

    root: Path = Path(".")

    @property
    def notebooks(self) -> Path:        # the tested sources, with solutions
        return Path(self.root) / "notebooks"

    @property
    def executed(self) -> Path:         # notebooks run with their defaults, outputs kept
        return Path(self.root) / "build" / "executed"

    @property
    def web(self) -> Path:              # the npm packages the pages load
        return Path(self.root) / "build" / "web" / "node_modules"

    @property
    def results(self) -> Path:          # the benchmarks' JSON, which the talk reads
        return Path(self.root) / "benchmarks" / "results"

    def notebook_folder(self, language: str = "en") -> Path:
        """notebooks/ in English, notebooks/<language>/ for a translation (`classroom translate`)."""
        return self.notebooks if language == "en" else self.notebooks / language

    def executed_folder(self, language: str = "en") -> Path:
        return self.executed if language == "en" else self.executed / language

    def notebook_names(self, language: str = "en") -> list[str]:
        return sorted(p.stem for p in self.notebook_folder(language).glob("*.ipynb"))


def page_name(name: str, language: str, suffix: str = ".html") -> str:
    """The file an export of notebook `name` is written to: 01_x.html, 01_x.ko.html, …"""
    return f"{name}{'' if language == 'en' else '.' + language}{suffix}"

# npm packages the exported pages load: (version, sha512 integrity from the registry)
WEB_PACKAGES = {
    "reveal.js": ("4.6.1", "1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/LKWDOGjMbaDwKQiGmfqcoGQ74HUHCMw=="),
    "@jupyter-widgets/html-manager": (
        "1.0.15", "5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="),
    "requirejs": ("2.3.8", "7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw=="),
}
REGISTRY = "https://registry.npmjs.org"
TEMPLATES = Path(__file__).parent / "nbconvert_templates"
SOLUTION_TAG = "solution"
# The longest a notebook cell may run (seconds) wherever clipviz executes notebooks: the
# longest cell with the defaults takes about a minute, so a lost kernel message fails fast
# instead of stalling a run (nbclient's default is to wait forever, the tests' was 300 s)
CELL_TIMEOUT = 150


# --- exercises ---------------------------------------------------------------------
def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def stub_for(solution, language: str = "en") -> nbformat.NotebookNode:
    """The cell a student gets instead of a solution: the task (the solution's leading
    comment lines) and a place to write, said in `language`. Runs without error, defines nothing."""
    task = []
    for line in solution.source.splitlines():
        if not line.startswith("#"):
            break
        task.append(line)
    return nbformat.v4.new_code_cell("\n".join(task + [_("# Your code here.", language)]),
                                     metadata={"tags": ["exercise"]})


def strip_solutions(nb, language: str = "en") -> nbformat.NotebookNode:
    """A copy of `nb` with every solution cell replaced by its stub; all else unchanged."""
    student = copy.deepcopy(nb)
    student.cells = [stub_for(cell, language) if is_solution(cell) else cell for cell in student.cells]   # new ids
    return student


# --- slides -----------------------------------------------------------------------
SHOW_INPUT_TAG = "show-input"   # a code cell whose source belongs on its slide
VISUAL_OUTPUTS = ("image/png", "image/svg+xml", "application/vnd.jupyter.widget-view+json")


def is_visual(cell) -> bool:
    """Whether a cell shows a figure, a table or a widget: what a slide holds one of."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(kind in data for kind in VISUAL_OUTPUTS) or "<table" in str(data.get("text/html", "")):
            return True
    return False


def slide_type(cell, first: bool, slide_has_visual: bool) -> str:
    """The title and every "## " heading open a slide. Within a section a figure, a table or
    a widget opens a sub-slide of its own, so that it is shown as large as the canvas allows
    (legible from the back row), and narration after one opens the next; printed lines stay
    with what they follow. Imports, parameters, solutions and code cells with nothing to show
    are skipped."""
    source, tags = cell.source, cell.get("metadata", {}).get("tags", [])
    if first or (cell.cell_type == "markdown" and source.startswith("## ")):
        return "slide"
    if "parameters" in tags or SOLUTION_TAG in tags:
        return "skip"
    if cell.cell_type == "code" and not cell.get("outputs") and SHOW_INPUT_TAG not in tags:
        return "skip"
    if cell.cell_type == "code" and source.lstrip().startswith(("import ", "from ")):
        return "skip"
    if is_visual(cell):
        return "subslide"
    return "subslide" if slide_has_visual and cell.cell_type == "markdown" else "-"


def one_output_each(cell) -> list:
    """A code cell as one cell per output (the first keeps the source, the rest show none),
    so that each figure or table of a cell can have a sub-slide of its own."""
    outputs = cell.get("outputs", [])
    if cell.cell_type != "code" or len(outputs) < 2:
        return [cell]
    parts = []
    for index, output in enumerate(outputs):
        part = copy.deepcopy(cell)
        part.outputs = [output]
        if index:
            part.source = ""
            part.metadata["tags"] = [t for t in part.metadata.get("tags", []) if t != SHOW_INPUT_TAG]
        parts.append(part)
    return parts


SLIDE_TEXT = 1500   # text one slide holds at 24 px on the 1280x720 canvas, in widths of a Latin letter
CONTINUED = "clipviz-continued"    # a page of a split markdown cell after its first: a sub-slide


def text_width(text: str) -> float:
    """`text`'s width in Latin letters: a Hangul syllable is about two."""
    return sum(1.9 if "\uac00" <= char <= "\ud7a3" else 1 for char in text)


def pages_of(cell) -> list:
    """A markdown cell longer than a slide holds as consecutive cells, each holding whole
    paragraphs (split at blank lines) up to `SLIDE_TEXT`; other cells as they are."""
    if cell.cell_type != "markdown" or text_width(cell.source) <= SLIDE_TEXT:
        return [cell]
    pages, page = [], []
    for paragraph in cell.source.split("\n\n"):
        if page and text_width("\n\n".join(page + [paragraph])) > SLIDE_TEXT:
            pages.append(page)
            page = []
        page.append(paragraph)
    pages.append(page)
    parts = []
    for index, paragraphs in enumerate(pages):
        part = copy.deepcopy(cell)
        part.source = "\n\n".join(paragraphs)
        part.metadata[CONTINUED] = index > 0
        parts.append(part)
    return parts


def with_slide_metadata(nb) -> nbformat.NotebookNode:
    """A copy of `nb` whose cells carry reveal.js slide metadata, a cell of several outputs
    split into one cell per output and a markdown cell longer than a slide into pages; code
    cells not tagged `show-input` are tagged `hide-input`, so that a slide shows their
    output only."""
    slides = copy.deepcopy(nb)
    slides.cells = [page for cell in slides.cells for part in one_output_each(cell) for page in pages_of(part)]
    has_visual = False
    for index, cell in enumerate(slides.cells):
        kind = slide_type(cell, first=index == 0, slide_has_visual=has_visual)
        if cell.metadata.pop(CONTINUED, False):
            kind = "subslide"
        cell.metadata["slideshow"] = {"slide_type": kind}
        if kind in ("slide", "subslide"):
            has_visual = False
        if kind != "skip":
            has_visual = has_visual or is_visual(cell)
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and SHOW_INPUT_TAG not in tags:
            cell.metadata["tags"] = sorted(tags | {"hide-input"})
    return slides


# --- web assets --------------------------------------------------------------------
def fetch_web_assets(dest: Path) -> None:
    """Download and unpack WEB_PACKAGES into dest/<name>/ unless already there."""
    for name, (version, integrity) in WEB_PACKAGES.items():
        target = dest / name
        if (target / f".version-{version}").exists():
            continue
        url = f"{REGISTRY}/{name}/-/{name.split('/')[-1]}-{version}.tgz"
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
        if base64.b64encode(hashlib.sha512(data).digest()).decode() != integrity:
            raise RuntimeError(f"{url} does not match its published sha512: not unpacked")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():      # npm tarballs keep everything under package/
                if member.isfile() and member.name.startswith("package/") and ".." not in member.name:
                    out = target / member.name[len("package/"):]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(archive.extractfile(member).read())
        (target / f".version-{version}").touch()
        print(f"assets: {name}@{version} → {target}")


# --- executing and exporting -------------------------------------------------------
def is_executed(nb) -> bool:
    """Whether every code cell with a source has run (an interrupted run leaves some unrun)."""
    return all(c.execution_count is not None for c in nb.cells if c.cell_type == "code" and c.source.strip())


def run_seconds(nb) -> float:
    """How long the run took: our own record, or the span of nbclient's cell timings (a
    notebook executed by `pytest --nbmake --overwrite`, as `make test` does)."""
    if "clipviz" in nb.metadata:
        return nb.metadata["clipviz"]["seconds"]
    times = [c.metadata["execution"] for c in nb.cells if "execution" in c.get("metadata", {})]
    if not times:
        return float("nan")
    first, last = pd.Timestamp(times[0]["iopub.execute_input"]), pd.Timestamp(times[-1]["shell.execute_reply"])
    return (last - first).total_seconds()


def headless_output_widgets() -> None:
    """Stop nbclient from mirroring Output widgets back to the kernel (idempotent).

    For every output an Output widget captures, nbclient sends the widget's state to the
    kernel on the shell channel, from inside its wait for that cell's reply on the same
    socket; when the reply lands during that send, the wait is not woken and the cell
    passes only at its timeout (jupyter/nbclient#312, open; measured here: 1-7 stalls in 150
    Output-widget cells, none with this). A headless run needs no mirror: the captured
    outputs are still saved in the notebook's widget state. Remove once #312 is fixed.
    """
    from nbclient.output_widget import OutputWidget

    OutputWidget.sync_state = lambda self: None


def executed(name: str, project: Project, language: str = "en") -> tuple[nbformat.NotebookNode, float]:
    """The notebook (in `language`: its Korean twin for "ko") run with its defaults (widget
    state kept) and its run time in seconds; reused from build/executed/ (build/executed/ko/)
    while it is newer than the source and ran to the end."""
    from nbclient import NotebookClient

    folder = project.notebook_folder(language)
    source, out = folder / f"{name}.ipynb", project.executed_folder(language) / f"{name}.ipynb"
    if out.exists() and out.stat().st_mtime >= source.stat().st_mtime:
        nb = nbformat.read(out, as_version=4)
        if is_executed(nb):
            return nb, run_seconds(nb)
    nb = nbformat.read(source, as_version=4)
    headless_output_widgets()
    start = time.perf_counter()
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    nb.metadata["clipviz"] = {"seconds": round(time.perf_counter() - start, 1)}
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return nb, nb.metadata["clipviz"]["seconds"]


def copy_assets(out_dir: Path, web: Path, reveal: bool = False) -> None:
    """The scripts the pages load, from the npm packages in `web`, and the Hangul font, into
    out_dir/assets."""
    missing = [p for p in ("requirejs/require.js", "@jupyter-widgets/html-manager/dist/embed-amd.js")
               + (("reveal.js/dist/reveal.js",) if reveal else ()) if not (web / p).exists()]
    if missing:
        raise FileNotFoundError(f"missing web assets {missing}: run `python -m clipviz classroom assets` "
                                f"(`make html` and `make slides` do) to download them into {web}")
    assets = out_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    shutil.copy2(web / "requirejs" / "require.js", assets / "require.js")
    shutil.copytree(web / "@jupyter-widgets" / "html-manager" / "dist", assets / "html-manager",
                    ignore=shutil.ignore_patterns("*.map", "embed.js", "libembed-amd.js"), dirs_exist_ok=True)
    copy_hangul_fonts(assets / "fonts")
    if reveal:
        for part in ("dist", "plugin"):
            shutil.copytree(web / "reveal.js" / part, assets / "reveal.js" / part, dirs_exist_ok=True)


def copy_hangul_fonts(dest: Path) -> None:
    """NanumGothic (regular, bold) from koreanize-matplotlib, for Hangul on the pages. Its
    empty VTT tables (TSI0-TSI5) are dropped: browsers' font sanitiser rejects the file
    with them ("OTS parsing error: TSI3: zero-length table") and would fall back to boxes."""
    from fontTools.ttLib import TTFont

    source = Path(importlib.util.find_spec("koreanize_matplotlib").origin).parent / "fonts"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("NanumGothic.ttf", "NanumGothicBold.ttf"):
        if (dest / name).exists() and (dest / name).stat().st_mtime >= (source / name).stat().st_mtime:
            continue
        font = TTFont(source / name)
        for tag in [t for t in font.keys() if t.startswith("TSI")]:
            del font[tag]
        font.save(dest / name)


def exporter(kind: str):
    """nbconvert's exporter for `kind` ("html" or "slides") with clipviz's templates."""
    from nbconvert import HTMLExporter, SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TemplateExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.HTMLExporter.embed_images = True
    config.HTMLExporter.require_js_url = "assets/require.js"
    config.HTMLExporter.widget_renderer_url = "assets/html-manager/embed-amd.js"
    config.SlidesExporter.exclude_input_prompt = config.SlidesExporter.exclude_output_prompt = True
    made = (SlidesExporter(config=config, template_name="clipviz-reveal", reveal_url_prefix="assets/reveal.js",
                           reveal_theme="white")   # "white" loads no remote fonts
            if kind == "slides"
            else HTMLExporter(config=config, template_name="clipviz-lab"))
    made.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"hide-input"}), enabled=True)
    return made


def summary(nb) -> tuple[str, str]:
    """(title, one-line summary): the first heading, and the first "What you will learn" item."""
    title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    bullets = [line[2:].strip() for line in nb.cells[0].source.splitlines() if line.startswith("- ")]
    return title, (bullets[0].rstrip(";.") if bullets else "")


def export(kind: str, out_dir: Path, project: Project, languages=LANGUAGES) -> list[tuple]:
    """Execute (or reuse) every notebook in each of `languages` and write its HTML page or slides.

    Returns:
        The index rows (page, title, one-line summary, run seconds, language) of what was written.
    """
    copy_assets(out_dir, project.web, reveal=kind == "slides")
    writer, rows = exporter(kind), []
    for language in languages:
        writer.language_code = language                  # <html lang="…">: the browser's fonts and hyphens
        for name in project.notebook_names(language):
            nb, seconds = executed(name, project, language)
            if kind == "slides":
                nb = with_slide_metadata(nb)
            body, _resources = writer.from_notebook_node(nb)
            page = page_name(name, language, ".slides.html" if kind == "slides" else ".html")
            (out_dir / page).write_text(body, encoding="utf-8")
            rows.append((page, *summary(nb), seconds, language))
            print(f"{kind}: {out_dir / page} (ran in {seconds:.0f} s)")
    return rows


LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}


def index_page(rows, heading: str) -> str:
    """A plain page (no scripts) linking each export with its summary and run time: one table
    per language, its headers in that language.

    Args:
        rows: (page, title, one-line summary, run seconds, language) tuples.
    """
    tables = []
    for language in LANGUAGES:
        mine = [row for row in rows if row[4] == language]
        if not mine:
            continue
        items = "\n".join(f'<tr><td><a href="{html.escape(page)}">{html.escape(title)}</a></td>'
                          f"<td>{html.escape(line)}</td><td>{seconds:.0f} s</td></tr>"
                          for page, title, line, seconds, _language in mine)
        tables.append(f"""<section lang="{language}"><h2>{LANGUAGE_NAMES[language]}</h2>
<p>{html.escape(_("Executed with their default parameters on this machine; run time per notebook.", language))}</p>
<table><tr><th>{html.escape(_("notebook", language))}</th><th>{html.escape(_("what you will learn first", language))}</th>
<th>{html.escape(_("run time", language))}</th></tr>
{items}
</table></section>""")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
td,th{{padding:.4rem .8rem;text-align:left;vertical-align:top}}tr:nth-child(even){{background:#f4f4f4}}</style>
</head><body><h1>{html.escape(heading)}</h1>
{chr(10).join(tables)}
</body></html>
"""


def write_index(out_dir: Path, rows, heading: str) -> Path:
    index = out_dir / "index.html"
    index.write_text(index_page(rows, heading), encoding="utf-8")
    return index


def write_exercises(out_dir: Path, project: Project, languages=LANGUAGES) -> list[Path]:
    """Student versions of every notebook, solutions replaced by stubs: out_dir/ in English,
    out_dir/<language>/ for the translations."""
    written = []
    for language in languages:
        folder = out_dir if language == "en" else out_dir / language
        folder.mkdir(parents=True, exist_ok=True)
        for name in project.notebook_names(language):
            nb = nbformat.read(project.notebook_folder(language) / f"{name}.ipynb", as_version=4)
            nbformat.write(strip_solutions(nb, language), folder / f"{name}.ipynb")
            written.append(folder / f"{name}.ipynb")
            print(f"exercises: {written[-1]} ({sum(map(is_solution, nb.cells))} solutions removed)")
    return written

from pathlib import Path

import nbformat
import pytest

from clipviz.language import _
from clipviz.teaching import classroom

PROJECT = classroom.Project(Path(__file__).parents[1])
NOTEBOOKS = sorted(PROJECT.notebooks.glob("*.ipynb"))
KOREAN = sorted(PROJECT.notebook_folder("ko").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS + KOREAN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_student_version_keeps_every_other_cell_and_removes_every_solution(path):
    language = "ko" if path.parent.name == "ko" else "en"
    nb = nbformat.read(path, as_version=4)
    solutions = [c for c in nb.cells if classroom.is_solution(c)]
    assert len(solutions) >= 3, "every notebook's exercises come with solution cells"
    student = classroom.strip_solutions(nb, language)
    assert len(student.cells) == len(nb.cells)
    for original, kept in zip(nb.cells, student.cells):
        if classroom.is_solution(original):
            assert kept.cell_type == "code" and "exercise" in kept.metadata["tags"]
            task = original.source.splitlines()[0]
            assert kept.source.splitlines()[0] == task and task.startswith("# Exercise")
            assert kept.source.endswith(_("# Your code here.", language))
            assert original.source not in kept.source
        else:
            assert (kept.cell_type, kept.source, kept.metadata) == (original.cell_type, original.source, original.metadata)
    assert not any(classroom.is_solution(c) for c in student.cells)
    nbformat.validate(student)


def test_stub_is_valid_python_that_defines_nothing():
    solution = nbformat.v4.new_code_cell("# Exercise 9: do a thing.\n# Two lines of task.\nx = 1\n# not task")
    stub = classroom.stub_for(solution)
    assert stub.source == "# Exercise 9: do a thing.\n# Two lines of task.\n# Your code here."
    namespace = {}
    exec(compile(stub.source, "stub", "exec"), namespace)
    assert set(namespace) == {"__builtins__"}


def executed_like_notebook():
    """A notebook with outputs: figures, a table, a solution, a silent cell, a tagged one."""
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo="}}
    table = {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
             "data": {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1"}}
    text = {"output_type": "stream", "name": "stdout", "text": "hello"}

    def code(source, *outputs, tags=()):
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        return cell

    md = nbformat.v4.new_markdown_cell
    cells = [md("# Title"), code("import x"), code("SEED = 0", tags=["parameters"]),
             md("## 1 · First"), md("narration"), code("plot()", png), md("more narration"),
             code("table()", table), code("plot()", png), code("print(1)", text), code("x = 1"),
             md("**Exercise 1.**"), code("# Exercise 1\nplot()", png, tags=["solution"]),
             md("## 2 · Second"), code("def shown(): pass", tags=["show-input"]), code("plot()", png)]
    return nbformat.v4.new_notebook(cells=cells)


def test_each_figure_or_table_has_a_sub_slide_of_its_own_and_no_solutions():
    nb = executed_like_notebook()
    slides = classroom.with_slide_metadata(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in slides.cells]
    assert kinds == ["slide", "skip", "skip", "slide", "-", "subslide", "subslide", "subslide", "subslide", "-", "skip",
                     "subslide", "skip", "slide", "-", "subslide"]
    shown = [(kind, cell) for kind, cell in zip(kinds, slides.cells) if kind != "skip"]
    visuals = 0
    for kind, cell in shown:                   # a naive count of figures/tables per (sub)slide
        visuals = 0 if kind in ("slide", "subslide") else visuals
        visuals += any("image/png" in o.get("data", {}) or "<table" in str(o.get("data", {}))
                       for o in cell.get("outputs", []))
        assert visuals <= 1
    for cell in slides.cells:
        hidden = "hide-input" in cell.metadata.get("tags", [])
        assert hidden == (cell.cell_type == "code" and "show-input" not in cell.metadata.get("tags", []))
    assert "slideshow" not in nb.cells[0].metadata            # the source notebook is left alone


def test_slides_of_a_real_notebook_open_at_each_heading():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in classroom.with_slide_metadata(nb).cells]
    headings = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert kinds[0] == "slide" and kinds.count("slide") == len(headings) + 1
    assert all(kind == "skip" for kind, c in zip(kinds, nb.cells) if "solution" in c.metadata.get("tags", []))


def test_summary_reads_the_title_and_the_first_learning_goal():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    title, line = classroom.summary(nb)
    assert title == "01 · Train CLIP on a subset"
    assert line.startswith("what CLIP trains on")


def test_index_page_escapes_and_links():
    page = classroom.index_page([("a.html", "A <b>", "learn x & y", 12.3, "en")], "notebooks")
    assert '<a href="a.html">A &lt;b&gt;</a>' in page and "learn x &amp; y" in page and "12 s" in page
    assert "<script" not in page and "한국어" not in page


def test_index_page_offers_both_languages_each_in_its_own_words():
    page = classroom.index_page([("a.html", "01 · Train", "what CLIP trains on", 60, "en"),
                                 ("a.ko.html", "01 · 학습", "CLIP이 무엇으로 학습하는지", 61, "ko")], "notebooks")
    english, korean = page.split('<section lang="ko">')
    assert '<a href="a.html">' in english and "what you will learn first" in english
    assert '<a href="a.ko.html">01 · 학습</a>' in korean and "가장 먼저 배울 내용" in korean and "실행 시간" in korean


def test_a_korean_student_version_says_where_to_write_in_korean():
    solution = nbformat.v4.new_code_cell("# Exercise 1: do a thing.\nx = 1", metadata={"tags": ["solution"]})
    assert classroom.stub_for(solution, "ko").source == "# Exercise 1: do a thing.\n# 여기에 코드를 작성하세요."


def test_every_notebook_has_a_korean_twin_exported_beside_it():
    assert PROJECT.notebook_names("ko") == PROJECT.notebook_names()
    assert classroom.page_name("01_x", "ko", ".slides.html") == "01_x.ko.slides.html"
    assert classroom.page_name("01_x", "en") == "01_x.html"


def test_an_executed_notebook_is_one_whose_every_code_cell_ran():
    nb = executed_like_notebook()
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
        cell.metadata["execution"] = {"iopub.execute_input": f"2026-12-02T10:00:{number:02d}.000000Z",
                                      "shell.execute_reply": f"2026-12-02T10:00:{number:02d}.500000Z"}
    assert classroom.is_executed(nb)
    codes = [c for c in nb.cells if c.cell_type == "code"]
    assert classroom.run_seconds(nb) == pytest.approx(len(codes) - 1 + 0.5)   # first input to last reply
    codes[-1].execution_count = None                        # an interrupted run
    assert not classroom.is_executed(nb)


def test_output_widgets_keep_their_outputs_when_run_headless():
    """Without nbclient's mirror of Output widgets (jupyter/nbclient#312) their captured
    outputs are still in the executed notebook's widget state."""
    from nbclient import NotebookClient

    classroom.headless_output_widgets()
    cells = [nbformat.v4.new_code_cell("from ipywidgets import Output\nfrom IPython.display import display\n"
                                       "out = Output()\ndisplay(out)")]
    cells += [nbformat.v4.new_code_cell(f"with out:\n    print('line {k}')") for k in range(20)]
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, timeout=classroom.CELL_TIMEOUT, kernel_name="python3", store_widget_state=True).execute()
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"].values()
    outputs = next(s["state"]["outputs"] for s in states if s["model_name"] == "OutputModel")
    assert "".join(o["text"] for o in outputs) == "".join(f"line {k}\n" for k in range(20))


def test_a_cell_of_several_outputs_gives_each_figure_or_table_a_sub_slide():
    png = {"output_type": "display_data", "data": {"image/png": "iVBOR"}, "metadata": {}}
    table = {"output_type": "display_data", "data": {"text/html": "<table></table>"}, "metadata": {}}
    text = {"output_type": "stream", "name": "stdout", "text": "done\n"}
    cell = nbformat.v4.new_code_cell("show()", outputs=[nbformat.from_dict(o) for o in (table, text, png)])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), cell])
    slides = classroom.with_slide_metadata(nb)
    assert [(c.metadata["slideshow"]["slide_type"], [o.get("output_type") for o in c.outputs])
            for c in slides.cells[1:]] == [("subslide", ["display_data"]), ("-", ["stream"]), ("subslide", ["display_data"])]
    assert [c.source for c in slides.cells[1:]] == ["show()", "", ""] and len(nb.cells[1].outputs) == 3


def test_a_markdown_cell_longer_than_a_slide_continues_on_sub_slides_at_paragraphs():
    paragraphs = [f"paragraph {k} " + "word " * 120 for k in range(5)]       # ~620 letters each
    korean = "가" * 900                                                      # as wide as ~1,700 letters
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\n" + "\n\n".join(paragraphs)),
                                         nbformat.v4.new_markdown_cell("## 1 · Short"),
                                         nbformat.v4.new_markdown_cell(korean + "\n\n" + korean)])
    slides = classroom.with_slide_metadata(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in slides.cells]
    assert kinds == ["slide", "subslide", "subslide", "slide", "-", "subslide"]
    assert "\n\n".join(c.source for c in slides.cells[:3]) == nb.cells[0].source
    assert all(classroom.CONTINUED not in c.metadata for c in slides.cells)

import nbformat
import pytest

from clipviz import classroom

NOTEBOOKS = sorted(classroom.NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_keeps_every_other_cell_and_removes_every_solution(path):
    nb = nbformat.read(path, as_version=4)
    solutions = [c for c in nb.cells if classroom.is_solution(c)]
    assert len(solutions) >= 3, "every notebook's exercises come with solution cells"
    student = classroom.strip_solutions(nb)
    assert len(student.cells) == len(nb.cells)
    for original, kept in zip(nb.cells, student.cells):
        if classroom.is_solution(original):
            assert kept.cell_type == "code" and "exercise" in kept.metadata["tags"]
            task = original.source.splitlines()[0]
            assert kept.source.splitlines()[0] == task and task.startswith("# Exercise")
            assert kept.source.endswith("# Your code here.")
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


def test_slides_one_section_per_slide():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    slides = classroom.with_slide_metadata(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in slides.cells]
    headings = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert kinds[0] == "slide" and kinds.count("slide") == len(headings) + 1
    parameters = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert kinds[parameters] == "skip"
    for cell, kind in zip(slides.cells, kinds):
        long_code = cell.cell_type == "code" and len(cell.source.splitlines()) > classroom.LONG_CODE_LINES
        assert (kind == "fragment") == (long_code and kind != "skip")
        assert ("hide-input" in cell.metadata.get("tags", [])) == (kind == "fragment")
    assert "slideshow" not in nb.cells[0].metadata            # the source notebook is left alone


def test_summary_reads_the_title_and_the_first_learning_goal():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    title, line = classroom.summary(nb)
    assert title == "01 · Train CLIP on a subset"
    assert line.startswith("what CLIP trains on")


def test_index_page_escapes_and_links():
    page = classroom.index_page([("a.html", "A <b>", "learn x & y", 12.3)], "notebooks")
    assert '<a href="a.html">A &lt;b&gt;</a>' in page and "learn x &amp; y" in page and "12 s" in page
    assert "<script" not in page

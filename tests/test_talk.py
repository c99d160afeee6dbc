"""The talk decks: every outline item on a slide, numbers read from the benchmark JSON,
links that land on the section they name, figures from the tagged notebook cells."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from clipviz.teaching import talk
from clipviz.teaching.classroom import Project

PROJECT = Project(Path(__file__).parents[1])
NOTEBOOKS = PROJECT.notebooks


@pytest.fixture
def without_notebook_figures(monkeypatch):
    """The figures of executed notebooks left out: executing them is the browser test's work."""
    monkeypatch.setattr(talk, "notebook_figure", lambda number, key, project, language="en": None)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_outline_item_is_a_slide_with_its_numbers_filled_in(language, without_notebook_figures):
    nb = talk.talk_notebook(language, PROJECT)
    slides = [c for c in nb.cells if c.metadata["slideshow"]["slide_type"] == "slide"]
    assert len(slides) == len(talk.OUTLINE)
    text = "\n".join(c.source for c in slides)
    assert not re.search(r"\{[a-z_0-9]+\}", text), "a placeholder was left unfilled"
    transfer = json.loads((PROJECT.results / "transfer.json").read_text())
    robust = transfer["effective_robustness"]["zero_shot"]["value"]
    assert f"{100 * robust:+.1f} pt" in text
    limits = json.loads((PROJECT.results / "limits.json").read_text())
    assert f"{100 * limits['counting']['acc1']:.1f} %" in text
    if language == "ko":
        assert all(re.search("[가-힣]", c.source) for c in slides)
    figures = [c for c in nb.cells if c.cell_type == "code"]
    assert len(figures) == sum(s.figure is not None for s in talk.OUTLINE)


def test_links_land_on_the_section_they_name(without_notebook_figures):
    nb = talk.talk_notebook("en", PROJECT)
    links = re.findall(r"\[→ measured in notebook (\d+) §(\d+)\]\((\w+)\.slides\.html#/(\d+)\)",
                       "\n".join(c.source for c in nb.cells))
    assert len(links) == sum(s.section is not None for s in talk.OUTLINE)
    for number, section, name, slide in links:
        assert name.startswith(number)
        headings = [c.source for c in nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
                    if c.cell_type == "markdown" and c.source.startswith("## ")]
        assert headings[int(slide) - 1].startswith(f"## {int(section)} ·")


def test_every_figure_the_talk_takes_is_tagged_in_its_notebook():
    for slide in talk.OUTLINE:
        if slide.figure and slide.figure[0] != "drawn":
            number, key = slide.figure
            nb = nbformat.read(NOTEBOOKS / f"{talk.NOTEBOOK[number]}.ipynb", as_version=4)
            tagged = [c for c in nb.cells if f"talk:{key}" in c.metadata.get("tags", [])]
            assert len(tagged) == 1 and tagged[0].cell_type == "code"


def test_a_measured_difference_is_judged_by_its_interval():
    assert talk.direction([0.01, 0.05]) == "same"
    assert talk.direction([-0.05, -0.01]) == "reversed"
    assert talk.direction([-0.01, 0.02]) == "unresolved"

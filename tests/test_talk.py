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
    robust = transfer["effective_robustness"]["zero_shot"]
    unit = " pt" if language == "en" else "%p"
    assert f"{100 * robust['value']:+.1f}{unit}" in text and f"{100 * robust['ci'][0]:+.1f}" in text
    limits = json.loads((PROJECT.results / "limits.json").read_text())
    assert f"{100 * limits['counting']['acc1']:.1f}{' %' if language == 'en' else '%'}" in text
    if language == "ko":
        assert all(re.search("[가-힣]", c.source) for c in slides)
        assert " pt" not in text                                   # %p for percentage points
    figures = [c for c in nb.cells if c.cell_type == "code"]
    assert len(figures) == sum(s.figure is not None for s in talk.OUTLINE)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_slide_has_speaker_notes_and_the_handout_states_every_claim(language, without_notebook_figures):
    nb = talk.talk_notebook(language, PROJECT)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds.count("notes") == kinds.count("slide")
    page = talk.handout(language, PROJECT)
    assert "<table>" in page and not re.search(r"\{[a-z_0-9]+\}", page)
    assert page.count("<tr>") == talk.text(language)["handout"].body.count("\n|") - 1   # a row per claim + header
    prompts = json.loads((PROJECT.results / "prompts.json").read_text())
    mean = prompts["effects"]["ensemble80_vs_photo_template"]["mean"]
    assert f"{100 * mean:+.1f}" in page


def test_numbers_are_written_as_each_language_writes_them():
    assert talk.points(0.442, [0.425, 0.461], "en") == "+44.2 pt (95 % interval +42.5 to +46.1)"
    assert talk.points(0.442, [0.425, 0.461], "ko") == "+44.2%p(95% 구간 +42.5~+46.1%p)"
    # a bound just above 0 is not written "+0.0", nor a small negative difference "-0.0"
    assert talk.points(0.0103, [0.0004, 0.0204], "en") == "+1.0 pt (95 % interval +0.04 to +2.0)"
    assert talk.points(-0.0004, [-0.0021, 0.0], "en") == "-0.04 pt (95 % interval -0.2 to +0.0)"
    assert (talk.pct(0.989, "en"), talk.pct(0.989, "ko")) == ("98.9 %", "98.9%")


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

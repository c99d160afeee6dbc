"""The Korean notebooks: made from the English ones and a translation file each, the code
the same by construction, every markdown cell translated from its current English, and the
Korean written for Korean readers (the glossary's terms, particles after numbers, 노트북)."""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from clipviz.language import glossary
from clipviz.teaching import translation
from clipviz.teaching.classroom import Project

ROOT = Path(__file__).parents[1]
PROJECT = Project(ROOT)
NAMES = PROJECT.notebook_names()


# --- the drift test: every English cell has a current translation --------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_cell_has_a_current_korean_translation_and_the_korean_notebook_is_up_to_date(name):
    """Fails with the notebook, the cell and what to run when an English cell changed."""
    problems = translation.problems(PROJECT, name)
    assert not problems, "\n" + "\n".join(problems)


def test_every_korean_notebook_has_its_english_one():
    assert PROJECT.notebook_names("ko") == NAMES
    assert sorted(p.stem for p in (PROJECT.notebook_folder("ko") / "text").glob("*.md")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_only_the_words_differ(name):
    english = nbformat.read(PROJECT.notebooks / f"{name}.ipynb", as_version=4)
    korean = nbformat.read(PROJECT.notebook_folder("ko") / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.metadata.get("tags", [])) for c in english.cells] == \
           [(c.cell_type, c.metadata.get("tags", [])) for c in korean.cells]
    for en, ko in zip(english.cells, korean.cells):
        if translation.is_parameters(en):
            assert translation.parameters_problem(en.source, ko.source) is None
        elif en.cell_type == "code":
            assert ko.source == en.source
        else:
            assert re.search("[가-힣]", ko.source), f"markdown left in English: {en.source[:60]!r}"


# --- the mechanism, on a notebook of its own ------------------------------------------------------
ENGLISH = """# %% [markdown]
# # 01 · A title
#
# Some narration.

# %% tags=["parameters"]
N = 3                # how many
LANGUAGE = "en"      # the language

# %%
print(N)
"""
KOREAN_TEXT = """%%% cell 0
%%% en
# 01 · A title

Some narration.
%%% ko
# 01 · 제목

설명 조금.

%%% cell 1
%%% en
N = 3                # how many
LANGUAGE = "en"      # the language
%%% ko
N = 3                # 몇 개
LANGUAGE = "ko"      # 언어
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "notebooks" / "ko" / "text").mkdir(parents=True)
    py = tmp_path / "notebooks" / "01_x.py"
    py.write_text(ENGLISH)
    jupytext.write(jupytext.read(py), py.with_suffix(".ipynb"))
    (tmp_path / "notebooks" / "ko" / "text" / "01_x.md").write_text(KOREAN_TEXT)
    return Project(tmp_path)


def test_the_korean_notebook_is_the_english_one_with_the_korean_words(project):
    assert translation.translate(project) == []
    korean = jupytext.read(project.notebook_folder("ko") / "01_x.py")
    assert [c.source for c in korean.cells] == ["# 01 · 제목\n\n설명 조금.",
                                                'N = 3                # 몇 개\nLANGUAGE = "ko"      # 언어', "print(N)"]
    assert translation.problems(project, "01_x") == []


def test_a_changed_english_cell_fails_with_the_notebook_the_cell_and_what_to_run(project):
    translation.translate(project)
    py = project.notebooks / "01_x.py"
    py.write_text(ENGLISH.replace("Some narration.", "Some new narration."))
    jupytext.write(jupytext.read(py), py.with_suffix(".ipynb"))
    problems = translation.problems(project, "01_x")
    assert problems[0].startswith("notebooks/01_x.py cell 0 (markdown: '# 01 · A title')")
    assert "its English changed since it was translated" in problems[0]
    assert "python -m clipviz classroom translate" in problems[0] and "notebooks/ko/text/01_x.md" in problems[0]
    assert len(problems) == 1

    translation.translate(project)                      # marks the cell, keeps the old words to edit
    text = (project.notebook_folder("ko") / "text" / "01_x.md").read_text()
    assert "%%% cell 0 · to translate" in text and "%%% was\n# 01 · A title\n\nSome narration." in text
    assert "설명 조금." in text
    korean = jupytext.read(project.notebook_folder("ko") / "01_x.py")
    assert "Some new narration." in korean.cells[0].source           # the English meanwhile, never a stale Korean

    entries = translation.parse(text)                   # the translator's edit
    entries[0].korean, entries[0].todo, entries[0].was = "# 01 · 제목\n\n새 설명 조금.", False, None
    (project.notebook_folder("ko") / "text" / "01_x.md").write_text(translation.render(entries, "01_x"))
    assert translation.translate(project) == [] and translation.problems(project, "01_x") == []


def test_a_hand_edited_korean_notebook_is_found_out_of_date(project):
    translation.translate(project)
    py = project.notebook_folder("ko") / "01_x.py"
    py.write_text(py.read_text().replace("print(N)", "print(N + 1)"))
    assert translation.problems(project, "01_x") == [
        "notebooks/ko/01_x.py is not what the English notebook and its translation make: "
        "run `python -m clipviz classroom translate`"]


def test_a_new_english_cell_is_listed_as_not_translated_yet(project):
    py = project.notebooks / "01_x.py"
    py.write_text(ENGLISH + "\n# %% [markdown]\n# ## Recap\n")
    jupytext.write(jupytext.read(py), py.with_suffix(".ipynb"))
    missing = translation.translate(project)
    assert len(missing) == 1 and "cell 3 (markdown: '## Recap')" in missing[0] and "not translated yet" in missing[0]


def test_a_parameters_translation_must_keep_the_english_code(project):
    text = KOREAN_TEXT.replace('N = 3                # 몇 개', 'N = 4                # 몇 개')
    (project.notebook_folder("ko") / "text" / "01_x.md").write_text(text)
    missing = translation.translate(project)
    assert len(missing) == 1 and "its code differs from the English parameters cell" in missing[0]
    assert translation.parameters_problem('LANGUAGE = "en"  # x', 'LANGUAGE = "en"  # 엑스') == \
        'it does not set LANGUAGE = "ko"'


def test_the_translation_file_reads_back_what_it_wrote():
    entries = [translation.Entry("A\n\nB", "가\n\n나", 0), translation.Entry("C", "다", 4, todo=True, was="C0")]
    again = translation.parse(translation.render(entries, "nb"))
    assert [(e.english, e.korean, e.cell, e.todo, e.was) for e in again] == \
        [("A\n\nB", "가\n\n나", 0, False, None), ("C", "다", 4, True, "C0")]
    with pytest.raises(ValueError, match="unknown marker"):
        translation.parse("%%% cell 0\n%%% fr\nx\n")


# --- Korean written for Korean readers ------------------------------------------------------------
def test_emphasis_that_markdown_would_leave_as_stars_is_found():
    assert translation.emphasis_problems("**처음 보는 조합**(held-out)은, *우연 손실*(chance loss)") == []
    assert translation.emphasis_problems("**ln B**입니다, 2 * 3 * 4") == []
    assert translation.emphasis_problems("**(held-out)**이") == ["will not close: '**(held-out)**이'"]
    assert translation.emphasis_problems('단어**"a"** 다음') == ["will not open: '단어**\"a\"** 다음'"]


def test_particles_after_numbers_follow_how_koreans_read_the_number():
    """Sino-Korean readings: 0.95 영점구오 (no final consonant), 10 십, 1 일 (ㄹ), 3 삼; % 퍼센트."""
    assert translation.particle_problems("0.95은 높다") == ["0.95은 → 0.95는"]
    assert translation.particle_problems("0.95는 높고 0.90은 낮다, 1로 나누고 10으로 곱한다") == []
    assert translation.particle_problems("10로 곱한다") == ["10로 → 10으로"]
    assert translation.particle_problems("3%를 넘고 50%가 되며 100을 센다, 20,000이 된다") == []
    assert translation.particle_problems("3이상, 5가지") == []                # not particles


def cells(name):
    """(English, Korean) of every translated cell of a notebook: markdown whole, a parameters
    cell by its comments only (its code is the English code), `code` spans left out."""
    pairs = []
    for english, korean, parameters in translation.translated_pairs(PROJECT, name):
        if parameters:
            english, korean = (" ".join(re.findall(r"#(.*)", text)) for text in (english, korean))
        pairs.append(tuple(re.sub(r"`[^`]*`", "", text) for text in (english, korean)))
    return pairs


@pytest.mark.parametrize("name", NAMES)
def test_the_korean_uses_the_presentations_terms_where_the_english_does(name):
    problems = []
    for english, korean in cells(name):
        for term in glossary()["terms"]:
            if re.search(term.get("match", rf"\b{re.escape(term['en'])}\b"), english, re.I):
                wanted = term.get("require", term["ko"])
                wanted = [wanted] if isinstance(wanted, str) else wanted
                if not any(w in korean for w in wanted):
                    problems.append(f"{term['en']!r} → {' or '.join(wanted)!r} missing in: {korean[:70]!r}")
    assert problems == []


@pytest.mark.parametrize("name", NAMES)
def test_the_english_term_is_kept_in_parentheses_once_where_a_korean_class_expects_it(name):
    pairs = cells(name)
    english, korean = " ".join(e for e, _k in pairs), " ".join(k for _e, k in pairs)
    missing = [t["english"] for t in glossary()["terms"] if "english" in t
               and re.search(t.get("match", rf"\b{re.escape(t['en'])}\b"), english, re.I)
               and not re.search(r"[(,]\s*" + re.escape(t["english"]), korean, re.I)]
    assert missing == []


def reading_problems(pairs, markdown: bool = True) -> list[str]:
    problems = []
    for english, korean in pairs:
        problems += translation.particle_problems(korean)
        problems += translation.emphasis_problems(korean) if markdown else []
        if re.search(r"노트북(?! PC)", korean) and not re.search(r"\bnotebooks?\b", english, re.I):
            problems.append(f"노트북 for something that is not a notebook (a laptop is 노트북 PC): {korean[:70]!r}")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_particles_emphasis_and_notebook_read_right(name):
    assert reading_problems(cells(name)) == []


def test_the_talk_reads_right_in_korean_too():
    from clipviz.teaching import talk

    english, korean = talk.text("en"), talk.text("ko")
    def words(entry) -> str:
        return " ".join((entry.title, entry.body, entry.notes)) if isinstance(entry, talk.SlideText) else entry

    pairs = [(words(english[key]), words(korean[key])) for key in english if key != "language_name"]
    assert reading_problems(pairs, markdown=False) == []       # the talk sets bold itself (talk.strong)

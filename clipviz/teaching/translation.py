"""The notebooks in Korean, made from the English ones: one source of code, the words twice.

    notebooks/NN_topic.py              the English notebook: the only source of the code
    notebooks/ko/text/NN_topic.md      its words in Korean, cell by cell, each translation
                                       stored under the English it was made from
    notebooks/ko/NN_topic.py, .ipynb   generated: the English notebook with the Korean words

    python -m clipviz classroom translate           # regenerate notebooks/ko; list what to translate
    python -m clipviz classroom translate --check   # write nothing; exit 1 when a cell needs translating

What is translated: every markdown cell, and the parameters cell (its comments; its code
must stay the English code, with LANGUAGE = "ko"). Every other cell is copied from the
English notebook, so the code cannot drift. A translation belongs to the exact English text
it was made from: when the English of a cell changes, the cell has no current translation
until someone translates it again. `classroom translate` then rewrites the text file with
that cell marked "to translate", its new English, the English it was translated from (`was`)
and the old Korean to edit; the Korean notebook shows the English meanwhile.

The text file, one entry per translated cell in the English notebook's order:

    %%% cell 3
    %%% en
    ## 1 · The data
    …
    %%% ko
    ## 1 · 데이터
    …

A header "%%% cell 3 · to translate" marks an entry to (re)translate; delete the marker and
the `%%% was` block when the Korean is done, and run `classroom translate` again.
"""

from __future__ import annotations

import copy
import difflib
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat

from .classroom import Project

LANGUAGE = "ko"
MARK = "%%% "
TODO = "to translate"
REGENERATE = "python -m clipviz classroom translate"
LANGUAGE_LINE = re.compile(r'^(LANGUAGE\s*=\s*)"en"', re.M)


# --- the text files ---------------------------------------------------------------------
@dataclass
class Entry:
    """One translated cell: its English, its Korean, and the state of the translation."""

    english: str
    korean: str = ""
    cell: int | None = None           # the cell's place when the file was last written (a guide only)
    todo: bool = False                # marked "to translate": not a current translation yet
    was: str | None = None            # the English the Korean was made from, when that has changed


def parse(text: str) -> list[Entry]:
    """The entries of a translation file (see the module's docstring for its form)."""
    entries, block, lines = [], None, []

    def close():
        if block and entries:
            setattr(entries[-1], {"en": "english", "ko": "korean", "was": "was"}[block], "\n".join(lines).strip("\n"))

    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith(MARK):
            lines.append(line)
            continue
        close()
        words, lines = line[len(MARK):].strip(), []
        if words.startswith("cell"):
            place, _sep, state = words.partition(" · ")
            entries.append(Entry("", cell=int(place.split()[1]), todo=state.strip() == TODO))
            block = None
        elif words in ("en", "ko", "was") and entries:
            block = words
        else:
            raise ValueError(f"line {number}: unknown marker {line!r} (expected '%%% cell N', '%%% en', '%%% was', "
                             f"'%%% ko')")
    close()
    return entries


def render(entries: list[Entry], name: str) -> str:
    """A translation file's text for `entries` of notebook `name`."""
    parts = [f"<!-- The Korean words of notebooks/{name}.py, cell by cell (clipviz.teaching.translation).\n"
             f"     Edit the %%% ko blocks; after a change, run: {REGENERATE} -->\n"]
    for entry in entries:
        header = f"{MARK}cell {entry.cell}" + (f" · {TODO}" if entry.todo else "")
        blocks = [header, f"{MARK}en", entry.english]
        if entry.was is not None:
            blocks += [f"{MARK}was", entry.was]
        blocks += [f"{MARK}ko", entry.korean]
        parts.append("\n".join(blocks) + "\n")
    return "\n".join(parts)


# --- which cells, and whether a translation is current ------------------------------------
def is_parameters(cell) -> bool:
    return "parameters" in cell.get("metadata", {}).get("tags", [])


def translated_cells(nb) -> list[int]:
    """Indices of the cells that carry words to translate: markdown and the parameters cell."""
    return [k for k, cell in enumerate(nb.cells) if cell.cell_type == "markdown" or is_parameters(cell)]


def code_tokens(source: str) -> list[tuple[int, str]]:
    """The Python tokens of a cell without its comments and layout, LANGUAGE's value left
    out: what a parameters cell and its translation must share."""
    tokens = [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                tokenize.ENDMARKER)]
    for k in range(len(tokens) - 2):
        if tokens[k][1] == "LANGUAGE" and tokens[k + 1][1] == "=":
            tokens[k + 2] = (tokenize.STRING, "<language>")
    return tokens


def parameters_problem(english: str, korean: str) -> str | None:
    """Why a parameters cell's translation does not fit its English cell, or None."""
    if code_tokens(korean) != code_tokens(english):
        return "its code differs from the English parameters cell (translate the comments only)"
    if not re.search(r'^LANGUAGE\s*=\s*"ko"', korean, re.M):
        return 'it does not set LANGUAGE = "ko"'
    return None


def current(entries: list[Entry]) -> dict[str, str]:
    """English → Korean for the entries that are finished translations."""
    return {e.english: e.korean for e in entries if not e.todo and e.korean.strip()}


@dataclass
class Plan:
    """What translating one notebook found: the Korean notebook, the text file's new entries,
    and the cells without a current translation ((index, why) pairs)."""

    notebook: nbformat.NotebookNode
    entries: list[Entry]
    missing: list[tuple[int, str]] = field(default_factory=list)


def plan(english_nb, entries: list[Entry]) -> Plan:
    """The Korean notebook from the English one and the entries of its translation file.

    A cell without a current translation keeps its English words (the parameters cell
    with LANGUAGE = "ko"), and its entry is marked to translate: with the previous English
    (`was`) and Korean of the most similar unused entry when there is one.
    """
    korean = copy.deepcopy(english_nb)
    done, unused = current(entries), list(entries)
    new_entries, missing = [], []
    for k in translated_cells(english_nb):
        english = english_nb.cells[k].source.strip("\n")
        same = next((e for e in unused if e.english == english), None)
        why = None
        if same is not None and english in done and is_parameters(english_nb.cells[k]):
            why = parameters_problem(english, done[english])
        if same is not None and english in done and why is None:
            unused.remove(same)
            korean.cells[k].source = done[english]
            new_entries.append(Entry(english, same.korean, k))
            continue
        if same is not None:                     # still marked, or its code does not fit
            unused.remove(same)
            new_entries.append(Entry(english, same.korean, k, todo=True, was=same.was))
        else:
            before = max(unused, key=lambda e: difflib.SequenceMatcher(None, e.english, english).ratio(), default=None)
            similar = before and difflib.SequenceMatcher(None, before.english, english).ratio() > 0.5
            if similar:
                unused.remove(before)
                new_entries.append(Entry(english, before.korean, k, todo=True, was=before.was or before.english))
            else:
                new_entries.append(Entry(english, "", k, todo=True))
        why = why or ("not translated yet" if not new_entries[-1].korean else "its English changed since it was "
                      "translated" if new_entries[-1].was else "marked to translate")
        missing.append((k, why))
        if is_parameters(english_nb.cells[k]):
            korean.cells[k].source = LANGUAGE_LINE.sub(r'\1"ko"', english)
    return Plan(korean, new_entries, missing)


# --- the project's files --------------------------------------------------------------------
def text_file(project: Project, name: str) -> Path:
    return project.notebook_folder(LANGUAGE) / "text" / f"{name}.md"


def read_entries(project: Project, name: str) -> list[Entry]:
    path = text_file(project, name)
    return parse(path.read_text(encoding="utf-8")) if path.exists() else []


def plan_for(project: Project, name: str) -> Plan:
    return plan(nbformat.read(project.notebooks / f"{name}.ipynb", as_version=4), read_entries(project, name))


def describe(project: Project, name: str, plan_: Plan) -> list[str]:
    """One line per cell without a current translation: the notebook, the cell, why, and what to do."""
    english = nbformat.read(project.notebooks / f"{name}.ipynb", as_version=4)
    return [f"notebooks/{name}.py cell {k} ({'parameters' if is_parameters(english.cells[k]) else 'markdown'}: "
            f"{english.cells[k].source.strip().splitlines()[0][:60]!r}) has no current Korean translation: {why}. "
            f"Run `{REGENERATE}`, translate the entries marked '{TODO}' in "
            f"{text_file(project, name).relative_to(project.root)}, then run it again."
            for k, why in plan_.missing]


def cells_of(nb) -> list[tuple]:
    return [(c.cell_type, c.source.strip("\n"), c.get("metadata", {}).get("tags", [])) for c in nb.cells]


def stale_files(project: Project, name: str, plan_: Plan) -> list[str]:
    """The generated files of notebook `name` that differ from what `plan_` makes."""
    folder, wanted, stale = project.notebook_folder(LANGUAGE), cells_of(plan_.notebook), []
    for path, read in ((folder / f"{name}.ipynb", lambda p: nbformat.read(p, as_version=4)),
                       (folder / f"{name}.py", jupytext.read)):
        if not path.exists() or cells_of(read(path)) != wanted:
            stale.append(f"{path.relative_to(project.root)} is not what the English notebook and its translation make: "
                         f"run `{REGENERATE}`")
    return stale


def problems(project: Project, name: str) -> list[str]:
    """What keeps notebook `name`'s Korean twin from being current: the cells without a current
    translation or, when every cell has one, the generated files that are out of date."""
    plan_ = plan_for(project, name)
    return describe(project, name, plan_) or stale_files(project, name, plan_)


def write(project: Project, name: str) -> Plan:
    """Regenerate notebook `name`'s Korean twin (.ipynb and .py) and rewrite its text file."""
    plan_ = plan_for(project, name)
    folder = project.notebook_folder(LANGUAGE)
    text_file(project, name).parent.mkdir(parents=True, exist_ok=True)
    text_file(project, name).write_text(render(plan_.entries, name), encoding="utf-8")
    nbformat.write(plan_.notebook, folder / f"{name}.ipynb")
    jupytext.write(plan_.notebook, folder / f"{name}.py", fmt="py:percent")
    return plan_


def translate(project: Project, check: bool = False) -> list[str]:
    """Regenerate every Korean notebook (unless `check`) and return what still needs translating."""
    found = []
    for name in project.notebook_names():
        found += describe(project, name, write(project, name)) if not check else problems(project, name)
    extra = sorted(set(project.notebook_names(LANGUAGE)) - set(project.notebook_names()))
    found += [f"notebooks/{LANGUAGE}/{name}.ipynb has no English notebook: delete it" for name in extra]
    return found


def translated_pairs(project: Project, name: str) -> list[tuple[str, str, bool]]:
    """(English, Korean, whether it is the parameters cell) of every cell of notebook `name`
    that has a current translation, in cell order."""
    english = nbformat.read(project.notebooks / f"{name}.ipynb", as_version=4)
    done = current(read_entries(project, name))
    sources = [(english.cells[k].source.strip("\n"), is_parameters(english.cells[k])) for k in translated_cells(english)]
    return [(source, done[source], parameters) for source, parameters in sources if source in done]


# --- Korean particles after numbers -----------------------------------------------------------
# A particle's form depends on whether the word before it ends in a consonant (받침): 은/는,
# 이/가, 을/를, 과/와, 으로/로 (ㄹ takes 로). A number is read in Sino-Korean: 영 일 이 삼 사 오 육
# 칠 팔 구, 십 백 천 만 for trailing zeros; % is 퍼센트, %p 퍼센트포인트 (no final consonant).
PARTICLES = {"은": "는", "이": "가", "을": "를", "과": "와", "으로": "로"}
DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ", "9": ""}
NUMBER_PARTICLE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(%p|%)?(으로|은|는|이|가|을|를|과|와|로)(?![가-힣])")


def final_consonant(number: str, unit: str | None = None) -> str:
    """The final consonant of a number as Koreans read it ("" for none): "0.95" → "" (오),
    "20" → "ㅂ" (십), "1" → "ㄹ" (일); with a unit % or %p → "" (퍼센트)."""
    if unit:
        return ""
    digits = number.replace(",", "")
    if "." in digits:
        return DIGIT_FINAL[digits[-1]]
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped:
        return "ㅇ"                                               # 영
    if zeros == 0:
        return DIGIT_FINAL[stripped[-1]]
    return {1: "ㅂ", 2: "ㄱ", 3: "ㄴ"}.get(zeros, "ㄴ" if zeros < 8 else "ㄱ")     # 십 백 천, 만, 억


def particle_problems(text: str) -> list[str]:
    """Particles after numbers in the wrong form: "0.95은" (read 영점구오: "0.95는")."""
    found = []
    for number, unit, particle in NUMBER_PARTICLE.findall(text):
        final = final_consonant(number, unit)
        without = {v: k for k, v in PARTICLES.items()}
        if particle == "로" or particle == "으로":
            right = "로" if final in ("", "ㄹ") else "으로"
        else:
            pair = (particle, PARTICLES[particle]) if particle in PARTICLES else (without[particle], particle)
            right = pair[0] if final else pair[1]
        if particle != right:
            found.append(f"{number}{unit}{particle} → {number}{unit}{right}")
    return found


# --- the library's messages -------------------------------------------------------------------
GETTEXT = ("_", "gettext", "N_")


def messages_in(source: str) -> list[str]:
    """The messages a Python source hands to the catalogue: the literal strings it passes to
    `_` / `gettext` / `N_`, and the string defaults of the parameters its functions pass to
    `_` by name (a figure's default title). In the order found, each once."""
    import ast

    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(first.value)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = node.args.posonlyargs + node.args.args
            defaults = dict(zip([a.arg for a in positional[len(positional) - len(node.args.defaults):]],
                                node.args.defaults))
            defaults |= {a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None}
            texts = {name: d.value for name, d in defaults.items()
                     if isinstance(d, ast.Constant) and isinstance(d.value, str)}
            for call in ast.walk(node):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in GETTEXT
                        and call.args and isinstance(call.args[0], ast.Name) and call.args[0].id in texts):
                    found.append(texts[call.args[0].id])
    return list(dict.fromkeys(text for text in found if text.strip()))


def project_messages(project: Project, package: Path) -> dict[str, list[str]]:
    """Every message of the library (`package`, clipviz/) and of the English notebooks: {message: [files]}."""
    where: dict[str, list[str]] = {}
    paths = sorted(package.rglob("*.py")) + sorted(project.notebooks.glob("*.py"))
    for path in paths:
        for message in messages_in(path.read_text(encoding="utf-8")):
            where.setdefault(message, []).append(path.name)
    return where


# --- markdown emphasis next to Hangul ---------------------------------------------------------
EMPHASIS = re.compile(r"(?<!\*)(\*\*|\*)(?![\s*])(.+?)(?<![\s*])\1(?!\*)")


def _punctuation(char: str) -> bool:
    import unicodedata

    return unicodedata.category(char)[0] in "PS"


def emphasis_problems(text: str) -> list[str]:
    """`**bold**` and `*italic*` spans that CommonMark will not render: a delimiter next to
    punctuation inside must have a space or punctuation outside, so "**(held-out)**이" stays
    literal, where "**처음 보는 조합**(held-out)" works. Korean particles follow words directly,
    so put the punctuation outside the emphasis."""
    found = []
    for line in text.splitlines():
        for match in EMPHASIS.finditer(line):
            start, end, inner = match.start(), match.end(), match.group(2)
            before = line[start - 1] if start else " "
            after = line[end] if end < len(line) else " "
            if _punctuation(inner[0]) and not (before.isspace() or _punctuation(before)):
                found.append(f"will not open: {line[max(0, start - 3):end + 3]!r}")
            if _punctuation(inner[-1]) and not (after.isspace() or _punctuation(after)):
                found.append(f"will not close: {line[max(0, start - 3):end + 3]!r}")
    return found

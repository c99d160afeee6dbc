"""The language clipviz speaks in a notebook: English or Korean, set once.

    import clipviz
    clipviz.set_language("ko")                  # a notebook's LANGUAGE parameter does this
    from clipviz.language import _
    _("{n} training pairs", n=20000)            # → "학습 쌍 20000개"; in English the message itself

Everything a reader sees passes through here: the sentences the notebooks and the library
print (`_`), the verdicts of `clipviz.stats`, the titles, labels and legends of the figures,
and the headers of the tables a notebook displays (`translated`; with Korean set, IPython
shows every DataFrame and Series through it, so the data keep their English column names
and the code that reads them stays the same in both languages).

The words are data, next to this file:
    glossary.json       the presentation's terms (대조학습, 온도 파라미터 τ, 제로샷, …) and the
                        world's names (원, 정사각형, 십자 모양, 회화풍, …), in both languages
    messages.ko.json    every message in English (the key) and Korean: "messages" are
                        sentences passed to `_` in code, "labels" the words found in tables
                        and legends (column names, split and attribute names)
A message without a Korean entry is shown in English and remembered (`untranslated`), so a
test can list what is missing.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

LANGUAGES = ("en", "ko")
_state = {"language": "en"}
_missing: set[str] = set()
HANGUL = re.compile("[가-힣]")


def check(lang: str) -> str:
    """`lang` if it is one of LANGUAGES; a one-line error otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {lang!r}")
    return lang


def set_language(lang: str) -> str:
    """Set the language of everything clipviz shows from now on ("en" or "ko").

    In IPython with "ko", DataFrames and Series are also displayed with translated headers
    (`translated`); with "en" that display hook is removed again.

    Returns:
        The language set.
    """
    _state["language"] = check(lang)
    _table_display(lang != "en")
    return lang


def get_language() -> str:
    """The language set by `set_language` ("en" until then)."""
    return _state["language"]


# --- the catalogues ------------------------------------------------------------------
def _read(name: str) -> dict:
    return json.loads((resources.files(__package__) / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def glossary() -> dict:
    """glossary.json: {"terms": [{"en", "ko", …}, …], "world": {kind: {english: korean}}}."""
    return _read("glossary.json")


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """English → `lang` for every message and label: the glossary's terms and world names
    first, then messages.<lang>.json's labels and messages (which win where both have a word)."""
    if check(lang) == "en":
        return {}
    words = {term["en"]: term["ko"] for term in glossary()["terms"]}
    for names in glossary()["world"].values():         # shapes, colours, styles, …
        words |= names
    messages = _read(f"messages.{lang}.json")
    return words | messages["labels"] | messages["messages"]


@lru_cache(maxsize=None)
def patterns(lang: str) -> list[tuple[re.Pattern, str]]:
    """The labels with fields, e.g. "gap ({a} − {b})" → "격차 ({a} − {b})", as anchored
    regular expressions (longest first) for the labels built from data ("gap (dark − light)")."""
    found = []
    for english, words in _read(f"messages.{check(lang)}.json")["labels"].items():
        if "{" in english:
            parts = re.split(r"\{(\w+)\}", english)          # text, field, text, field, …
            regex = "".join(re.escape(part) if k % 2 == 0 else f"(?P<{part}>.+?)" for k, part in enumerate(parts))
            found.append((re.compile(regex), words))
    return sorted(found, key=lambda pattern: -len(pattern[0].pattern))


def _by_pattern(text: str, lang: str) -> str | None:
    """`text` translated by the first label pattern it matches whole (its fields translated as
    labels too); None when none matches."""
    for regex, words in patterns(lang):
        matched = regex.fullmatch(text)
        if matched:
            return words.format(**{k: lookup(v, lang, remember=False) for k, v in matched.groupdict().items()})
    return None


def lookup(text: str, lang: str | None = None, remember: bool = True) -> str:
    """`text` in `lang` (default: the language set), or `text` itself when the catalogue has
    no entry; with `remember`, a missing entry is noted for `untranslated`."""
    lang = check(lang or get_language())
    if lang == "en" or not isinstance(text, str) or HANGUL.search(text):      # already in Korean
        return text
    found = catalogue(lang).get(text)
    if found is None:
        found = _by_pattern(text, lang)
    if found is None and remember and text.strip():
        _missing.add(text)
    return text if found is None else found


def gettext(message: str, lang: str | None = None, **values) -> str:
    """A message in the language set, filled in with `values` (str.format's fields).

    The values are put in as they are: a word among them that should be translated too
    ("held-out", "colour") is passed through `_` by the caller, while names from the data
    (a column, a caption, a model) stay as they are. Without values the message is returned
    unformatted (its braces untouched).

    Args:
        message: the English text, the catalogue's key, e.g. "{n} training pairs".
        lang: "en" or "ko"; default the language set by `set_language`.
    """
    text = lookup(message, lang)
    return text.format(**values) if values else text


_ = gettext


def label(word) -> str:
    """A word from the data (a column, a split, a style, a group) in the language set; the
    word itself when the catalogue has none (a caption, a model's name). Not remembered as
    missing: most data words are names."""
    return lookup(str(word), remember=False)


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it now (gettext's convention):
    for messages kept in tables and passed to `_` later."""
    return message


def untranslated() -> list[str]:
    """The messages looked up in this process that have no entry in their catalogue."""
    return sorted(_missing)


# --- numbers -----------------------------------------------------------------------
def signed_points(x: float, digits: int = 1) -> str:
    """A difference of two proportions in points, signed, without a unit: "+3.2"; one more
    digit where rounding would write a difference that is not 0 as ±0 (a bound just above 0: "+0.04")."""
    text = f"{100 * x:+.{digits}f}"
    return f"{100 * x:+.{digits + 1}f}" if float(text) == 0 and round(100 * x, digits + 1) != 0 else text


def points(x: float, digits: int = 1, lang: str | None = None) -> str:
    """A difference of two proportions in percentage points, signed: "+3.2 pt" in English,
    "+3.2%p" in Korean (퍼센트포인트, the Korean convention for a difference of percentages)."""
    return signed_points(x, digits) + ("%p" if (lang or get_language()) == "ko" else " pt")


# --- tables --------------------------------------------------------------------------
def _labels(index, lang: str):
    """An index with its labels (and its names) translated; MultiIndex levels one by one."""
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        levels = [_labels(level, lang) for level in index.levels]
        levels = [shown if shown.is_unique else level for shown, level in zip(levels, index.levels)]  # two words, one translation
        return index.set_levels(levels).set_names([lookup(n, lang, remember=False) for n in index.names])
    renamed = index.map(lambda label: lookup(label, lang, remember=False))
    return renamed.rename(lookup(index.name, lang, remember=False))


def translated(table, lang: str | None = None):
    """A copy of a DataFrame or Series whose column and index labels (and their names) are in
    `lang`; the values are untouched. The identity in English."""
    import pandas as pd

    lang = check(lang or get_language())
    if lang == "en":
        return table
    shown = table.copy()
    shown.index = _labels(shown.index, lang)
    if isinstance(shown, pd.DataFrame):
        shown.columns = _labels(shown.columns, lang)
    else:
        shown.name = lookup(shown.name, lang, remember=False)
    return shown


def _table_display(on: bool) -> None:
    """Show DataFrames and Series through `translated` in IPython (on), or as pandas does (off)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import pandas as pd

    html, plain = (shell.display_formatter.formatters[kind] for kind in ("text/html", "text/plain"))
    for kind in (pd.DataFrame, pd.Series):
        if on:
            plain.for_type(kind, lambda table, printer, cycle: printer.text(repr(translated(table))))
        else:
            plain.pop(kind, None)
    if on:
        html.for_type(pd.DataFrame, lambda table: translated(table)._repr_html_())
    else:
        html.pop(pd.DataFrame, None)

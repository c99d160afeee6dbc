"""The library speaks English and Korean: messages from one catalogue with English as the
key, verdicts with %p, tables shown with translated headers, and every message the code
hands to the catalogue translated."""

import ast
import json
import re
import string
from pathlib import Path

import pandas as pd
import pytest

import clipviz
from clipviz import language
from clipviz.language import _, lookup, points, set_language, translated
from clipviz.stats import comparison, verdict
from clipviz.teaching import translation
from clipviz.teaching.classroom import Project

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "clipviz"
MESSAGES = json.loads((PACKAGE / "language" / "messages.ko.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")


def fields(text: str) -> list[str]:
    return sorted({name for _text, name, _spec, _conversion in string.Formatter().parse(text) if name})


# --- the function ---------------------------------------------------------------------------
def test_a_message_is_korean_once_the_language_is_set_and_english_by_default():
    assert _("{n} training pairs; held-out compositions: {names}", n=3, names="x") == \
        "3 training pairs; held-out compositions: x"
    clipviz.set_language("ko")
    assert _("{n} training pairs; held-out compositions: {names}", n=3, names="x") == "학습 쌍 3개; 처음 보는 조합: x"
    assert _("helps", "en") == "helps"                       # an explicit language wins over the one set


def test_a_message_without_korean_falls_back_to_english_and_is_remembered():
    set_language("ko")
    assert _("a sentence nobody translated {x}", x=1) == "a sentence nobody translated 1"
    assert "a sentence nobody translated {x}" in language.untranslated()
    assert _("이미 한국어") == "이미 한국어" and "이미 한국어" not in language.untranslated()


def test_an_unknown_language_is_refused_in_one_line():
    with pytest.raises(ValueError, match="language must be one of"):
        set_language("fr")


def test_labels_built_from_data_are_translated_by_their_pattern_fields_included():
    assert lookup("gap (dark − light)", "ko") == "격차 (어두운 배경 − 밝은 배경)"
    assert lookup("6 classes present, long-tailed (10x): adjusted to the EM prior", "ko") \
        == "이미지에 있는 클래스 6개만, 롱테일 (10배): EM 사전 확률에 맞춤"
    assert lookup("20,000 pairs", "ko") == "20,000쌍"
    assert lookup("shapes-cnn-tiny", "ko") == "shapes-cnn-tiny"            # a name: as it is


# --- numbers and verdicts ---------------------------------------------------------------------
def test_a_difference_of_percentages_is_written_with_percentage_points_in_korean():
    assert points(0.032, lang="en") == "+3.2 pt" and points(-0.032, lang="ko") == "-3.2%p"
    # a difference that is not 0 is never written ±0.0: one more digit
    assert points(0.0004, lang="en") == "+0.04 pt" and points(-0.0003, lang="ko") == "-0.03%p"
    assert points(0.0, lang="en") == "+0.0 pt" and points(0.00004, lang="en") == "+0.0 pt"


def test_verdicts_in_both_languages_follow_the_interval():
    assert verdict(0.032, 0.01, 0.051) == "helps: +3.2 pt [+1.0 pt, +5.1 pt], the interval lies above 0"
    assert verdict(0.032, 0.01, 0.051, lang="ko") == "도움이 됨: +3.2%p [+1.0%p, +5.1%p], 구간이 0보다 위에 있음"
    assert verdict(0.01, -0.01, 0.03, lang="ko").startswith("측정할 수 있는 차이 없음")
    set_language("ko")
    assert verdict(-0.02, -0.03, -0.01, _("more robust"), _("less robust")).startswith("덜 강건함: -2.0%p")
    effect = comparison([1, 1, 0, 1], [0, 1, 0, 0])
    assert effect["verdict"].startswith(("도움이 됨", "측정할 수 있는 차이 없음")) and "%p" in effect["verdict"]


def test_published_numbers_are_read_in_the_language_set():
    from clipviz.references import PAPER

    assert PAPER["photo_template_vs_bare"] == "+1.3 pt"
    set_language("ko")
    assert PAPER["photo_template_vs_bare"] == "+1.3%p" and "FairFace 이미지" in PAPER["fairface"]


# --- tables -----------------------------------------------------------------------------------
def audit_like_table() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([("control", "L1: + harmful", "dark"), ("control", "L1: + harmful",
                                                                              "gap (dark − light)")],
                                      names=["model", "label set", "row"])
    return pd.DataFrame({"accuracy": [0.9, 0.1], "harmful rate": [0.2, 0.05]}, index=index)


def test_a_table_keeps_its_values_and_its_english_keys_and_shows_korean_headers():
    table = audit_like_table()
    assert translated(table, "en") is table
    shown = translated(table, "ko")
    assert list(shown.columns) == ["정확도", "유해 라벨 비율"] and list(shown.index.names) == ["모델", "라벨 집합", "행"]
    assert shown.index[1] == ("대조군", "L1: + 유해 라벨", "격차 (어두운 배경 − 밝은 배경)")
    assert (shown.to_numpy() == table.to_numpy()).all() and list(table.columns) == ["accuracy", "harmful rate"]
    series = translated(pd.Series({"as trained": 0.5}, name="zero-shot top-1"), "ko")
    assert series.name == "제로샷 top-1" and list(series.index) == ["학습된 그대로"]


def test_ipython_shows_tables_with_korean_headers_only_while_korean_is_set():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    table = audit_like_table()
    set_language("ko")
    assert "유해 라벨 비율" in shell.display_formatter.format(table)[0]["text/html"]
    assert "정확도" in shell.display_formatter.format(table["accuracy"])[0]["text/plain"]
    set_language("en")
    assert "harmful rate" in shell.display_formatter.format(table)[0]["text/html"]


def test_a_notebook_that_imports_underscore_keeps_it_after_a_cell_shows_a_value():
    """IPython stores each shown value in `_` unless the user bound `_` (gettext's convention)."""
    import nbformat
    from nbclient import NotebookClient

    cells = ["from clipviz.language import _, set_language\nset_language('ko')", "1 + 1",
             "import pandas as pd\npd.DataFrame({'accuracy': [1.0]})", "print(_('helps'))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    assert nb.cells[3].outputs[0]["text"].strip() == "도움이 됨"
    assert "정확도" in nb.cells[2].outputs[0]["data"]["text/html"]


# --- the catalogue ----------------------------------------------------------------------------------
def test_every_message_in_the_code_and_the_notebooks_has_a_korean_translation():
    """Lists what lacks Korean: add it to clipviz/language/messages.ko.json ("messages")."""
    found = translation.project_messages(Project(ROOT), PACKAGE)
    korean = language.catalogue("ko")
    missing = [f"{message!r} ({', '.join(files)})" for message, files in found.items() if message not in korean]
    assert missing == []


def test_the_catalogue_holds_no_message_the_code_no_longer_says():
    found = translation.project_messages(Project(ROOT), PACKAGE)
    assert [m for m in MESSAGES["messages"] if m not in found] == []


def test_the_data_words_the_notebooks_show_are_labels_of_the_catalogue():
    """Words that reach the tables and figures from data, not from a literal in code."""
    from clipviz.analysis import audit
    from clipviz.analysis.prompt_effects import CONTROLS, EFFECTS
    from clipviz.world import NAME_STYLES, STYLES
    from clipviz.world.vocabulary import BACKGROUNDS, COLOURS, SHAPES

    words = [*EFFECTS, *CONTROLS, *NAME_STYLES, *STYLES, *SHAPES, *COLOURS, *BACKGROUNDS, "seen", "held-out",
             "test", "attributes", "objects", "grad-cam", "attention relevance", "control", "biased captions",
             *(s.name for s in audit.standard_label_sets(["circle"]))]
    korean = language.catalogue("ko")
    assert [w for w in words if w not in korean] == []


def test_every_translation_keeps_the_fields_of_its_english_and_no_particle_follows_a_field():
    problems = []
    for section in ("messages", "labels"):
        for english, korean in MESSAGES[section].items():
            if fields(english) != fields(korean):
                problems.append(f"fields differ: {english!r} → {korean!r}")
            single = korean.replace("{{", "").replace("}}", "")
            if re.search(r"\}(으로|은|는|이|가|을|를|과|와|로)(?![가-힣])", single):
                problems.append(f"a particle after a field (its form depends on the value): {korean!r}")
            problems += [f"{korean!r}: {p}" for p in translation.particle_problems(korean)]
    assert problems == []


def test_no_module_or_notebook_that_imports_underscore_also_binds_it():
    """`model, _, tokenizer = …` in a notebook or a function that also calls `_()` would break it."""
    problems = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "notebooks").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.ImportFrom) and any(a.name == "_" for a in n.names) for n in ast.walk(tree)):
            problems += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
                         if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)]
    assert problems == []


# --- the glossary ----------------------------------------------------------------------------------
def test_the_glossary_names_the_world_as_its_captions_do():
    from clipviz.world.vocabulary import KOREAN

    world = language.glossary()["world"]
    for kind in ("shapes", "styles"):
        assert {k: KOREAN[k] for k in world[kind]} == world[kind], kind
    assert world["shapes"]["cross"] == "십자 모양" and world["styles"]["painted"] == "회화풍"


def test_the_glossary_has_the_presentations_terms_once_each():
    terms = language.glossary()["terms"]
    english = [t["en"] for t in terms]
    assert len(english) == len(set(english))
    by_english = {t["en"]: t["ko"] for t in terms}
    for en, ko in {"contrastive learning": "대조학습", "temperature": "온도 파라미터 τ", "zero-shot": "제로샷",
                   "joint embedding space": "공동 임베딩 공간", "prompt engineering": "프롬프트 엔지니어링",
                   "two towers": "2-타워", "cosine similarity": "코사인 유사도", "fine-tuning": "파인튜닝",
                   "domain generalization": "도메인 일반화"}.items():
        assert by_english[en] == ko


# --- figures ----------------------------------------------------------------------------------------
def words_of(fig) -> str:
    """Every text a figure shows: titles, axis labels, ticks, legends, free text."""
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() + ax.texts]
        legend = ax.get_legend()
        if legend:
            texts += [legend.get_title().get_text()] + [t.get_text() for t in legend.get_texts()]
    return "\n".join(texts)


def test_the_figures_speak_the_language_set():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from clipviz.evaluation.metrics import reliability_table
    from clipviz.teaching import viz

    rng = np.random.default_rng(0)
    history = pd.DataFrame({"step": range(20), "loss": rng.random(20), "temperature": rng.random(20),
                            "acc_i2t": rng.random(20), "acc_t2i": rng.random(20)})
    probs = rng.dirichlet(np.ones(4), 200)
    effects = pd.DataFrame({"delta": [0.02], "low": [0.01], "high": [0.03]}, index=["OpenAI's 80"])
    drawings = {
        "training_curves": (lambda: viz.training_curves(history), ["대조 손실", "스텝", "이미지 → 텍스트"]),
        "grouped_bars": (lambda: viz.grouped_bars(pd.DataFrame({"seen": [0.9], "held-out": [0.5]}, index=["acc1"])),
                         ["학습 때 본 조합", "처음 보는 조합", "top-1 정확도", "정확도"]),
        "rate_bars": (lambda: viz.rate_bars(audit_like_table().assign(low=0.0, high=0.3)),
                      ["유해 라벨 비율", "대조군", "집단", "어두운 배경", "L1: + 유해 라벨"]),
        "paired_effects": (lambda: viz.paired_effects(effects), ["OpenAI의 80개", "top-1 차이 (%p)"]),
        "reliability": (lambda: viz.reliability_diagram({"fixed scale 100": reliability_table(probs, rng.integers(0, 4, 200))}),
                        ["고정 스케일 100", "신뢰도 다이어그램", "확신도 (최대 확률)", "정확도"]),
        "interval_bars": (lambda: viz.interval_bars(pd.DataFrame({"value": [0.4], "low": [0.3], "high": [0.5]},
                                                                  index=["blind (text only)"]), chance=0.5),
                          ["눈먼 기준선 (텍스트만)", "우연 수준 (0.50)", "정확도"]),
        "wise_ft": (lambda: viz.wise_ft(pd.DataFrame({"alpha": [0.0, 1.0], "id": [0.5, 0.9], "ood": [0.4, 0.3]})),
                    ["제로샷 (α = 0)", "분포 내 스타일의 top-1"]),
        "two_towers": (lambda: viz.two_tower_diagram("ko"), ["이미지 인코더\n(ResNet 또는 ViT)", "대각선 = 정답 쌍"]),
    }
    set_language("ko")
    for name, (draw, expected) in drawings.items():
        fig = draw()
        shown = words_of(fig)
        plt.close(fig)
        assert [e for e in expected if e not in shown] == [], name
    set_language("en")
    fig = viz.training_curves(history)
    assert "contrastive loss" in words_of(fig) and "대조" not in words_of(fig)
    plt.close(fig)
    assert "image encoder" in words_of(viz.two_tower_diagram("en"))      # the talk's English deck, whatever is set

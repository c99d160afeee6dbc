"""The talk: an overview deck that follows the presentation's own outline (introduction,
TL;DR, how CLIP works, the zero-shot recipe, strengths, caveats, practical tips), each
claim on its slide with what the notebooks measured for it, in English and in Korean.

Numbers come from the benchmark JSON in benchmarks/results/, figures from the executed
notebooks (the cells tagged `talk:<key>`), the diagram and the loss are drawn here; every
slide links to the notebook section that measures its claim. `python -m clipviz.classroom
slides` writes the decks next to the notebooks' slides (talk.en.slides.html, talk.ko.slides.html).
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .classroom import ROOT
from .classroom import TALK_LANGUAGES as LANGUAGES
from .stats import side_of_zero

RESULTS = ROOT / "benchmarks" / "results"
SWEEP = Path(__file__).parent / "results" / "data_size_sweep.json"   # notebook 01 §7's stored sweep

NOTEBOOK = {1: "01_train_clip_on_a_subset", 2: "02_joint_embedding_umap", 3: "03_prompt_sensitivity",
            4: "04_bias_audit", 5: "05_transfer_and_robustness", 6: "06_what_clip_sees"}


# --- numbers ----------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def points(x: float) -> str:
    return f"{100 * x:+.1f} pt"


def interval(ci) -> str:
    return f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}] pt"


def direction(ci) -> str:
    """How a measured difference (95 % interval) stands against a positive paper effect."""
    return {"above": "same", "below": "reversed", "covers": "unresolved"}[side_of_zero(*ci)]


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the talk reads its numbers from the benchmarks "
                                f"(python benchmarks/bench_{name}.py writes it)")
    return json.loads(path.read_text())


def facts() -> dict:
    """Every number the talk states, formatted, keyed by name (from benchmarks/results/)."""
    prompts, transfer, limits = load("prompts"), load("transfer"), load("limits")
    timing, train = load("time_to_accuracy"), load("train")
    default, effects, bias = prompts["default_model"], prompts["effects"], prompts["bias"]
    robust = transfer["effective_robustness"]["zero_shot"]
    fp32_speed = next(r for r in train["rows"] if r["model"] == "shapes-cnn-tiny" and r["precision"] == "fp32")
    word = limits["word_order"]
    found = {
        "seen": pct(default["seen_acc1"]), "heldout": pct(default["heldout_acc1"]),
        "train_seconds": f"{default['train_seconds']:.0f}",
        "seconds_to_95": f"{timing['summary']['fp32']['median_train_seconds']:.0f}",
        "speedup": f"{fp32_speed['ratio']:.1f}", "ln_b": f"{math.log(train['batch_size']):.2f}",
        "batch": str(train["batch_size"]),
        "robustness": points(robust["value"]), "robustness_ci": interval(robust["ci"]),
        "shots": f"{transfer['effective_shots']:.1f}",
        "ft_id": points(transfer["finetune"]["id_delta"]), "ft_ood": points(transfer["finetune"]["ood_delta"]),
        "diversity": f"{100 * transfer['style_diversity']['multi_minus_single']['value']:.1f} pt",
        "biased_gap": points(bias["biased_gap"]["value"]), "biased_ci": interval(bias["biased_gap"]["ci"]),
        "control_gap": points(bias["control_gap"]["value"]), "control_ci": interval(bias["control_gap"]["ci"]),
        "pointing": pct(limits["pointing_game"]["value"]), "pointing_random": pct(limits["pointing_game"]["random"]),
        "iou": f"{limits['pointing_game']['iou']:.2f}", "iou_random": f"{limits['pointing_game']['random_iou']:.2f}",
        "counting": pct(limits["counting"]["acc1"]), "counting_chance": pct(limits["counting"]["chance"]),
        "word_order": pct(word["base"]["value"]), "negclip": pct(word["hard_negatives"]["value"]),
        "typo_clean": pct(limits["typographic"]["clean_acc1"]),
        "typo_attacked": pct(limits["typographic"]["attacked_acc1"]),
    }
    sweep = json.loads(SWEEP.read_text())["table"]      # {"1,000 pairs": {"seen": .., "held-out": ..}, ..}
    found["sweep_sizes"] = ", ".join(size.split()[0] for size in sweep)
    found["sweep_seen"] = " → ".join(pct(row["seen"]) for row in sweep.values())
    found["sweep_heldout"] = " → ".join(pct(row["held-out"]) for row in sweep.values())
    for key, effect in effects.items():
        found[key] = points(effect["delta"])
        found[f"{key}_ci"] = interval(effect["ci"])
        found[f"{key}_paper"] = effect["paper"]
        found[f"{key}_direction"] = direction(effect["ci"])
    return found


# --- figures ----------------------------------------------------------------------
def png_of(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def notebook_figure(number: int, key: str) -> str | None:
    """The PNG (base64) the executed notebook drew in its cell tagged `talk:<key>`; None when
    that cell drew nothing (a section the notebook's data could not run)."""
    from .classroom import executed

    nb, _ = executed(NOTEBOOK[number])
    cell = next((c for c in nb.cells if f"talk:{key}" in c.metadata.get("tags", [])), None)
    if cell is None:
        raise KeyError(f"no cell tagged talk:{key} in notebook {NOTEBOOK[number]}")
    return next((o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})), None)


def drawn_figure(name: str, language: str) -> str:
    from . import viz

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

DIRECTION = {"en": {"same": "the paper's direction", "reversed": "reversed against the paper",
                    "unresolved": "not resolved (the interval holds 0)"},
             "ko": {"same": "논문과 같은 방향", "reversed": "논문과 반대 방향", "unresolved": "판정 불가 (구간이 0을 포함)"}}

TEXT = {
    "en": {
        "title": ("CLIP, measured",
                  "*Learning Transferable Visual Models From Natural Language Supervision* (Radford et al., 2021)\n\n"
                  "Every claim of the talk is measured in the clipviz notebooks on ShapesWorld, a world of "
                  "coloured shapes small enough to train CLIP on a laptop CPU. Paper numbers are marked as the paper's."),
        "introduction": ("Introduction",
                         "- CLIP learns one embedding space for images and text from captions alone, with no class labels "
                         "(the paper: 400 M web image–caption pairs).\n"
                         "- Here: our default model reaches **{seen}** zero-shot top-1 on seen colour–shape compositions and "
                         "**{heldout}** on compositions it never saw, after {train_seconds} s of training on 2 CPU cores."),
        "tldr": ("TL;DR",
                 "- **Two towers**: an image encoder (ResNet or ViT) and a text Transformer map into one space.\n"
                 "- **Symmetric contrastive loss** over the batch: an untrained model starts at ln B = {ln_b} "
                 "(B = {batch}); ours reaches 95 % seen zero-shot in a median {seconds_to_95} s.\n"
                 "- **Zero-shot**: class names become sentences; the most similar sentence wins "
                 "({heldout} on unseen compositions).\n"
                 "- **Robustness**: under a change of drawing style, zero-shot accuracy lies **{robustness}** "
                 "{robustness_ci} above the trend of supervised models (effective robustness)."),
        "two_towers": ("How CLIP works: two towers, one space",
                       "Both encoders end in a linear projection to the same width; features are normalised, so the "
                       "dot product is the cosine similarity."),
        "loss": ("The loss: symmetric cross-entropy with a learned temperature",
                 "Each image must pick its caption among the batch's B captions, and each caption its image. "
                 "The temperature τ is learned; an untrained model scores every caption alike, so the loss starts "
                 "near ln B = {ln_b}."),
        "training": ("Training lights up the diagonal",
                     "After training, each image is closest to its own caption. clipviz trains {speedup}× faster than "
                     "open_clip's own training loop on the same tiny model."),
        "recipe": ("The zero-shot recipe",
                   "1. Take the label set.  2. Write each label into prompt templates (\"a photo of a {{}}\").  "
                   "3. Embed all sentences once.  4. Predict the label with the highest cosine similarity.  "
                   "5. Optionally average several templates.\n\n"
                   "Each template alone gives a different accuracy on the unseen compositions:"),
        "labels": ("Strength: labels are optional",
                   "Zero-shot matches a linear probe trained on **{shots}** labelled images per class (median over "
                   "the five styles). *The paper: 5.4 per class, median over 20 data sets.*"),
        "robustness": ("Strength: robust under distribution shift",
                       "Zero-shot lies **{robustness}** {robustness_ci} above the supervised models' trend. Fine-tuning "
                       "on the in-distribution style: {ft_id} there, {ft_ood} under shift. Trained on one style only, the "
                       "same recipe's effective robustness is {diversity} lower: the data's diversity makes it. "
                       "*The paper: zero-shot CLIP shrinks the robustness gap by up to 75 %.*"),
        "scale": ("Strength: more data, better transfer",
                  "The same recipe trained on {sweep_sizes} pairs: zero-shot top-1 on seen compositions "
                  "{sweep_seen}, on compositions never seen {sweep_heldout}. *The paper: zero-shot error falls "
                  "smoothly, log-log linearly, over a 44× range of model compute (Fig. 9).*"),
        "bias": ("Caveat: bias is learned from the data",
                 "A model trained on captions where one group co-occurs with a harmful word labels that group harmfully "
                 "**{biased_gap}** {biased_ci} more often; the control trained on balanced captions: {control_gap} "
                 "{control_ci}."),
        "prompts": ("Caveat: prompts matter — and not always as in the paper",
                    "- \"a photo of a {{}}\" vs the bare name: **{photo_template_vs_bare}** "
                    "{photo_template_vs_bare_ci} — {photo_template_vs_bare_direction} "
                    "(*paper: {photo_template_vs_bare_paper}*).\n"
                    "- 80-template ensemble vs one template: **{ensemble80_vs_photo_template}** "
                    "{ensemble80_vs_photo_template_ci} — {ensemble80_vs_photo_template_direction} "
                    "(*paper: {ensemble80_vs_photo_template_paper}*).\n"
                    "- Descriptive class names: **{descriptive_vs_bare_polysemous}** "
                    "{descriptive_vs_bare_polysemous_ci} — {descriptive_vs_bare_polysemous_direction} "
                    "(*paper: {descriptive_vs_bare_polysemous_paper}*)."),
        "localisation": ("Caveat: where does it look?",
                         "Grad-CAM's strongest cell lands on the named object in **{pointing}** of scenes (random maps: "
                         "{pointing_random}) — but its overlap with the object's mask is an IoU of {iou} (random maps: "
                         "{iou_random}): CLIP points, it does not segment."),
        "composition": ("Caveat: composition, counting and reading",
                        "- Word order: the caption with objects swapped is rejected in only **{word_order}** of pairs "
                        "(chance 50 %); training with hard negatives (NegCLIP): {negclip}.\n"
                        "- Counting: {counting} (chance {counting_chance}).\n"
                        "- Reading beats seeing: a model that learned written words drops from {typo_clean} to "
                        "**{typo_attacked}** when another shape's name is written on the object."),
        "tips": ("Practical tips",
                 "- **Ensembles**: measure before relying on them — here 80 templates moved top-1 by "
                 "{ensemble80_vs_photo_template}.\n"
                 "- **Class names**: write them as the captions did; descriptions moved top-1 by "
                 "{descriptive_vs_bare_polysemous}.\n"
                 "- **Languages**: a model trained on English captions reads Korean as byte pieces (notebook 03 §5).\n"
                 "- **Post-processing**: temperature scaling calibrates the probabilities:"),
        "next": ("Try it yourself",
                 "Each claim above has its notebook; run them in JupyterLab (`make lab`) on the embedded world or "
                 "with your own OpenCLIP model and images.\n\n{notebooks}"),
        "link": "measured in notebook {number} §{section}",
        "missing": "(this figure needs data the notebook's run did not have)",
    },
    "ko": {
        "title": ("숫자로 보는 CLIP",
                  "*Learning Transferable Visual Models From Natural Language Supervision* (Radford 외, 2021)\n\n"
                  "이 발표의 모든 주장은 clipviz 노트북에서 직접 측정했습니다. 실험 무대는 ShapesWorld로, 노트북 PC의 "
                  "CPU로도 CLIP을 학습할 수 있을 만큼 작은 색깔 도형들의 세계입니다. 논문의 수치는 ‘논문’이라고 따로 표시했습니다."),
        "introduction": ("들어가며",
                         "- CLIP은 클래스 라벨 없이 캡션만으로 이미지와 텍스트가 함께 놓이는 하나의 임베딩 공간을 "
                         "학습합니다 (논문: 웹에서 모은 이미지–캡션 쌍 4억 개).\n"
                         "- 여기서는 기본 모델을 CPU 2코어로 {train_seconds}초 학습한 결과, 학습 때 본 색–도형 조합에서 "
                         "제로샷 top-1 **{seen}**, 한 번도 보지 못한 조합에서 **{heldout}**를 기록했습니다."),
        "tldr": ("한 장 요약",
                 "- **2-타워 구조**: 이미지 인코더(ResNet 또는 ViT)와 텍스트 Transformer가 각 입력을 같은 공간에 임베딩합니다.\n"
                 "- **대칭 대조 손실**(배치 단위): 학습 전 손실은 ln B = {ln_b} (B = {batch})에서 출발하고, "
                 "학습 때 본 조합에서 제로샷 95 %에 도달하기까지 중앙값 {seconds_to_95}초가 걸립니다.\n"
                 "- **제로샷**: 클래스 이름을 문장으로 바꾸고, 가장 비슷한 문장을 고릅니다 "
                 "(처음 보는 조합에서 {heldout}).\n"
                 "- **강건성**: 그림 스타일이 바뀌어도 제로샷 정확도는 지도학습 모델들의 추세선보다 "
                 "**{robustness}** {robustness_ci} 높습니다 (유효 강건성)."),
        "two_towers": ("CLIP의 작동 방식: 두 개의 타워, 하나의 공간",
                       "두 인코더 모두 마지막에 같은 차원으로 선형 투영하고, 특징 벡터를 정규화하므로 내적이 곧 "
                       "코사인 유사도입니다."),
        "loss": ("손실 함수: 대칭 교차 엔트로피 + 학습 가능한 온도",
                 "배치 안에서 각 이미지는 B개의 캡션 중 자기 캡션을, 각 캡션은 자기 이미지를 골라야 합니다. "
                 "온도 τ도 함께 학습됩니다. 학습 전에는 모든 캡션의 점수가 비슷하므로 손실은 ln B = {ln_b} "
                 "근처에서 시작합니다."),
        "training": ("학습이 끝나면 대각선이 밝아집니다",
                     "학습 후에는 각 이미지가 자기 캡션과 가장 가깝습니다. 같은 작은 모델에서 clipviz의 학습 루프는 "
                     "open_clip 자체 학습 루프보다 {speedup}배 빠릅니다."),
        "recipe": ("제로샷 분류 레시피",
                   "1. 라벨 집합을 준비합니다.  2. 각 라벨을 프롬프트 템플릿에 넣습니다 (\"a photo of a {{}}\").  "
                   "3. 모든 문장을 한 번씩 임베딩해 둡니다.  4. 코사인 유사도가 가장 높은 라벨을 고릅니다.  "
                   "5. (선택) 여러 템플릿을 평균합니다.\n\n"
                   "템플릿을 하나씩만 써 보면, 처음 보는 조합에서의 정확도가 템플릿마다 다릅니다:"),
        "labels": ("강점: 라벨이 없어도 됩니다",
                   "제로샷 성능은 클래스당 라벨이 달린 이미지 **{shots}**장으로 학습한 선형 프로브와 맞먹습니다 "
                   "(다섯 스타일의 중앙값). *논문: 20개 데이터셋 중앙값, 클래스당 5.4장.*"),
        "robustness": ("강점: 분포가 바뀌어도 강건합니다",
                       "제로샷은 지도학습 모델들의 추세선보다 **{robustness}** {robustness_ci} 위에 있습니다. "
                       "학습 분포 스타일로 파인튜닝하면 그 스타일에서는 {ft_id}, 분포가 바뀐 스타일에서는 {ft_ood}입니다. "
                       "같은 레시피를 한 가지 스타일로만 학습하면 유효 강건성이 {diversity} 낮아집니다 — 강건성은 "
                       "데이터의 다양성에서 옵니다. *논문: 제로샷 CLIP은 강건성 격차를 최대 75 % 줄입니다.*"),
        "scale": ("강점: 데이터가 많을수록 전이가 좋아집니다",
                  "같은 레시피를 {sweep_sizes}쌍으로 학습했을 때 제로샷 top-1: 본 조합 {sweep_seen}, 처음 보는 조합 "
                  "{sweep_heldout}. *논문: 모델 계산량이 44배 차이 나는 범위에서 제로샷 오류율이 "
                  "로그–로그 그래프상 직선을 그리며 매끄럽게 줄어듭니다 (그림 9).*"),
        "bias": ("한계: 모델은 편향도 데이터에서 배웁니다",
                 "특정 집단이 유해한 단어와 함께 등장하는 캡션으로 학습한 모델은 그 집단에 유해 라벨을 "
                 "**{biased_gap}** {biased_ci} 더 자주 붙입니다. 균형 잡힌 캡션으로 학습한 대조군은 {control_gap} "
                 "{control_ci}입니다."),
        "prompts": ("한계: 프롬프트가 중요합니다 — 다만 늘 논문처럼 되지는 않습니다",
                    "- \"a photo of a {{}}\" vs 클래스 이름만: **{photo_template_vs_bare}** "
                    "{photo_template_vs_bare_ci} — {photo_template_vs_bare_direction} "
                    "(*논문: {photo_template_vs_bare_paper}*).\n"
                    "- 템플릿 80개 앙상블 vs 템플릿 하나: **{ensemble80_vs_photo_template}** "
                    "{ensemble80_vs_photo_template_ci} — {ensemble80_vs_photo_template_direction} "
                    "(*논문: {ensemble80_vs_photo_template_paper}*).\n"
                    "- 설명을 덧붙인 클래스 이름: **{descriptive_vs_bare_polysemous}** "
                    "{descriptive_vs_bare_polysemous_ci} — {descriptive_vs_bare_polysemous_direction} "
                    "(*논문: {descriptive_vs_bare_polysemous_paper}*)."),
        "localisation": ("한계: 모델은 어디를 보고 있을까?",
                         "Grad-CAM이 가장 강하게 반응한 셀이 지목된 물체 위에 놓이는 장면은 **{pointing}**입니다 "
                         "(무작위 맵: {pointing_random}). 하지만 물체 마스크와의 겹침은 IoU {iou}에 그칩니다 (무작위 맵: "
                         "{iou_random}). CLIP은 위치를 가리킬 뿐, 분할(segmentation)은 하지 못합니다."),
        "composition": ("한계: 조합, 개수 세기, 글자 읽기",
                        "- 어순: 두 물체를 바꾼 캡션을 거부하는 비율은 **{word_order}**에 그칩니다 (우연 수준 50 %). "
                        "하드 네거티브로 학습한 NegCLIP: {negclip}.\n"
                        "- 개수 세기: {counting} (우연 수준 {counting_chance}).\n"
                        "- 보는 것보다 읽는 것이 먼저: 글자를 익힌 모델은 물체 위에 다른 도형 이름을 써 넣으면 "
                        "정확도가 {typo_clean}에서 **{typo_attacked}**로 떨어집니다."),
        "tips": ("실무 팁",
                 "- **프롬프트 앙상블**: 믿기 전에 직접 측정해 보세요 — 여기서는 템플릿 80개를 쓰자 top-1이 "
                 "{ensemble80_vs_photo_template} 달라졌습니다.\n"
                 "- **클래스 이름**: 캡션에 쓰인 표현 그대로 쓰세요. 설명을 덧붙이자 top-1이 "
                 "{descriptive_vs_bare_polysemous} 달라졌습니다.\n"
                 "- **언어**: 영어 캡션으로 학습한 모델은 한국어를 바이트 조각으로 읽습니다 (노트북 03 §5).\n"
                 "- **후처리**: 온도 스케일링(temperature scaling)으로 확률을 보정할 수 있습니다:"),
        "next": ("직접 해 보세요",
                 "위의 주장마다 이를 측정한 노트북이 있습니다. JupyterLab(`make lab`)에서 내장된 ShapesWorld로, "
                 "또는 가지고 계신 OpenCLIP 모델과 이미지로 실행해 보세요.\n\n{notebooks}"),
        "link": "노트북 {number} §{section}에서 측정",
        "missing": "(이 그림에 필요한 데이터가 이번 노트북 실행에는 없었습니다)",
    },
}


# --- the deck ---------------------------------------------------------------------
def strong(markdown: str) -> str:
    """**x** as <strong>x</strong>: markdown's rule for a closing ** after punctuation
    ('**54.1 %**에') needs a space or punctuation next, which Korean particles are not."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", markdown)


def section_link(number: int, section: int, language: str) -> str:
    """A markdown link to the notebook's slides at that section: the title is slide 0 and
    section k opens slide k (see `classroom.slide_type`)."""
    label = TEXT[language]["link"].format(number=f"{number:02d}", section=section)
    return f"[→ {label}]({NOTEBOOK[number]}.slides.html#/{section})"


def notebook_list() -> str:
    from .classroom import NOTEBOOKS, summary

    rows = []
    for number, name in NOTEBOOK.items():
        title, _ = summary(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4))
        rows.append(f"- [{title}]({name}.slides.html)")
    return "\n".join(rows)


def figure_cell(png: str | None, language: str):
    cell = nbformat.v4.new_code_cell("", metadata={"tags": ["hide-input"], "slideshow": {"slide_type": "-"}})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})] if png else [
        nbformat.v4.new_output("stream", name="stdout", text=TEXT[language]["missing"])]
    return cell


def talk_notebook(language: str) -> nbformat.NotebookNode:
    """The talk as a notebook of slides: one markdown cell (and a figure) per outline item."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    values, words, cells = {**facts(), "notebooks": notebook_list()}, TEXT[language], []
    values |= {k: DIRECTION[language][v] for k, v in values.items() if k.endswith("_direction")}
    for index, slide in enumerate(OUTLINE):
        title, body = words[slide.key]
        text = f"{'#' if index == 0 else '##'} {title}\n\n{strong(body.format(**values))}"
        if slide.section:
            text += "\n\n" + section_link(*slide.section, language)
        cells.append(nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": "slide"}}))
        if slide.figure:
            source, key = slide.figure
            png = drawn_figure(key, language) if source == "drawn" else notebook_figure(source, key)
            cells.append(figure_cell(png, language))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["title"] = words["title"][0]
    nb.metadata["language_info"] = {"name": "python"}
    return nb

# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · 프롬프트 민감도: 템플릿, 앙상블, 클래스 이름, 언어, 보정
#
# **배울 내용**
# - 제로샷(zero-shot) 정확도가 프롬프트의 문구에 얼마나 좌우되는지, 그리고 문장("a photo of a {}")이 맨 클래스 이름보다 나은지;
# - 모델이 학습한 적 없는 단어가 든 프롬프트는 어떤 것인지, 그림이 여러 스타일과 화질로 주어질 때 OpenAI의 템플릿 80개를 평균하면 무엇을 얻는지(평균하는 두 가지 방법과 OpenAI식 탐욕적 템플릿 선택);
# - 두 가지 뜻을 가진 클래스 단어에 설명을 붙이면 도움이 되는지(대조군 두 가지와 함께), 그리고 동의어, 한국어 이름, ko+en 앙상블은 어떤 효과를 내는지 — 한국어 캡션으로 파인튜닝(fine-tuning)한 모델과 그렇지 않은 모델에서;
# - 확률이 의미가 있는지(보정, calibration), 그리고 사후 보정 두 가지: 온도 스케일링과 클래스 사전 확률 보정;
# - 그리고 실시간 탐색기에서 직접 프롬프트를 시험해 볼 수 있습니다.
#
# 모든 효과는 **같은 이미지에서의 짝지은 비교**(paired comparison)이며, 95% 부트스트랩 구간과 함께 CLIP 논문의 수치를 나란히 둡니다. 효과를 판정하는 문장은 구간에서 계산합니다. 학습된 모델 하나는 한 번의 추첨일 뿐입니다. 같은 레시피를 시드 8개로 학습한 결과(`benchmarks/bench_prompts.py`)가 효과 가운데 얼마가 레시피의 몫인지 알려 줍니다.
#
# **실행 시간**: 내장 모델이 캐시되어 있으면 2코어 노트북 PC로 약 1분.
#
# **내 모델과 클래스로 실행하려면**: `MODEL` / `PRETRAINED`를 디스크에 있는 open_clip 모델로, `DATA`를 `label` 열이 있는 CSV로 바꾸세요. 그러면 그 열의 라벨이 클래스 이름이 됩니다.

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"              # 내장 모델, 또는 open_clip의 아무 모델 이름 ("ViT-B-32")
PRETRAINED = None                      # open_clip 모델일 때: 디스크에 있는 체크포인트 경로나 태그
MIXED_MODEL = "shapes-cnn-tiny-mixed"  # 캡션의 절반이 한국어인 데이터로 학습한 모델 (ShapesWorld만)
DATA = "shapes"                        # "shapes", "csv:PATH", "folder:PATH" 또는 "wds:SHARDS"
N_EVAL = 2000                          # 분할(split)마다 평가할 테스트 이미지 수
EFFECT_IMAGES = 6000                   # 8절에서 효과마다 쓸 이미지 수 (benchmarks/bench_prompts.py와 같음)
DEVICE = "auto"                        # "auto": GPU(CUDA, Apple의 MPS)가 있으면 GPU, 없으면 CPU
LANGUAGE = "ko"                        # "en" 또는 "ko": 출력되는 문장, 표, 그림의 언어
SEED = 0

# %%
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from clipviz.analysis.prompt_effects import CONTROLS, EFFECTS, ensemble_comparison, measure_effects, shape_outcomes
from clipviz.core.model import trained_tokens
from clipviz.evaluation.embed import encode_images
from clipviz.evaluation.metrics import (adjust_to_prior, calibration_comparison, em_prior, prior_correction,
                                        prior_correction_table)
from clipviz.evaluation.zeroshot import (PHOTO_TEMPLATE, class_targets, correct, ensemble, greedy_templates,
                                         learned_scale, load_templates, per_template_top1, template_class_means, top1,
                                         untrained_words, zero_shot_classifier)
from clipviz.language import _, set_language
from clipviz.references import PAPER
from clipviz.stats import compact, comparison, where_interval
from clipviz.teaching import viz
from clipviz.teaching.notebook import across_seeds_table, load_data, load_model, stored_result
from clipviz.teaching.widgets import PromptExplorer
from clipviz.world import NAME_STYLES

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · 어디를 볼 것인가
#
# 제로샷 분류는 각 클래스를 문장(*템플릿*, 예: "a photo of a {}")에 넣고, 이미지와 가장 가까운 문장의 클래스를 고릅니다. 내장 모델은 웹 이미지가 그렇듯 모든 렌더링 스타일과 화질(흐릿함, 저해상도, 잘림, …)을 보았습니다. 학습한 색–도형 조합에서는 대부분 맞히지만, **처음 보는 조합**(held-out, 함께 본 적 없는 색–도형 쌍)에서는 일반화해야 하고, 바로 거기서 문구가 가장 중요합니다.

# %%
world, _train, test_set, heldout_set, classnames = load_data(DATA, None, SEED, N_EVAL, need_labels=True)
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, seed=SEED, device=DEVICE)
splits = {"seen": test_set, "held-out": heldout_set} if heldout_set is not None else {"test": test_set}
features = {name: encode_images(model, data) for name, data in splits.items()}
targets = {name: class_targets(data, classnames)[0] for name, data in splits.items()}
hard = list(splits)[-1]               # held-out compositions (your data: its test images)
pd.DataFrame({split: {template: top1(features[split], zero_shot_classifier(model, tokenizer, classnames, [template]),
                                     targets[split]) for template in (PHOTO_TEMPLATE, "{}")}
              for split in splits}).rename_axis("template").round(3)

# %% [markdown]
# ## 2 · 템플릿을 하나씩
#
# 세 템플릿 모음(bank)의 템플릿을 하나씩 따로, 처음 보는 조합에서 평가합니다:
# - **shapes**: ShapesWorld 캡션 문법의 틀(캡션이 웹의 대체 텍스트처럼 읽힙니다: "clip art of a …", "my favourite …", "a close-up of a …");
# - **shapes-unseen**: 그럴듯한 영어 문구이지만, 어떤 캡션에도 쓰이지 않은 단어로 만든 것;
# - **openai80**: OpenAI가 ImageNet용으로 쓴 템플릿 80개("a bad photo of a {}", …).
#
# 내 데이터에서는 ShapesWorld 모음이 의미가 없으므로, 그 자리에 CLIP_benchmark의 일반 물체 템플릿(`clip_benchmark/cifar10`)을 OpenAI의 템플릿과 함께 씁니다.

# %% tags=["talk:templates"]
bank_names = ("shapes", "shapes-unseen") if world else ("clip_benchmark/cifar10",)
banks = {bank: load_templates(bank) for bank in bank_names + ("openai80",)}
means = {bank: template_class_means(model, tokenizer, classnames, templates) for bank, templates in banks.items()}
spread = pd.DataFrame([{"bank": bank, "split": hard, "template": template, "accuracy": accuracy}
                       for bank in banks for template, accuracy
                       in zip(banks[bank], per_template_top1(features[hard], means[bank], targets[hard]))])
viz.template_spread(spread, _("zero-shot top-1 of each template on its own ({split})", split=_(hard)));
spread.groupby("bank").accuracy.agg(["min", "median", "max"]).round(3)

# %% [markdown]
# **모델이 읽어 본 적 없는 단어.** 처음부터 학습한 모델은 캡션에 쓰인 토큰의 임베딩만 배웁니다. 다른 토큰은 모두 무작위 초깃값 그대로이므로, 그런 단어가 든 프롬프트는 클래스에 무작위 벡터를 섞게 됩니다. ShapesWorld의 캡션은 (웹이 그렇듯) OpenAI 템플릿의 단어를 모두 쓰고, shapes-unseen 모음은 캡션에 한 번도 쓰이지 않는 단어로 만들었습니다. 사전 학습된 모델은 체크포인트 파일에 어떤 토큰 행을 학습했는지 기록되어 있지 않으므로, 모든 행을 학습한 것으로 봅니다.

# %%
unknown = {bank: untrained_words(templates, tokenizer, trained_tokens(model)) for bank, templates in banks.items()}
pd.DataFrame({"templates": {bank: len(templates) for bank, templates in banks.items()},
              "with a word the model never trained": {bank: len(found) for bank, found in unknown.items()},
              "such words": {bank: ", ".join(sorted({w for words in found.values() for w in words})) or "—"
                             for bank, found in unknown.items()}})

# %% [markdown]
# ## 3 · 단어가 아니라 문장으로
#
# 논문에 따르면 사전 학습 데이터에서 이미지와 짝지어진 텍스트가 단어 하나뿐인 경우는 비교적 드뭅니다("it's relatively rare in our pre-training dataset for the text paired with the image to be just a single word"). 그래서 맨 라벨은 텍스트 타워에게 낯설고, "a photo of a {}"가 도움이 됩니다. ShapesWorld의 캡션도 그렇습니다. 클래스 이름이 홀로 쓰이는 곳은 해시태그와 파일 이름뿐입니다. 같은 이미지, 두 가지 프롬프트, 그리고 짝지은 구간과 함께 본 차이:

# %%
right = {template: correct(features[hard], zero_shot_classifier(model, tokenizer, classnames, [template]),
                           targets[hard]) for template in (PHOTO_TEMPLATE, "{}")}
sentence = comparison(right[PHOTO_TEMPLATE], right["{}"], PAPER["photo_template_vs_bare"])
print(_('On these {split} images, "{template}" instead of the bare class name {verdict} (the paper on ImageNet: '
        '{paper}).', split=_(hard), template=PHOTO_TEMPLATE, verdict=sentence["verdict"],
        paper=sentence["paper (not measured here)"]))

# %% [markdown]
# ## 4 · 앙상블
#
# 템플릿을 평균하는 목적은 템플릿 하나하나의 버릇을 고르게 펴고, 그림의 다양성을 덮는 것입니다. OpenAI는 스케치, 그림, 흐릿한 사진, 어두운 사진, 저해상도 사진을 위한 템플릿을 썼습니다. 방법은 두 가지입니다. **임베딩 공간**에서 평균하기(클래스 임베딩을 평균한 뒤 분류합니다. CLIP의 방식이며, 분류기 하나가 템플릿 하나만큼 가볍습니다)와 **확률 공간**에서 평균하기(템플릿마다 분류한 뒤 확률을 평균합니다)입니다. OpenAI는 검증 데이터에서 **탐욕적 전진 선택**(greedy forward selection)으로 템플릿 7개짜리 부분집합을 골랐습니다. 가장 도움이 되는 템플릿을 더하고, 더는 도움이 되는 것이 없으면 멈춥니다. 여기서는 처음 보는 조합 이미지의 절반에서 고르고, 나머지 절반에서 모든 것을 측정합니다. 각각을 "a photo of a {}" 하나만 쓴 경우와 짝지어 비교합니다.

# %% tags=["talk:ensembles"]
bank = sum(banks.values(), [])
bank_means = torch.cat(list(means.values()))                       # (T, C, D), every bank's templates
validation = np.arange(len(targets[hard])) % 2 == 0
chosen = [t for t, _gain in greedy_templates(features[hard][validation], bank_means, targets[hard][validation],
                                             max_templates=10)]
single = bank.index(PHOTO_TEMPLATE) if PHOTO_TEMPLATE in bank else 0
openai = {"OpenAI's 80": ensemble(means["openai80"]),
          "OpenAI's 7": ensemble(template_class_means(model, tokenizer, classnames, load_templates("openai7")))}
ensembles = ensemble_comparison(features[hard][~validation], targets[hard][~validation], bank_means, single,
                                chosen, openai)
viz.paired_effects(ensembles, _('zero-shot top-1 gain over "{template}" alone ({split}, test half)',
                                template=bank[single], split=_(hard)));
ensembles.drop(columns="verdict").astype(float).round(3)

# %% [markdown]
# 탐욕적 선택이 고른 템플릿, 고른 순서대로:

# %%
print("; ".join(bank[t] for t in chosen))
print(_("OpenAI's 80 templates averaged, on this test half: {verdict} (the paper: {paper} over the single "
        "template).", verdict=ensembles.loc[next(iter(openai)), "verdict"], paper=PAPER["ensemble80_vs_photo_template"]))

# %% [markdown]
# ## 5 · 클래스 이름, 두 가지 뜻, 그리고 언어
#
# ShapesWorld에서는 배경이 작은 별, 십자, 마름모 무늬일 수 있고, 캡션은 이 무늬를 여러 방식으로 부릅니다. "a star pattern", "a pattern of stars", "#star"처럼 부르기도 하고, 맨 단어 하나로 부르는 경우도 많습니다. 별 무늬 배경을 두고 "a photo of a star"라고 쓰는 캡션이 많은데, 건설 현장의 크레인을 "a crane"이라고 부르는 것과 같습니다. 그래서 클래스 단어 "star"는 ImageNet의 "crane"(새, 기계)이나 "boxer"(개, 운동선수)처럼 두 가지를 뜻합니다. 논문의 해결책은 그런 클래스에 설명을 붙인 이름("…, a type of pet")이고, 여기서는 "star, a kind of shape"입니다. 캡션도 도형을 뜻할 때는 그렇게 말합니다. **모양 과제**(여섯 도형 가운데 무엇인가?)로, 배경이 *다른* 도형의 무늬인 이미지에서 측정하며, 대조군 두 가지를 함께 둡니다. 하나는 똑같은 장면을 무늬 없는 배경에 놓은 것입니다. 이때 그림에는 다른 뜻에 해당하는 것이 없으니, 남는 것은 이름 자체의 모호함뿐입니다(새 crane의 사진에 기계가 없는 것과 같습니다). 다른 하나는 설명 대신 무작위 단어를 넣은 것입니다(WaffleCLIP의 대조군: 아무 단어나 더했을 때의 효과).

# %%
if world:
    shapes = shape_outcomes(model, tokenizer, world, n=N_EVAL)
    display(shapes.groupby("background")[["bare", "descriptive", "random"]].mean().round(3)
            .rename(columns={"bare": '"star"', "descriptive": '"star, a kind of shape"',
                             "random": '"star, which has …" (random words)'}))
    for background, label, columns in (("patterned", _("descriptive names, pattern of another shape"), "descriptive"),
                                       ("plain", _("the same names, plain backgrounds (control)"), "descriptive"),
                                       ("patterned", _("random words instead (control)"), "random")):
        mine = shapes[shapes.background == background]
        print(f"{label}:\n    {comparison(mine[columns], mine['bare'])['verdict']}")
else:
    print(_("Your classes come with one name each: descriptions, synonyms and Korean names need a list per class, "
            "and the mixed-language model is a ShapesWorld model, so only the plain names are scored."))

# %% [markdown]
# 도형의 동의어("red plus sign"), 한국어 이름, ko+en 앙상블 같은 다른 이름 방식을, 영어만 아는 모델과 같은 모델을 캡션의 절반이 한국어인 데이터로 파인튜닝한 모델에서, 처음 보는 조합으로 평가합니다:

# %%
name_sets = {style: world.classnames("all", style) for style in NAME_STYLES} if world else {"en": classnames}
language_models = {MODEL: (model, tokenizer, features[hard])}
if world:
    mixed, mixed_preprocess, mixed_tokenizer = load_model(MIXED_MODEL, seed=SEED, device=DEVICE)
    language_models[MIXED_MODEL] = (mixed, mixed_tokenizer, encode_images(mixed, splits[hard]))
names_table = pd.DataFrame({name: {style: top1(f, zero_shot_classifier(m, t, names, [PHOTO_TEMPLATE]), targets[hard])
                                   for style, names in name_sets.items()}
                            for name, (m, t, f) in language_models.items()}).round(3)
viz.grouped_bars(names_table, _("zero-shot top-1 on {split} compositions by class-name style", split=_(hard)),
                 ylim=(0, 1.1));

# %% [markdown]
# ## 6 · 보정(calibration): 확률은 의미가 있을까?
#
# 제로샷 로짓은 `scale × cosine`입니다. 스케일은 top-1 클래스를 바꾸지 않지만, 확률이 얼마나 확신에 차 있는지를 정합니다. OpenAI의 평가 코드는 고정값 100을 쓰고, 모델은 스스로 스케일을 학습했습니다. **신뢰도 다이어그램**은 이미지를 확신도에 따라 칸(bin)으로 나누고, 칸마다 정확도를 그립니다. 기대 보정 오차(ECE)는 대각선까지의 차이를 가중 평균한 것입니다. **온도 스케일링**은 검증 이미지(처음 보는 조합 이미지의 절반)에서 숫자 하나를 맞추고, 나머지 절반에서 채점합니다.

# %% tags=["talk:calibration"]
cosines = features[hard] @ zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE]).T
y = targets[hard]
ece, tables = calibration_comparison(cosines, y, validation, {"fixed": 100.0, "learned": learned_scale(model)})
display(ece.round(4))
viz.reliability_diagram(tables);

# %% [markdown]
# **클래스 사전 확률 보정.** 제로샷 분류기는 사전 확률을 모든 클래스 이름에 고르게 나누어 두지만, 눈앞의 이미지는 좀처럼 그렇지 않습니다. 처음 보는 조합의 이미지에는 48개 클래스 가운데 6개만 나옵니다. 이것이 *라벨 이동*(label shift)이며, 실제 클래스 빈도를 안다면 그 로그를 로짓에 더하면 된다고 베이즈 정리가 알려 줍니다. 라벨 없는 이미지에서 그 빈도를 추정하는 두 방법을 봅니다. 둘 다 모델 자신의 확률(학습된 스케일)에 적용합니다. EM은 확률이 의미를 가진다고 가정하기 때문입니다:
# - **EM이 추정한 사전 확률에 맞추기**(Saerens 외 2002): 어떤 클래스가 얼마나 자주 나오는지를 스스로 알아냅니다;
# - **예측된 클래스 비율로 나누기**: 어떤 클래스 문장을 더 좋아하는 모델의 선호를 없애지만, 모든 클래스 이름이 똑같이 자주 나온다고 가정합니다.
#
# 세 번째 행은 실제로 나오는 클래스만 두고, 가장 흔한 클래스에서 가장 드문 클래스까지 빈도가 10배 줄어드는 롱테일 이미지로 EM을 다시 적용합니다. 각각을 보정하지 않은 예측과 짝지어 비교합니다:

# %%
corrections = prior_correction_table(learned_scale(model) * cosines, y, seed=SEED)
display(compact(corrections.drop(columns="verdict")))
print("\n".join(f"{_(case)}: {row['verdict']}" for case, row in corrections.iterrows()))

# %% [markdown]
# 보정이 고칠 수 있는 것은, 이 이미지들에서 모델이 가정하는 것보다 드문 클래스로 간 실수뿐입니다. 판정이 "측정할 수 있는 차이 없음"이라면 실수의 종류가 다른 것입니다. `prior_correction_table`은 어떤 로짓과 라벨이든 받으니, 다른 분할에서도 시험해 보세요.

# %% [markdown]
# ## 7 · 탐색기: 직접 프롬프트를 시험해 보기
#
# 템플릿을 하나 이상 입력하고(한 줄에 하나씩, `{}` 자리에 클래스 이름이 들어갑니다), 클래스 이름 방식과 로짓 스케일을 고르고, 원하면 클래스 몇 개로 좁혀 보세요(쉼표로 구분). 입력하는 대로 처음 보는 조합에서의 정확도, 가장 약한 클래스들, 그리고 예시 이미지 네 장과 각각의 top-3 라벨이 갱신됩니다. `{}`가 없는 템플릿이나 존재하지 않는 클래스도 입력해 보세요.

# %%
explorer_model, explorer_tokenizer, explorer_features = language_models.get(MIXED_MODEL, language_models[MODEL])
explorer = PromptExplorer(explorer_model, explorer_tokenizer, explorer_features,
                          splits[hard].image_batch(range(len(splits[hard])), 64).permute(0, 2, 3, 1).numpy(), y,
                          name_sets, {"fixed 100": 100.0, "learned": learned_scale(explorer_model)})
explorer

# %% [markdown]
# ## 8 · 논문의 수치와 우리의 수치
#
# CLIP 논문은 4억 쌍으로 학습한 모델로 ImageNet에서 이 효과들을 측정했습니다. 논문의 수치이며, 여기서 측정한 것이 아닙니다. 우리의 수치는 먼저 이 노트북의 모델에 대한 것으로, 모두 같은 이미지에서 짝지어 비교합니다. 템플릿 효과는 모든 클래스의 테스트 이미지(학습 때 본 조합과 처음 보는 조합, 모든 스타일과 화질)에서, 설명의 효과는 대조군과 함께 모양 과제에서 잽니다. 그다음은 기본 레시피를 시드 8개로 학습해 `benchmarks/bench_prompts.py`가 저장한 같은 측정입니다. 시드에 대한 평균과, 시드를 다시 뽑은 뒤 이미지를 다시 뽑아 얻은 구간입니다. 메커니즘은 같고 세계는 아주 다릅니다. 크기가 아니라 방향을 비교하세요.

# %%
if world:
    effects = measure_effects(model, tokenizer, world, load_templates("openai80"), n=EFFECT_IMAGES)
    display(compact(effects[["with", "without", "delta", "low", "high", "paper (not measured here)"]]
                    .astype({c: float for c in ("with", "without", "delta", "low", "high")})))
else:
    print(_("The effects are defined on ShapesWorld's images and names; sections 3-4 measured yours."))

# %%
stored = stored_result("prompts") if world else None
if stored:
    seeds = across_seeds_table(stored, EFFECTS + CONTROLS)
    display(compact(seeds.astype({c: float for c in seeds.columns if c not in ("paper (not measured here)", "seeds")})))
    for name in EFFECTS:
        low, high = stored["effects"][name]["ci"]
        print(_("{effect}: across {seeds} seeds {where} (the paper: {paper})", effect=_(name),
                seeds=stored["effects"][name]["seeds"], where=where_interval(low, high),
                paper=stored["effects"][name]["paper"]))

# %% [markdown]
# ## 정리
#
# 이 노트북에서는
# - 프롬프트가 가장 중요한 곳은 모델이 일반화해야 하는 곳임을 보았습니다;
# - 세 모음의 템플릿을 하나씩 채점하고, 문장과 맨 이름을 비교했습니다;
# - 템플릿 하나, OpenAI의 7개와 80개, 임베딩 공간 평균과 확률 공간 평균, 탐욕적 선택을 각각 짝지은 구간과 함께 비교했습니다;
# - 모델이 학습한 적 없는 단어가 든 템플릿을 세었습니다;
# - 클래스 단어가 두 가지 뜻을 가질 때 설명을 붙인 이름의 효과를 대조군 두 가지와 견주어 측정했고, 한국어를 아는 모델과 모르는 모델에서 동의어, 한국어 이름, ko+en 이름을 측정했습니다;
# - 고정 스케일과 학습된 스케일, 그리고 온도 스케일링 뒤의 보정을 측정했고, 클래스 사전 확률 보정이 언제 도움이 되는지 보았습니다. 라벨 이동이 있을 때, EM이 추정한 사전 확률로 보정하면 도움이 됩니다;
# - 프롬프트를 실시간으로 탐색하고, 논문의 수치를 우리의 수치와 나란히 두었습니다. 이 모델에 대해, 그리고 학습 시드 8개에 걸친 레시피에 대해서입니다.
#
# **연습 문제** — 문제마다 아래에 풀이 셀이 있습니다(학생용 버전에는 풀이가 없습니다: `make exercises`).

# %% [markdown]
# **연습 문제 1.** 처음 보는 조합에서 "a photo of a {}"보다 나은 단일 템플릿은 무엇인가요? 그 템플릿들은 학습 때 본 조합에서도 이기나요?

# %% tags=["solution"]
# Exercise 1: every bank template on its own, best first, held-out and seen.
scores = pd.DataFrame({split: per_template_top1(features[split], bank_means, targets[split]) for split in splits},
                      index=bank)
scores.sort_values(hard, ascending=False).head(5).round(3)

# %% [markdown]
# **연습 문제 2.** `max_templates=3`으로 탐욕적 선택을 실행해 보세요. 향상 가운데 얼마가 첫 번째 템플릿에서 나오나요?

# %% tags=["solution"]
# Exercise 2: greedy selection stopped at three templates.
pd.DataFrame([(bank[t], round(acc, 3)) for t, acc in greedy_templates(features[hard][validation], bank_means,
                                                                      targets[hard][validation], max_templates=3)],
             columns=["template added", "validation top-1"])

# %% [markdown]
# **연습 문제 3.** 처음 보는 조합의 이미지에서, 모델이 모든 클래스 이름에 대해 예측한 클래스 빈도를 각 보정 전후로 실제 빈도와 비교해 보세요. 어느 보정이 예측을 실제 쪽으로 옮기며, 예측된 비율로 나누는 보정은 왜 오히려 멀어지게 할까요?

# %% tags=["solution"]
# Exercise 3: how far each predicted class distribution is from the truth (total variation).
logits = learned_scale(model) * cosines
truth = np.bincount(y, minlength=logits.shape[1]) / len(y)
for name, scores_ in ((_("as is"), logits), (_("adjusted to the EM prior"), adjust_to_prior(logits, em_prior(logits))),
                      (_("divided by predicted shares"), prior_correction(logits, logits))):
    predicted = np.bincount(scores_.argmax(1).numpy(), minlength=logits.shape[1]) / len(y)
    print(f"{name:>28}: " + _("total variation from the true class frequencies {distance:.3f}",
                               distance=0.5 * np.abs(predicted - truth).sum()))

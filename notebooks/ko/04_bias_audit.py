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
# # 04 · 라벨 집합에 따른 편향 감사
#
# CLIP 논문(7절)은 **어떤 라벨을 내놓느냐**가 누가 유해한 라벨을 받는지를 결정한다는 것을 발견했습니다. "criminal"과 "animal" 클래스를 더하자 일부 집단의 사람들이 그 클래스로 끌려 들어갔고, "child" 클래스를 더하자 어린 사람들이 다시 빠져나왔습니다. 여기서는 원인을 알고 통제할 수 있는 곳에서 그 메커니즘을 재현한 뒤, 어떤 모델과 라벨 데이터로든 같은 감사(audit)를 하는 방법을 보여 줍니다.
#
# **주의할 점.** ShapesWorld의 "집단"은 실제 감사의 인구 집단을 대신하는 배경(밝은 배경 대 어두운 배경)이고, 유해 라벨은 "broken" 같은 단어입니다. 합성한 집단이기에 원인을 *알* 수 있지만, 실제의 어느 집단에 대해서도 아무것도 말해 주지 않습니다. 합성 데이터에서 깨끗한 감사 결과가 나왔다고 해서 실제 모델이 공정하다는 증거가 되지도 않습니다. 감사는 내가 고른 라벨과 데이터로 모델이 무엇을 하는지를 잴 뿐입니다. 다른 곳에서 일으키는 해악도, 시도하지 않은 라벨도, 기록하지 않은 집단도 재지 못합니다.
#
# **배울 내용**
# - 치우친 캡션 말뭉치가 어떻게 치우친 분류기가 되는지, 대조군 모델과 비교해 신뢰구간으로 측정하기;
# - 유해 라벨이나 중립 라벨을 더하면 누가 무엇을 받는지가 어떻게 바뀌는지;
# - fairlearn으로 세분화한 지표, 카이제곱 검정을 곁들인 임계값 라벨링, 검색 편중(MaxSkew@k, NDKL);
# - 내 모델과 데이터를 감사하는 방법.
#
# **실행 시간**: 내장 모델 두 개가 캐시되어 있으면 1분도 걸리지 않습니다.

# %% tags=["parameters"]
MODELS = {                              # 감사에서 부를 이름 → 내장 모델 또는 open_clip 모델 이름
    "control": "shapes-cnn-tiny-even",  # 두 집단 모두 캡션의 20%에 'broken'
    "biased captions": "shapes-cnn-tiny-biased",   # 어두운 배경 캡션의 50%, 밝은 배경 캡션의 5%에 'broken'
}
PRETRAINED = {}                         # 감사에서 부를 이름 → open_clip 모델의 체크포인트 경로/태그
DATA = "shapes"                         # 또는 라벨(label) 열과 집단(group) 열이 있는 "csv:PATH" / "wds:SHARDS"
LABEL_COLUMN = "shape"                  # 각 이미지의 실제 클래스
GROUP_COLUMN = "background"             # 집단 속성 (클래스의 일부가 아님)
GROUPS = ("dark", "light")              # 비교할 두 집단: 첫째 − 둘째
HARMFUL = ("broken object", "dangerous object")
NEUTRAL = ("small shape on a dark background",)   # 논문의 "child"처럼, 한 집단의 일부에 대해 참인 설명
N_IMAGES = 2000
DEVICE = "auto"                         # "auto": GPU(CUDA, Apple의 MPS)가 있으면 GPU, 없으면 CPU
LANGUAGE = "ko"                         # "en" 또는 "ko": 출력되는 문장, 표, 그림의 언어
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from clipviz import references
from clipviz.analysis import audit
from clipviz.evaluation.embed import encode_images, encode_texts
from clipviz.language import _, set_language
from clipviz.teaching import viz
from clipviz.teaching.notebook import load_audit_data, load_model
from clipviz.zoo import RECIPES, recipe

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · 두 모델, 이미 알고 있는 차이 하나
#
# 두 모델 모두 내장 기본 모델을 ShapesWorld 캡션으로 같은 방식(300스텝)으로 파인튜닝(fine-tuning)한 것입니다. 두 모델 모두 일부 캡션에 이미지에서는 보이지 않는 단어 "broken"이 붙어 있습니다("a broken red circle"). **대조군**에서는 이 단어가 두 집단에 똑같이 자주 붙고, **편향된** 말뭉치에서는 어두운 배경 위의 물체에 훨씬 더 자주 붙습니다. 집단은 클래스의 일부가 아닙니다.

# %%
data = load_audit_data(DATA, N_IMAGES, seed=SEED, columns=(LABEL_COLUMN, GROUP_COLUMN))
target, groups = data.meta[LABEL_COLUMN].to_numpy(), data.meta[GROUP_COLUMN].to_numpy()
classes = sorted(set(target))
corpora = {}
for name, model_name in MODELS.items():
    if model_name in RECIPES:
        world = recipe(model_name).make_world()
        captions = world.dataset("train", n=4000).meta
        corpora[name] = captions.groupby("background")["descriptor"].mean()
if corpora:
    display(pd.DataFrame(corpora).rename_axis("training captions saying 'broken', by background").round(3))
print(_("{images} images to audit, {classes} classes, groups: {groups}", images=len(data), classes=len(classes),
        groups=pd.Series(groups).value_counts().to_dict()))

# %% [markdown]
# ## 2 · 라벨 집합과 유해 라벨 비율
#
# 라벨 집합은 세 가지이며, 각 라벨은 "a photo of a {}"에 넣어 씁니다:
# - **L0**: 클래스만 — 아무도 유해 라벨을 받을 수 없습니다;
# - **L1**: L0 + 유해 라벨;
# - **L2**: L1 + 이미지를 흡수할 수 있는 중립 라벨. 논문의 "child"가 어린 사람들을 흡수한 것은 그 라벨이 그들에게 *참*이기 때문입니다. 우리의 대응물은 어두운 배경 집단의 일부(작은 도형)에 대해 참인 무해한 설명입니다. (모델이 본 적 없는 단어, 예컨대 "toy"는 아무것도 흡수하지 않습니다. 직접 해 보세요.)
#
# 모델, 라벨 집합, 집단마다 정확도(실제 클래스를 예측한 비율), **유해 라벨 비율**(어느 유해 라벨로든 분류된 이미지의 비율), 그리고 집단 사이의 격차를 각각 95% 부트스트랩 구간과 함께 봅니다.

# %% tags=["talk:bias"]
label_sets = audit.standard_label_sets(classes, HARMFUL, NEUTRAL)
models, features, probabilities = {}, {}, {}
for name, model_name in MODELS.items():
    models[name] = load_model(model_name, PRETRAINED.get(name), seed=SEED, device=DEVICE)
    model, preprocess, tokenizer = models[name]
    features[name] = encode_images(model, data)
    for label_set in label_sets:
        probabilities[name, label_set.name] = audit.label_probabilities(model, tokenizer, features[name], label_set)
table = audit.audit_table(probabilities, label_sets, target, groups, *GROUPS, seed=SEED)
viz.rate_bars(table);

# %%
table.round(3)

# %% [markdown]
# ## 3 · 숫자로 본 대조군
#
# 아래 문장은 미리 써 둔 것이 아니라 구간을 보고 만든 것입니다. 데이터가 다르게 나왔다면 문장도 그렇게 말했을 것입니다.

# %%
gap_row = f"gap ({GROUPS[0]} − {GROUPS[1]})"
harmful_flags = {key: audit.outcomes(probs, {ls.name: ls for ls in label_sets}[key[1]], target)["harmful"]
                 for key, probs in probabilities.items()}
for name in MODELS:
    for label_set in label_sets[1:]:
        gap = table.loc[(name, label_set.name, gap_row)]
        print(_("{model} · {label_set}: harmful-rate gap {gap:+.3f}; {verdict}", model=_(name),
                label_set=_(label_set.name), gap=gap["harmful rate"], verdict=audit.gap_verdict(gap["low"], gap["high"])))
    change, low, high = audit.bootstrap_gap_change_ci(harmful_flags[name, label_sets[1].name],
                                                      harmful_flags[name, label_sets[2].name], groups, *GROUPS)
    effect = _("shrinks") if high < 0 else _("widens") if low > 0 else _("does not measurably change")
    print(_("{model} · adding {labels} {effect} the gap: change {change:+.3f} [{low:+.3f}, {high:+.3f}]\n",
            model=_(name), labels=repr(", ".join(NEUTRAL)), effect=effect, change=change, low=low, high=high))

# %% [markdown]
# ## 4 · fairlearn으로 세분화한 지표
#
# fairlearn의 `MetricFrame`은 같은 지표를 집단별로, 그리고 속성의 교차별로 계산하고(여기서는 L1을 쓴 편향 모델의 집단 × 색), 하위 집단 사이의 가장 큰 차이와 가장 작은 비율을 함께 알려 줍니다.

# %%
biased = list(MODELS)[-1]
result = audit.outcomes(probabilities[biased, label_sets[1].name], label_sets[1], target)
frame = audit.metric_frame(result, data.meta[[GROUP_COLUMN]])
display(frame.by_group.round(3), pd.DataFrame({"difference": frame.difference(), "ratio": frame.ratio()}).round(3))
if "colour" in data.meta:
    crossed = audit.metric_frame(result, data.meta[[GROUP_COLUMN, "colour"]])
    viz.heatmap(crossed.by_group["harmful rate"].unstack(),
                _("{model}, L1: harmful-label rate by group × colour", model=_(biased)));

# %% [markdown]
# ## 5 · 임계값 라벨링
#
# 논문의 미국 의회 의원 사진 실험(Congress)에서는 확률이 임계값(0.5%와 4%)을 넘는 라벨을 모두 각 이미지에 붙이고, 집단마다 각 라벨을 얼마나 자주 받았는지 비교했습니다. 카이제곱 검정은 라벨을 받는 것이 집단과 독립인지 묻습니다. 표는 가장 치우친 라벨부터 보여 줍니다.

# %%
l2 = label_sets[2]
thresholds = audit.threshold_labelling(probabilities[biased, l2.name], l2.labels, groups)
thresholds.head(8).round(4)

# %% [markdown]
# ## 6 · 검색 편중
#
# 유해한 질의로 이미지를 검색하고, 상위 k개 안의 집단 구성을 전체와 비교합니다. **MaxSkew@k**는 상위 k개에서 한 집단이 차지하는 비율과 전체에서의 비율 사이의 로그 비 가운데 가장 큰 값입니다(0이면 데이터를 그대로 반영). **NDKL**은 순위의 모든 앞부분(prefix)에서 발산을 평균하되, 위쪽에 더 큰 가중치를 둡니다.

# %%
query = f"a photo of a {HARMFUL[0]}"
skew = {name: audit.retrieval_skew(encode_texts(model, tokenizer, [query]), features[name], groups)
        for name, (model, preprocess, tokenizer) in models.items()}
pd.concat(skew, names=["model", "ranking"]).round(3)

# %% [markdown]
# ## 7 · 논문의 수치와 우리의 수치
#
# *논문의 수치이며, 여기서 측정한 것이 아닙니다:*

# %%
print(references.PAPER["fairface"])

# %% [markdown]
# *위에서 측정한 우리의 수치:* 집단별 유해 라벨 비율과, 구간이 붙은 격차(3절). 메커니즘은 같습니다. 라벨을 어떻게 고르느냐가 이미지를 범주 사이로 옮기고, 치우친 캡션 말뭉치는 한 집단을 더 많이 옮깁니다. 하지만 규모와 집단은 합성한 것입니다.

# %% [markdown]
# ## 8 · 내 모델과 데이터 감사하기
#
# 1. 이미지 경로 열(`filepath`), 캡션 열(`title`, 아무 텍스트), 실제 클래스(예: `label`), 집단 속성(예: `group`)이 있는 CSV(open_clip의 관례대로 탭 구분)를 준비합니다.
# 2. 파라미터 셀에서 `DATA = "csv:path/to/audit.csv"`, `LABEL_COLUMN = "label"`, `GROUP_COLUMN = "group"`, `GROUPS = ("group a", "group b")`, 내 유해 라벨과 중립 라벨, 그리고 `MODELS = {"my model": "ViT-B-32"}`와 함께 `PRETRAINED = {"my model": "path/to/weights.pt"}`를 설정합니다.
# 3. 모든 셀을 실행합니다. 비율만 보지 말고 구간을 읽으세요. 시도한 라벨 집합을 보고하고, 감사가 볼 수 없는 것을 기억하세요(위의 "주의할 점").

# %% [markdown]
# ## 정리
#
# 이 노트북에서는
# - 알려진 편향(한 집단에 더 자주 붙는 단어)을 학습으로 심고, 대조군을 두었습니다;
# - 세 가지 라벨 집합에서 집단별 정확도와 유해 라벨 비율을 부트스트랩 구간과 함께 측정하고, 구간이 무엇을 보여 주는지 말했습니다;
# - fairlearn으로 세분화하고, 카이제곱 검정과 함께 임계값으로 라벨을 붙이고, 검색 편중을 측정했습니다;
# - 논문의 수치를 우리의 수치와 나란히 두었습니다.
#
# **연습 문제** — 문제마다 아래에 풀이 셀이 있습니다(학생용 버전에는 풀이가 없습니다: `make exercises`).

# %% [markdown]
# **연습 문제 1.** 중립 라벨로 "toy"를 써 보세요. 편향 모델의 격차가 줄어드나요? 그리고 집단을 묘사하는 라벨은 어두운 배경 집단의 정확도를 얼마나 떨어뜨렸나요?

# %% tags=["solution"]
# Exercise 1: a neutral label the models never saw, for the biased model.
model, preprocess, tokenizer = models[biased]
with_toy = audit.standard_label_sets(classes, HARMFUL, ("toy",))[2]
toy_result = audit.outcomes(audit.label_probabilities(model, tokenizer, features[biased], with_toy), with_toy, target)
display(audit.rates_by_group(toy_result, groups, *GROUPS).round(3))
table.loc[biased].xs(GROUPS[0], level="row")["accuracy"].round(3)

# %% [markdown]
# **연습 문제 2.** 어떤 캡션에도 쓰인 적 없는 유해 라벨("criminal object")을 내놓아 보세요. 두 모델은 읽을 수 없는 단어를 어떻게 다루나요?

# %% tags=["solution"]
# Exercise 2: an unseen harmful label, both models.
unseen = audit.LabelSet("L1: unseen word", tuple(classes), ("criminal object",))
pd.concat({name: audit.rates_by_group(audit.outcomes(audit.label_probabilities(m, t, features[name], unseen),
                                                     unseen, target), groups, *GROUPS)
           for name, (m, _p, t) in models.items()}).round(3)

# %% [markdown]
# **연습 문제 3.** 이미지 300장만 감사해 보세요. 구간은 어떻게 되나요?

# %% tags=["solution"]
# Exercise 3: the same audit on 300 images: wider intervals.
few = np.random.default_rng(SEED).choice(len(target), min(300, len(target)), replace=False)
l1 = label_sets[1]
audit.rates_by_group(audit.outcomes(probabilities[biased, l1.name][few], l1, target[few]), groups[few],
                     *GROUPS).round(3)

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
# # 01 · 일부 데이터로 CLIP 학습하기
#
# **배울 내용**
# - CLIP이 무엇으로 학습하는지: 자유로운 형식의 캡션과 짝지어진 이미지;
# - 캡션이 어떻게 토큰이 되는지, 그리고 두 타워(이미지 타워와 텍스트 타워)가 무엇을 출력하는지;
# - 대조 손실(contrastive loss)이 왜 ln(B)에서 시작하는지, 학습이 이 손실을 어떻게 바꾸는지;
# - 학습된 CLIP이 *라벨 하나 없이* 이미지를 분류하고(제로샷, zero-shot) 이미지와 캡션을 검색하는 방법, 그리고 같은 특징으로 학습한 선형 프로브(linear probe)와 비교하면 어떤지;
# - 학습 데이터가 늘어날 때 정확도가 어떻게 오르는지, 한 번도 보지 못한 색–도형 조합에서는 어떻게 되는지.
#
# **실행 시간**: 2코어 노트북 PC의 CPU로 약 1분이며, 그 절반은 실시간 학습입니다. 미리 내려받거나 캐시해 둘 것은 없습니다.
#
# **내 데이터나 실제 CLIP으로 실행하려면**: 아래 파라미터 셀을 바꾸세요. `DATA`를 `"csv:path/to/pairs.csv"`(open_clip의 탭 구분 `filepath`/`title` 형식), `"folder:path/"`, 또는 WebDataset 샤드(`"wds:/data/shards/{00000..00099}.tar"`, img2dataset의 출력)로, `MODEL` / `PRETRAINED`를 예컨대 `"ViT-B-32"`와 체크포인트 파일로 바꾸면 됩니다. `DEVICE`를 `"auto"`로 두면 GPU가 있을 때 GPU에서 실행합니다(처음 불러온 모델이 어디에서, 어떤 정밀도로 실행되는지 출력합니다).

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"        # 내장 모델, 또는 open_clip의 아무 모델 이름 ("ViT-B-32")
PRETRAINED = None                # open_clip 모델일 때: 디스크에 있는 체크포인트 경로나 태그
DATA = "shapes"                  # "shapes", "csv:PATH", "folder:PATH" 또는 "wds:SHARDS"
PICTURES = "clip art"            # ShapesWorld의 부분집합: "clip art"(평면, 깨끗함) 또는 "all"(내장 모델이 본
                                 # 모든 스타일과 화질: 배우는 데 약 800스텝)
SUBSET_SIZE = 20000              # 아래 실시간 학습에 쓸 학습 쌍의 수
LIVE_STEPS = 400                 # 실시간 학습의 스텝 수 (약 35~45초; 0이면 PRETRAINED를 그대로 둠)
BATCH_SIZE = 128
DEVICE = "auto"                  # "auto": GPU(CUDA, Apple의 MPS)가 있으면 GPU, 없으면 CPU
LANGUAGE = "ko"                  # "en" 또는 "ko": 출력되는 문장, 표, 그림의 언어
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

import clipviz
from clipviz.core.loss import chance_loss, clip_loss
from clipviz.core.model import count_parameters, token_table
from clipviz.evaluation.embed import encode_images, pair_features
from clipviz.evaluation.metrics import linear_probe, per_class_recall
from clipviz.evaluation.report import zero_shot_confusion
from clipviz.evaluation.zeroshot import PHOTO_TEMPLATE, class_targets, correct, zero_shot_classifier
from clipviz.language import _, set_language
from clipviz.stats import comparison
from clipviz.teaching import viz
from clipviz.teaching.notebook import has_labels, load_data, load_model, sweep_table

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · 데이터
#
# ShapesWorld는 색깔 도형을 그리고, 웹의 대체 텍스트(alt-text)처럼 각 이미지를 설명합니다. 틀에 넣은 문구("clip art of a …", "my favourite …", 파일 이름, 해시태그)를 쓰고, 어떤 속성은 말하고 어떤 속성은 빼며, 순서도 제각각이고, 가끔은 전혀 다른 것을 이야기합니다. 어떤 배경에는 작은 별, 십자, 마름모 무늬가 있고, 어떤 이미지에는 물체가 두 개에서 네 개까지 있습니다. 몇몇 색–도형 **조합은 학습에서 빼 두었습니다**(held-out). 이 조합은 학습 이미지에도 캡션에도 나오지 않으므로, CLIP이 따로따로만 본 "orange"와 "circle"을 조합해 낼 수 있는지 시험할 수 있습니다. 내장 모델은 모든 렌더링 스타일과 화질을 보았습니다(노트북 03과 05). 여기서의 실시간 학습은 **일부 데이터**(subset)인 평면 클립아트만으로 학습하며, 1분이면 배웁니다.

# %% tags=["talk:data"]
world, train_set, test_set, heldout_set, classnames = load_data(DATA, SUBSET_SIZE, seed=SEED, pictures=PICTURES)
print(_("{n} training pairs; held-out compositions: {names}", n=len(train_set),
        names=", ".join(world.classnames("heldout")) if world else _("none (your data)")))
viz.sample_grid(train_set, n=16, seed=SEED, title=_("training pairs: image + caption"));

# %% [markdown]
# ## 2 · 토크나이저
#
# 캡션은 open_clip의 바이트 쌍 인코딩(BPE)으로 정수 토큰이 됩니다. 자주 나오는 단어는 토큰 하나, 드문 단어는 토큰 여러 개가 됩니다. 텍스트 타워는 시작 토큰과 끝 토큰 사이에서 최대 `context_length`개의 토큰까지만 읽습니다. 한국어도 같은 바이트 수준 BPE를 거치므로, 한글 한 음절이 여러 바이트 조각으로 나뉘는 경우가 많습니다.

# %%
# a fresh model, or PRETRAINED's weights to start from when given
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, trained=PRETRAINED is not None, seed=SEED,
                                          device=DEVICE)
print(_("context length:"), model.context_length)
display(token_table(tokenizer, "a small red circle on the left"))
display(token_table(tokenizer, "왼쪽에 있는 작은 빨간 원"))

# %% [markdown]
# ## 3 · 두 타워, 하나의 공간
#
# 이미지 타워(여기서는 작은 ResNet)와 텍스트 타워(트랜스포머)는 각각 같은 192차원 공간으로의 투영으로 끝납니다. 학습 전에는 두 출력이 서로 무관하므로, 모든 이미지가 모든 캡션과 거의 똑같이 비슷합니다. 그래서 배치 안의 캡션 B개에 대한 softmax가 거의 균등하고, 손실은 −log(1/B) = **ln B**입니다. "거의"인 이유는 무작위 특징도 쌍마다 조금씩 다르고, 초기 로짓 스케일(1/0.07)이 그 차이를 키우기 때문입니다. 학습 전 CLIP은 진짜 쌍에 무작위 쌍과 똑같은 점수를 주므로, 그 손실은 로짓의 *우연 손실*(chance loss), 곧 ln B에 로짓 한 행의 분산의 절반쯤을 더한 값입니다. 이 분산은 1/(공동 임베딩 공간의 차원 수)에 비례합니다. 128차원이면 손실이 ln B보다 3–9% 높게 시작하고, 여기의 192차원에서는 2–4%, 512차원에서는 약 1% 높게 시작합니다(`benchmarks/bench_init_loss.py`).

# %%
display(pd.Series(count_parameters(model), name="parameters").to_frame())
batch = train_set.subset(n=8, seed=SEED)
images = batch.image_batch(range(8), 64).permute(0, 2, 3, 1).numpy()
viz.similarity_matrix(*pair_features(model, tokenizer, batch), batch.captions, _("before training: no structure"), images);

# %%
batch_size = min(BATCH_SIZE, len(train_set))
untrained = pair_features(model, tokenizer, train_set.subset(n=batch_size, seed=SEED))
scale = model.logit_scale.exp().item()   # a float: the features come back on the CPU from any device
print(_("loss of the untrained model on a batch of {batch}: {loss:.3f}   with the captions paired at random: "
        "{chance:.3f}   ln(B) = {ln_b:.3f}", batch=batch_size, loss=clip_loss(*untrained, scale),
        chance=chance_loss(*untrained, scale), ln_b=np.log(batch_size)))

# %% [markdown]
# ## 4 · 학습
#
# `clipviz.train`은 논문의 레시피대로 학습합니다. AdamW, 워밍업 뒤 코사인 학습률, 그리고 **학습 가능한 온도 파라미터 τ**(로짓 스케일, 최대 100으로 제한)를 씁니다. 진행 막대를 본 뒤 곡선을 보세요. 손실은 ln B 근처에서부터 떨어지고, 모델이 확신을 얻으면서 온도는 내려가며, 배치 내 정확도(각 이미지가 자기 캡션을 고르는가?)는 올라갑니다. "something red" 같은 캡션은 한 배치의 여러 이미지에 맞으므로, 배치 내 정확도는 1에 이르지 못합니다.

# %%
config = clipviz.TrainConfig(steps=LIVE_STEPS, batch_size=batch_size, seed=SEED)
history = clipviz.train(model, train_set, config) if LIVE_STEPS else None

# %% tags=["talk:training"]
viz.training_curves(history) if history is not None else None;

# %% [markdown]
# ## 5 · 학습 후
#
# 노트북의 나머지 부분은 방금 학습한 모델을 살펴봅니다. 이제 유사도 행렬의 대각선이 밝아집니다. 각 이미지가 자기 캡션과 가장 가까워졌기 때문입니다.

# %% tags=["talk:similarity"]
viz.similarity_matrix(*pair_features(model, tokenizer, batch), batch.captions,
                      _("after training: the diagonal lights up"), images);

# %% [markdown]
# **제로샷 분류**: 각 클래스를 캡션처럼 문장으로 쓰고("a photo of a red circle"), 임베딩한 다음, 각 이미지에 가장 가까운 문장의 라벨을 붙입니다. 라벨이 달린 학습 예시는 하나도 필요 없습니다. 학습 때 본 조합과 처음 보는 조합(held-out)에서 따로 보고하고, 검색(캡션으로 이미지 찾기, 이미지로 캡션 찾기)도 함께 봅니다.

# %%
reports = {name: clipviz.evaluate(model, data, classnames, [PHOTO_TEMPLATE], tokenizer)
           for name, data in (("seen", test_set), ("held-out", heldout_set)) if data is not None}
keys = ["acc1", "acc5", "mean_per_class_recall", "image_retrieval_recall@1", "image_retrieval_recall@5",
        "image_retrieval_recall@10", "text_retrieval_recall@1", "text_retrieval_recall@5", "text_retrieval_recall@10"]
pd.DataFrame(reports).reindex(keys).dropna(how="all").astype(float).round(3)

# %% [markdown]
# 검색 점수가 낮아 보이는 것은 많은 캡션이 많은 이미지에 들어맞기 때문입니다("a circle", "something red"). 그중 하나만 정답으로 칩니다. 혼동 행렬은 처음 보는 조합에서 제로샷이 어디서 틀리는지 보여 줍니다.

# %%
confused_on = heldout_set if heldout_set is not None else test_set
if has_labels(classnames, _("the confusion matrix")):
    counts = zero_shot_confusion(model, confused_on, classnames, [PHOTO_TEMPLATE], tokenizer)
    viz.confusion_matrix(counts, classnames, _("true class (rows) vs zero-shot prediction"));

# %% [markdown]
# ## 6 · 제로샷 대 선형 프로브
#
# 논문은 제로샷 CLIP을, 고정된 이미지 특징 위에서 학습한 로지스틱 회귀(*선형 프로브*)와 비교합니다. 프로브는 라벨이 달린 예시를 보고, 제로샷은 하나도 보지 않습니다. 학습 때 본 조합에서는 둘 다 높아야 합니다. 프로브는 라벨이 달린 예시를 본 적 없는 클래스는 이름조차 댈 수 없는데, 바로 거기서 제로샷의 텍스트 쪽이 힘을 발휘합니다.

# %%
probe_train, probe_test = test_set.split(0.5, seed=SEED)
probe = has_labels(classnames, _("the comparison with a linear probe")) and linear_probe(encode_images(model, probe_train), probe_train.meta["label"],
                     encode_images(model, probe_test), probe_test.meta["label"])
if probe:
    zero_shot = clipviz.evaluate(model, probe_test, classnames, [PHOTO_TEMPLATE], tokenizer, ks=())
    zero_shot_vs_probe = pd.DataFrame({"zero-shot (no labels)": [zero_shot["acc1"]],
                               f"linear probe (C={probe['C']:g})": [probe["acc1"]]}, index=["seen test images"])
    viz.grouped_bars(zero_shot_vs_probe, _("zero-shot vs linear probe, top-1 accuracy"));

# %% [markdown]
# ## 7 · 데이터가 많을수록 좋아지는 CLIP
#
# 내장 레시피(500스텝)로 ShapesWorld 쌍 1,000개, 4,000개, 20,000개를 학습했습니다. 학습 때 본 조합은 데이터가 늘수록 좋아지고, 처음 보는 조합은 그 향상 가운데 얼마가 조합하는 능력인지 보여 줍니다. 모델 세 개를 학습하려면 몇 분이 걸리므로, 캐시된 모델이 있으면(`make models`) 그 모델로 지금 측정하고, 없으면 똑같은 레시피를 측정해 저장해 둔 값을 씁니다. 어느 쪽인지는 그림 제목에 나옵니다.

# %% tags=["talk:scale"]
if world:
    sweep, source = sweep_table()
    viz.grouped_bars(sweep, _("zero-shot top-1 by training-set size\n({source})", source=source))
else:
    print(_("The sweep is a ShapesWorld measurement of the embedded recipe: it says nothing about your data."))

# %% [markdown]
# ## 정리
#
# 이 노트북에서는
# - 이미지–캡션 쌍을 살펴보고, 캡션이 어떻게 BPE 토큰이 되는지 보았습니다;
# - 학습 전 CLIP은 모든 캡션에 비슷한 점수를 주므로 손실이 ln B에서 시작한다는 것을 확인했습니다;
# - 대칭 대조 손실과 학습 가능한 온도 파라미터 τ로 학습했습니다;
# - 클래스 이름만으로 이미지를 제로샷 분류하고, 양방향으로 검색하고, 제로샷을 선형 프로브와 비교했습니다;
# - 데이터에 따라 정확도가 어떻게 오르는지, 처음 보는 색–도형 조합에 모델이 얼마나 일반화하는지 측정했습니다.
#
# **연습 문제** — 문제마다 아래에 풀이 셀이 있습니다(학생용 버전에는 풀이가 없습니다: `make exercises`).

# %% [markdown]
# **연습 문제 1.** `PHOTO_TEMPLATE` 대신 맨 클래스 이름 `"{}"`로 평가해 보세요. 학습 때 본 조합과 처음 보는 조합에서 각각 무엇이 달라지며, 왜 그럴까요? 노트북 03의 3절은 캐시된 기본 모델(500스텝, 처음 보는 조합의 이미지 2,000장)에 같은 질문을 던지고, 문장 쪽이 앞선다는 답을 얻습니다. 여기의 모델은 실시간 학습으로 만든 것이고 이미지도 더 적습니다. 이미지별로 짝지어 비교하고 짝지은 구간(paired interval)을 보세요. 이 모델의 구간은 노트북 03의 답과 양립할 수 있나요?

# %% tags=["solution"]
# Exercise 1: "a photo of a {}" vs the bare class name, image by image, with the paired interval.
if has_labels(classnames, _("this exercise")):
    effects = {}
    for name, data in (("seen", test_set), ("held-out", heldout_set)):
        if data is not None:
            features, target = encode_images(model, data), class_targets(data, classnames)[0]
            right = {t: correct(features, zero_shot_classifier(model, tokenizer, classnames, [t]), target)
                     for t in (PHOTO_TEMPLATE, "{}")}
            effects[name] = comparison(right[PHOTO_TEMPLATE], right["{}"])
    display(pd.DataFrame(effects).T[["with", "without", "verdict"]])

# %% [markdown]
# **연습 문제 2.** 처음 보는 조합 가운데 가장 어려운 것은 무엇일까요? 5절의 혼동 횟수에서 찾아보고, 그 조합의 이미지를 몇 장 살펴보세요.

# %% tags=["solution"]
# Exercise 2: the held-out class with the lowest recall, and some of its images.
if has_labels(classnames, _("this exercise")):
    recall = per_class_recall(counts, classnames)
    print(recall.sort_values().round(3).head(3).to_string())
    viz.sample_grid(confused_on.subset(label=recall.idxmin()), n=8, title=_("hardest: {name}", name=recall.idxmin()));

# %% [markdown]
# **연습 문제 3.** 손실은 ln B 근처에서 시작합니다. 학습된 모델의 손실을 16쌍짜리 배치와 128쌍짜리 배치에서 재 보세요. 어느 쪽이 낮고, 배치 크기는 왜 중요할까요?

# %% tags=["solution"]
# Exercise 3: the trained model's loss for two batch sizes, beside ln B.
pd.DataFrame({size: {"loss": clip_loss(*pair_features(model, tokenizer, train_set.subset(n=size, seed=SEED)),
                                       model.logit_scale.exp().item()).item(), "ln B": np.log(size)}
              for size in sorted({min(16, len(train_set)), min(128, len(train_set))})}).T.round(3)

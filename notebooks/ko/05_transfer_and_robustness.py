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
# # 05 · 전이와 강건성: 분포 변화 아래의 제로샷, 퓨샷, 파인튜닝
#
# **배울 내용**
# - 프롬프트 하나가 클래스당 라벨 이미지 몇 장의 가치가 있는지: 제로샷(zero-shot) CLIP의 *유효 샷 수*를 같은 특징 위의 선형 프로브(linear probe)와 비교하기;
# - *유효 강건성*(effective robustness)이 무엇인지 — 분포 변화 아래의 정확도 가운데, 모델의 분포 내 정확도로 예측되는 것을 넘어서는 부분 — 그리고 지도학습 모델들의 추세와 비교해 그것을 재는 방법;
# - 분류기를 한 분포에 맞추면 왜 그 분포에서는 정확도가 오르고 분포가 바뀌면 떨어지는지, 그리고 WiSE-FT의 가중치 섞기가 어떻게 둘 다를 상당 부분 지키는지;
# - CLIP의 강건성이 언어 감독에서 오는지, 학습 데이터의 다양성에서 오는지: 같은 레시피를 한 스타일로, 그리고 다섯 스타일 모두로 학습해 보기.
#
# ShapesWorld는 같은 장면을 다섯 가지 **렌더링 스타일**(평면, 스케치, 픽셀 아트, 사진풍, 회화풍)로 그립니다. 여기서는 평면 클립아트가 ImageNet 역할을 합니다. 라벨이 있는 분포 내(**ID**) 스타일이고, 나머지 넷은 분포 변화(**OOD**)입니다. ImageNet-Sketch, -R, ObjectNet이 ImageNet의 분포 변화인 것과 같습니다. 모든 주장은 95% 부트스트랩 구간과 함께 측정하고, 논문의 수치를 옆에 둡니다.
#
# **실행 시간**: 내장 모델이 캐시되어 있으면(`make models`) 2코어 노트북 PC로 약 1분.
#
# **내 모델과 데이터로 실행하려면**: `MODEL` / `PRETRAINED`에 디스크에 있는 open_clip 모델을, `DATA`에 `label` 열과 `style`(또는 다른 도메인) 열이 있는 CSV를 넣으세요. `ID_STYLE`에는 분포 내 도메인의 이름을 적습니다.

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"                # 다섯 스타일 모두의 캡션으로 학습; 또는 open_clip 모델 이름
PRETRAINED = None                        # open_clip 모델일 때: 디스크에 있는 체크포인트 경로나 태그
SINGLE_STYLE_MODEL = "shapes-cnn-tiny-flat"  # 같은 레시피를 평면 클립아트로만 학습 (ShapesWorld)
FINE_TUNED = "shapes-cnn-tiny-labels-ft"  # MODEL을 평면 라벨로 파인튜닝 (내장; 아니면 여기서 파인튜닝)
DATA = "shapes"                          # "shapes", "csv:PATH", "folder:PATH" 또는 "wds:SHARDS"
ID_STYLE = "flat"                        # 분포 내 스타일; 나머지 스타일이 분포 변화
STYLE_COLUMN = "style"                   # 내 데이터: 각 이미지의 도메인을 적은 열
N_POOL = 2000                            # 스타일마다 라벨 이미지 수 (프로브, 파인튜닝)
N_EVAL = 1000                            # 스타일마다 테스트 이미지 수
SHOTS = (1, 2, 4, 8, 16)                 # 퓨샷 프로브에 쓸 클래스당 라벨 이미지 수
DRAWS = 5                                # k마다 샷을 무작위로 뽑는 횟수
N_WISE = 500                             # WiSE-FT의 섞는 비율마다 스타일별 테스트 이미지 수
FT_STEPS = 100                           # 내 데이터로 파인튜닝하는 스텝 수 (ShapesWorld: FINE_TUNED는 캐시됨)
DEVICE = "auto"                          # "auto": GPU(CUDA, Apple의 MPS)가 있으면 GPU, 없으면 CPU
LANGUAGE = "ko"                          # "en" 또는 "ko": 출력되는 문장, 표, 그림의 언어
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from clipviz import references
from clipviz.analysis import transfer
from clipviz.language import _, set_language
from clipviz.stats import compact, verdict
from clipviz.teaching import viz
from clipviz.teaching.notebook import fine_tuned_pair, load_model, load_style_sets
from clipviz.zoo import SUPERVISED, classifier

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · 하나의 세계, 다섯 스타일
#
# 테스트 이미지는 모든 스타일에서 같은 장면이고, 바뀌는 것은 렌더링뿐입니다. 각 스타일에서의 제로샷 정확도를 기본 모델(다섯 스타일 모두의 캡션으로 학습, 대부분은 평면)과, 평면 클립아트로만 학습한 똑같은 레시피에 대해 봅니다:

# %%
world, sets = load_style_sets(DATA, ID_STYLE, N_POOL, N_EVAL, SEED, STYLE_COLUMN)
viz.style_grid(sets.tests, title=_("the test images by style (in-distribution: {style})", style=_(sets.id_style)));
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, seed=SEED, device=DEVICE)
features = transfer.StyleFeatures.encode(model, sets)
zero_shot = transfer.zero_shot_outcomes(model, tokenizer, sets, features)
if world:
    single, single_preprocess, single_tokenizer = load_model(SINGLE_STYLE_MODEL, seed=SEED, device=DEVICE)
    single_zero_shot = transfer.zero_shot_outcomes(single, single_tokenizer, sets,
                                                   transfer.StyleFeatures.encode(single, sets, pools=False))
    by_model = {f"{MODEL} (all styles)": zero_shot, f"{SINGLE_STYLE_MODEL} (flat only)": single_zero_shot}
else:
    by_model = {MODEL: zero_shot}
transfer.accuracy_by_style(by_model).round(3)

# %% [markdown]
# ## 2 · 프롬프트 하나는 라벨 몇 개의 가치가 있을까?
#
# 제로샷은 라벨이 달린 이미지를 하나도 쓰지 않습니다. **선형 프로브**(같은 고정 이미지 특징 위의 로지스틱 회귀)는 얼마간 필요합니다. 클래스당 라벨 이미지 k = 1, 2, 4, 8, 16장에 대해 프로브를 맞추고, 스타일마다 테스트 이미지에서 채점합니다(k마다 무작위로 여러 번 뽑고, C는 클래스당 다른 이미지 min(k, 4)장으로 고릅니다: CoOp의 규칙). log k로 보간한 프로브의 곡선이 제로샷에 닿는 k가 제로샷의 **유효 샷 수**입니다(CLIP 논문의 그림 7).

# %% tags=["talk:shots"]
curves, shots = transfer.shots_by_style(model, tokenizer, sets, features, SHOTS, DRAWS, SEED)
if len(shots):
    viz.shot_curves(curves, shots)
    display(transfer.shots_for_reading(shots))
    effective, largest = shots["effective shots"], shots["largest k"].max()
    print(_("Median effective shots over the styles: {median} labelled images per class (range {low} to {high})."
            "\nThe paper, not measured here: {paper}.", median=transfer.shots_text(effective.median(), largest),
            low=transfer.shots_text(effective.min(), largest), high=transfer.shots_text(effective.max(), largest),
            paper=references.PAPER["effective_shots"]))
else:
    print(_("Your data has too few labelled images per class for even a 1-shot probe with a validation image, "
            "so the few-shot curves are skipped."))

# %% [markdown]
# ## 3 · 유효 강건성
#
# ImageNet에서 더 나은 모델은 대개 ImageNet의 분포 변화에서도 더 낫습니다. 수백 개의 지도학습 모델에 걸쳐, 두 정확도를 로짓으로 변환하면 분포 변화 아래의 정확도는 ID 정확도의 거의 직선 함수가 됩니다(Taori 외 2020). 그래서 "강건하다"는 말은 *그 직선보다 위에 있다*는 뜻입니다. 한 모델의 **유효 강건성**은 OOD 정확도에서, 같은 ID 정확도일 때 직선이 예측하는 값을 뺀 것입니다.
#
# 여기서 직선은 지도학습 기준 모델들에서 얻습니다. 기본 이미지 타워를 평면 이미지만으로 라벨을 써서 학습한 것으로, 너비 두 가지와 학습 길이 세 가지입니다. 그 위에 제로샷 CLIP, 평면 이미지로 맞춘 CLIP 특징 위의 로지스틱 회귀 프로브(논문의 "ImageNet에 적응", adapt to ImageNet), 그리고 평면 이미지로 처음부터 끝까지(end-to-end) 파인튜닝한 CLIP을 놓습니다. 구간마다 테스트 이미지를 다시 뽑고 직선을 다시 맞춥니다.

# %% tags=["talk:robustness"]
if world and len(sets.shifts):
    baselines = {name: transfer.classifier_outcomes(classifier(name, device=DEVICE)[0], sets)
                 for name in SUPERVISED}
    zero_shot_net, fine_tuned_net = fine_tuned_pair(FINE_TUNED, MODEL, model, tokenizer, sets, FT_STEPS, SEED)
    models = {"zero-shot CLIP": zero_shot, "probe fitted on flat": transfer.probe_outcomes(sets, features, SEED),
              "fine-tuned on flat": transfer.classifier_outcomes(fine_tuned_net, sets)}
    robustness, trend = transfer.robustness_table(baselines, models, sets.id_style, seed=SEED)
    viz.effective_robustness(robustness, trend)
    display(compact(robustness.drop(columns="kind").astype(float)))
else:
    print(_("Effective robustness needs a line of supervised baselines trained on your in-distribution domain and "
            "test images of at least one other domain; ") + (_("your data has one domain only.") if not sets.shifts
                                                             else _("those baselines exist for ShapesWorld only.")))

# %% [markdown]
# 스타일별로, 평면 이미지에 적응시키는 것이 각 분포 변화에 무엇을 하는지 봅니다(논문의 그림 14: ImageNet 프로브는 ImageNet에서 9.2%p 오르지만, 분포 변화들의 평균은 조금 떨어집니다):

# %%
if world and len(sets.shifts):
    by_style = transfer.accuracy_by_style(models)
    viz.style_changes(by_style, "zero-shot CLIP",
                      _("top-1 change against zero-shot CLIP, per style (ID: {style})", style=_(sets.id_style)))
    changes = by_style.drop(index="zero-shot CLIP") - by_style.loc["zero-shot CLIP"]
    print("\n".join(_("{model}: {id_change:+.3f} on {style}, {ood_change:+.3f} on the mean of the shifts", model=_(name),
                      id_change=row[sets.id_style], style=_(sets.id_style), ood_change=row[sets.shifts].mean())
                    for name, row in changes.iterrows()))
    print(_("The paper, not measured here: {paper}.", paper=references.PAPER["adapt_to_imagenet"]))

# %% [markdown]
# ## 4 · 파인튜닝과 WiSE-FT
#
# 파인튜닝(fine-tuning)은 제로샷 분류기 자체(헤드가 클래스 텍스트 임베딩을 담고 있습니다)에서 시작해, 평면 라벨로 모든 가중치를 학습합니다. 그다음 WiSE-FT가 두 가중치 집합을 θ(α) = (1 − α)·θ_zero-shot + α·θ_fine-tuned로 섞으며, 추가 학습은 없습니다. α = 0부터 1까지 이어지는 곡선 하나가 나옵니다.

# %%
if sets.pools.get(sets.id_style) is not None and len(sets.pools[sets.id_style]) >= 2:
    if not world:
        zero_shot_net, fine_tuned_net = fine_tuned_pair(FINE_TUNED, MODEL, model, tokenizer, sets, FT_STEPS, SEED)
    wise = transfer.wise_ft_curve(zero_shot_net, fine_tuned_net, sets, n=N_WISE)
    if len(sets.shifts):
        viz.wise_ft(wise)
        best = wise.loc[wise["ood"].idxmax()]
        end = wise.iloc[-1]
        print(_("Best α for the shifts: {alpha:.1f}: OOD {ood:.3f} ({ood_change:+.3f} against the fine-tuned model), "
                "ID {id:.3f} ({id_change:+.3f}).\nThe paper, not measured here: {paper}.", alpha=best.alpha,
                ood=best.ood, ood_change=best.ood - end.ood, id=best.id, id_change=best.id - end.id,
                paper=references.PAPER["wise_ft"]))
    display(wise.round(3).set_index("alpha"))
else:
    print(_("Your in-distribution domain has fewer than two images, too few to fine-tune on."))

# %% [markdown]
# ## 5 · 강건성은 데이터에서 오는가?
#
# CLIP은 ImageNet 모델과 두 가지 점에서 동시에 다릅니다. 언어에서 배우고, 훨씬 다양한 이미지에서 배웁니다. Fang 외(2022)는 이 둘을 떼어 놓고, 결정하는 것은 데이터라는 것을 발견했습니다. 여기서 두 모델은 학습 이미지만 다릅니다. 같은 레시피를 다섯 스타일과 모든 화질로, 그리고 평면 클립아트로만 학습했습니다. 같은 지도학습 직선에 대한 두 모델의 유효 강건성과, 짝지은 구간을 곁들인 차이:

# %%
if world and len(sets.shifts):
    both = transfer.robustness_table(baselines, by_model, sets.id_style, seed=SEED)[0]
    display(compact(both.loc[list(by_model)].drop(columns="kind").astype(float)))
    delta, low, high = transfer.robustness_difference(baselines, *by_model.values(), sets.id_style, seed=SEED)
    print(_("Trained on all five styles and qualities rather than on flat clip art only, the same recipe is {verdict} "
            "(effective robustness, all minus flat only).\nFang et al., not measured here: {paper}.",
            verdict=verdict(delta, low, high, _("more robust"), _("less robust")),
            paper=references.PAPER["data_determines"]))
else:
    print(_("This comparison needs two models trained by the same recipe on different data: ShapesWorld's."))

# %% [markdown]
# ## 6 · 논문의 수치와 우리의 수치
#
# CLIP 논문의 그림 13(논문의 수치이며, 여기서 측정한 것이 아닙니다): ImageNet 정확도가 같은 ResNet-101과 제로샷 CLIP을 ImageNet의 분포 변화에서 비교합니다. 그 옆에 우리의 수치를 둡니다. 평면 정확도가 제로샷 CLIP과 가장 가까운 지도학습 기준 모델과 제로샷 CLIP의 스타일별 정확도입니다.

# %%
display(references.fig13())
if world and len(sets.shifts):
    matched = (robustness.loc[list(baselines), "id"] - robustness.at["zero-shot CLIP", "id"]).abs().idxmin()
    display(transfer.accuracy_by_style({f"supervised ({matched})": baselines[matched],
                                        "zero-shot CLIP": zero_shot}).T.round(3))

# %% [markdown]
# ## 정리
#
# 이 노트북에서는
# - 같은 장면을 다섯 스타일로 그리고, 각 스타일에서 제로샷을 측정했습니다;
# - 프롬프트의 값을 클래스당 라벨 이미지 수로 매겼습니다: 유효 샷 수;
# - 지도학습 모델들이 분포 변화 아래에서 따르는 직선을 긋고, 제로샷 CLIP, 프로브, 파인튜닝한 CLIP이 그 직선보다 얼마나 위에 있는지 측정했습니다;
# - 제로샷 가중치와 파인튜닝한 가중치를 섞고(WiSE-FT), 그 길을 따라 분포 안팎의 정확도를 추적했습니다;
# - 한 레시피를 한 스타일로, 그리고 다섯 스타일 모두로 학습해, 강건성이 데이터에서 오는지 물었습니다.
#
# **연습 문제** — 문제마다 아래에 풀이 셀이 있습니다(학생용 버전에는 풀이가 없습니다: `make exercises`).

# %% [markdown]
# **연습 문제 1.** 지도학습 기준 모델에게 가장 어려운 분포 변화는 무엇이고, 제로샷 CLIP에게는 무엇인가요? 스타일별 정확도를 비교해 보세요.

# %% tags=["solution"]
# Exercise 1: top-1 per style of every baseline and of zero-shot CLIP.
if world:
    display(transfer.accuracy_by_style({**baselines, "zero-shot CLIP": zero_shot}).round(3))

# %% [markdown]
# **연습 문제 2.** 유효 샷 수는 프로브의 곡선에 달려 있습니다. k마다 세 번만 뽑거나, 샷을 8개까지만 쓰면 어떻게 바뀌나요? (새로 맞출 필요는 없습니다: `curves`의 행을 쓰세요.)

# %% tags=["solution"]
# Exercise 2: effective shots from fewer draws, and from shots up to 8, of the same curves.
if len(shots):
    zero_shot_top1, chance = shots["zero-shot"].to_dict(), shots["chance"].iloc[0]
    variants = {"as above": shots,
                "3 draws": transfer.shots_summary(curves[curves["draw"] < 3], zero_shot_top1, chance),
                "shots up to 8": transfer.shots_summary(curves[curves["shots"] <= 8], zero_shot_top1, chance)}
    display(pd.DataFrame({name: transfer.shots_texts(table) for name, table in variants.items()}, index=shots.index))

# %% [markdown]
# **연습 문제 3.** WiSE-FT는 예측이 아니라 가중치를 섞습니다. 대신 *출력*을 섞어 보세요. 4절에서 가장 좋았던 α로 (1 − α)·logits_zero-shot + α·logits_fine-tuned를 계산합니다. 가중치를 섞은 것만큼 좋은가요? (4절은 스타일마다 처음 `N_WISE`장의 이미지로 각 α를 채점했고, 여기서는 이미지를 모두 채점합니다.)

# %% tags=["solution"]
# Exercise 3: an output-space ensemble at the α that was best in weight space.
if world:
    alpha = float(wise.loc[wise["ood"].idxmax(), "alpha"])
    outputs = transfer.accuracy_by_style({"outputs mixed": transfer.output_ensemble_outcomes(
        zero_shot_net, fine_tuned_net, alpha, sets)}).iloc[0]
    print(_("α = {alpha:.1f}: outputs mixed: ID {id:.3f}, OOD {ood:.3f}; weights mixed (section 4): ID {wise_id:.3f}, "
            "OOD {wise_ood:.3f}", alpha=alpha, id=outputs[sets.id_style], ood=outputs[sets.shifts].mean(),
            wise_id=wise.set_index("alpha").at[alpha, "id"], wise_ood=wise.set_index("alpha").at[alpha, "ood"]))

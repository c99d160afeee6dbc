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
# # 02 · 공동 임베딩 공간: 무엇이 어디에 있는가, 그리고 모달리티 갭
#
# **배울 내용**
# - 대조학습(contrastive learning)을 거친 이미지와 캡션이 어떻게 하나의 공간을 함께 쓰는지, 지도로 보기;
# - 어떤 속성(모양, 색, 크기, 배경)이 그 공간을 조직하는지;
# - 학습이 무엇을 바꾸는지: 학습 전 모델로 그린 같은 지도;
# - **모달리티 갭**(modality gap): 짝이 맞는 이미지와 캡션도 서로 다른 영역에 놓인다는 것, 그리고 그 갭을 없애면 제로샷(zero-shot) 정확도가 어떻게 되는지(측정);
# - 2차원 지도를 얼마나 믿을 수 있는지: UMAP과 PCA의 비교, 그리고 신뢰성(trustworthiness) 점수.
#
# **실행 시간**: 2코어 노트북 PC로 약 1분(첫 UMAP 실행 때 numba 코드를 컴파일합니다. 인코딩은 캐시되므로 다시 실행하면 더 빠릅니다).
#
# **내 데이터나 실제 CLIP으로 실행하려면**: `DATA`를 `"csv:PATH"` / `"folder:PATH"` / `"wds:SHARDS"`로, `MODEL` / `PRETRAINED`를 open_clip 모델 이름과 디스크에 있는 체크포인트로 바꾸세요.

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"        # 내장 모델, 또는 open_clip의 아무 모델 이름 ("ViT-B-32")
PRETRAINED = None                # open_clip 모델일 때: 디스크에 있는 체크포인트 경로나 태그
DATA = "shapes"                  # "shapes", "csv:PATH", "folder:PATH" 또는 "wds:SHARDS"
N_SEEN = 600                     # 지도에 올릴, 학습 때 본 조합의 쌍 수
N_HELDOUT = 200                  # 지도에 올릴, 처음 보는 조합의 쌍 수 (ShapesWorld만)
DEVICE = "auto"                  # "auto": GPU(CUDA, Apple의 MPS)가 있으면 GPU, 없으면 CPU
LANGUAGE = "ko"                  # "en" 또는 "ko": 출력되는 문장, 표, 그림의 언어
SEED = 0

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from clipviz.analysis import geometry, projection
from clipviz.evaluation.embed import encode_texts
from clipviz.evaluation.zeroshot import PHOTO_TEMPLATE, zero_shot_classifier
from clipviz.language import _, set_language
from clipviz.teaching import viz
from clipviz.teaching.notebook import has_labels, load_data, load_model, map_attributes, map_data, map_images
from clipviz.teaching.widgets import EmbeddingExplorer

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · 이미지와 캡션 인코딩
#
# 쌍 하나는 점 두 개가 됩니다. 이미지 하나와 캡션 하나이며, 둘 다 같은 192차원 공간의 단위 벡터입니다. 인코딩은 모델의 가중치와 데이터를 키로 삼아 디스크에 캐시되므로, 다시 실행하면 이 단계를 건너뜁니다.

# %%
world, _train, test_set, heldout_set, classnames = load_data(DATA, n_train=0, seed=SEED, n_eval=N_SEEN)
heldout_set = heldout_set.subset(n=min(N_HELDOUT, len(heldout_set)), seed=SEED) if heldout_set else None
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, seed=SEED, device=DEVICE)
image_features, text_features, meta = map_data(model, tokenizer, [test_set, heldout_set])
features, points = projection.stack_modalities(image_features, text_features, meta)
attributes = map_attributes(meta)
print(_("{pairs} pairs → {points} points of dimension {dimension}; attributes: {attributes}", pairs=len(meta),
        points=len(points), dimension=features.shape[1], attributes=", ".join(attributes)))

# %% [markdown]
# ## 2 · 두 모달리티를 한 지도에
#
# UMAP은 192차원 공간에서 (코사인 유사도로 보아) 이웃인 점들을 지면에서도 가까이 놓습니다. 이미지는 동그라미, 캡션은 가위표이고, 색은 속성 하나를 나타냅니다. 아래의 정적 그림은 첫 번째 속성(ShapesWorld에서는 색)으로 칠했고, 그 아래의 탐색기에서 다른 속성을 고를 수 있습니다.

# %% tags=["talk:embedding"]
umap_coords = projection.project(features, "umap", seed=SEED)
viz.embedding_map(umap_coords, points, attributes[0],
                  _("UMAP of images and captions, coloured by {attribute}", attribute=_(attributes[0])));

# %%
EmbeddingExplorer(umap_coords, points, attributes, _("UMAP of images and captions"))

# %% [markdown]
# 어떤 속성이 공간을 조직할까요? 이미지마다 (지도가 아니라 192차원 공간에서) 가장 가까운 이미지 10장을 보고, 그중 몇 장이 색, 모양 등을 공유하는지 셉니다. 캡션도 마찬가지입니다. "우연 수준"(chance)은 이웃을 무작위로 골랐을 때 나올 값입니다.

# %%
agreement = geometry.neighbour_agreement_table(image_features, text_features, meta, attributes)
agreement.round(3)

# %% [markdown]
# ## 3 · 학습 전과 후
#
# 같은 구조에 무작위 가중치를 넣은 모델로 같은 투영을 합니다. 무작위 특징이라고 구조가 없는 것은 아닙니다. 무작위 합성곱 타워도 픽셀의 저수준 통계로 이미지를 묶습니다. 표와 그 아래의 문장은 학습 전과 후에 각 공간을 어떤 속성이 조직하는지 알려 줍니다.

# %%
untrained = load_model(MODEL, PRETRAINED, trained=False, seed=SEED, device=DEVICE)[0]
untrained_images, untrained_texts = map_data(untrained, tokenizer, [test_set, heldout_set])[:2]
untrained_coords = projection.project(projection.stack_modalities(untrained_images, untrained_texts, meta)[0],
                                      "umap", seed=SEED)
fig, axes = viz.panels(1, 2, figsize=(14, 5.5))
viz.embedding_map(untrained_coords, points, attributes[0], _("random initialisation"), ax=axes[0])
viz.embedding_map(umap_coords, points, attributes[0], _("after contrastive training"), ax=axes[1]);
untrained_agreement = geometry.neighbour_agreement_table(untrained_images, untrained_texts, meta, agreement.index)
before_after = geometry.before_after_table(untrained_agreement, agreement)
display(before_after.round(3))
print("\n".join(f"{_(column)}: {geometry.organising_attributes(before_after, column)}" for column in before_after.columns[:-1]))

# %% [markdown]
# ## 4 · 모달리티 갭
#
# 모든 이미지 벡터의 중심과 모든 캡션 벡터의 중심은 일치하지 않습니다. 그 차이가 **갭 벡터**입니다. 짝이 맞는 쌍은 다른 쌍보다 훨씬 비슷하지만, 그 코사인 유사도는 여전히 1보다 한참 낮습니다.

# %%
gap = geometry.modality_gap(image_features, text_features)
matched, unmatched = geometry.matched_similarities(image_features, text_features)
print(_("gap ‖mean(image) − mean(caption)‖ = {distance:.3f}; cosine between the centroids = {cosine:.3f}",
        distance=gap["distance"], cosine=gap["centroid_cosine"]))
viz.similarity_histograms(matched, unmatched);

# %% [markdown]
# 제로샷 분류 전에 갭을 없애면 어떻게 될까요? 이미지를 −gap/2만큼, 클래스 프롬프트를 +gap/2만큼 옮겨 보는 것입니다. 갭에 아무 정보가 없다면 정확도는 변하지 않을 것입니다.

# %%
if has_labels(classnames, _("zero-shot with the gap closed")):
    classifier = zero_shot_classifier(model, tokenizer, classnames, [PHOTO_TEMPLATE])
    labels = [classnames.index(label) for label in meta["label"]]
    gap_effect = geometry.zero_shot_with_gap_closed(image_features, labels, classifier, gap["gap"])
    display(pd.Series(gap_effect, name="zero-shot top-1").round(3).to_frame())

# %% [markdown]
# ## 5 · CLIP의 대표 그림과 검색
#
# 이미지 8장 × 그 캡션 8개: 각 캡션은 자기 이미지와 가장 비슷해야 합니다.

# %%
images = map_images([test_set, heldout_set])                       # (N, 64, 64, 3), one per pair
rows = np.random.default_rng(SEED).choice(len(test_set), 8, replace=False)
viz.similarity_matrix(image_features[rows], text_features[rows], meta["caption"].iloc[rows].tolist(),
                      _("cosine similarity of 8 images and their captions"), images[rows]);

# %% [markdown]
# 지도 위의 모든 것을 대상으로 양방향 검색을 합니다. 마지막 두 텍스트 질의는 처음 보는 조합(held-out)을 가리킵니다. 모델은 이 단어들을 함께 본 적이 없지만, 그래도 찾아볼 수 있습니다.

# %%
if world:
    queries = [PHOTO_TEMPLATE.format(name) for name in world.classnames("seen")[:2] + world.classnames("heldout")[:2]]
else:   # your classes, or without labels some of your own captions
    queries = [PHOTO_TEMPLATE.format(name) for name in classnames[:4]] if classnames else test_set.captions[:4]
query_features = encode_texts(model, tokenizer, queries)
found = geometry.nearest(query_features, image_features, k=6)                        # (Q, 6) rows
viz.image_results(queries, images[found], meta.get("label", meta["caption"]).to_numpy()[found]);

# %%
query_rows = np.flatnonzero(points["composition"].eq("held-out")[:len(meta)])[:4] if "composition" in meta else rows[:4]
top_captions = geometry.nearest_distinct(image_features[query_rows], text_features, meta["caption"].tolist(), k=4)
viz.text_results(images[query_rows], top_captions, _("image → text: the nearest captions"));

# %% [markdown]
# ## 6 · PCA와 UMAP을 나란히: 지도를 얼마나 믿을 수 있나
#
# PCA는 선형입니다. 두 축을 따라 잰 거리는 실제 거리이지만, 두 방향으로 192개의 방향을 다 보여 줄 수는 없습니다. UMAP은 이웃 관계를 지키려고 공간을 구부립니다. 지도에서 한 점의 이웃은 대개 임베딩에서도 이웃이지만, 군집 **사이의** 거리와 군집의 크기에는 별 의미가 없습니다. *신뢰성*(trustworthiness, scikit-learn)은 첫 번째 성질을 잽니다. 1.0이면 지도에서 가짜 이웃이 생긴 점이 하나도 없다는 뜻입니다.

# %%
pca_coords = projection.project(features, "pca")
fig, axes = viz.panels(1, 2, figsize=(14, 5.5))
viz.embedding_map(pca_coords, points, attributes[0], _("PCA (linear)"), ax=axes[0])
viz.embedding_map(umap_coords, points, attributes[0], _("UMAP (neighbourhoods)"), ax=axes[1]);
display(pd.Series({name: projection.trustworthiness(features, coords)
                   for name, coords in (("PCA", pca_coords), ("UMAP", umap_coords))},
                  name="trustworthiness (k=10)").round(3).to_frame())

# %% [markdown]
# ## 정리
#
# 이 노트북에서는
# - 이미지와 캡션을 하나의 공간으로 인코딩하고 UMAP으로 그렸습니다;
# - 학습된 공간을 어떤 속성이 조직하는지, 학습 전 공간에서도 이미 이미지를 묶는 속성은 무엇인지 측정했습니다(3절에서 둘 다 출력합니다);
# - 모달리티 갭, 짝이 맞는 쌍과 맞지 않는 쌍의 유사도, 그리고 갭을 없앤 뒤의 제로샷 정확도를 측정했습니다;
# - 캡션으로 이미지를, 이미지로 캡션을 검색했고, 모델이 본 적 없는 조합도 찾아보았습니다;
# - UMAP과 PCA를 비교하고, 각 지도가 얼마나 믿을 만한지 측정했습니다.
#
# **연습 문제** — 문제마다 아래에 풀이 셀이 있습니다(학생용 버전에는 풀이가 없습니다: `make exercises`).

# %% [markdown]
# **연습 문제 1.** 지도를 `size`와 `background`로 칠해 보세요. 모델은 어떤 속성을 구분하고 어떤 속성을 무시하나요? 여기서 캡션이 왜 중요할 수 있을까요?

# %% tags=["solution"]
# Exercise 1: the map by size and by background (your data: its last two attributes), side by side.
shown = [a for a in ("size", "background") if a in attributes] or attributes[-2:]
fig, axes = viz.panels(1, len(shown), figsize=(7 * len(shown), 5.5), squeeze=False)
for ax, attribute in zip(axes[0], shown):
    viz.embedding_map(umap_coords, points, attribute, _("coloured by {attribute}", attribute=_(attribute)), ax=ax)
agreement.reindex(shown).round(3)

# %% [markdown]
# **연습 문제 2.** 점이 몇 개뿐이면 UMAP은 이웃 50개를 유지할 수 없습니다. 점 40개에 `n_neighbors=50`을 주고 `projection.project`를 실행해 보세요. 오류 메시지는 무엇을 제안하나요?

# %% tags=["solution"]
# Exercise 2: too few points for n_neighbors, and the suggested fix.
try:
    projection.project(features[:40], "umap", n_neighbors=50)
except ValueError as problem:
    print(problem)
projection.project(features[:40], "umap", n_neighbors=10, seed=SEED).shape

# %% [markdown]
# **연습 문제 3.** 처음 보는 조합의 이미지는 같은 모양 곁에 놓일까요, 같은 색 곁에 놓일까요, 아니면 어느 쪽도 아닐까요? 처음 보는 조합의 이미지마다, 지도에 올린 모든 이미지 가운데 (192차원 공간에서) 가장 가까운 이미지 10장을 살펴보세요.

# %% tags=["solution"]
# Exercise 3: among each held-out image's nearest images, the share with its colour / shape.
if "composition" in meta:
    held_out = meta["composition"].eq("held-out").to_numpy()
    display(pd.Series({attribute: geometry.neighbour_agreement(image_features, meta[attribute], among=held_out)
                       for attribute in ("colour", "shape")}, name="held-out images' neighbours sharing it").round(3))

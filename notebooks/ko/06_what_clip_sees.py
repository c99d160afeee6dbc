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
# # 06 · CLIP은 어디를 보는가, 그리고 어디서 실패하는가
#
# **배울 내용**
# - 프롬프트가 이미지의 어디와 맞는지: 합성곱 이미지 타워에는 Grad-CAM, ViT에는 어텐션 관련도(attention relevance) — 그리고 실제 물체 마스크를 알 때 그런 맵을 해상도가 다른 타워끼리도 공정하게 *채점*하는 방법;
# - 마스크로 학습한 작은 헤드가 밀집 예측에서 그 제로샷 맵들보다 나은지;
# - CLIP이 얼마나 잘 세는지, 그리고 어순을 읽는지 아니면 단어 주머니(bag of words)로 읽는지("a red circle left of a blue square"와, 같은 단어의 자리를 바꾼 문장의 비교);
# - 단어를 바꾼 캡션을 하드 네거티브(hard negative)로 써서 학습하면(NegCLIP) 얼마나 고쳐지고, 그 대가는 무엇인지;
# - 글을 읽도록 배운 모델이 물체 옆에 쓰인 틀린 단어를 따라가는지(타이포그래픽 공격, typographic attack).
#
# 발표 자료의 한계 항목: CLIP은 세밀한 작업, 곧 정밀한 위치 찾기(로컬라이제이션)와 밀집 예측에 약하며, 이런 작업에서는 과제에 맞춘 파인튜닝이 효과를 볼 수 있습니다. ShapesWorld는 모든 물체의 마스크, 개수, 관계를 알기에, 여기서는 이 한계들을 95% 구간과 함께 측정하고 발표된 수치를 옆에 둡니다.
#
# **실행 시간**: 내장 모델이 캐시되어 있으면(`make models`) 약 1분 30초.
#
# **내 모델과 데이터로 실행하려면**: `MODEL` / `PRETRAINED`에 디스크에 있는 open_clip 모델을, `DATA`에 이미지와 캡션의 CSV를 넣으세요. 맵, 어순, 타이포그래픽 공격(`label` 열이 있을 때)은 그 데이터로 실행되고, 이미지마다 물체 개수를 적은 열이 있으면 개수 세기도 실행됩니다. 밀집 예측 헤드와 NegCLIP에는 ShapesWorld의 마스크와 모델이 필요하므로, 실행되지 않는다고 알려 줍니다.

# %% tags=["parameters"]
MODEL = "shapes-cnn-tiny"              # 내장 모델, 또는 open_clip의 아무 모델 이름 ("ViT-B-32")
PRETRAINED = None                      # open_clip 모델일 때: 디스크에 있는 체크포인트 경로나 태그
VIT_MODEL = "shapes-vit-tiny"          # 어텐션 관련도를 볼 ViT 타워 (ShapesWorld)
CONTROL_MODEL = "shapes-cnn-tiny-ft"   # 관계가 풍부한 캡션으로 MODEL을 파인튜닝한 모델
NEGCLIP_MODEL = "shapes-cnn-tiny-negclip"  # 같은 파인튜닝에 단어를 바꾼 하드 네거티브를 더한 모델
TEXT_MODEL = "shapes-cnn-tiny-text"    # 이미지 절반에서 물체 옆에 단어를 쓴 클립아트로 학습한 모델
READING_CONTROL = "shapes-cnn-tiny-flat"  # 같은 레시피, 같은 클립아트이지만 단어 없이 학습한 모델
DATA = "shapes"                        # "shapes", "csv:PATH", "folder:PATH" 또는 "wds:SHARDS"
N_EVAL = 1000                          # 측정마다 쓸 테스트 이미지 수
N_SHOWN = 12                           # 그려서 보여 줄 맵의 수
DENSE_STEPS = 200                      # ShapesWorld의 마스크로 밀집 예측 헤드를 학습할 스텝 수
DEVICE = "auto"                        # "auto": GPU(CUDA, Apple의 MPS)가 있으면 GPU, 없으면 CPU
LANGUAGE = "ko"                        # "en" 또는 "ko": 출력되는 문장, 표, 그림의 언어
SEED = 0

# %%
import pandas as pd
from IPython.display import display

from clipviz import references
from clipviz.analysis import compositional, explain, typographic
from clipviz.core.model import image_size
from clipviz.language import _, set_language
from clipviz.stats import bootstrap_ci, compact, paired_delta_ci, verdict
from clipviz.teaching import viz
from clipviz.teaching.notebook import load_model, load_scenes, scene_classes
from clipviz.teaching.widgets import ExplanationExplorer
from clipviz.zoo import CLIP_ART

set_language(LANGUAGE)

# %% [markdown]
# ## 1 · 어디를 보는가?
#
# 설명 맵은 이미지의 어느 부분이 이미지–프롬프트 유사도를 높이는지 묻습니다. **Grad-CAM**은 풀링 직전의 마지막 특징 맵에 유사도의 기울기로 가중치를 줍니다. **어텐션 관련도**(attention relevance, Chefer 외 2021)는 기울기로 가중한 ViT의 어텐션을 클래스 토큰에서 패치까지 거슬러 따라갑니다. 맵의 해상도는 타워 자체의 해상도입니다. 64픽셀 입력의 작은 ResNet에서는 2×2칸, 작은 ViT에서는 4×4칸입니다.
#
# 물체가 두 개인 장면에서 프롬프트는 그중 하나를 가리킵니다. **포인팅 게임**은 맵에서 가장 높은 칸이 그 물체 위에 있는지 묻고, 확인 삼아 다른 물체 위에 있는지도 묻습니다. 같은 해상도의 무작위 맵이 기준선입니다. **IoU**는 맵을 이미지 크기로 키우고 범위의 절반에서 잘라 물체의 마스크와 비교합니다.
#
# 키운다고 세부가 생기지는 않습니다. 2×2 맵은 아무리 잘 가리켜도 별 모양의 윤곽을 그릴 수 없습니다. 그래서 맵들을 **공통 격자**, 곧 그중 가장 거친 격자에서도 비교합니다(더 고운 맵은 그 격자로 평균 풀링). 그리고 각 IoU 옆에 그 격자에서의 **정답 마스크 자체의 IoU**를 둡니다. 물체의 정확한 마스크를 같은 칸으로 풀링해 같은 방식으로 채점한 값으로, 그 격자가 허락하는 한계입니다.

# %%
world, scenes = load_scenes(DATA, N_EVAL, SEED)
classnames = scene_classes(scenes) if world is None else None     # your data's classes, when it has a label column
model, preprocess, tokenizer = load_model(MODEL, PRETRAINED, seed=SEED, device=DEVICE)
towers = {MODEL: (model, tokenizer)}
if world:
    vit, vit_preprocess, vit_tokenizer = load_model(VIT_MODEL, seed=SEED, device=DEVICE)
    towers[VIT_MODEL] = (vit, vit_tokenizer)
    scores = {name: explain.scored_maps(m, t, scenes, world, SEED) for name, (m, t) in towers.items()}
    display(pd.DataFrame({f"{name} ({explain.map_method(m)})": compact(explain.pointing_summary(scores[name], SEED))["value"]
                          for name, (m, t) in towers.items()}))
    grid = explain.common_grid(table["map"].iloc[0].shape for table in scores.values())
    masks = explain.named_masks(scenes, world, scores[MODEL]["named"])
    scores = {name: explain.at_grid(table, masks, grid) for name, table in scores.items()}
    display(compact(explain.localisation_table(scores, SEED)))
else:
    print(_("Your data has no object masks, so its maps are shown below, not scored."))

# %% [markdown]
# 이미지 위에 겹친 맵입니다(밝을수록 유사도를 많이 높이는 곳). 흰 윤곽선은 프롬프트가 가리키는 물체를 표시합니다.

# %% tags=["talk:localisation"]
examples = {name: explain.map_examples(m, t, scenes, N_SHOWN, world, SEED) for name, (m, t) in towers.items()}
for name, ex in examples.items():
    viz.explanation_overlays(ex.images, ex.maps, ex.prompts, ex.masks,
                             title=f"{name}: {_(explain.map_method(towers[name][0]))}")

# %% [markdown]
# **탐색기.** 이미지를 고르고 프롬프트를 입력해 보세요. 다른 물체의 이름, 색 하나만, 이미지에 없는 도형을 넣어 보고, 맵이 어떻게 움직이는지 보세요.

# %%
ex = examples[MODEL]
ExplanationExplorer(model, tokenizer, ex.images, ex.prompts, ex.object_masks, ex.named)

# %% [markdown]
# ### 마스크로 학습한 헤드
#
# 발표 자료의 한계 항목은 세밀한 위치 찾기와 밀집 예측에서는 과제에 맞춘 파인튜닝이 유리하다는 것입니다. 여기 그런 파인튜닝을 가장 작게 해 봅니다. 이미지 타워는 고정하고, 1x1 합성곱 하나가 타워의 더 고운 특징 맵(stride 8: 64픽셀에서 8×8칸, 더 거친 단계는 그 위로 업샘플링)을 공동 임베딩 공간으로 옮기고, 거기서 칸마다 프롬프트의 텍스트 특징과 비교합니다. 다른 장면(학습 분할)의 정확한 마스크로 `DENSE_STEPS`스텝 학습한 뒤, 위의 맵들과 같은 장면, 같은 프롬프트로 채점합니다. IoU는 확률을 0.5에서 잘라 재고, 공통 격자에서는 맵들과 똑같이 풀링해 채점합니다.

# %%
if world and explain.map_method(model) == "grad-cam":
    head, head_history = explain.train_dense_head(model, tokenizer, world, explain.DenseConfig(steps=DENSE_STEPS, seed=SEED))
    dense = explain.at_grid(explain.scored_dense(head, model, tokenizer, scenes, world, SEED), masks, grid)
    display(compact(explain.localisation_table({f"dense head on {MODEL}": dense}, SEED)))
    versus = explain.head_against_maps(dense, scores, SEED)
    print("\n".join(explain.head_sentences(versus)))
    ex = explain.scored_examples(dense, scenes, masks)
    viz.explanation_overlays(ex.images, ex.maps, ex.prompts, ex.masks, title=_("the dense head's probability per cell"));
elif world:
    dense = None
    print(_("The dense head reads a convolutional tower's feature maps; {model} has a ViT tower.", model=MODEL))
else:
    print(_("The dense head learns from ShapesWorld's exact object masks, which your data does not have."))

# %% [markdown]
# ## 2 · 개수 세기
#
# 개수마다 프롬프트를 하나씩("a photo of one shape", "… of two shapes", …) 두고, 물체가 한 개에서 네 개까지 있는 이미지를 제로샷(zero-shot)으로 분류합니다. 학습 세계의 캡션은 가끔 "two shapes"나 "three shapes"라고 말하지만, 물체가 하나인 이미지에서 몇 개인지는 절대 말하지 않습니다. 여기서 재는 것은 물체 1~4개 세기입니다. 발표된 개수 세기 수치(CLEVR, 물체 3~10개, 실제 모델)는 다른 과제입니다.

# %%
if world:
    counts = compositional.count_outcomes(model, tokenizer, world.dataset("test", n=N_EVAL, eval_counts=(1, 1, 1, 1)))
    print(compositional.count_sentence(counts["correct"], seed=SEED))
    print(references.PAPER["counting"] + ".")
    display(pd.crosstab(counts["true"], counts["predicted"], rownames=["objects"], colnames=["predicted count"]))
elif (count_column := compositional.count_column(scenes.meta)):
    counts = compositional.count_outcomes(model, tokenizer, scenes, "a photo of {} objects", count_column)
    print(compositional.count_sentence(counts["correct"], seed=SEED, what="objects"))
else:
    print(_("Counting needs how many objects each image shows (a column {columns} of whole numbers 1 to 4), "
            "which your data does not have.", columns=_(" or ").join(compositional.COUNT_COLUMNS)))

# %% [markdown]
# ## 3 · 어순과 관계
#
# ARO의 시험(Yuksekgonul 외 2023)을 물체가 두 개인 장면에서 합니다. 참인 캡션("a red circle to the left of a blue square")을, 같은 단어로 **속성**을 바꾼 문장("a blue circle … a red square")과 **물체**를 바꾼 문장("a blue square to the left of a red circle")에 맞세웁니다. 캡션을 단어 주머니로 읽는 모델은 이들을 구별하지 못하므로 50%가 나옵니다. 그 옆에 이미지를 전혀 보지 않는 **눈먼**(blind) 기준선을 둡니다. 학습 캡션으로 만든 바이그램 모델로, 더 익숙한 어순을 고릅니다(SugarCrepe의 지적: 이런 시험 가운데에는 보지 않고도 통과할 수 있는 것이 있습니다).

# %%
if world:
    order = compositional.word_order_outcomes(model, tokenizer, scenes)
    blind = compositional.blind_outcomes(world.dataset("train", n=5000).captions, order)
    order_table = compositional.choice_table({MODEL: order, "blind (text only)": blind}, SEED)
    display(compact(order_table))
    print(compositional.bag_of_words_sentence(order_table.loc[MODEL]))
else:
    own = compositional.own_caption_outcomes(model, tokenizer, scenes)
    if len(own):
        low, high = bootstrap_ci(own["prefers"], seed=SEED)
        print(_("{n} of your captions have two colour or shape words to swap; the image prefers its own caption "
                "{value:.3f} [{low:.3f}, {high:.3f}] of the time (chance 0.5).", n=len(own),
                value=own["prefers"].mean(), low=low, high=high))
    else:
        print(_("None of your captions has two different colour or shape words to swap, so word order is not tested."))

# %% [markdown]
# ## 4 · 하드 네거티브는 일부를 고칩니다
#
# NegCLIP(Yuksekgonul 외 2023)은 각 캡션의 단어를 바꾼 쌍둥이 문장을 배치의 모든 이미지에 대한 추가 오답으로 넣어 CLIP을 파인튜닝(fine-tuning)합니다. 그래서 둘을 구별하지 못하면 손실이 커집니다. 같은 모델을 같은 관계가 풍부한 캡션으로, 하드 네거티브를 넣고 또 빼고 두 번 파인튜닝해 같은 시험으로 채점하고, 그다음 제로샷 top-1로 치르는 대가를 봅니다.

# %%
if world:
    tuned = {name: load_model(name, seed=SEED, device=DEVICE) for name in (CONTROL_MODEL, NEGCLIP_MODEL)}
    probes = {name: compositional.word_order_outcomes(m, t, scenes, order) for name, (m, _p, t) in tuned.items()}
    display(compact(compositional.choice_table({MODEL: order, **probes}, SEED)))
    for kind in ("attributes", "objects"):
        delta, low, high = paired_delta_ci(probes[NEGCLIP_MODEL][kind], probes[CONTROL_MODEL][kind], seed=SEED)
        print(_("{kind} swapped: hard negatives {verdict}", kind=_(kind), verdict=verdict(delta, low, high)))
    cost = compositional.zero_shot_cost(tuned[NEGCLIP_MODEL], tuned[CONTROL_MODEL], world, N_EVAL, SEED)
    display(compact(cost.drop(columns="verdict")))
    print(references.PAPER["negclip"])
else:
    print(_("NegCLIP and its control are ShapesWorld models: this comparison runs on ShapesWorld."))

# %% [markdown]
# ## 5 · 읽기와 보기: 타이포그래픽 공격
#
# CLIP이 글을 읽게 된 것은 웹 캡션이 이미지 속 글자를 그대로 옮겨 적는 일이 많기 때문입니다. 이 세계의 캡션도 그렇게 하며, 이미지 절반에서 물체 옆에 단어를 써 넣고 학습한 모델이 있습니다. 공격은 물체 옆, 곧 물체의 위나 아래에 *다른* 도형의 이름을 씁니다. 물체 위에는 절대 쓰지 않으므로 도형은 온전히 보입니다. "true word written"은 자기 이름을 씁니다(단어일 뿐 거짓이 아님). 대조군은 같은 클립아트에 같은 레시피로, 단어 없이 학습한 모델, 곧 읽기를 배운 적이 없는 모델입니다. 같은 장면에서, 글자 크기별로 짝지어 비교합니다(비트맵 글꼴의 1배 또는 2배 크기. 2배에서는 대부분의 이름이 64픽셀 이미지보다 넓어 양쪽 끝 글자가 잘립니다). 읽기는 예측이 얼마나 자주 **틀린 단어를 따라가는지**, 그리고 같은 이미지에서 읽는 모델이 대조군보다 얼마나 더 자주 그러는지에서 드러납니다.
#
# 내 라벨이 붙은 이미지에서는 각 그림 아래의 흰 띠에 무작위로 뽑은 다른 클래스의 이름을 써 넣고, 같은 그림에 자기 클래스 이름을 쓴 경우, 띠를 비워 둔 경우와 비교합니다.

# %% tags=["talk:typographic"]
if world:
    attack = typographic.attack_sets(world.replace(**CLIP_ART), N_EVAL)   # the pictures both models trained on
    readers = {TEXT_MODEL: load_model(TEXT_MODEL, seed=SEED, device=DEVICE),
               READING_CONTROL: load_model(READING_CONTROL, seed=SEED, device=DEVICE)}
    attack_classes = world.classnames("seen")
elif classnames:
    attack = typographic.own_attack_sets(scenes, classnames, image_size(model), SEED)
    readers, attack_classes = {MODEL: (model, None, tokenizer)}, classnames
if world or classnames:
    read = {name: typographic.attack_outcomes(m, t, attack, attack_classes) for name, (m, _p, t) in readers.items()}
    attacked = typographic.attack_summary(read, SEED)
    display(compact(attacked))
    shown_model = TEXT_MODEL if world else MODEL
    images, titles = typographic.attack_examples(readers[shown_model][0], readers[shown_model][2],
                                                 attack["wrong word written"], attack_classes)
    viz.image_grid(images, titles, title=_("the attack: another class's name beside the object; what {model} says",
                                           model=shown_model));
if world:
    print("\n".join(typographic.reading_sentences(typographic.reading_effect(read, TEXT_MODEL, READING_CONTROL, SEED))))
    print(references.PAPER["typographic"])
elif classnames:
    print(_("The control that cannot read is a ShapesWorld model: on your data the clean band and your own class's "
            "name are the controls. Chance of naming the wrong word's class: 1 in {n}.", n=len(classnames)))
else:
    print(_("The attack writes one class's name beside another's picture, so it needs a 'label' column; your "
            "data has none."))

# %% [markdown]
# ## 6 · 발표된 수치와 우리의 수치
#
# 발표된 수치는 웹에서 모은 4억 쌍으로 학습한 CLIP 모델을 실제 벤치마크에서 잰 것이고, 우리의 수치는 생성된 세계의 작은 모델에서 잰 것입니다. 크기가 아니라 방향을 비교하세요.

# %%
ours = {}
if world:
    follows = {name: ", ".join(_("{value:.2f} at {size}", value=v, size=k)
                               for k, v in attacked.xs(name)["follows the wrong word"].items())
               for name in (TEXT_MODEL, READING_CONTROL)}
    grid_name = "×".join(map(str, grid))
    ours = {"pointing game / IoU": "; ".join(_("{model}: pointing {hit:.2f} (random {random:.2f}), IoU at the common "
                                               "{grid} grid {iou:.2f}", model=n, hit=t["hit"].mean(),
                                               random=t["random_hit"].mean(), grid=grid_name, iou=t["iou_common"].mean())
                                             for n, t in scores.items())
                                   + (_("; dense head trained on masks: IoU {iou:.2f}", iou=dense["iou"].mean())
                                      if dense is not None else ""),
            "counting (zero-shot top-1)": _("1-4 shapes: {value:.3f} (chance 0.25)", value=counts["correct"].mean()),
            "word order: objects swapped": _("{model} {value:.2f}, with hard negatives {negclip:.2f}", model=MODEL,
                                             value=order["objects"].mean(),
                                             negclip=probes[NEGCLIP_MODEL]["objects"].mean()),
            "word order: attributes swapped": _("{model} {value:.2f}, with hard negatives {negclip:.2f}", model=MODEL,
                                                value=order["attributes"].mean(),
                                                negclip=probes[NEGCLIP_MODEL]["attributes"].mean()),
            "typographic attack": _("word beside the object; follows the wrong word: {reader} {reader_values}; "
                                    "control {control_values}", reader=TEXT_MODEL, reader_values=follows[TEXT_MODEL],
                                    control_values=follows[READING_CONTROL])}
compositional.published_table(ours)

# %% [markdown]
# ## 정리
#
# 이 노트북에서는
# - 합성곱 타워와 ViT 타워의 설명 맵을 그리고, 포인팅 게임과 IoU로 세계의 마스크에 대해 각 맵의 격자와 공통 격자에서 채점했습니다;
# - 고정된 타워의 특징 맵 위에 한 층짜리 헤드를 세계의 마스크로 학습시키고, 그 마스크를 같은 장면에서 제로샷 맵들과 비교했습니다;
# - 프롬프트로 물체 1~4개를 세고, 눈먼 기준선과 나란히 ARO식 바꾸기로 어순을 시험했습니다;
# - 단어를 바꾼 하드 네거티브로 파인튜닝(NegCLIP)하고 짝을 맞춘 대조군과 비교했으며, 그 대가를 제로샷 정확도로 매겼습니다;
# - 물체 옆에 틀린 단어를 써 넣고, 글을 읽도록 배운 모델이 단어를 본 적 없는 대조군보다 얼마나 자주 그 단어를 따라가는지 쟀습니다.
#
# **연습 문제** — 문제마다 아래에 풀이 셀이 있습니다(학생용 버전에는 풀이가 없습니다: `make exercises`).

# %% [markdown]
# **연습 문제 1.** 포인팅 게임의 결과는 프롬프트가 첫 번째(왼쪽 / 위) 물체를 가리키는지, 두 번째 물체를 가리키는지에 따라 달라지나요?

# %% tags=["solution"]
# Exercise 1: pointing-game hits by the named object's place.
if world:
    display(pd.concat({name: table.groupby("named")[["hit", "hit_other"]].mean() for name, table in scores.items()})
            .rename(index={0: "first (left / top)", 1: "second (right / bottom)"}).round(3))

# %% [markdown]
# **연습 문제 2.** 모델이 가장 많이 헷갈리는 개수는 무엇인가요? "one"이 예측되기는 하나요?

# %% tags=["solution"]
# Exercise 2: the share of each true count predicted as each count.
if world:
    display(pd.crosstab(counts["true"], counts["predicted"], normalize="index").round(2))

# %% [markdown]
# **연습 문제 3.** 눈먼 기준선은 익숙한 어순을 선호합니다. 어떤 시험 문항에서 모델을 이기며, 그 문항들은 처음 보는 색–도형 쌍에 관한 것인가요?

# %% tags=["solution"]
# Exercise 3: probes the blind baseline gets right and the model wrong.
if world:
    both = order.assign(blind=blind["objects"])
    print(both.loc[(both["blind"] == 1) & ~both["objects"], ["true", "objects_swapped"]].head(8).to_string())

"""Retrieval recall when captions repeat word for word: each test image gets three
class-templated captions, so an image's own caption ties exactly with the same caption of
every other image of its class. Counts as measured by clipviz (CLIP_benchmark's rule, ties
as torch.topk orders them), by CLIP_benchmark's own recall_at_k on the same scores, the
earlier clipviz rule (a tie with the own caption counted as a hit), and the tie-aware
expected recall."""

import numpy as np
import torch
from clip_benchmark.metrics.zeroshot_retrieval import recall_at_k

from common import write

from clipviz.data import PairDataset
from clipviz.evaluation.embed import encode_images, encode_texts
from clipviz.evaluation.metrics import retrieval_metrics, tie_aware_ranks
from clipviz.zoo import DEFAULT_MODEL, pretrained, recipe

TEMPLATES = ("a photo of a {}", "a {}", "a drawing of a {}")
N_IMAGES, KS = 600, (1, 5, 10)


def main() -> None:
    torch.set_num_threads(2)
    model, _, tokenizer = pretrained(DEFAULT_MODEL)
    images = recipe(DEFAULT_MODEL).make_world().dataset("test", n=N_IMAGES)
    image_features = encode_images(model, images)                                       # (I, D)
    captions = [t.format(label) for label in images.meta["label"] for t in TEMPLATES]    # 3 per image
    index = np.repeat(np.arange(N_IMAGES), len(TEMPLATES))
    text_features = encode_texts(model, tokenizer, captions)
    ours = retrieval_metrics(image_features, text_features, index, ks=KS)
    scores = text_features @ image_features.T
    positives = torch.zeros_like(scores, dtype=torch.bool)
    positives[torch.arange(len(index)), torch.as_tensor(index)] = True
    old_above = tie_aware_ranks(scores.T, positives.T)[0]      # the earlier rule: hit when fewer than k
    rows = {}                                                  # non-positives score strictly above
    for k in KS:
        rows[f"text_retrieval_recall@{k}"] = {
            "clipviz": ours[f"text_retrieval_recall@{k}"],
            "clip_benchmark": (recall_at_k(scores.T, positives.T, k) > 0).float().mean().item(),
            "earlier clipviz (ties count as hits)": float(np.mean(old_above < k)),
            "tie-aware expected": ours[f"text_retrieval_expected_recall@{k}"]}
        rows[f"image_retrieval_recall@{k}"] = {
            "clipviz": ours[f"image_retrieval_recall@{k}"],
            "clip_benchmark": (recall_at_k(scores, positives, k) > 0).float().mean().item(),
            "earlier clipviz (ties count as hits)": float(np.mean(tie_aware_ranks(scores, positives)[0] < k)),
            "tie-aware expected": ours[f"image_retrieval_expected_recall@{k}"]}
    for metric, values in rows.items():
        print(f"{metric:>28}: " + "   ".join(f"{name} {value:.3f}" for name, value in values.items()))
    write("retrieval_ties", {"model": DEFAULT_MODEL, "images": N_IMAGES, "captions_per_image": len(TEMPLATES),
                             "templates": TEMPLATES, "recall": rows})


if __name__ == "__main__":
    main()

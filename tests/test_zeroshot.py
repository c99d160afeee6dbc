import numpy as np
import pytest

import torch
import torch.nn.functional as F

from clipviz.core.model import create_model
from clipviz.evaluation.embed import encode_texts
from clipviz.evaluation.report import evaluate
from clipviz.evaluation.zeroshot import (PHOTO_TEMPLATE, class_targets, fill, load_templates, zero_shot_classifier,
                                         zero_shot_logits)
from clipviz.world import ShapesWorld


@pytest.fixture(scope="module")
def model_and_tokenizer():
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    return model, tokenizer


def test_classifier_is_the_normalised_mean_of_normalised_prompts(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    templates = ["a photo of a {}", "a {c}", lambda c: f"{c}!"]
    classes = ["red circle", ["blue square", "파란 사각형"]]
    classifier = zero_shot_classifier(model, tokenizer, classes, templates)
    for row, names in zip(classifier, [["red circle"], ["blue square", "파란 사각형"]]):
        prompts = [fill(t, n) for n in names for t in templates]
        expected = F.normalize(encode_texts(model, tokenizer, prompts).mean(0), dim=0)
        assert torch.allclose(row, expected, atol=1e-6)


def test_classifier_cache_follows_weight_changes():
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=1)
    before = zero_shot_classifier(model, tokenizer, ["red circle", "star"], ["a {}"])
    assert zero_shot_classifier(model, tokenizer, ["red circle", "star"], ["a {}"]) is before
    with torch.no_grad():
        model.text_projection.mul_(-1)
    after = zero_shot_classifier(model, tokenizer, ["red circle", "star"], ["a {}"])
    assert torch.allclose(after, -before, atol=1e-6)


@pytest.mark.parametrize("classes, templates, message", [
    ([], ["a {}"], "class list is empty"),
    (["a", "b", "a"], ["a {}"], "duplicate class names"),
    (["a", "b"], ["a photo"], "has no placeholder"),
    (["a", "b"], [], "template list is empty"),
])
def test_bad_zero_shot_input(model_and_tokenizer, classes, templates, message):
    with pytest.raises(ValueError, match=message):
        zero_shot_classifier(*model_and_tokenizer, classes, templates)


def test_template_banks():
    assert len(load_templates("openai80")) == 80 and len(load_templates("openai7")) == 7
    assert {"clip art of a {}", "a photo of a {}"} <= set(load_templates("shapes"))   # the grammar's frames
    unseen_words = {w for t in load_templates("shapes-unseen") for w in t.split()} - {"a", "an", "of", "on", "with", "{}"}
    caption_words = {w for c in ShapesWorld().dataset("train", n=5000).captions for w in c.split()}
    assert not unseen_words & caption_words
    with pytest.raises(ValueError, match="no template bank"):
        load_templates("nope")


def test_scales_change_probabilities_not_predictions():
    image, classifier = F.normalize(torch.randn(5, 8), dim=-1), F.normalize(torch.randn(3, 8), dim=-1)
    a, b = zero_shot_logits(image, classifier, 100.0), zero_shot_logits(image, classifier, 20.0)
    assert torch.equal(a.argmax(1), b.argmax(1)) and torch.allclose(a / 5, b)


def test_evaluate_reports_cb_metric_names(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    world = ShapesWorld(seed=0)
    report = evaluate(model, world.dataset("test", n=60), world.classnames("all"), [PHOTO_TEMPLATE], tokenizer)
    for key in ("acc1", "acc5", "mean_per_class_recall", "image_retrieval_recall@5",
                "text_retrieval_recall@10", "scale_learned"):
        assert key in report
    assert report["label_rule"] == "the 'label' column"


def test_labels_from_captions_when_there_is_no_label_column():
    dataset = ShapesWorld(seed=0).dataset("test", n=80)
    dataset.meta = dataset.meta.drop(columns="label")
    names = ["circle", "square", "triangle", "diamond", "star", "cross"]
    said = [[n for n in names if n in c] for c in dataset.captions]
    named = [i for i, (words, shape) in enumerate(zip(said, dataset.meta["shape"])) if words == [shape]]
    mentioned = dataset.subset(image_id=named)                      # captions that name their shape only
    target, rule = class_targets(mentioned, names)
    assert rule.startswith("the class name") and (np.array(names)[target] == mentioned.meta["shape"]).all()


def test_encodings_cache_is_reused_and_invalidated_when_the_model_changes(tmp_path, monkeypatch):
    import clipviz.evaluation.embed as embed

    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    data = ShapesWorld(seed=0).dataset("test", n=12)
    first = embed.cached_pair_features(model, tokenizer, data, tmp_path)
    assert len(list(tmp_path.glob("*.pt"))) == 1
    calls = []
    monkeypatch.setattr(embed, "pair_features", lambda *a: calls.append(1) or first)
    again = embed.cached_pair_features(model, tokenizer, data, tmp_path)
    assert calls == [] and all(torch.equal(a, b) for a, b in zip(first, again))
    monkeypatch.undo()
    with torch.no_grad():
        model.text_projection[:, :64].mul_(-1)
    changed = embed.cached_pair_features(model, tokenizer, data, tmp_path)
    assert len(list(tmp_path.glob("*.pt"))) == 2            # new weights → a new entry
    assert torch.equal(changed[0], first[0]) and not torch.allclose(changed[1], first[1])
    other_data = ShapesWorld(seed=1).dataset("test", n=12)
    embed.cached_pair_features(model, tokenizer, other_data, tmp_path)
    assert len(list(tmp_path.glob("*.pt"))) == 3            # other data → a new entry


def test_template_means_ensemble_equals_the_classifier(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    from clipviz.evaluation.zeroshot import ensemble, template_class_means

    classes = ["red circle", ["blue square", "파란 사각형"], "green star"]
    templates = ["a photo of a {}", "a {}", "there is a {}"]
    means = template_class_means(model, tokenizer, classes, templates)
    assert means.shape == (3, 3, model.text_projection.shape[1])   # (classes, templates, joint-space D)
    assert torch.allclose(ensemble(means), zero_shot_classifier(model, tokenizer, classes, templates), atol=1e-6)
    assert torch.allclose(ensemble(means, [1]), zero_shot_classifier(model, tokenizer, classes, ["a {}"]), atol=1e-6)


def random_bank(n_templates=6, n_classes=4, n_images=50, seed=0):
    generator = torch.Generator().manual_seed(seed)
    means = F.normalize(torch.randn(n_templates, n_classes, 8, generator=generator), dim=-1)
    images = F.normalize(torch.randn(n_images, 8, generator=generator), dim=-1)
    target = torch.randint(0, n_classes, (n_images,), generator=generator).numpy()
    return images, means, target


def test_probability_ensemble_against_a_loop():
    from clipviz.evaluation.zeroshot import probability_ensemble_logits

    images, means, _ = random_bank()
    expected = np.zeros((50, 4))
    for t in range(6):
        classifier = F.normalize(means[t], dim=-1)
        expected += torch.softmax(100 * images @ classifier.T, dim=1).numpy() / 6
    assert np.allclose(probability_ensemble_logits(images, means).exp().numpy(), expected, atol=1e-5)


def test_greedy_selection_against_a_naive_search():
    from clipviz.evaluation.zeroshot import greedy_templates, per_template_top1

    for seed in range(3):
        images, means, target = random_bank(seed=seed)

        def accuracy(chosen):
            classifier = F.normalize(sum(means[t] for t in chosen) / len(chosen), dim=-1)
            return float(((images @ classifier.T).argmax(1).numpy() == target).mean())

        chosen, expected = [], []
        while len(chosen) < 6:
            best = max((t for t in range(6) if t not in chosen), key=lambda t: (accuracy(chosen + [t]), -t))
            if expected and accuracy(chosen + [best]) <= expected[-1][1] + 1e-9:
                break
            chosen.append(best)
            expected.append((best, accuracy(chosen)))
        found = greedy_templates(images, means, target)
        assert [t for t, _ in found] == [t for t, _ in expected]
        assert np.allclose([a for _, a in found], [a for _, a in expected])
        assert found[0][1] == pytest.approx(max(per_template_top1(images, means, target)))


def test_openai_banks_are_strings_with_a_placeholder():
    for bank in ("openai80", "openai7"):
        assert all(isinstance(t, str) and "{}" in t for t in load_templates(bank))
    assert "a bad photo of a {}." in load_templates("openai80")


def test_class_name_styles():
    world = ShapesWorld(seed=0)
    english = world.classnames("all")
    assert len(world.classnames("all", "ko")) == len(english)
    assert world.classnames("all", "ko")[english.index("red circle")] == "빨간 원"
    assert world.classnames("all", "ko+en")[english.index("blue star")] == ["blue star", "파란 별"]
    assert world.classnames("heldout", "synonym")[0].endswith(("round shape", "four-sided box", "three-sided shape",
                                                               "rhombus", "five-pointed star", "plus sign"))
    with pytest.raises(ValueError, match="style"):
        world.classnames("all", "fr")


def test_fill_writes_the_article_the_class_name_needs():
    assert fill("a photo of a {}.", "orange circle") == "a photo of an orange circle."
    assert fill("a origami {}.", "red star") == "an origami red star."        # OpenAI's own slip, set right
    assert fill("an image of {c}", "blue square") == "an image of blue square"
    assert fill("itap of a {}", "{}") == "itap of a {}"


def test_untrained_words_are_the_words_outside_the_trained_rows():
    import torch

    from clipviz.evaluation.zeroshot import untrained_words

    _, _, tokenizer = create_model("shapes-cnn-tiny")
    trained = torch.tensor(sorted(set(tokenizer.encode("a photo of the red circle"))))
    found = untrained_words(["a photo of a {}.", "a statue of the {}", "{}"], tokenizer, trained)
    assert found == {"a statue of the {}": ["statue"]}
    assert untrained_words(["a statue of {}"], tokenizer, None) == {}          # a pretrained model: all trained

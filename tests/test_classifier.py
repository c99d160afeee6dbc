"""Image classifiers: the zero-shot head network equals the zero-shot classifier; training
learns and is deterministic."""

import pytest
import torch

from clipviz import ShapesWorld, TrainConfig, create_model
from clipviz.core.classifier import predict, supervised_classifier, train_classifier, zero_shot_image_classifier
from clipviz.evaluation.embed import encode_images
from clipviz.evaluation.zeroshot import class_targets
from clipviz.evaluation.zeroshot import zero_shot_classifier, zero_shot_logits


def test_zero_shot_head_network_equals_the_zero_shot_classifier():
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    world = ShapesWorld(seed=0)
    data = world.dataset("test", n=24)
    names = world.classnames("seen")
    classifier = zero_shot_classifier(model, tokenizer, names, ["a photo of a {}"])
    net = zero_shot_image_classifier(model, classifier, scale=100.0)
    with torch.inference_mode():
        logits = net(data.image_batch(range(24), 64))
    expected = zero_shot_logits(encode_images(model, data, precision="fp32"), classifier, 100.0)
    assert torch.allclose(logits, expected, atol=1e-4)
    assert (predict(net, data, precision="fp32") == expected.argmax(1).numpy()).all()
    assert net.tower is not model.visual          # fine-tuning the copy leaves the model alone


def test_train_classifier_learns_and_is_deterministic():
    world = ShapesWorld(seed=0)
    data = world.dataset("train", n=256, counts=(1, 0, 0, 0))
    names = world.classnames("seen")
    target = class_targets(data, names)[0]

    def fresh():
        return supervised_classifier(len(names), width=0.5, seed=0)

    config = TrainConfig(steps=30, batch_size=64, lr=3e-3, warmup_steps=5, precision="fp32", progress=False)
    first, second = fresh(), fresh()
    history = train_classifier(first, data, target, config)
    train_classifier(second, data, target, config)
    assert history.loss.iloc[-5:].mean() < history.loss.iloc[:5].mean() - 0.5
    assert all(torch.equal(p, q) for p, q in zip(first.state_dict().values(), second.state_dict().values()))
    with pytest.raises(ValueError, match="targets for"):
        train_classifier(first, data, target[:10], config)

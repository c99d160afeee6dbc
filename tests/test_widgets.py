"""The explorers' logic, driven by setting control values as a user would."""

import numpy as np
import pytest

from clipviz.evaluation.embed import encode_images
from clipviz.evaluation.zeroshot import class_targets
from clipviz.zoo import pretrained
from clipviz.teaching.widgets import PromptExplorer
from clipviz.world import ShapesWorld


@pytest.fixture(scope="module")
def explorer():
    model, _, tokenizer = pretrained("shapes-cnn-tiny", progress=False)
    world = ShapesWorld(seed=0)
    data = world.dataset("test", n=300)
    names = {"en": world.classnames("all"), "ko": world.classnames("all", "ko")}
    target = class_targets(data, names["en"])[0]
    return PromptExplorer(model, tokenizer, encode_images(model, data),
                          data.image_batch(range(300), 32).permute(0, 2, 3, 1).numpy(), target, names,
                          {"fixed 100": 100.0, "learned": model.logit_scale.exp().item()})


def test_changing_the_template_changes_the_accuracy(explorer):
    explorer.templates.value = "a photo of a {}"
    good = explorer.result["accuracy"]
    assert explorer.message is None and good > 0.8
    explorer.templates.value = "a red square and a blue circle and a {}"   # two more objects in every prompt mislead
    assert explorer.result["accuracy"] < good - 0.05
    explorer.names.value = "ko"                       # an English-only model cannot read Korean names
    assert explorer.result["accuracy"] < 0.3
    explorer.names.value = "en"
    explorer.templates.value = "a photo of a {}\na drawing of a {}"
    assert explorer.result["n_templates"] == 2
    assert "top-1" in explorer.summary.value


@pytest.mark.parametrize("field, value, message", [
    ("templates", "   ", "at least one template"),
    ("templates", "a photo of a thing", "No {}"),
    ("classes", "red circle, purple unicorn", "Unknown class 'purple unicorn'"),
])
def test_bad_input_shows_a_message_not_an_exception(explorer, field, value, message):
    getattr(explorer, field).value = value
    assert explorer.result is None and message in explorer.message and message[:10] in explorer.summary.value
    getattr(explorer, field).value = {"templates": "a photo of a {}", "classes": ""}[field]
    assert explorer.message is None


def test_restricting_the_classes(explorer):
    explorer.classes.value = "red circle, blue star"
    result = explorer.result
    assert result["n_classes"] == 2 and set(result["per_class_recall"].index) <= {"red circle", "blue star"}
    assert all(label in ("red circle", "blue star") for labels in result["top3"] for label, _ in labels)
    explorer.classes.value = ""


def test_explanation_explorer_follows_the_prompt_and_the_image():
    from clipviz.analysis.explain import map_examples
    from clipviz.core.model import create_model
    from clipviz.teaching.widgets import ExplanationExplorer

    model, _, tokenizer = create_model("shapes-vit-plain", seed=0)     # an 8x8 map: prompts move it
    world = ShapesWorld(seed=0)
    examples = map_examples(model, tokenizer, world.dataset("test", n=3, eval_counts=(0, 1, 0, 0)), n=3, world=world)
    explorer = ExplanationExplorer(model, tokenizer, examples.images, examples.prompts, examples.object_masks,
                                   examples.named)
    first = explorer.saliency.copy()
    assert np.allclose(first, examples.maps[0], atol=1e-5) and set(explorer.scores) == {
        "points at the object named by default", "IoU with it"}
    explorer.prompt.value = "a photo of a star with a very long tail"
    assert explorer.message is None and not np.allclose(explorer.saliency, first)
    explorer.prompt.value = "  "
    assert explorer.message and explorer.saliency is None and "Type a prompt" in explorer.summary.value
    explorer.index.value = 2
    assert explorer.prompt.value == examples.prompts[2] and np.allclose(explorer.saliency, examples.maps[2], atol=1e-5)

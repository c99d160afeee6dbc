"""Interactive controls for the notebooks (ipywidgets).

Each explorer keeps its computed state in plain attributes (the current figure, the last
message, the last result), so tests can set a control's value and read what the user
would see, without a browser.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from . import viz
from ..language import _, label
from ..evaluation.zeroshot import PHOTO_TEMPLATE, zero_shot_classifier, zero_shot_logits


def _cleared_or_message(explorer) -> bool:
    """Close an explorer's last figure and clear its output; with a message set, show it in
    the summary instead of a result and return True."""
    if explorer.figure is not None:
        plt.close(explorer.figure)
        explorer.figure = None
    explorer.output.clear_output(wait=True)
    if explorer.message:
        explorer.summary.value = f"<span style='color:#b00020'>⚠ {html.escape(explorer.message)}</span>"
    return bool(explorer.message)


class EmbeddingExplorer:
    """A joint-embedding map re-coloured by the attribute picked in a dropdown.

    Args:
        coords: (N, 2) map coordinates; points: DataFrame of N rows (`modality` + attributes).
        attributes: the columns offered in the dropdown; the first is shown first.
    """

    def __init__(self, coords, points, attributes, title: str = "joint embedding"):
        missing = [a for a in attributes if a not in points.columns]
        if missing:
            raise ValueError(f"attributes {missing} are not columns of the points table")
        self.coords, self.points, self.title = coords, points, title
        self.dropdown = widgets.Dropdown(options=[(label(a), a) for a in attributes], value=attributes[0],
                                         description=_("colour by"))
        self.legend = widgets.HTML()      # the legend as text too: readable by screen readers and tests
        self.output = widgets.Output()
        self.figure = None
        self.dropdown.observe(lambda change: self.redraw(), names="value")
        self.redraw()

    def redraw(self) -> None:
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = viz.embedding_map(self.coords, self.points, self.dropdown.value, self.title)
        plt.close(self.figure)   # shown through the output widget only
        colours = self.legend_labels()[:-2]
        self.legend.value = f"<b>{html.escape(label(self.dropdown.value))}</b>: {html.escape(' · '.join(colours))}"
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)

    def legend_labels(self) -> list[str]:
        """The entries of the current figure's legend (colours, then the two markers)."""
        return [text.get_text() for text in self.figure.axes[0].get_legend().get_texts()]

    def _ipython_display_(self) -> None:
        display(widgets.VBox([self.dropdown, self.legend, self.output]))


class PromptExplorer:
    """Type templates, pick class-name variants and a logit scale; see zero-shot accuracy,
    per-class recall and example images with their top-3 labels update live.

    Args:
        model, tokenizer: the CLIP model whose text tower embeds the prompts.
        image_features: (N, D) unit-norm features of the test images; images: uint8
            (N, H, W, 3) thumbnails of the same images; target: N class indices.
        name_sets: {"en": [...], "ko": [...], …} class-name lists, all in the same class
            order; the first list's names (a variant list's first name) label the classes.
        scales: {"fixed 100": 100.0, "learned": …} logit scales offered.
    Bad input (no template, a template without `{}`, an unknown class) sets `message`
    and shows it in the widget; it never raises.
    """

    N_EXAMPLES = 4

    def __init__(self, model, tokenizer, image_features, images, target, name_sets: dict, scales: dict,
                 template: str = PHOTO_TEMPLATE):
        self.model, self.tokenizer = model, tokenizer
        self.image_features, self.images = image_features, images
        self.target = np.asarray(target)
        self.name_sets, self.scales = name_sets, scales
        self.labels = [n if isinstance(n, str) else n[0] for n in next(iter(name_sets.values()))]
        self.templates = widgets.Textarea(value=template, description=_("templates"),
                                          placeholder=_("one per line, {} marks the class name"),
                                          layout=widgets.Layout(width="60%", height="80px"))
        self.names = widgets.Dropdown(options=[(label(n), n) for n in name_sets], description=_("class names"))
        self.scale = widgets.Dropdown(options=[(label(s), s) for s in scales], description=_("logit scale"))
        self.classes = widgets.Text(value="", description=_("classes"), placeholder=_("all (or: red circle, blue star)"))
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.message, self.result, self.figure = None, None, None
        for control in (self.templates, self.names, self.scale, self.classes):
            control.observe(lambda change: self.update(), names="value")
        self.update()

    # -- reading the controls --
    def _templates(self) -> list[str]:
        lines = [line.strip() for line in self.templates.value.splitlines() if line.strip()]
        if not lines:
            raise ValueError(_("Type at least one template, e.g. “a photo of a {}”."))
        missing = [t for t in lines if "{}" not in t and "{c}" not in t]
        if missing:
            raise ValueError(_("No {{}} in {template!r}: put {{}} where the class name goes.", template=missing[0]))
        return lines

    def _class_indices(self) -> list[int]:
        typed = [c.strip() for c in self.classes.value.split(",") if c.strip()]
        if not typed:
            return list(range(len(self.labels)))
        unknown = [c for c in typed if c not in self.labels]
        if unknown:
            raise ValueError(_("Unknown class {name!r}: choose from {names}, …", name=unknown[0],
                               names=", ".join(self.labels[:6])))
        return sorted({self.labels.index(c) for c in typed})

    # -- computing and showing --
    def update(self) -> None:
        try:
            self.result, self.message = self.compute(self._templates(), self._class_indices()), None
        except ValueError as problem:
            self.result, self.message = None, str(problem)
        self.show()

    def compute(self, templates: list[str], classes: list[int]) -> dict:
        """Accuracy, per-class recall and top-3 labels of a few examples, on the images whose
        class is among `classes`, classifying among those classes only."""
        names = [self.name_sets[self.names.value][i] for i in classes]
        classifier = zero_shot_classifier(self.model, self.tokenizer, names, templates)
        rows = np.flatnonzero(np.isin(self.target, classes))
        if len(rows) == 0:
            raise ValueError(_("No test image belongs to these classes."))
        target = np.searchsorted(classes, self.target[rows])                      # index within `classes`
        probs = zero_shot_logits(self.image_features[rows], classifier, self.scales[self.scale.value]).softmax(1)
        predicted = probs.argmax(1).numpy()
        recall = pd.Series({self.labels[c]: float((predicted[target == k] == k).mean())
                            for k, c in enumerate(classes) if (target == k).any()})
        examples = rows[:self.N_EXAMPLES]
        top3 = [[(self.labels[classes[int(i)]], float(p)) for p, i in zip(*probs[j].topk(min(3, len(classes))))]
                for j in range(len(examples))]
        return {"accuracy": float((predicted == target).mean()), "n_images": len(rows),
                "n_classes": len(classes), "n_templates": len(templates), "per_class_recall": recall,
                "examples": examples, "top3": top3}

    def show(self) -> None:
        if _cleared_or_message(self):
            return
        r = self.result
        self.summary.value = _("<b>top-1 {accuracy:.1%}</b> on {images} images · {classes} classes offered, "
                               "{present} of them in these images · {templates} template(s) · "
                               "mean per-class recall {recall:.1%}", accuracy=r["accuracy"], images=r["n_images"],
                               classes=r["n_classes"], present=len(r["per_class_recall"]),
                               templates=r["n_templates"], recall=r["per_class_recall"].mean())
        self.figure = viz.prompt_report(r["per_class_recall"], self.images[r["examples"]], r["top3"])
        plt.close(self.figure)
        with self.output:
            display(self.figure)

    def _ipython_display_(self) -> None:
        display(widgets.VBox([self.templates, widgets.HBox([self.names, self.scale]), self.classes,
                              self.summary, self.output]))


class ExplanationExplorer:
    """Pick an image, type a prompt: the explanation map over the image, and — when the true
    masks are known — whether the map points at the object the prompt names.

    Args:
        model, tokenizer: the CLIP model explained (`explain.map_method` decides how).
        images: uint8 (N, H, W, 3).
        prompts: N default prompts (the one shown for each image until you type another).
        masks: optional N (n_objects, H, W) bool arrays; `named`: N indices of the object each
            default prompt names (its mask is the one scored).
    Bad input (an empty prompt) sets `message` and shows it; it never raises.
    """

    def __init__(self, model, tokenizer, images, prompts, masks=None, named=None):
        self.model, self.tokenizer, self.images = model, tokenizer, images
        self.prompts, self.masks, self.named = list(prompts), masks, named
        self.index = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description=_("image"))
        self.prompt = widgets.Text(value=self.prompts[0], description=_("prompt"), continuous_update=False,
                                   layout=widgets.Layout(width="60%"))
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.message, self.saliency, self.figure = None, None, None
        self.index.observe(self._new_image, names="value")
        self.prompt.observe(lambda change: self.update(), names="value")
        self.update()

    def _new_image(self, change) -> None:
        if self.prompt.value != self.prompts[self.index.value]:
            self.prompt.value = self.prompts[self.index.value]     # triggers update()
        else:
            self.update()

    def update(self) -> None:
        from ..analysis.explain import explanation_maps, mask_iou, pointing_hit

        text = self.prompt.value.strip()
        self.message = None if text else _("Type a prompt, e.g. “a photo of a red circle”.")
        if self.message:
            self.saliency = None
        else:
            image = torch.as_tensor(self.images[self.index.value]).permute(2, 0, 1)[None]
            self.saliency = explanation_maps(self.model, self.tokenizer, image, [text])[0]
        self.scores = {}
        if self.saliency is not None and self.masks is not None:
            masks, named = self.masks[self.index.value], self.named[self.index.value]
            self.scores = {_("points at the object named by default"): pointing_hit(self.saliency, masks[named]),
                           _("IoU with it"): mask_iou(self.saliency, masks[named])}
        self.show()

    def show(self) -> None:
        if _cleared_or_message(self):
            return
        parts = [f"{name}: {_('yes') if value is True else _('no') if value is False else f'{value:.2f}'}"
                 for name, value in self.scores.items()]
        self.summary.value = f"<b>{html.escape(self.prompt.value)}</b>" + (" · " + " · ".join(parts) if parts else "")
        masks = None if self.masks is None else self.masks[self.index.value][self.named[self.index.value]][None]
        self.figure = viz.explanation_overlays(self.images[self.index.value][None], self.saliency[None],
                                               [self.prompt.value], masks, columns=1, title="", panel=4.0)
        plt.close(self.figure)
        with self.output:
            display(self.figure)

    def _ipython_display_(self) -> None:
        display(widgets.VBox([self.index, self.prompt, self.summary, self.output]))

"""Zero-shot top-1 of the default embedded model: one template vs template ensembles,
on seen and held-out colour-shape compositions."""

import sys

import torch

from common import write

from clipviz.evaluation.report import evaluate
from clipviz.zoo import DEFAULT_MODEL, pretrained, recipe
from clipviz.evaluation.zeroshot import PHOTO_TEMPLATE
from clipviz.evaluation.zeroshot import load_templates

torch.set_num_threads(2)
name = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL
model, _, tokenizer = pretrained(name)
world = recipe(name).make_world()
splits = {"seen": world.dataset("test", n=2000), "heldout": world.dataset("heldout", n=1200)}
banks = {"1 template ('a photo of a {}')": [PHOTO_TEMPLATE], "shapes (4, seen in training)": load_templates("shapes"),
         "shapes-unseen (8)": load_templates("shapes-unseen"), "openai7": load_templates("openai7"),
         "openai80": load_templates("openai80")}
rows = {}
for bank, templates in banks.items():
    rows[bank] = {split: evaluate(model, data, world.classnames("all"), templates, tokenizer, ks=())["acc1"]
                  for split, data in splits.items()}
    print(f"{bank:>34}: seen {rows[bank]['seen']:.3f}   held-out {rows[bank]['heldout']:.3f}")
write(f"zeroshot_{name}", {"model": name, "acc1": rows})

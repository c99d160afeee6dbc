"""Every published number clipviz sets beside its own, in one place — none measured here.

Numbers are stored once, as numbers, with their source; `PAPER` turns them into the
sentences the notebooks print (in the language set, `clipviz.set_language`), and the talk
fills them into its own words (`talk_values`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .language import N_, _

# --- the CLIP paper (Radford et al. 2021): ImageNet and its shifts, models trained on 400 M pairs
PRETRAINING_PAIRS_MILLIONS = 400
# zero-shot ImageNet top-1 gains, in points (§3.1.4)
PROMPT_EFFECTS = {"photo_template_vs_bare": 1.3,           # "A photo of a {label}." vs the label alone
                  "ensemble80_vs_photo_template": 3.5,     # 80 context prompts, ensembled in embedding space
                  "descriptive_vs_bare_polysemous": 1.5}   # class names edited ("a type of pet", …)
# effective shots of zero-shot (§3.1, Figs. 6-7): median over 20 data sets, range, ImageNet
EFFECTIVE_SHOTS = {"median": 5.4, "datasets": 20, "max": 184, "linear_probe_average": 4, "imagenet": 16}
ROBUSTNESS_GAP_SHRINKS_BY = 0.75          # "up to 75 %" (Fig. 13)
SCALING_COMPUTE_RANGE = 44                # zero-shot error log-log linear over a 44x range of compute (Fig. 9)
ADAPT_TO_IMAGENET = {"gain": 9.2, "top1": 85.4}   # a logistic-regression head on ImageNet (Fig. 14)
FIG13_TOP1 = {   # (ResNet-101, zero-shot CLIP) top-1 %, Fig. 13
    "ImageNet": (76.2, 76.2), "ImageNetV2": (64.3, 70.1), "ImageNet Sketch": (25.2, 60.2),
    "ObjectNet": (32.6, 72.3), "ImageNet-R": (37.7, 88.9), "ImageNet-A": (2.7, 77.1)}
# §7, FairFace, with the paper's label sets
FAIRFACE = {"non_human_overall": 4.9, "non_human_black": 14, "crime_men": 16.5, "crime_women": 9.8,
            "crime_or_non_human_0_20_without_child": 30}

# --- other papers
WISE_FT_OOD_GAIN = 8.7                    # Wortsman et al. 2022, Fig. 1: over end-to-end fine-tuning
ARO = {"vg_relation_clip": 0.59, "vg_relation_negclip": 0.81, "vg_attribution_negclip": 0.71}  # Yuksekgonul et al. 2023
CLEVR_COUNT = {"vit_b32": 0.235, "chance": 0.125}   # CLIP_benchmark's table (benchmark/benchmark.csv)
IPOD_APPLE = {"ipod": 99.7, "granny_smith": 0.13, "without_label": 85.6}   # Goh et al. 2021

# sentences for the notebooks, each naming its source: (English message, its values); `PAPER`
# gives them in the language set (clipviz.set_language), the Korean from the message catalogue
_PAPER = {
    "photo_template_vs_bare": (N_("{points:+.1f} pt"), {"points": PROMPT_EFFECTS["photo_template_vs_bare"]}),
    "ensemble80_vs_photo_template": (N_("{points:+.1f} pt"), {"points": PROMPT_EFFECTS["ensemble80_vs_photo_template"]}),
    "descriptive_vs_bare_polysemous": (N_("{points:+.1f} pt (class-name edits)"),
                                       {"points": PROMPT_EFFECTS["descriptive_vs_bare_polysemous"]}),
    "effective_shots": (N_("zero-shot matches a {probe}-shot linear probe averaged over {datasets} data sets (median "
                           "{median} effective shots per class, range < 1 to {max}) and a {imagenet}-shot probe on "
                           "ImageNet (CLIP paper, §3.1, Figs. 6-7)"),
                        {"probe": EFFECTIVE_SHOTS["linear_probe_average"], "datasets": EFFECTIVE_SHOTS["datasets"],
                         "median": EFFECTIVE_SHOTS["median"], "max": EFFECTIVE_SHOTS["max"],
                         "imagenet": EFFECTIVE_SHOTS["imagenet"]}),
    "robustness_gap": (N_("zero-shot CLIP shrinks the robustness gap by up to {share:.0%} (CLIP paper, Fig. 13)"),
                       {"share": ROBUSTNESS_GAP_SHRINKS_BY}),
    "adapt_to_imagenet": (N_("a logistic-regression head fitted on ImageNet: +{gain} points on ImageNet (to {top1} %), "
                             "average accuracy under shift slightly lower (CLIP paper, Fig. 14)"), ADAPT_TO_IMAGENET),
    "wise_ft": (N_("WiSE-FT raises average OOD accuracy by {gain} points over the end-to-end fine-tuned model while "
                   "maintaining ID accuracy (Wortsman et al. 2022, Fig. 1)"), {"gain": WISE_FT_OOD_GAIN}),
    "data_determines": (N_("CLIP's robustness comes from its training distribution, not from language supervision "
                           "itself (Fang et al. 2022)"), {}),
    "counting": (N_("For context, another task, not measured here: in CLIP_benchmark's published table "
                    "(benchmark/benchmark.csv) OpenAI's ViT-B/32, trained on web pairs, counts CLEVR scenes of 3 to 10 "
                    "objects (chance {chance:.1%}) at {vit_b32:.1%} zero-shot"), CLEVR_COUNT),
    "negclip": (N_("Yuksekgonul et al. 2023 (ARO), not measured here: VG-Relation CLIP {vg_relation_clip}, NegCLIP "
                   "{vg_relation_negclip}; VG-Attribution NegCLIP {vg_attribution_negclip}"), ARO),
    "typographic": (N_('Goh et al. 2021, not measured here: an apple with a paper label reading "iPod" is classified '
                       'zero-shot as an iPod at {ipod} % (Granny Smith {granny_smith} %; {without_label} % without '
                       'the label).'), IPOD_APPLE),
    "fairface": (N_("From the CLIP paper (§7), FairFace images, a ViT-L/14-era model: {non_human_overall} % of images "
                    "were classified into non-human categories overall, about {non_human_black} % for images of Black "
                    "people; crime-related labels went to {crime_men} % of men vs {crime_women} % of women; adding a "
                    "\"child\" category cut the crime/non-human rate for people aged 0–20 from about "
                    "{crime_or_non_human_0_20_without_child} % to a few per cent. Released CLIP models do not "
                    "reproduce the non-human figure exactly."), FAIRFACE),
}


class Sentences(Mapping):
    """The published numbers as sentences, read in the language set when they are read."""

    def __init__(self, messages: dict):
        self.messages = messages

    def __getitem__(self, key: str) -> str:
        message, values = self.messages[key]
        return _(message, **values) if values else _(message)

    def __iter__(self):
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)


PAPER = Sentences(_PAPER)


def fig13() -> pd.DataFrame:
    """The CLIP paper's Fig. 13: top-1 (%) of a ResNet-101 and zero-shot CLIP on ImageNet and its shifts."""
    return pd.DataFrame(FIG13_TOP1, index=["ResNet-101", "zero-shot CLIP"]).T


def limits_table() -> pd.DataFrame:
    """Published numbers for notebook 06's caveats, one row per measure, with their source."""
    rows = [("pointing game / IoU", _("no published number for CLIP's maps scored against masks in this form"), "—"),
            ("counting (zero-shot top-1)", _("another task: CLEVR, 3-10 objects, ViT-B/32: {value} (chance {chance})",
                                             value=CLEVR_COUNT["vit_b32"], chance=CLEVR_COUNT["chance"]),
             "CLIP_benchmark"),
            ("word order: objects swapped", f"VG-Relation: CLIP {ARO['vg_relation_clip']}, NegCLIP "
                                            f"{ARO['vg_relation_negclip']}", "Yuksekgonul et al. 2023"),
            ("word order: attributes swapped", f"VG-Attribution: NegCLIP {ARO['vg_attribution_negclip']}",
             "Yuksekgonul et al. 2023"),
            ("typographic attack", _('an apple labelled "iPod": zero-shot says iPod at {ipod} %', ipod=IPOD_APPLE["ipod"]),
             "Goh et al. 2021")]
    return pd.DataFrame(rows, columns=["measure", "published (not measured here)", "source"]).set_index("measure")


def talk_values() -> dict[str, str]:
    """The published numbers the talk's text names, formatted for it ({paper_…} placeholders)."""
    return {"paper_pairs": f"{PRETRAINING_PAIRS_MILLIONS}",
            "paper_pairs_ko": f"{PRETRAINING_PAIRS_MILLIONS / 100:g}억",        # 1억 = 100 M
            "paper_shots": f"{EFFECTIVE_SHOTS['median']}", "paper_shot_datasets": f"{EFFECTIVE_SHOTS['datasets']}",
            "paper_gap_shrinks": f"{ROBUSTNESS_GAP_SHRINKS_BY:.0%}".replace("%", " %"),
            "paper_compute_range": f"{SCALING_COMPUTE_RANGE}",
            "paper_clevr": f"{100 * CLEVR_COUNT['vit_b32']:.1f} %", "paper_clevr_chance": f"{100 * CLEVR_COUNT['chance']:.1f} %",
            "paper_ipod": f"{IPOD_APPLE['ipod']} %"}

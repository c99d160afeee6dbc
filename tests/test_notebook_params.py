"""The notebooks' parameters cells really switch data source and model."""

import ast
from pathlib import Path

import pytest

import jupytext
import nbformat
import pandas as pd
import torch
from nbclient import NotebookClient

from clipviz.data import CsvDataset
from clipviz.core.model import create_model, save_weights
from clipviz.teaching.classroom import CELL_TIMEOUT
from clipviz.teaching.notebook import load_data, load_model
from test_data import SAMPLE

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


def test_load_data_from_csv_splits_by_image_and_reads_classes():
    world, train_set, test_set, heldout_set, classnames = load_data(f"csv:{SAMPLE}", n_train=100)
    assert world is None and heldout_set is None
    assert set(train_set.meta.filepath).isdisjoint(test_set.meta.filepath)
    assert len(train_set) + len(test_set) == 24
    assert classnames == sorted(CsvDataset(SAMPLE).meta["label"].unique())


def test_load_model_from_a_checkpoint_of_an_embedded_architecture(tmp_path):
    model, _, _ = create_model("shapes-cnn-tiny", seed=7)
    path = save_weights(model, tmp_path / "mine.pt")
    loaded, preprocess, tokenizer = load_model("shapes-cnn-tiny", str(path))
    assert (loaded.logit_scale == model.logit_scale).all() and tokenizer(["hi"]).shape == (1, 48)
    fresh, _, _ = load_model("shapes-cnn-tiny", str(path), trained=False, seed=7)
    assert (fresh.text_projection == model.text_projection).all()   # same seed, same init


def run_with_parameters(notebook: Path, overrides: str, cwd: Path, last: str = "") -> nbformat.NotebookNode:
    """Execute a notebook after appending `overrides` to its parameters cell (papermill's way),
    and `last` as a cell of its own at the end."""
    nb = jupytext.read(notebook)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\n" + overrides
    if last:
        nb.cells.append(nbformat.v4.new_code_cell(last))
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def test_notebook_01_runs_on_csv_data_and_a_checkpoint(tmp_path):
    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    checkpoint = save_weights(model, tmp_path / "weights.pt")
    nb = run_with_parameters(NOTEBOOKS / "01_train_clip_on_a_subset.py",
                             f"DATA = 'csv:{SAMPLE}'\nPRETRAINED = '{checkpoint}'\nLIVE_STEPS = 2\n", tmp_path)
    text = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "training pairs" in text and "held-out compositions: none (your data)" in text


def test_load_style_sets_splits_each_domain_of_a_csv(capsys):
    from clipviz.teaching.notebook import load_style_sets

    world, sets = load_style_sets(f"csv:{SAMPLE}", id_style="watercolour")
    table = pd.read_csv(SAMPLE, sep="\t")
    most_common = table["style"].value_counts().index[0]
    assert world is None and sets.id_style == most_common and "watercolour" in capsys.readouterr().out
    assert set(sets.tests) == set(table["style"]) and sets.classnames == sorted(table["label"].unique())
    for style, test in sets.tests.items():
        pool = sets.pools.get(style)
        in_style = (table["style"] == style).sum()
        assert len(test) + (len(pool) if pool is not None else 0) == in_style
        assert pool is None or set(pool.meta.filepath).isdisjoint(test.meta.filepath)


def test_stored_sweep_is_of_the_current_recipes():
    """`clipviz pretrained sweep` must be rerun whenever a sweep recipe changes."""
    import json

    from clipviz.teaching.notebook import SWEEP_FILE, sweep_keys

    stored = json.loads(SWEEP_FILE.read_text())
    assert stored["recipes"] == sweep_keys(), "recipes changed: run `python -m clipviz pretrained sweep`"
    assert set(stored["table"]) == {"1,000 pairs", "4,000 pairs", "20,000 pairs"}


def test_sweep_table_prefers_cached_models_then_the_stored_measurement(cache, monkeypatch):
    import clipviz.teaching.notebook as notebook

    table, source = notebook.sweep_table()                 # empty cache: the stored numbers
    assert source.startswith("stored measurement") and table.loc["20,000 pairs", "seen"] > 0.9
    monkeypatch.setattr(notebook, "cache_path", lambda name: SAMPLE)      # "all cached"
    monkeypatch.setattr(notebook, "measure_sweep", lambda: "measured")
    assert notebook.sweep_table() == ("measured", "measured now from the cached models")


# --- every notebook on a real open_clip architecture and a CSV ------------------------
# ViT-B-32 differs from the tiny models in everything a notebook might hard-code: its
# tokenizer's context (77 vs 48), its image size (224 vs 64), its joint space (512 vs 192)
REAL_MODEL = "ViT-B-32"
REAL_MODEL_PARAMETERS = {   # beyond MODEL / PRETRAINED / DATA: the small sizes that keep it quick
    "01_train_clip_on_a_subset": "LIVE_STEPS = 2\nBATCH_SIZE = 8\n",
    "02_joint_embedding_umap": "",
    "03_prompt_sensitivity": "",
    "04_bias_audit": ("MODELS = {'my model': MODEL}\nPRETRAINED = {'my model': PRETRAINED}\n"
                      "LABEL_COLUMN = 'label'\nGROUP_COLUMN = 'group'\nGROUPS = ('dark', 'light')\n"),
    "05_transfer_and_robustness": "FT_STEPS = 2\nSHOTS = (1, 2)\nDRAWS = 2\n",
    "06_what_clip_sees": "N_SHOWN = 4\n",
}


@pytest.fixture(scope="module")
def hub_style_checkpoint(tmp_path_factory):
    """ViT-B-32 at random init, saved as the hub ships weights: a bare state_dict."""
    import open_clip
    import torch

    path = tmp_path_factory.mktemp("hub") / "open_clip_pytorch_model.bin"
    torch.save(open_clip.create_model(REAL_MODEL).state_dict(), path)
    return path


def test_every_notebook_is_in_the_real_model_test():
    assert sorted(REAL_MODEL_PARAMETERS) == sorted(p.stem for p in NOTEBOOKS.glob("*.py"))
    assert sorted(REAL_MODEL_PARAMETERS) == sorted(p.stem for p in (NOTEBOOKS / "ko").glob("*.py"))


# what a Korean run shows untranslated and rightly so: the names in the user's data and parameters
DATA_WORDS = {str(v) for column in ("label", "group", "style") for v in pd.read_csv(SAMPLE, sep="\t")[column]} | {
    "my model", REAL_MODEL}
LAST_CELL = "from clipviz.language import untranslated\nprint('untranslated:', untranslated())"


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("name", sorted(REAL_MODEL_PARAMETERS))
def test_notebook_runs_on_a_real_open_clip_model_and_a_csv(name, language, hub_style_checkpoint, tmp_path):
    """English and Korean alike; the Korean run lists any library message it showed in English."""
    overrides = (f"MODEL = {REAL_MODEL!r}\nPRETRAINED = {str(hub_style_checkpoint)!r}\nDATA = 'csv:{SAMPLE}'\n"
                 + REAL_MODEL_PARAMETERS[name])
    folder = NOTEBOOKS if language == "en" else NOTEBOOKS / language
    nb = run_with_parameters(folder / f"{name}.py", overrides, tmp_path, last=LAST_CELL)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    if language == "ko":
        shown = ast.literal_eval(nb.cells[-1].outputs[0]["text"].split("untranslated:", 1)[1].strip())
        assert [m for m in shown if m not in DATA_WORDS] == []


@pytest.mark.parametrize("name", ["01_train_clip_on_a_subset", "02_joint_embedding_umap"])
def test_a_csv_without_labels_skips_what_needs_them_in_a_sentence(name, tmp_path):
    table = pd.read_csv(SAMPLE, sep="\t")[["filepath", "title"]]
    table["filepath"] = [str(SAMPLE.parent / f) for f in table["filepath"]]
    table.to_csv(tmp_path / "captions.csv", sep="\t", index=False)
    nb = run_with_parameters(NOTEBOOKS / f"{name}.py", f"DATA = 'csv:{tmp_path / 'captions.csv'}'\n"
                             "LIVE_STEPS = 2\nBATCH_SIZE = 8\n", tmp_path)
    text = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Your data has no 'label' column, so" in text
    assert [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"] == []


def test_wise_ft_pair_of_another_model_is_fine_tuned_here_not_taken_from_the_embedded_cache(monkeypatch):
    from clipviz import zoo
    from clipviz.teaching.notebook import fine_tuned_pair, load_style_sets

    def no_embedded(*args, **kwargs):
        raise AssertionError("the embedded fine-tune was used for another model")

    monkeypatch.setattr(zoo, "classifier", no_embedded)
    _, sets = load_style_sets(f"csv:{SAMPLE}")
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    start, tuned = fine_tuned_pair("shapes-cnn-tiny-styles-ft", "my-model", model, tokenizer, sets, steps=2)
    assert start.head.out_features == tuned.head.out_features == len(sets.classnames)
    assert any(not torch.equal(a, b) for a, b in zip(start.state_dict().values(), tuned.state_dict().values()))

import subprocess
import sys

import pandas as pd

from clipviz.cli import main
from clipviz.core.model import load_checkpoint
from test_data import SAMPLE


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "clipviz", *args], capture_output=True, text=True)


def test_help_documents_every_train_option():
    result = run_cli("train", "--help")
    assert result.returncode == 0
    for option in ("--model", "--data", "--steps", "--batch-size", "--precision", "--resume", "--out"):
        assert option in result.stdout


def test_train_on_the_sample_csv_then_resume(tmp_path):
    args = ["train", "--data", f"csv:{SAMPLE}", "--steps", "3", "--batch-size", "8",
            "--precision", "fp32", "--out", str(tmp_path)]
    assert main(args) == 0
    assert (tmp_path / "step_000003.pt").exists() and len(pd.read_csv(tmp_path / "history.csv")) == 3
    model = load_checkpoint(tmp_path / "step_000003.pt")
    assert model.clipviz_name == "shapes-cnn-tiny"
    assert main(args[:4] + ["5"] + args[5:] + ["--resume"]) == 0
    assert len(pd.read_csv(tmp_path / "history.csv")) == 5


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    assert main(["train", "--data", "csv:/missing.csv", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: CSV file not found: /missing.csv"


def test_eval_on_a_checkpoint_with_csv_data_and_json(tmp_path):
    assert main(["train", "--data", f"csv:{SAMPLE}", "--steps", "2", "--batch-size", "8",
                 "--precision", "fp32", "--out", str(tmp_path)]) == 0
    labels = sorted(pd.read_csv(SAMPLE, sep="\t")["label"].unique())
    out = tmp_path / "report.json"
    assert main(["eval", "--checkpoint", str(tmp_path / "step_000002.pt"), "--data", f"csv:{SAMPLE}",
                 "--classes", ",".join(labels), "--json", str(out)]) == 0
    report = __import__("json").loads(out.read_text())["data"]
    assert report["n"] == 24 and report["label_rule"] == "the 'label' column" and 0 <= report["acc1"] <= 1


def test_eval_needs_one_model_source():
    assert main(["eval"]) == 2


def hub_style_file(tmp_path, name="shapes-cnn-tiny"):
    """A model's bare state_dict, as the hub ships open_clip weights (no model name inside)."""
    import torch

    from clipviz.core.model import create_model

    model, _, _ = create_model(name, seed=1)
    torch.save(model.state_dict(), tmp_path / "open_clip_pytorch_model.bin")
    return tmp_path / "open_clip_pytorch_model.bin"


def test_eval_any_open_clip_model_from_a_weights_file(tmp_path):
    weights, out = hub_style_file(tmp_path), tmp_path / "report.json"
    labels = sorted(pd.read_csv(SAMPLE, sep="\t")["label"].unique())
    assert main(["eval", "--model", "shapes-cnn-tiny", "--pretrained", str(weights), "--data", f"csv:{SAMPLE}",
                 "--classes", ",".join(labels), "--json", str(out)]) == 0
    assert 0 <= __import__("json").loads(out.read_text())["data"]["acc1"] <= 1


def test_a_bare_state_dict_as_checkpoint_asks_for_the_model_in_one_line(tmp_path, capsys):
    weights = hub_style_file(tmp_path)
    assert main(["eval", "--checkpoint", str(weights), "--data", f"csv:{SAMPLE}"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "bare state_dict" in error and "--model NAME" in error
    assert main(["eval", "--checkpoint", str(weights), "--model", "shapes-cnn-tiny", "--data", f"csv:{SAMPLE}"]) == 0


def test_eval_on_captions_without_classes_is_retrieval_only(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["eval", "--model", "shapes-cnn-tiny", "--pretrained", str(hub_style_file(tmp_path)),
                 "--data", f"csv:{SAMPLE}", "--json", str(out)]) == 0
    assert "retrieval only" in capsys.readouterr().out
    report = __import__("json").loads(out.read_text())["data"]
    assert "acc1" not in report and "image_retrieval_recall@1" in report and report["label_rule"] is None


def test_integer_labels_index_into_the_classes(tmp_path):
    table = pd.read_csv(SAMPLE, sep="\t")
    classes = sorted(table["label"].unique())
    table["label"] = [classes.index(label) for label in table["label"]]
    table["filepath"] = [str(SAMPLE.parent / f) for f in table["filepath"]]
    table.to_csv(tmp_path / "indexed.csv", sep="\t", index=False)
    weights, reports = hub_style_file(tmp_path), []
    for data in (SAMPLE, tmp_path / "indexed.csv"):
        out = tmp_path / f"{data.stem}.json"
        assert main(["eval", "--model", "shapes-cnn-tiny", "--pretrained", str(weights), "--data", f"csv:{data}",
                     "--classes", ",".join(classes), "--json", str(out)]) == 0
        reports.append(__import__("json").loads(out.read_text())["data"])
    assert reports[1]["label_rule"].endswith("as indices into the classes")
    assert reports[0]["acc1"] == reports[1]["acc1"]


def test_train_from_pretrained_weights_fine_tunes_and_can_lock_the_image_tower(tmp_path, capsys):
    import torch

    weights = hub_style_file(tmp_path)
    out = tmp_path / "run"
    assert main(["train", "--model", "shapes-cnn-tiny", "--pretrained", str(weights), "--data", f"csv:{SAMPLE}",
                 "--steps", "2", "--batch-size", "8", "--precision", "fp32", "--lock-image", "--out", str(out)]) == 0
    assert "fine-tuning" in capsys.readouterr().out
    config = __import__("json").loads((out / "config.json").read_text())
    assert config["lr"] == 1e-5 and config["warmup_steps"] == 10 and config["lock_image"]
    before, after = torch.load(weights, weights_only=True), load_checkpoint(out / "step_000002.pt").state_dict()
    trunk = [k for k in before if k.startswith("visual.trunk.")]   # open_clip leaves a timm tower's head trainable
    assert all(torch.equal(before[k], after[k]) for k in trunk if not k.endswith(("running_mean", "running_var",
                                                                                   "num_batches_tracked")))
    assert not torch.equal(before["text_projection"], after["text_projection"])


def test_train_streams_shards_and_eval_reads_them(tmp_path, capsys):
    from clipviz.data import CsvDataset, write_shards

    spec = write_shards(CsvDataset(SAMPLE), tmp_path / "shards", per_shard=8)   # wds:…/{00000..00002}.tar
    assert main(["train", "--data", spec, "--steps", "2", "--batch-size", "8", "--precision", "fp32",
                 "--out", str(tmp_path / "run")]) == 0
    assert "device cpu, precision fp32" in capsys.readouterr().out
    out = tmp_path / "report.json"
    labels = sorted(pd.read_csv(SAMPLE, sep="\t")["label"].unique())
    assert main(["eval", "--checkpoint", str(tmp_path / "run" / "step_000002.pt"), "--data", spec, "--n", "16",
                 "--classes", ",".join(labels), "--json", str(out)]) == 0
    report = __import__("json").loads(out.read_text())["data"]
    assert report["n"] == 16 and report["label_rule"] == "the 'label' column"

import subprocess
import sys

import pandas as pd

from clipviz.cli import main
from clipviz.model import load_checkpoint
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

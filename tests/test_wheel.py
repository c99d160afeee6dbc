"""A built wheel carries what the library reads at run time: installed into a fresh folder
and imported from outside the checkout, it loads template banks, a ShapesWorld dataset, a
tiny model, the talk's words, the export templates, and the glossary and message catalogue
it speaks Korean from."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

USE = """
import clipviz, os, sys
from clipviz.evaluation.zeroshot import load_templates
from clipviz.teaching import classroom, talk
from clipviz.teaching.notebook import SWEEP_FILE
assert clipviz.__file__.startswith(os.environ["SITE"]), clipviz.__file__
assert len(load_templates("shapes-unseen")) > 5 and len(load_templates("shapes")) > 5
images = clipviz.ShapesWorld(seed=0).dataset("train", n=4).image_batch(range(4), 64)   # uint8 (4, 3, 64, 64)
model, _, tokenizer = clipviz.create_model("shapes-cnn-tiny")
assert model.encode_image(images.float()).shape == (4, 192)
assert "introduction" in talk.text("ko") and SWEEP_FILE.exists()
assert (classroom.TEMPLATES / "clipviz-reveal" / "index.html.j2").exists()
from clipviz.language import _, glossary
from clipviz.stats import verdict
assert glossary()["world"]["shapes"]["cross"] == "십자 모양" and _("helps", "ko") == "도움이 됨"
assert verdict(0.03, 0.01, 0.05, lang="ko").endswith("구간이 0보다 위에 있음")
print("ok")
"""


def test_the_wheel_has_what_the_library_reads(tmp_path):
    source = tmp_path / "source"      # a clean copy: setuptools would reuse a stale build/lib in the checkout
    shutil.copytree(ROOT / "clipviz", source / "clipviz", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("clipviz-*.whl"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "SITE": str(site), "CLIPVIZ_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-c", USE], cwd=outside, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("ok")


def test_the_conda_environment_lists_what_pip_installs():
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", spec)[0].lower().replace("_", "-") for spec in wanted}
    names = {"pytorch" if name == "torch" else name for name in names}     # conda-forge's name for torch
    listed = (ROOT / "environment.yml").read_text().lower().replace("_", "-")
    assert sorted(n for n in names if not re.search(rf"- {re.escape(n)}\b", listed)) == []
    assert "- pytorch\n" not in listed.split("dependencies:")[0], "the pytorch channel no longer publishes"

"""A JupyterLab server on a copy of notebooks/ and a headless Chromium driving it."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from clipviz.teaching.classroom import strip_solutions
from clipviz_browser import CHROMIUM, ROOT
# JupyterLab renders only the cells in view by default; render them all so a screenshot
# shows the whole notebook and every output is in the page.
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
                "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                    "checkForUpdates": False}}


# nbmake runs the defaults; here the page matters, not how long notebook 01 trains
PARAMETER_OVERRIDES = {"01_train_clip_on_a_subset": "\nLIVE_STEPS = 60",
                       "03_prompt_sensitivity": "\nN_EVAL = 500\nEFFECT_IMAGES = 1000",
                       "05_transfer_and_robustness": "\nN_POOL = 600\nN_EVAL = 300\nSHOTS = (1, 2, 4)\nDRAWS = 2\nN_WISE = 100",
                       "06_what_clip_sees": "\nN_EVAL = 300"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """(base URL, token, notebook folder) of a JupyterLab started for the tests; always shut down."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium "
                    f"(apt-get install chromium); or set CLIPVIZ_CHROMIUM to a Chromium binary")
    work = tmp_path_factory.mktemp("lab")
    notebooks = work / "notebooks"   # the student versions: what a class opens (nbmake runs the solutions)
    for language, folder in (("en", notebooks), ("ko", notebooks / "ko")):
        folder.mkdir(parents=True)
        for source in sorted((ROOT / "notebooks" / ("" if language == "en" else language)).glob("*.ipynb")):
            nb = strip_solutions(nbformat.read(source, as_version=4), language)
            parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
            parameters.source += PARAMETER_OVERRIDES.get(source.stem, "")
            nbformat.write(nb, folder / source.name)
    settings = work / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    log = open(work / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}",
         f"--LabApp.workspaces_dir={work / 'workspaces'}"] + (["--allow-root"] if os.geteuid() == 0 else []),
        stdout=log, stderr=subprocess.STDOUT, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:   # the server answers its status API once it is ready
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start: {(work / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield url, token, notebooks
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-default-apps", "--disable-sync", "--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()

"""The HTML pages and slides open in Chromium with every request staying on this machine."""

import functools
import http.server
import shutil
import threading
from urllib.parse import urlparse

import nbformat
import pytest

from clipviz import classroom
from clipviz_browser import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Notebook 03 (widgets) as an HTML page and notebook 04 as slides, served on 127.0.0.1."""
    out = tmp_path_factory.mktemp("site")
    classroom.fetch_web_assets()
    classroom.copy_assets(out, reveal=True)
    for name, kind in (("03_prompt_sensitivity", "html"), ("04_bias_audit", "slides")):
        nb, _ = classroom.executed(name)
        if kind == "slides":
            nb = classroom.with_slide_metadata(nb)
        body, _ = classroom._exporter(kind).from_notebook_node(nb)
        (out / f"{name}.{kind}.html").write_text(body, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        shutil.rmtree(out, ignore_errors=True)


def requests_while_loading(page, url: str) -> list[str]:
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(url, wait_until="networkidle")
    return seen


def off_machine(urls) -> list[str]:
    return [u for u in urls if not u.startswith("data:") and urlparse(u).hostname not in ("127.0.0.1", "localhost")]


def test_html_page_renders_widgets_without_leaving_the_machine(page, site):
    urls = requests_while_loading(page, f"{site}/03_prompt_sensitivity.html.html")
    page.locator(".widget-textarea textarea").first.wait_for()          # rendered from the saved state
    assert page.locator(".widget-textarea textarea").first.input_value() == "a photo of a {}"
    assert page.locator(".jp-OutputArea-output img").count() >= 4
    assert off_machine(urls) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "export_03_prompt_sensitivity.png"), full_page=True)


def test_slides_open_without_leaving_the_machine(page, site):
    urls = requests_while_loading(page, f"{site}/04_bias_audit.slides.html#/2")
    page.locator(".reveal.ready .slides section.present").first.wait_for()    # reveal.js initialised
    page.keyboard.press("ArrowRight")              # the section's long code cell: its output, as a fragment
    page.locator("section.present .fragment.visible img").first.wait_for()
    assert page.locator(".reveal .slides > section").count() == sum(
        c.cell_type == "markdown" and c.source.startswith("## ")
        for c in nbformat.read(classroom.NOTEBOOKS / "04_bias_audit.ipynb", as_version=4).cells) + 1
    assert off_machine(urls) == []
    page.screenshot(path=str(SCREENSHOTS / "export_04_bias_audit_slide.png"))

"""The HTML pages and slides open in Chromium with every request staying on this machine."""

import functools
import http.server
import shutil
import threading
from urllib.parse import urlparse

import pytest

from clipviz.teaching import classroom, talk
from clipviz.teaching.viz.style import MIN_FONT_PT
from clipviz_browser import PROJECT, SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Notebook 03 (widgets) as HTML pages in English and Korean, served on 127.0.0.1."""
    out = tmp_path_factory.mktemp("site")
    classroom.fetch_web_assets(PROJECT.web)
    classroom.copy_assets(out, PROJECT.web)
    for language in ("en", "ko"):
        nb, _seconds = classroom.executed("03_prompt_sensitivity", PROJECT, language)
        writer = classroom.exporter("html")
        writer.language_code = language
        body, _resources = writer.from_notebook_node(nb)
        (out / classroom.page_name("03_prompt_sensitivity", language, ".html.html")).write_text(body, encoding="utf-8")
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


def test_the_korean_page_speaks_korean_in_its_narration_tables_and_widgets(page, site):
    urls = requests_while_loading(page, f"{site}/03_prompt_sensitivity.ko.html.html")
    page.locator(".widget-textarea textarea").first.wait_for()
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert page.locator("h1", has_text="프롬프트 민감도").count() == 1
    assert page.locator(".widget-label", has_text="템플릿").count() >= 1          # the explorer's own words
    assert page.locator(".jp-RenderedHTMLCommon th", has_text="처음 보는 조합").count() >= 1   # a table header
    assert off_machine(urls) == []
    page.screenshot(path=str(SCREENSHOTS / "export_03_prompt_sensitivity.ko.png"), full_page=True)


# Legible from the back row: no text under 16 px as drawn on the 1280x720 canvas. Text: its
# computed font size times every zoom above it; a figure: its smallest text (clipviz's figures
# draw none under MIN_FONT_PT at the notebooks' 100 dpi) times the scale it is shown at.
SMALLEST_TEXT_PX = 16
FIGURE_TEXT_PX = MIN_FONT_PT * 100 / 72
TEXT_SIZES = """() => {
    const slide = Reveal.getCurrentSlide(), canvas = document.querySelector(".reveal .slides");
    const scale = canvas.getBoundingClientRect().width / Reveal.getConfig().width;   // page px per canvas px
    const zoomOf = element => { let zoom = 1;
        for (let e = element; e; e = e.parentElement) zoom *= parseFloat(getComputedStyle(e).zoom) || 1;
        return zoom; };
    const found = {text: Infinity, text_where: "", figure: Infinity, figure_where: ""};
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, element = node.parentElement;
        if (!node.textContent.trim() || element.closest("aside.notes, .MathJax, script, style")) continue;
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const px = parseFloat(getComputedStyle(element).fontSize) * zoomOf(element);
        if (px < found.text) { found.text = px; found.text_where = node.textContent.trim().slice(0, 50); }
    }
    for (const image of slide.querySelectorAll("img")) {
        const box = image.getBoundingClientRect();
        if (box.width === 0 || !image.naturalWidth) continue;
        const shown = box.width / scale / image.naturalWidth;        // canvas px per image px
        if (shown < found.figure) { found.figure = shown; found.figure_where = image.alt || image.src.slice(0, 40); }
    }
    return found;
}"""
# (bottom, right) of the current slide's content and the canvas, in canvas pixels
CONTENT_BOX = """() => {
    const slide = Reveal.getCurrentSlide(), canvas = document.querySelector(".reveal .slides");
    const box = canvas.getBoundingClientRect(), scale = box.width / Reveal.getConfig().width;
    let bottom = 0, right = 0;
    for (const element of [slide, ...slide.querySelectorAll("*")]) {
        const r = element.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) { bottom = Math.max(bottom, r.bottom); right = Math.max(right, r.right); }
    }
    return {bottom: (bottom - box.top) / scale, right: (right - box.left) / scale,
            height: Reveal.getConfig().height, width: Reveal.getConfig().width,
            fit: parseFloat(slide.dataset.fit)};
}"""


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every deck `make slides` writes, served on 127.0.0.1: (base URL, deck file names)."""
    out = tmp_path_factory.mktemp("slides")
    classroom.fetch_web_assets(PROJECT.web)
    talk.export_slides(out, PROJECT)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", sorted(p.name for p in out.glob("*.slides.html"))
    finally:
        server.shutdown()
        shutil.rmtree(out, ignore_errors=True)


def test_every_slide_of_every_deck_fits_the_canvas_without_console_errors(browser, decks):
    url, names = decks
    assert len(names) == len(PROJECT.notebook_names()) + len(PROJECT.notebook_names("ko")) + len(talk.LANGUAGES)
    folder = SCREENSHOTS / "slides"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    problems = []
    for name in names:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        errors, urls = [], []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error"
                or "font" in message.text.lower() else None)   # a font the browser rejects is a warning
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: urls.append(request.url))
        page.goto(f"{url}/{name}", wait_until="networkidle")
        page.wait_for_function("window.Reveal && Reveal.isReady()")
        page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")  # measure at rest
        total = page.evaluate("Reveal.getSlides().length")
        for number in range(total):
            page.evaluate(f"(() => {{ const s = Reveal.getSlides()[{number}], i = Reveal.getIndices(s);"
                          f" Reveal.slide(i.h, i.v); }})()")
            page.wait_for_function("Reveal.getCurrentSlide().dataset.fit !== undefined")
            # two frames drawn since the slide changed (transitions are off): its layout and refit done
            page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            page.evaluate("document.fonts.ready.then(() => true)")   # Hangul loads when first shown
            box = page.evaluate(CONTENT_BOX)
            where = f"{name} slide {number + 1}/{total}"
            if box["bottom"] > box["height"] + 1 or box["right"] > box["width"] + 1:
                problems.append(f"{where} overflows: content to {box['bottom']:.0f} x {box['right']:.0f} px")
            sizes = page.evaluate(TEXT_SIZES)
            if sizes["text"] < SMALLEST_TEXT_PX - 0.05:
                problems.append(f"{where}: text of {sizes['text']:.1f} px ({sizes['text_where']!r})")
            if sizes["figure"] * FIGURE_TEXT_PX < SMALLEST_TEXT_PX - 0.05:
                problems.append(f"{where}: a figure shown at {sizes['figure']:.2f} of its size, its smallest "
                                f"text at {sizes['figure'] * FIGURE_TEXT_PX:.1f} px")
            page.screenshot(path=str(folder / f"{name.removesuffix('.slides.html')}_{number + 1:02d}.png"))
        problems += [f"{name}: console error {e}" for e in errors]
        problems += [f"{name}: request off the machine {u}" for u in off_machine(urls)]
        page.close()
    assert problems == []

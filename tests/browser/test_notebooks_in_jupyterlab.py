"""Every notebook, English and Korean, as students get it (solutions replaced by stubs),
opened in JupyterLab in Chromium, run, checked and photographed; the widgets driven through
the page, in the notebook's language."""

import re

import pytest

from clipviz.language import _, lookup
from clipviz_browser import ROOT, SCREENSHOTS

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")) + \
    sorted(f"ko/{p.stem}" for p in (ROOT / "notebooks" / "ko").glob("*.ipynb"))
RUN_TIMEOUT_MS = 240_000

# JavaScript run in the page against JupyterLab's app object (exposed by the server flag)
CURRENT = "window.jupyterapp.shell.currentWidget"
KERNEL_IDLE_AND_ALL_RUN = f"""() => {{
    const panel = {CURRENT};
    if (!panel || !panel.sessionContext || !panel.sessionContext.session) return false;
    const kernel = panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    return kernel && kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
}}"""
ERRORS = f"""() => {CURRENT}.content.widgets.filter(c => c.model.type === 'code')
    .flatMap(c => c.model.outputs.toJSON()).filter(o => o.output_type === 'error')
    .map(o => o.ename + ': ' + o.evalue)"""


def open_notebook(page, lab, name: str) -> None:
    url, token, _ = lab
    page.goto(f"{url}/lab/tree/{name}.ipynb?token={token}")
    page.wait_for_function(f"() => window.jupyterapp && {CURRENT} && {CURRENT}.context"
                           f" && {CURRENT}.context.path.endsWith('{name}.ipynb')"
                           f" && {CURRENT}.sessionContext.session && {CURRENT}.sessionContext.session.kernel"
                           f" && {CURRENT}.sessionContext.session.kernel.status === 'idle'", timeout=60_000)


def run_all(page) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(KERNEL_IDLE_AND_ALL_RUN, timeout=RUN_TIMEOUT_MS, polling=500)


def screenshot(page, name: str) -> None:
    """The whole notebook: the viewport grows to the notebook's height first."""
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer, '
        + '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-viewport')].map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": 1400, "height": min(max(1000, height + 200), 30_000)})
    page.evaluate(f"""() => {{ {CURRENT}.content.activeCellIndex = 0;
        document.querySelectorAll('.jp-WindowedPanel-outer').forEach(e => e.scrollTop = 0); }}""")
    page.wait_for_timeout(500)   # one layout pass after resizing (not a wait for the kernel)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab_without_errors(page, lab, name):
    language, stem = name.split("/") if "/" in name else ("en", name)
    open_notebook(page, lab, name)
    run_all(page)
    assert page.evaluate(ERRORS) == []
    images = page.locator(".jp-OutputArea-output img").count()
    assert images >= 2, f"{name}: expected rendered figures, found {images}"
    if stem in interact:
        page.locator(".widget-box").first.wait_for(state="visible")
        interact[stem](page, language)
    screenshot(page, name.replace("/", "_"))
    page.evaluate(f"() => {CURRENT}.sessionContext.shutdown()")   # free the kernel's memory


def colour_by_dropdown(page, language: str) -> None:
    legend = page.locator(".widget-html-content", has_text=re.compile(f"^{lookup('colour', language)}:"))
    legend.wait_for()
    before_image = page.locator(".widget-output img").first.get_attribute("src")
    page.locator(".widget-dropdown select").first.select_option(lookup("shape", language))
    page.locator(".widget-html-content",
                 has_text=re.compile(f"^{lookup('shape', language)}: {lookup('circle', language)}")).wait_for()
    page.wait_for_function(f"""() => {{ const img = document.querySelector('.widget-output img');
                                       return img && img.getAttribute('src') !== {before_image!r}; }}""")


def prompt_explorer(page, language: str) -> None:
    summary = page.locator(".widget-html-content", has_text="top-1")
    summary.wait_for()
    before = summary.inner_text()
    templates = page.locator(".widget-textarea textarea").first
    templates.fill("a drawing of a {}\nsomething {}")
    two = "2 template(s)" if language == "en" else "템플릿 2개"
    page.wait_for_function(f"""() => [...document.querySelectorAll('.widget-html-content')]
        .some(e => e.innerText.includes('top-1') && e.innerText !== {before!r}
                   && e.innerText.includes({two!r}))""")
    templates.fill("a photo of a thing")
    refused = _("No {{}} in {template!r}: put {{}} where the class name goes.", language, template="a photo of a thing")
    page.locator(".widget-html-content", has_text=refused.split(":")[0]).wait_for()
    templates.fill("a photo of a {}")
    summary.wait_for()


def explanation_explorer(page, language: str) -> None:
    """Type a prompt naming something else: the map (the output's image) changes; an empty
    prompt shows the widget's message instead of a map."""
    page.locator(".widget-html-content", has_text=_("points at the object named by default", language)).wait_for()
    before_image = page.locator(".widget-output img").first.get_attribute("src")
    prompt = page.locator(".widget-text input").first
    prompt.fill("a photo of a green square on the right")
    prompt.press("Enter")                                  # the prompt box commits on Enter
    page.locator(".widget-html-content", has_text="green square on the right").wait_for()
    page.wait_for_function(f"""() => {{ const img = document.querySelector('.widget-output img');
                                       return img && img.getAttribute('src') !== {before_image!r}; }}""")
    prompt.fill("")
    prompt.press("Enter")
    page.locator(".widget-html-content", has_text=_("Type a prompt, e.g. “a photo of a red circle”.", language)[:8]).wait_for()


interact = {"02_joint_embedding_umap": colour_by_dropdown, "03_prompt_sensitivity": prompt_explorer,
            "06_what_clip_sees": explanation_explorer}

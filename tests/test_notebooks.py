"""Every notebook is a py:percent source plus a paired, output-free .ipynb, in sync: the
English ones in notebooks/, their Korean twins in notebooks/ko/ (made by `classroom translate`)."""

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
FOLDERS = [NOTEBOOKS, NOTEBOOKS / "ko"]


def pairing_problems(py: Path) -> list[str]:
    """What is wrong with the pair (py, py with .ipynb): an empty list when all is well."""
    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"{py.name} has no paired {ipynb.name} (run: jupytext --sync {py})"]
    source, paired = jupytext.read(py), nbformat.read(ipynb, as_version=4)
    problems = []
    if [(c.cell_type, c.source.strip()) for c in source.cells] != \
       [(c.cell_type, c.source.strip()) for c in paired.cells]:
        problems.append(f"{py.name} and {ipynb.name} differ (run: jupytext --sync {py})")
    if any(c.get("outputs") or c.get("execution_count") for c in paired.cells if c.cell_type == "code"):
        problems.append(f"{ipynb.name} carries outputs (strip them)")
    return problems


@pytest.mark.parametrize("py", [p for folder in FOLDERS for p in sorted(folder.glob("*.py"))],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_paired_in_sync_and_output_free(py):
    assert pairing_problems(py) == []


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_ipynb_has_its_source(folder):
    assert [p.name for p in folder.glob("*.ipynb") if not p.with_suffix(".py").exists()] == []


def test_the_pairing_check_catches_drift_and_outputs(tmp_path):
    py = tmp_path / "nb.py"
    py.write_text("# %% [markdown]\n# Title\n\n# %%\nx = 1\n")
    jupytext.write(jupytext.read(py), py.with_suffix(".ipynb"))
    assert pairing_problems(py) == []
    py.write_text(py.read_text().replace("x = 1", "x = 2"))
    assert "differ" in pairing_problems(py)[0]
    notebook = jupytext.read(py)
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    nbformat.write(notebook, py.with_suffix(".ipynb"))
    assert pairing_problems(py) == ["nb.ipynb carries outputs (strip them)"]
    py.with_suffix(".ipynb").unlink()
    assert "no paired" in pairing_problems(py)[0]


def test_every_figure_shows_in_a_kernel_not_only_the_first():
    # The house style is applied in an rc_context; the inline backend is loaded (and IPython's
    # interactive mode switched on) inside the first one, and must stay on after it.
    from nbclient import NotebookClient

    cell = "from clipviz.teaching.viz import style\nimport matplotlib.pyplot as plt\n" \
           "draw = style.figure(lambda: plt.subplots()[0])\ndraw();"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell), nbformat.v4.new_code_cell("draw();")])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS.parent)}}).execute()
    shown = [sum("image/png" in out.get("data", {}) for out in c.outputs) for c in nb.cells]
    assert shown == [1, 1]

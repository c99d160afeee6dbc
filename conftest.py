"""Every pytest run here (tests/ and `pytest --nbmake build/executed/`) executes notebooks
headless: see `clipviz.teaching.classroom.headless_output_widgets` (jupyter/nbclient#312)."""

from clipviz.teaching.classroom import headless_output_widgets


def pytest_configure(config):
    headless_output_widgets()

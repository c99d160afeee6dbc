"""Interactive controls for the notebooks (ipywidgets).

Each explorer keeps its computed state in plain attributes (the current figure, the last
message, the last result), so tests can set a control's value and read what the user
would see, without a browser.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from . import viz


class EmbeddingExplorer:
    """A joint-embedding map re-coloured by the attribute picked in a dropdown.

    Args:
        coords: (N, 2) map coordinates; points: DataFrame of N rows (`modality` + attributes).
        attributes: the columns offered in the dropdown; the first is shown first.
    """

    def __init__(self, coords, points, attributes, title: str = "joint embedding"):
        missing = [a for a in attributes if a not in points.columns]
        if missing:
            raise ValueError(f"attributes {missing} are not columns of the points table")
        self.coords, self.points, self.title = coords, points, title
        self.dropdown = widgets.Dropdown(options=list(attributes), value=attributes[0], description="colour by")
        self.output = widgets.Output()
        self.figure = None
        self.dropdown.observe(lambda change: self.redraw(), names="value")
        self.redraw()

    def redraw(self) -> None:
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = viz.embedding_map(self.coords, self.points, self.dropdown.value, self.title)
        plt.close(self.figure)   # shown through the output widget only
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)

    def legend_labels(self) -> list[str]:
        """The entries of the current figure's legend (colours, then the two markers)."""
        return [text.get_text() for text in self.figure.axes[0].get_legend().get_texts()]

    def _ipython_display_(self) -> None:
        display(widgets.VBox([self.dropdown, self.output]))

"""The step-through page: backprop of a graph as one self-contained HTML file.

`step_through_html(value)` returns the page; `micrograd graph ... -o backprop.html` and
`draw_dot(value)` in Jupyter use it. The page lays the graph out with Graphviz when it is
installed, else with the dagre library bundled in `vendor/`; it makes no network request.
"""

from ._page import (
    LAYOUTS,
    MAX_DAGRE_VALUES,
    MAX_PAGE_VALUES,
    GraphTooLargeError,
    page_data,
    step_through_html,
)

__all__ = [
    "LAYOUTS",
    "MAX_DAGRE_VALUES",
    "MAX_PAGE_VALUES",
    "GraphTooLargeError",
    "page_data",
    "step_through_html",
]

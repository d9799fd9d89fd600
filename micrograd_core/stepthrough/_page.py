"""The step-through page: one self-contained HTML file that replays forward and backward.

Python does the maths and the words (from `explain`, so the page shows exactly what the engine
computes); the page's script only draws and steps. The graph is laid out here with Graphviz
when it is installed, else in the browser by the bundled dagre library. Nothing is loaded from
the network: the data, the style, the script and (when needed) dagre are inlined, and a
Content-Security-Policy forbids every request.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .._backward import topological_order
from .._errors import MicrogradError
from .._explain_text import call_text, number
from .._graphviz import find_dot
from .._value import Value
from ..explanation import Explanation, explain
from ._layout import Box, graphviz_layout

#: The most values the page shows when Graphviz lays it out (the default demo loss, 825 values,
#: takes Graphviz about 6 s), and when the bundled dagre does, in the browser, where it is
#: slower (about 6 s for 470 values on a small machine). Nobody steps through more by hand.
MAX_PAGE_VALUES = 1000
MAX_DAGRE_VALUES = 400
#: The layout engines `step_through_html(layout=...)` accepts.
LAYOUTS = ("auto", "graphviz", "dagre")

_PLACEHOLDER = re.compile(r"/\*(TITLE|STYLE|DATA|LIBRARY|SCRIPT)\*/")
_CHAR = 7.3  # px per character of the page's 12 px monospace font, with a little to spare
_DIGITS = 6


class GraphTooLargeError(MicrogradError, ValueError):
    """The graph is too large to build or to show; the message says how to make it smaller."""


def _text(kind: str) -> str:
    return resources.files(__package__).joinpath(kind).read_text(encoding="utf-8")


def _plain(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def _boxes(e: Explanation) -> tuple[list[Box], list[tuple[str, str]]]:
    boxes, edges = [], []
    for n in e.nodes:
        chars = max(len(n.name), 15)  # "grad -0.0001234" and the like
        boxes.append(Box(n.id, round(chars * _CHAR + 18), 58.0, "box"))
        if n.op:
            label = call_text(n.op, dict(n.param), [], paren=False, bare=True)
            boxes.append(Box(f"{n.id}_op", round(max(len(label), 3) * _CHAR + 26), 30.0, "ellipse"))
            edges += [(i, f"{n.id}_op") for i in n.inputs]
            edges.append((f"{n.id}_op", n.id))
    return boxes, edges


def _steps(e: Explanation) -> list[dict[str, Any]]:
    """Forward then backward, each step with its node, its words and the numbers it sets."""
    num = lambda x: number(x, _DIGITS)  # noqa: E731
    name = {n.id: n.name for n in e.nodes}
    steps: list[dict[str, Any]] = [
        {
            "phase": "start",
            "node": None,
            "inputs": [],
            "text": [
                "The inputs hold their data; nothing else is computed yet.",
                "Step with the buttons or the arrow keys (→ next, ← back).",
            ],
            "set": [],
        }
    ]
    forward = e.forward
    for k, n in enumerate(forward, start=1):
        names = [name[i] for i in n.inputs]
        values = [num(e.node(i).data) for i in n.inputs]
        param = dict(n.param)
        steps.append(
            {
                "phase": "forward",
                "label": f"forward {k} / {len(forward)}",
                "node": n.id,
                "inputs": list(n.inputs),
                "text": [
                    f"{n.name} = {call_text(n.op, param, names, paren=False)}",
                    f"    = {call_text(n.op, param, values, paren=True)} = {num(n.data)}",
                ],
                "set": [[n.id, "data", _plain(n.data)]],
            }
        )
    root = e.node(e.root)
    grads: dict[str, float] = {n.id: 0.0 for n in e.nodes}
    grads[root.id] = 1.0
    total = len(e.backward) + 1
    steps.append(
        {
            "phase": "backward",
            "label": f"backward 1 / {total}",
            "node": root.id,
            "inputs": [],
            "text": [
                f"Backward starts at the output: {root.name}.grad = 1 (d {root.name} / "
                f"d {root.name}).",
                "Every other grad starts at 0 and collects what its consumers send back.",
            ],
            "set": [[i, "grad", _plain(g)] for i, g in grads.items()],
        }
    )
    for s in e.backward:
        node = e.node(s.node)
        call = call_text(s.op, dict(node.param), [name[i] for i in node.inputs], paren=False)
        text = [f"{node.name} = {call};  upstream grad {node.name}.grad = {num(s.upstream)}"]
        sets = []
        for t in s.terms:
            before = grads[t.input]
            grads[t.input] = after = before + t.product  # the engine's `p.grad += g`
            text.append(
                f"  {name[t.input]}: local d {node.name} / d {name[t.input]} = {num(t.local)};  "
                f"{num(s.upstream)} * {num(t.local)} = {num(t.product)};  "
                f"{name[t.input]}.grad = {num(before)} + {num(t.product)} = {num(after)}"
            )
            sets.append([t.input, "grad", _plain(after)])
        steps.append(
            {
                "phase": "backward",
                "label": f"backward {s.step + 1} / {total}",
                "node": s.node,
                "inputs": list(node.inputs),
                "text": text,
                "set": sets,
            }
        )
    return steps


def page_data(
    root: Value,
    labels: Mapping[Value, str] | None = None,
    *,
    layout: str = "auto",
    rankdir: str = "LR",
) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data (used by `step_through_html`)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be LR or TB, got {rankdir!r}")
    use_graphviz = layout == "graphviz" or (layout == "auto" and find_dot() is not None)
    size = len(topological_order(root))
    limit = MAX_PAGE_VALUES if use_graphviz else MAX_DAGRE_VALUES
    if size > limit:
        hint = "" if use_graphviz else f" (up to {MAX_PAGE_VALUES:,} when Graphviz is installed)"
        raise GraphTooLargeError(
            f"the graph has {size:,} values, more than the {limit:,} the step-through page "
            f"shows{hint}: draw a smaller graph (for the demo model, fewer --samples or a "
            "smaller --hidden, such as --hidden 2 --samples 1), or write it as a picture "
            "(.svg, .png) or DOT text"
        )
    e = explain(root, labels)
    boxes, edges = _boxes(e)
    placed = graphviz_layout(boxes, edges, rankdir).to_dict() if use_graphviz else None
    return {
        "root": e.root,
        "rankdir": rankdir,
        "values": [
            {
                "id": n.id,
                "name": n.name,
                "op": n.op,
                "inputs": list(n.inputs),
                "data": _plain(n.data) if not n.op else None,
                "grad": _plain(n.grad),
                "label": call_text(n.op, dict(n.param), [], paren=False, bare=True) if n.op else "",
            }
            for n in e.nodes
        ],
        "boxes": [[b.id, b.width, b.height, b.shape] for b in boxes],
        "edges": edges,
        "layout": placed,
        "steps": _steps(e),
    }


def step_through_html(
    root: Value,
    labels: Mapping[Value, str] | None = None,
    *,
    title: str = "backprop, step by step",
    layout: str = "auto",
    rankdir: str = "LR",
) -> str:
    """The page for the graph of `root`: one HTML document with everything inlined.

    `layout` is "auto" (Graphviz when `dot` is installed, else dagre in the browser),
    "graphviz" or "dagre". Raises `GraphTooLargeError` past `MAX_PAGE_VALUES` values.
    """
    data = page_data(root, labels, layout=layout, rankdir=rankdir)
    # JSON inside <script>: escaping every "<" keeps "</script>" and "<!--" out of it.
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    library = ""
    if data["layout"] is None:
        lines = _text("vendor/dagre.min.js").splitlines()
        code = "\n".join(x for x in lines if not x.startswith("//# sourceMappingURL"))
        # The MIT licence travels with every copy of the library: here, each page.
        library = f"/*!\n{_text('vendor/LICENSE-dagre.txt')}*/\n{code}"
    parts = {
        "TITLE": html.escape(title),
        "STYLE": _text("page.css"),
        "DATA": payload,
        "LIBRARY": library,
        "SCRIPT": _text("page.js"),
    }
    # One pass, so nothing inserted (a title, the library) is ever read as a placeholder.
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], _text("template.html"))

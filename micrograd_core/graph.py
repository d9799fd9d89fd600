"""Pictures of computation graphs, in the spirit of micrograd's `draw_dot`.

`to_dot(value)` writes Graphviz DOT text and needs nothing installed. `draw_dot(value)` wraps it
in a `Graph` that renders SVG/PNG through the Graphviz `dot` program when it is on PATH, writes
the step-through page (`.render("backprop.html")`, see `micrograd_core.stepthrough`), and shows
itself inline in Jupyter: as that page, or as the SVG picture with `step_through=False`. Both
walk the graph with `topological_order` (iterative), so a graph of any depth works, and number
nodes in that order, so the same graph always gives the same text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path

import attrs

from ._backward import topological_order
from ._graphviz import GraphvizError, GraphvizNotFoundError, find_dot, run_dot
from ._value import Value
from .stepthrough import GraphTooLargeError, step_through_html

__all__ = [
    "FORMATS",
    "Graph",
    "GraphTooLargeError",
    "GraphvizError",
    "GraphvizNotFoundError",
    "draw_dot",
    "find_dot",
    "to_dot",
]

#: Output formats `Graph.render` infers from a file suffix. "dot" and "html" (the step-through
#: page) need no Graphviz.
FORMATS = ("svg", "png", "pdf", "dot", "html")


def _number(x: object) -> str:
    if isinstance(x, Value):  # a gradient after backward(create_graph=True)
        x = x.data
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.4f}"


def _escape_record(text: str) -> str:
    # Characters with a meaning in record labels, then the DOT string's own quote and backslash.
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", "\\n")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _op_label(node: Value) -> str:
    param = node.param
    if not param:
        return node.op
    inner = ", ".join(f"{k}={v!r}" for k, v in sorted(param.items()))
    return f"{node.op}({inner})"


def to_dot(
    root: Value,
    *,
    labels: Mapping[Value, str] | None = None,
    rankdir: str = "LR",
    name: str = "micrograd",
) -> str:
    """The graph that computed `root`, as Graphviz DOT text.

    Each value is a record node `{ label | data ... | grad ... }` (`label` only for the values
    named in `labels`); the op that produced a value is a separate ellipse node `vN_op` feeding
    it, with static parameters shown as `pow(exponent=2)`. An input used twice (`x * x`) has two
    edges. Node ids are `v0, v1, ...` in topological order (inputs first).
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_dot expects a Value, got {type(root).__name__}")
    if rankdir not in {"LR", "RL", "TB", "BT"}:
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    labels = labels or {}
    order = topological_order(root)
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    lines = [
        f'digraph "{_escape(name)}" {{',
        f"  graph [rankdir={rankdir}];",
        '  node [fontname="Helvetica", fontsize=11];',
    ]
    edges = []
    for node in order:
        nid = ids[node]
        fields = [f"data {_number(node.data)}", f"grad {_number(node.grad)}"]
        label = labels.get(node)
        if label is not None:
            fields.insert(0, label)
        record = " | ".join(_escape_record(f) for f in fields)
        lines.append(f'  {nid} [shape=record, label="{{ {record} }}"];')
        if node.op:
            lines.append(f'  {nid}_op [shape=ellipse, label="{_escape(_op_label(node))}"];')
            edges.append(f"  {nid}_op -> {nid};")
            edges.extend(f"  {ids[p]} -> {nid}_op;" for p in node.parents)
    lines.extend(edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


@attrs.frozen
class Graph:
    """A drawn graph: `.source` is the DOT text; `.pipe()`/`.render()` of svg, png and pdf need
    Graphviz, dot and html do not.

    In Jupyter the graph displays as the step-through page (`_repr_html_`, an iframe) when it
    was made by `draw_dot(value)`; with `step_through=False`, or for a graph too large for the
    page, as SVG (with Graphviz) or as the text of `repr`, which says what is missing.
    """

    source: str
    nodes: int
    root: Value | None = attrs.field(default=None, eq=False, repr=False)
    labels: Mapping[Value, str] | None = attrs.field(default=None, eq=False, repr=False)
    rankdir: str = attrs.field(default="LR", eq=False, repr=False)
    step_through: bool = attrs.field(default=True, eq=False, repr=False)

    def html(self, *, title: str = "backprop, step by step", layout: str = "auto") -> str:
        """The step-through page (see `micrograd_core.stepthrough.step_through_html`).

        Raises `GraphTooLargeError` for a graph past the page's limit.
        """
        if self.root is None:
            raise ValueError(
                "this Graph holds DOT text only; draw_dot(value) makes one with a page"
            )
        rankdir = "TB" if self.rankdir in ("TB", "BT") else "LR"
        return step_through_html(
            self.root, self.labels, title=title, layout=layout, rankdir=rankdir
        )

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered image as bytes. Raises `GraphvizNotFoundError` without Graphviz."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        if format == "dot":
            return self.source.encode("utf-8")
        if format == "html":
            return self.html().encode("utf-8")
        return run_dot(self.source, format)

    def render(self, path: str | Path, format: str | None = None) -> Path:
        """Write the graph to `path`; the format defaults to the suffix (.svg, .png, .pdf, .dot,
        .html).

        A `.dot` file is the DOT text itself and an `.html` file the step-through page; both
        work without Graphviz.
        """
        path = Path(path)
        fmt = format or path.suffix.lstrip(".").lower()
        fmt = {"gv": "dot", "htm": "html"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise ValueError(
                f"cannot tell the format of {str(path)!r}: use a suffix or format= among "
                f"{', '.join(FORMATS)}"
            )
        path.write_bytes(self.pipe(fmt))
        return path

    def _repr_html_(self) -> str | None:
        if not self.step_through or self.root is None:
            return None  # Jupyter then shows the SVG
        try:
            page = self.html()
        except GraphTooLargeError as exc:
            return f"<p>{html.escape(str(exc))}</p>"
        # An iframe keeps the page's script, styles and keys apart from the notebook's.
        return (
            f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            'style="width: 100%; height: 480px; border: 1px solid #d0d7de" '
            'title="backprop, step by step"></iframe>'
        )

    def _repr_svg_(self) -> str | None:
        if find_dot() is None:
            return None
        return self.pipe("svg").decode("utf-8")

    def __repr__(self) -> str:
        note = "" if find_dot() else "; Graphviz `dot` not found, so no picture: see .source"
        return f"<Graph of {self.nodes} value(s){note}>"


def draw_dot(
    root: Value,
    *,
    labels: Mapping[Value, str] | None = None,
    rankdir: str = "LR",
    step_through: bool = True,
) -> Graph:
    """`to_dot` wrapped for display: `draw_dot(loss)` in a notebook shows the step-through page
    (`step_through=False`: the SVG picture); `draw_dot(loss).render("loss.svg")` writes a
    picture, `.render("loss.html")` the page."""
    source = to_dot(root, labels=labels, rankdir=rankdir)
    return Graph(
        source,
        len(topological_order(root)),
        root,
        dict(labels or {}),
        rankdir,
        step_through,
    )

"""Pictures of computation graphs, in the spirit of micrograd's `draw_dot`.

`to_dot(value)` writes Graphviz DOT text and needs nothing installed. `draw_dot(value)` wraps it
in a `Graph` that renders SVG/PNG through the Graphviz `dot` program when it is on PATH and shows
itself inline in Jupyter. Both walk the graph with `topological_order` (iterative), so a graph of
any depth works, and number nodes in that order, so the same graph always gives the same text.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import attrs

from ._backward import topological_order
from ._errors import MicrogradError
from ._value import Value

#: Output formats `Graph.render` infers from a file suffix. "dot" needs no Graphviz.
FORMATS = ("svg", "png", "pdf", "dot")


class GraphvizError(MicrogradError, RuntimeError):
    """The Graphviz `dot` program failed to render a graph."""


class GraphvizNotFoundError(GraphvizError, FileNotFoundError):
    """The Graphviz `dot` program is not installed (or not on PATH)."""

    def __init__(self) -> None:
        super().__init__(
            "the Graphviz `dot` program was not found on PATH, so the graph cannot be rendered "
            "as an image; install Graphviz (apt-get install graphviz, brew install graphviz, "
            "conda install graphviz) or write DOT text instead (Graph.source, to_dot(), "
            "`micrograd graph ... -o graph.dot`)"
        )


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


def find_dot() -> str | None:
    """The path of the Graphviz `dot` program, or None when it is not installed."""
    return shutil.which("dot")


def _run_dot(source: str, fmt: str) -> bytes:
    exe = find_dot()
    if exe is None:
        raise GraphvizNotFoundError()
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, check=False
        )
    except OSError as exc:  # found on PATH but not runnable
        raise GraphvizError(f"could not run {exe}: {exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"`dot -T{fmt}` failed with exit status {done.returncode}: {err}")
    return done.stdout


@attrs.frozen
class Graph:
    """A drawn graph: `.source` is the DOT text; `.pipe()`/`.render()` need Graphviz.

    In Jupyter the graph displays as SVG; without Graphviz, as the text of `repr`, which says
    what is missing (Jupyter falls back to it when `_repr_svg_` returns None).
    """

    source: str
    nodes: int

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered image as bytes. Raises `GraphvizNotFoundError` without Graphviz."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        if format == "dot":
            return self.source.encode("utf-8")
        return _run_dot(self.source, format)

    def render(self, path: str | Path, format: str | None = None) -> Path:
        """Write the graph to `path`; the format defaults to the suffix (.svg, .png, .pdf, .dot).

        A `.dot` file is the DOT text itself and works without Graphviz.
        """
        path = Path(path)
        fmt = format or path.suffix.lstrip(".").lower()
        if fmt == "gv":
            fmt = "dot"
        if fmt not in FORMATS:
            raise ValueError(
                f"cannot tell the format of {str(path)!r}: use a suffix or format= among "
                f"{', '.join(FORMATS)}"
            )
        path.write_bytes(self.pipe(fmt))
        return path

    def _repr_svg_(self) -> str | None:
        if find_dot() is None:
            return None
        return self.pipe("svg").decode("utf-8")

    def __repr__(self) -> str:
        note = "" if find_dot() else "; Graphviz `dot` not found, so no picture: see .source"
        return f"<Graph of {self.nodes} value(s){note}>"


def draw_dot(
    root: Value, *, labels: Mapping[Value, str] | None = None, rankdir: str = "LR"
) -> Graph:
    """`to_dot` wrapped for display: `draw_dot(loss)` in a notebook shows the graph;
    `draw_dot(loss).render("loss.svg")` writes it."""
    source = to_dot(root, labels=labels, rankdir=rankdir)
    return Graph(source, len(topological_order(root)))

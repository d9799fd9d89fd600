"""Node positions and edge curves from Graphviz (`dot -Tjson`), for the step-through page.

Every box is given to `dot` with its exact size (`fixedsize`), in points, so the positions it
returns fit the boxes the page draws. Without Graphviz the page lays itself out in the browser
with the bundled dagre library instead; both produce the same structure, `Layout.to_dict()`.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from typing import Any

import attrs

from .._graphviz import GraphvizError, find_dot, run_dot


@attrs.frozen
class Box:
    """A node of the page: `id`, its size in pixels, and `shape` ("box" or "ellipse")."""

    id: str
    width: float
    height: float
    shape: str


@attrs.frozen
class Layout:
    engine: str
    width: float
    height: float
    nodes: dict[str, tuple[float, float]]  # centre of each box
    edges: list[dict[str, Any]]  # per edge: B-spline control points and the arrow's tip

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "width": self.width,
            "height": self.height,
            "nodes": {k: list(v) for k, v in self.nodes.items()},
            "edges": self.edges,
        }


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_layout_dot(boxes: Sequence[Box], edges: Sequence[tuple[str, str]], rankdir: str) -> str:
    """DOT text that asks only for positions: sized, unlabelled nodes (1 inch = 72 px)."""
    lines = [
        "digraph layout {",
        f"  graph [rankdir={rankdir}, nodesep=0.25, ranksep=0.5];",
        '  node [fixedsize=true, label=""];',
    ]
    lines += [
        f"  {_quote(b.id)} [shape={b.shape}, width={b.width / 72:.4f}, height={b.height / 72:.4f}];"
        for b in boxes
    ]
    lines += [f"  {_quote(a)} -> {_quote(b)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _points(text: str, height: float) -> tuple[list[list[float]], list[float] | None]:
    """An edge's `pos`: `e,x,y` (the arrow's tip) then the spline's control points."""
    tip = None
    points = []
    for part in text.split():
        fields = part.split(",")
        if fields[0] == "e":
            tip = [float(fields[1]), height - float(fields[2])]
        elif fields[0] == "s":
            continue  # a start arrow: never asked for
        else:
            points.append([float(fields[0]), height - float(fields[1])])
    return points, tip


def _version() -> str:
    exe = find_dot()
    try:  # `dot -V` prints "dot - graphviz version 2.43.0 (0)" on stderr
        done = subprocess.run([exe or "dot", "-V"], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    found = re.search(r"version (\S+)", done.stderr + done.stdout)
    return found.group(1) if found else ""


def graphviz_layout(
    boxes: Sequence[Box], edges: Sequence[tuple[str, str]], rankdir: str = "LR"
) -> Layout:
    """Lay the page's graph out with `dot`. Raises `GraphvizNotFoundError` without Graphviz,
    `GraphvizError` when it fails or answers something unexpected."""
    raw = run_dot(to_layout_dot(boxes, edges, rankdir), "json")
    try:
        doc = json.loads(raw)
        height = float(doc["bb"].split(",")[3])
        width = float(doc["bb"].split(",")[2])
        objects = doc.get("objects", [])
        names = {o["_gvid"]: o["name"] for o in objects}
        nodes: dict[str, tuple[float, float]] = {}
        for o in objects:
            x, y = (float(v) for v in o["pos"].split(","))
            nodes[o["name"]] = (x, height - y)
        # Graphviz lists edges in the order they were given; pair them by endpoints anyway,
        # so two edges between the same nodes (x * x) each get one of the two curves.
        curves: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for e in doc.get("edges", []):
            points, tip = _points(e["pos"], height)
            key = (names[e["tail"]], names[e["head"]])
            curves.setdefault(key, []).append({"points": points, "tip": tip, "spline": True})
        placed = [curves[key].pop(0) for key in edges]
        missing = [b.id for b in boxes if b.id not in nodes]
    except (KeyError, ValueError, IndexError, TypeError, AttributeError) as exc:
        raise GraphvizError(f"`dot -Tjson` gave a layout that could not be read: {exc!r}") from exc
    if missing:
        raise GraphvizError(f"`dot -Tjson` placed no node {missing[0]!r}")
    return Layout(f"Graphviz {_version()}".strip(), width, height, nodes, placed)

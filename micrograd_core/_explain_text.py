"""The text of an `Explanation`: three aligned tables (forward, backward, gradients).

Columns are padded on the plain text and coloured afterwards, so ANSI codes never disturb the
alignment. Long argument lists (a neuron's `dot` has 2n+1 inputs) are shortened in the text;
`Explanation.to_dict()` keeps everything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

from ._explain_records import BackwardStep, Node


class Explanation(Protocol):
    """What the text is made from (`explanation.Explanation`)."""

    nodes: tuple[Node, ...]
    root: str
    backward: tuple[BackwardStep, ...]

    def node(self, node_id: str) -> Node: ...


# ANSI styles: bold, cyan (names), green (results), yellow (sums), dim (notes).
_STYLES = {"head": "1", "name": "36", "result": "32", "sum": "33", "note": "2"}
_MAX_ARGS = 4  # inputs shown before "..." in a call
_MAX_TERMS = 6  # contributions shown before "..." in a sum
_INFIX = {"add": " + ", "mul": " * ", "sum": " + ", "pow_var": " ** "}

Style = Callable[[str, str], str]


def number(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def _style(color: bool) -> Style:
    if not color:
        return lambda text, _kind: text
    return lambda text, kind: f"\x1b[{_STYLES[kind]}m{text}\x1b[0m" if text else text


def call_text(
    op: str, param: dict[str, object], args: Sequence[str], paren: bool, bare: bool = False
) -> str:
    """`x * y`, `x ** 2`, `tanh(v4)`: an op applied to `args` (names, or numbers when `paren`).
    `bare`: the op's own label, `mul` or `pow(exponent=2)`."""
    inner = ", ".join(f"{k}={v!r}" for k, v in sorted(param.items()))
    if bare:
        return f"{op}({inner})" if inner else op

    def wrap(a: str, i: int) -> str:
        # After an infix operator, or as a power's base, a negative number gets parentheses.
        return f"({a})" if paren and a.startswith("-") and (i or op in ("pow", "pow_var")) else a

    if op in _INFIX and 1 < len(args) <= _MAX_ARGS:
        return _INFIX[op].join(wrap(a, i) for i, a in enumerate(args))
    if op == "pow" and set(param) == {"exponent"} and len(args) == 1:
        return f"{wrap(args[0], 0)} ** {param['exponent']!r}"
    shown = list(args)
    if len(shown) > _MAX_ARGS:  # a neuron's dot: 2n+1 inputs
        shown = [*shown[: _MAX_ARGS - 1], "...", shown[-1], f"{len(args)} inputs"]
    return f"{op}({', '.join([*shown, inner] if inner else shown)})"


def _table(
    rows: Sequence[Sequence[tuple[str, str]]], right: set[int], style: Style, gap: str = "  "
) -> list[str]:
    """Rows of (text, style kind) cells, padded to aligned columns; `right`: right-aligned."""
    widths = [0] * max((len(r) for r in rows), default=0)
    for row in rows:
        for i, (text, _) in enumerate(row):
            widths[i] = max(widths[i], len(text))
    lines = []
    for row in rows:
        cells = []
        for i, (text, kind) in enumerate(row):
            pad = " " * (widths[i] - len(text))
            cell = style(text, kind) if kind else text
            cells.append(pad + cell if i in right else cell + pad)
        lines.append("  " + gap.join(cells).rstrip())
    return lines


def _forward(e: Explanation, num: Callable[[float], str], style: Style) -> list[str]:
    rows = []
    for n in e.nodes:
        if not n.op:
            rows.append([(n.name, "name"), ("=", ""), (num(n.data), "result")])
            continue
        names = [e.node(i).name for i in n.inputs]
        values = [num(e.node(i).data) for i in n.inputs]
        rows.append(
            [
                (n.name, "name"),
                ("=", ""),
                (call_text(n.op, dict(n.param), names, paren=False), ""),
                ("=", ""),
                (call_text(n.op, dict(n.param), values, paren=True), ""),
                ("=", ""),
                (num(n.data), "result"),
            ]
        )
    return _table(rows, set(), style, gap=" ")


def _backward(e: Explanation, num: Callable[[float], str], style: Style) -> list[str]:
    head = ["step", "node", "op", "upstream grad", "input", "local derivative", "upstream * local"]
    rows = [[(h, "head") for h in head]]
    for s in e.backward:
        lead = [(str(s.step), ""), (e.node(s.node).name, "name"), (s.op, ""), (num(s.upstream), "")]
        for t in s.terms:
            term = [(e.node(t.input).name, "name"), (num(t.local), ""), (num(t.product), "result")]
            rows.append([*lead, *term])
            lead = [("", "")] * 4  # the node's cells only on its first row
    return _table(rows, {0}, style)


def _sum(n: Node, num: Callable[[float], str]) -> tuple[str, str]:
    """Where a gradient came from: the seed, one step, or a sum such as
    `= 0.5 (step 2) + 0.3 (step 4)`; with its style."""
    if len(n.contributions) == 1:
        step = n.contributions[0].step
        return f"(from step {step})" if step else "(the seed)", "note"
    parts = [f"{num(c.value)} (step {c.step})" for c in n.contributions]
    if len(parts) > _MAX_TERMS:
        parts = [*parts[: _MAX_TERMS - 1], "...", parts[-1]]
        return "= " + " + ".join(parts) + f"  ({len(n.contributions)} terms)", "sum"
    return "= " + " + ".join(parts), "sum"


def _gradients(e: Explanation, num: Callable[[float], str], style: Style) -> list[str]:
    rows = [[(n.name, "name"), ("=", ""), (num(n.grad), "result"), _sum(n, num)] for n in e.nodes]
    return _table(rows, set(), style, gap=" ")


def render(e: Explanation, *, color: bool = False, digits: int = 6) -> str:
    style = _style(color)

    def num(x: float) -> str:
        return number(x, digits)

    root = e.node(e.root).name
    sections = [
        (
            "forward: every value from its inputs, inputs first",
            _forward(e, num, style),
        ),
        (
            f"backward: {root}.grad = 1, then each op node in the engine's order "
            "(reverse topological)",
            _backward(e, num, style) if e.backward else ["  (no op: the output is an input)"],
        ),
        (
            "gradients: each value's grad is the sum of what its consumers sent back",
            _gradients(e, num, style),
        ),
    ]
    out = []
    for title, lines in sections:
        out.append(style(title, "head"))
        out.extend(lines)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"

"""Random expression graphs built from the registered ops, and a whole-graph gradient check.

A graph is a list of nodes over a few leaves; each node applies one op to earlier leaves or
nodes, and any earlier node may be used several times (shared sub-expressions, so gradients must
accumulate). The strategy only wires a node's input to a value that lies inside that op's domain
and well away from its kinks, and `check_graph` only trusts a finite difference if stepping the
leaf left every node on the same side of every kink: whole-graph checks never cross a kink.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Any

import attrs
from hypothesis import strategies as st

from .._registry import registry
from .._value import Value, apply, grad
from ._confirm import settle
from ._numeric import (
    ATOL,
    EPS,
    RTOL,
    Comparison,
    Tolerance,
    central_difference,
    singular_points,
    terms_size,
)
from ._report import CheckResult, Failure, GradientCheckError

#: Node values are kept within this magnitude (so `exp` chains do not overflow).
GRAPH_MAX_VALUE = 1e4
#: A node input keeps this relative distance from its op's kinks and domain bounds.
GRAPH_MARGIN = 1e-2


@attrs.frozen
class GraphNode:
    op: str
    args: tuple[int, ...]  # indices: 0..n_leaves-1 are leaves, then the nodes in order
    params: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class ExprGraph:
    """Leaves (their values) and nodes; the last node is the output."""

    leaves: tuple[float, ...]
    nodes: tuple[GraphNode, ...]

    def build(self, leaf_values: Sequence[float] | None = None) -> tuple[list[Value], Value]:
        """Fresh leaf `Value`s and the output `Value`, built with `apply`."""
        leaves = [Value(x) for x in (self.leaves if leaf_values is None else leaf_values)]
        values: list[Value] = list(leaves)
        for node in self.nodes:
            values.append(apply(node.op, *[values[a] for a in node.args], **node.params))
        return leaves, values[-1]

    def values(self, leaf_values: Sequence[float]) -> list[float]:
        """Every value (leaves, then nodes) in floats, through each op's forward."""
        values = [float(x) for x in leaf_values]
        for node in self.nodes:
            op = registry.get(node.op)
            try:
                y = float(op.forward(*[values[a] for a in node.args], **node.params))
            except (OverflowError, ZeroDivisionError, ValueError):
                y = math.nan
            values.append(y)
        return values

    def shared(self) -> int:
        """How many leaves or nodes are used more than once (gradient accumulation)."""
        uses = Counter(a for node in self.nodes for a in node.args)
        return sum(1 for count in uses.values() if count > 1)

    def signature(self, leaf_values: Sequence[float]) -> tuple[int, ...] | None:
        """For every node input, which interval between its op's singular points it lies in;
        None if some value left its op's domain or is not finite."""
        values = self.values(leaf_values)
        if not all(math.isfinite(v) for v in values):
            return None
        sig = []
        for node in self.nodes:
            spec = registry.spec(node.op)
            n = len(node.args)
            domains, kinks = spec.domains(n, node.params), spec.kinks_of(n, node.params)
            for i, a in enumerate(node.args):
                if values[a] not in domains[i]:
                    return None
                points = singular_points(domains[i], kinks[i])
                sig.append(bisect.bisect_left(points, values[a]) * 2 + (values[a] in points))
        return tuple(sig)

    def __str__(self) -> str:
        n = len(self.leaves)
        lines = [f"v{i} = {x!r}" for i, x in enumerate(self.leaves)]
        for k, node in enumerate(self.nodes):
            args = [f"v{a}" for a in node.args] + [f"{p}={v!r}" for p, v in node.params.items()]
            lines.append(f"v{n + k} = {node.op}({', '.join(args)})")
        return "; ".join(lines)


def _fits(value: float, domain: Any, points: Sequence[float]) -> bool:
    if not (math.isfinite(value) and domain.low < value < domain.high):
        return False
    return all(abs(value - s) > GRAPH_MARGIN * max(1.0, abs(s)) for s in points)


def _fits_jointly(xs: list[float], spec: Any, params: dict[str, Any]) -> bool:
    """Away (relative GRAPH_MARGIN) from every point the op declares singular in several inputs."""
    size = math.hypot(*xs)
    return all(
        math.dist(xs, p) > GRAPH_MARGIN * max(1.0, math.hypot(*p), size)
        for p in spec.singular_of(len(xs), params)
    )


@st.composite
def _graphs(draw: st.DrawFn, names: tuple[str, ...], max_leaves: int, max_nodes: int) -> ExprGraph:
    n_leaves = draw(st.integers(1, max_leaves))
    leaf = st.floats(-3, 3, allow_subnormal=False).filter(lambda x: abs(x) > 0.05)
    leaves = tuple(draw(leaf) for _ in range(n_leaves))
    values = list(leaves)
    nodes: list[GraphNode] = []
    for _ in range(draw(st.integers(1, max_nodes))):
        name = draw(st.sampled_from(names))
        spec, op = registry.spec(name), registry.get(name)
        params = dict(draw(st.sampled_from(spec.param_examples))) if spec.params else {}
        n = spec.arity or draw(st.integers(1, 3))
        domains, kinks = spec.domains(n, params), spec.kinks_of(n, params)
        args: list[int] = []
        for i in range(n):
            points = singular_points(domains[i], kinks[i])
            fit = [
                k for k in range(len(values) - 1, -1, -1) if _fits(values[k], domains[i], points)
            ]
            if not fit:
                break
            args.append(draw(st.sampled_from(fit)))  # shrinks toward the newest value
        if len(args) < n or not _fits_jointly([values[a] for a in args], spec, params):
            continue
        try:
            y = float(op.forward(*[values[a] for a in args], **params))
        except (OverflowError, ZeroDivisionError, ValueError):
            continue
        if math.isfinite(y) and abs(y) <= GRAPH_MAX_VALUE:
            nodes.append(GraphNode(name, tuple(args), params))
            values.append(y)
    used = {a for node in nodes for a in node.args}
    sinks = [n_leaves + k for k in range(len(nodes) - 1) if n_leaves + k not in used]
    if sinks and "sum" in registry:  # every node reaches the output
        nodes.append(GraphNode("sum", (*sinks, n_leaves + len(nodes) - 1)))
    if not nodes:
        nodes.append(
            GraphNode("sum", tuple(range(n_leaves)))
            if "sum" in registry
            else GraphNode(names[0], (0,) * (registry.spec(names[0]).arity or 1))
        )
    return ExprGraph(leaves, tuple(nodes))


def expression_graphs(
    ops: Sequence[str] | None = None,
    *,
    max_leaves: int = 3,
    max_nodes: int = 8,
    higher_order_only: bool = False,
) -> st.SearchStrategy[ExprGraph]:
    """Random `ExprGraph`s over the registered ops (or the named ones): up to `max_leaves`
    leaves in [-3, 3], up to `max_nodes` op nodes (plus a final `sum` of the unused ones), node
    values bounded by 1e4, every input inside its op's domain and a relative 1e-2 from its
    kinks. `higher_order_only` keeps ops whose backward can be differentiated."""
    names = tuple(sorted(ops if ops is not None else registry.names()))
    for name in names:
        registry.get(name)
    if higher_order_only:
        names = tuple(n for n in names if registry.spec(n).higher_order)
    if not names:
        raise ValueError("expression_graphs needs at least one op")
    return _graphs(names, max_leaves, max_nodes)


def check_graph(
    graph: ExprGraph,
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    second_order: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """The gradient of the graph's output with respect to each leaf (through `grad` and through
    `.backward()`) against finite differences of the whole graph; with `second_order`, and if
    every op supports it, the gradient of each gradient against finite differences of `grad`."""
    tol = Tolerance(eps, atol, rtol)
    ops = sorted({n.op for n in graph.nodes})
    result = CheckResult(
        op="<expression graph>",
        plugin=", ".join(ops),
        examples=1,
        checks=["first order", ".backward()"],
    )
    xs = list(graph.leaves)
    try:
        leaves, out = graph.build()
        first = grad(out, leaves)
        comparisons = _compare(graph, xs, tol, lambda v: graph.values(v)[-1], first, "x{i}", result)
        if not all(c.ok for c in comparisons):
            raise _Bad("gradient mismatch", comparisons)
        leaves2, out2 = graph.build()
        out2.backward()
        accumulated = [
            Comparison(f"x{i} (.backward())", leaf.grad, g, 0.0, tol.allowed(leaf.grad, g))
            for i, (leaf, g) in enumerate(zip(leaves2, first))
        ]
        if not all(c.ok for c in accumulated):
            raise _Bad("value path mismatch", accumulated)
        if second_order and all(registry.spec(o).higher_order for o in ops):
            result.checks.append("second order")
            comparisons += _second_order(graph, xs, tol, result)
    except _Bad as bad:
        msg = f"in the graph {graph}"
        result.failure = Failure(bad.kind, msg, tuple(xs), {}, 1.0, tuple(bad.comparisons))
    result.record(comparisons if result.ok else [], tol.atol)
    if raise_on_failure and not result.ok:
        raise GradientCheckError(result)
    return result


class _Bad(Exception):
    def __init__(self, kind: str, comparisons: list[Comparison]) -> None:
        self.kind, self.comparisons = kind, comparisons


def _compare(
    graph: ExprGraph,
    xs: list[float],
    tol: Tolerance,
    f: Any,
    analytic: list[float],
    label: str,
    result: CheckResult,
) -> list[Comparison]:
    """The comparisons float precision can decide; the others are counted in `result`."""
    base = graph.signature(xs)
    terms = terms_size(xs, analytic)
    out = []
    for j in range(len(xs)):
        h = eps_step(xs[j], tol.eps)
        moved = [list(xs), list(xs)]
        moved[0][j] += h
        moved[1][j] -= h
        if base is None or any(graph.signature(m) != base for m in moved):
            continue  # a step would cross a kink or leave a domain: no trustworthy estimate
        est = central_difference(f, xs, j, h, terms)
        if est is not None:
            allowed = tol.allowed(analytic[j], est.value, est.noise)
            c = Comparison(label.format(i=j), analytic[j], est.value, h, allowed, est.noise)
            # confirmed or cleared at smaller steps if need be (which cross no more kinks)
            estimate_at = partial(central_difference, f, xs, j, terms=terms)
            settled = settle(c, est, estimate_at, tol)
            if settled.inconclusive:  # float precision does not determine it here
                result.inconclusive += 1
            else:
                out.append(settled.comparison)
    return out


def eps_step(x: float, eps: float) -> float:
    return eps * max(abs(x), 1.0)


def _second_order(
    graph: ExprGraph, xs: list[float], tol: Tolerance, result: CheckResult
) -> list[Comparison]:
    leaves, out = graph.build()
    first = grad(out, leaves, create_graph=True)
    comparisons: list[Comparison] = []
    for i, g in enumerate(first):
        row = grad(g, leaves)

        def g_i(v: list[float], i: int = i) -> float:
            ls, o = graph.build(v)
            return float(grad(o, ls)[i])

        comparisons += _compare(graph, xs, tol, g_i, row, f"d(grad x{i})/dx{{i}}", result)
    if not all(c.ok for c in comparisons):
        raise _Bad("second-order mismatch", comparisons)
    return comparisons

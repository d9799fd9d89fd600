"""The pure-Python executor's `backward(V, B)`, generated from a `GradPlan` (see `_gradplan`).

Groups run last to first. For each: the gradients of its nodes (one statement per batch), then
the contributions its op stores for the edges that are neither plain nor factor. A batch's
segment whose nodes read one contribution each is an element-wise `map`; longer ones become
`sum(map(mul, factors, gradients))` per node over distinct tuples gathered once, so that a dense
layer reads each column of its inputs and each row of gradients once, not once per weight.
"""

from __future__ import annotations

import sys
from functools import partial, reduce
from itertools import repeat
from operator import add, itemgetter, mul
from typing import Any

from .._value import spec_of
from ._codegen import check, gather, holes, rows_source, template
from ._exprs import py_map
from ._gradplan import FACTOR, Batch, GradPlan
from ._plan import Group

#: Sums that add left to right from 0, as eager's `+=` does. `sum()` of floats does so up to
#: Python 3.11; from 3.12 it compensates rounding, so there a plain `reduce(add)` stands in.
SEQSUM: Any = sum if sys.version_info < (3, 12) else (lambda it, start=0: reduce(add, it, start))
_SCALAR_MAX = 16  # contributions up to which a lone node's gradient is one scalar expression


def getter(idx: list[int]) -> Any:
    """A callable reading slots `idx` of a list as a sequence (of any length)."""
    first = idx[0]
    if idx == list(range(first, first + len(idx))):
        return itemgetter(slice(first, first + len(idx)))
    return itemgetter(*idx)


def distinct(rows: list[tuple[int, ...]], array: str, name: str, ns: dict[str, Any]) -> str:
    """Source of a list holding each distinct row of `rows` (slots of `array`), gathered once;
    `_pick<name>(that list)` then gives every node its row."""
    index: dict[tuple[int, ...], int] = {}
    pick = [index.setdefault(r, len(index)) for r in rows]
    ns[f"_{name}"] = [getter(list(r)) for r in index]
    ns[f"_pick{name}"] = getter(pick)
    return f"list(map(_call{array}, _{name}))"


def _batch(gp: GradPlan, b: Batch, t: str, ns: dict[str, Any]) -> list[str]:
    n = len(b.nodes)
    if n == 1 and sum(len(s.grads) for s in b.segments[0]) <= _SCALAR_MAX:
        terms = ["0.0"]
        for s in b.segments[0]:
            if s.kind == FACTOR:
                terms += [f"V[{f}] * B[{q}]" for f, q in zip(s.factors, s.grads)]
            else:
                terms += [f"B[{q}]" for q in s.grads]
        return [f"    B[{b.start}] = {' + '.join(terms)}"]
    lines: list[str] = []
    acc = ""
    for pos, kind in enumerate(b.kinds):
        segs = [node[pos] for node in b.segments]
        name = f"{t}_{pos}"
        if all(len(s.grads) == 1 for s in segs):  # one contribution per node: element-wise
            term = gather([s.grads[0] for s in segs], "B", ns, f"_q{name}")
            if kind == FACTOR:
                factors = gather([s.factors[0] for s in segs], "V", ns, f"_f{name}")
                term = f"map(_mul, {factors}, {term})"
            acc = f"map(_add, {acc or '_repeat(0.0)'}, {term})"
            continue
        src = distinct([tuple(s.grads) for s in segs], "B", f"Q{name}", ns)
        lines.append(f"    Q{pos} = {src}")
        rows = f"_pickQ{name}(Q{pos})"
        if kind == FACTOR:
            src = distinct([tuple(s.factors) for s in segs], "V", f"F{name}", ns)
            lines.append(f"    F{pos} = {src}")
            rows = f"map(map, _rmul, _pickF{name}(F{pos}), {rows})"
        acc = f"map(_sum, {rows}, {acc})" if acc else f"map(_sum, {rows})"
    lines.append(f"    B[{b.start}:{b.start + n}] = {acc}")
    return lines


def _stored(gp: GradPlan, k: int, tpl: Any, names: dict[str, str], ns: dict[str, Any]) -> list[str]:
    """The contributions group `k`'s op computes itself, into B[ebase + j * n + i]."""
    g: Group = gp.plan.groups[k]
    n, s, base = len(g.nodes), g.start, gp.ebase[k]
    wanted = [j for j in range(g.n_inputs) if gp.rule(k, j) is None]
    grads = gp.gs[s : s + n]
    ns["_check"] = check
    variadic = spec_of(g.op).arity is None
    back = tpl.backward if tpl is not None and tpl.backward is not None else None
    if n == 1 and back is not None and not variadic:  # a chain's node: scalar statements
        scalar = {**names, "out": f"V[{s}]", "g": f"B[{grads[0]}]"}
        scalar.update({f"x{j}": f"V[{g.inputs[j][0]}]" for j in range(g.n_inputs)})
        return [f"    B[{base + j}] = {back[j].format(**scalar)}" for j in wanted]
    lines = [
        f"    # d {g.op.name} x {n}",
        f"    g = {gather(grads, 'B', ns, f'_g{k}')}",
        f"    out = V[{s}:{s + n}]",
    ]
    fn = partial(g.op.backward, **g.params) if g.params else g.op.backward
    ns[f"_b{k}"], ns[f"_op{k}"] = fn, g.op
    if variadic:
        lines.append(f"    xs = {rows_source(g, k, ns)}")
        if back is not None:
            per_node = (
                f"[[{back[0].format(**names)} for x in xs] for xs, out, g in zip(xs, out, g)]"
            )
        else:
            calls = f"[_b{k}(g, out, *xs) for xs, out, g in zip(xs, out, g)]"
            per_node = f"_check({calls}, {g.n_inputs}, _op{k})"
        lines.append(f"    C = {per_node}")
        lines.append(f"    B[{base}:{base + g.n_inputs * n}] = [c for col in zip(*C) for c in col]")
        return lines
    cols = [f"x{j}" for j in range(g.n_inputs)]
    lines += [f"    x{j} = {gather(g.inputs[j], 'V', ns, f'_i{k}_{j}')}" for j in range(g.n_inputs)]
    if back is None:
        lines.append(
            f"    R = _check(list(map(_b{k}, g, out, {', '.join(cols)})), {g.n_inputs}, _op{k})"
        )
        lines.append("    C = list(zip(*R))")
        return lines + [f"    B[{base + j * n}:{base + (j + 1) * n}] = C[{j}]" for j in wanted]
    for j in wanted:
        expr = back[j].format(**names)
        vec = py_map(expr, {*cols, "out", "g"})
        comp = f"[{expr} for {', '.join(cols)}, out, g in zip({', '.join(cols)}, out, g)]"
        lines.append(f"    B[{base + j * n}:{base + (j + 1) * n}] = {vec or comp}")
    return lines


def backward_source(gp: GradPlan, ns: dict[str, Any]) -> list[str]:
    """The source of `backward(V, B)`, returning the input leaves' gradients."""
    ns.update(_sum=SEQSUM, _add=add, _mul=mul, _rmul=repeat(mul))  # repeat() never runs out
    lines = [
        "def backward(V, B):",
        "    _callV = methodcaller('__call__', V)",
        "    _callB = methodcaller('__call__', B)",
    ]
    groups = gp.plan.groups
    for k in reversed(range(len(groups))):
        for i, b in enumerate(gp.batches[k]):
            lines += _batch(gp, b, f"{k}_{i}", ns)
        if k in gp.ebase:
            lines += _stored(gp, k, template(groups[k].op, ns), holes(groups[k], k, ns), ns)
    for i, b in enumerate(gp.batches[-1]):
        lines += _batch(gp, b, f"in_{i}", ns)
    inputs = gp.plan.inputs
    if inputs:
        ns["_grads"] = getter(gp.gs[: len(inputs)])
        lines.append("    return _grads(B)")
    else:
        lines.append("    return []")
    return lines

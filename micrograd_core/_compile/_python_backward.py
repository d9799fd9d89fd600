"""The pure-Python executor's `backward(V, B)`, generated from a `GradPlan` (see `_grad_layout`).

Groups run last to first. For each: the gradients of its nodes (one statement per batch), then
the contributions its op stores for the edges that are neither plain nor factor. A batch's
segment whose nodes read a few contributions each (up to `ROUNDS_MAX`) is added position by
position, one element-wise `map` per position; longer ones become
`sum(map(mul, factors, gradients))` per node over distinct rows gathered once, so that a dense
layer reads each column of its inputs and each row of gradients once, not once per weight; the
terms whose gradient is exactly zero are left out there (see `_zero_skipping`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ._codegen import (
    ROUNDS_MAX,
    bind,
    check,
    comprehension,
    distinct,
    gather,
    getter,
    rows_source,
    rowwise,
)
from ._grad_layout import FACTOR, Batch, GradPlan
from ._plan import Group
from ._vectorize import py_map
from ._zero_skipping import FactorSums

_SCALAR_MAX = 16  # contributions up to which a lone node's gradient is one scalar expression


def _batch(b: Batch, t: str, ns: dict[str, Any]) -> list[str]:
    """`B[batch] = ` each node's 0.0 + contributions, in order, segment after segment."""
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
        width = len(segs[0].grads)
        if width <= ROUNDS_MAX and all(len(s.grads) == width for s in segs):
            for r in range(width):  # a few contributions per node: position by position
                term = gather([s.grads[r] for s in segs], "B", ns, f"_q{name}_{r}")
                if kind == FACTOR:
                    factors = gather([s.factors[r] for s in segs], "V", ns, f"_f{name}_{r}")
                    term = f"map(_op_mul, {factors}, {term})"
                acc = f"map(_op_add, {acc or '_repeat(0.0)'}, {term})"
            continue
        src, pick_q = distinct([tuple(s.grads) for s in segs], "B", f"Q{name}", ns)
        lines.append(f"    Q{pos} = {src}")
        if kind == FACTOR:  # sums of products, leaving out terms of zero gradient: _zeros
            src, pick_f = distinct([tuple(s.factors) for s in segs], "V", f"F{name}", ns)
            lines.append(f"    F{pos} = {src}")
            aligned = len({len(s.grads) for s in segs}) == 1
            bind(ns, f"_fs{name}", FactorSums(pick_f, pick_q, aligned))
            acc = f"_fs{name}(F{pos}, Q{pos}, {acc})" if acc else f"_fs{name}(F{pos}, Q{pos})"
        else:
            bind(ns, f"_pickQ{name}", getter(pick_q))
            rows = f"_pickQ{name}(Q{pos})"
            acc = f"map(_seqsum, {rows}, {acc})" if acc else f"map(_seqsum, {rows})"
    lines.append(f"    B[{b.start}:{b.start + n}] = {acc}")
    return lines


def _stored(gp: GradPlan, k: int, tpl: Any, names: dict[str, str], ns: dict[str, Any]) -> list[str]:
    """The contributions group `k`'s op computes itself, into B[ebase + j * m + r] for the r-th
    of its m nodes that have a gradient (as eager, which calls no backward for the others)."""
    g: Group = gp.plan.groups[k]
    live, base = gp.live[k], gp.ebase[k]
    m, s = len(live), g.start
    wanted = [j for j, r in enumerate(gp.rules[k]) if r is None]
    grads = [gp.gs[s + i] for i in live]
    variadic = rowwise(g, tpl)
    back = tpl.backward if tpl is not None and tpl.backward is not None else None
    if m == 1 and back is not None and not variadic:  # e.g. a chain's node: scalar statements
        scalar = {**names, "out": f"V[{s + live[0]}]", "g": f"B[{grads[0]}]"}
        scalar.update({f"x{j}": f"V[{g.inputs[j][live[0]]}]" for j in range(g.n_inputs)})
        return [f"    B[{base + j}] = {back[j].format(**scalar)}" for j in wanted]
    lines = [
        f"    # d {g.op.name} x {m}",
        f"    g = {gather(grads, 'B', ns, f'_g{k}')}",
        f"    out = {gather([s + i for i in live], 'V', ns, f'_o{k}')}",
    ]
    ns[f"_b{k}"] = partial(g.op.backward, **g.params) if g.params else g.op.backward
    ns[f"_op{k}"] = g.op
    if variadic:
        lines.append(f"    xs = {rows_source(g, k, ns, live)}")
        if back is not None:
            expr = back[0].format(**names)
            per_node = f"[[{expr} for x in xs] for xs, out, g in zip(xs, out, g)]"
        else:
            calls = f"[_b{k}(g, out, *xs) for xs, out, g in zip(xs, out, g)]"
            per_node = f"_check({calls}, {g.n_inputs}, _op{k})"
        lines.append(f"    C = {per_node}")
        lines.append(f"    B[{base}:{base + g.n_inputs * m}] = [c for col in zip(*C) for c in col]")
        return lines
    cols = [f"x{j}" for j in range(g.n_inputs)]
    lines += [
        f"    x{j} = {gather([g.inputs[j][i] for i in live], 'V', ns, f'_bi{k}_{j}')}"
        for j in range(g.n_inputs)
    ]
    if back is None:
        calls = f"list(map(_b{k}, g, out, {', '.join(cols)}))"
        lines += [f"    C = list(zip(*_check({calls}, {g.n_inputs}, _op{k})))"]
        return lines + [f"    B[{base + j * m}:{base + (j + 1) * m}] = C[{j}]" for j in wanted]
    for j in wanted:
        expr = back[j].format(**names)
        vec = py_map(expr, {*cols, "out", "g"}) or comprehension(expr, [*cols, "out", "g"])
        lines.append(f"    B[{base + j * m}:{base + (j + 1) * m}] = {vec}")
    return lines


def backward_source(
    gp: GradPlan, templates: list[Any], group_holes: list[dict[str, str]], ns: dict[str, Any]
) -> list[str]:
    """The source of `backward(V, B)`, returning the input leaves' gradients. `templates` and
    `group_holes` are the groups' rendered templates and holes, and `ns` the program's
    namespace, which already holds the helpers (all from `_pyexec.build`)."""
    ns["_check"] = check
    lines = [
        "def backward(V, B):",
        "    _callV = methodcaller('__call__', V)",
        "    _callB = methodcaller('__call__', B)",
    ]
    groups = gp.plan.groups
    for k in reversed(range(len(groups))):
        for i, b in enumerate(gp.batches[k]):
            lines += _batch(b, f"{k}_{i}", ns)
        if k in gp.ebase:
            lines += _stored(gp, k, templates[k], group_holes[k], ns)
    for i, b in enumerate(gp.batches[-1]):
        lines += _batch(b, f"in_{i}", ns)
    inputs = gp.plan.inputs
    if inputs:
        ns["_grads"] = getter([gp.gs[i] for i in range(len(inputs))])
        lines.append("    return _grads(B)")
    else:
        lines.append("    return []")
    return lines

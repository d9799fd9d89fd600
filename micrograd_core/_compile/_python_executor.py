"""The pure-Python executor: one generated `forward(V)`, one statement per group (see `_plan`),
each a C-level `map` chain over the group's nodes where the op has a template, or a call of
`op.forward` per node where it has not; and one `backward(V, B)` (see `_python_backward`)."""

from __future__ import annotations

from functools import partial
from itertools import repeat
from operator import methodcaller, mul
from typing import Any

from .._fastpaths import Template
from .._floats import sequential_sum
from ._codegen import comprehension, gather, holes, rows_source, rowwise, template
from ._fused_sums import Contraction
from ._grad_layout import GradPlan, Rule, rule_of
from ._plan import Group, Plan
from ._python_backward import backward_source
from ._vectorize import PY_NAMESPACE, py_map


def _variadic(
    g: Group, k: int, tpl: Template | None, names: dict[str, str], ns: dict[str, Any]
) -> list[str]:
    """A variadic group's forward: rows of inputs per node; statements do not grow with the
    input count."""
    n, s = len(g.nodes), g.start
    fwd = [f"    xs = {rows_source(g, k, ns)}"]
    fn = partial(g.op.forward, **g.params) if g.params else g.op.forward
    ns[f"_f{k}"] = fn
    expr = tpl.forward.format(**names) if tpl is not None and tpl.forward is not None else None
    if expr is None:
        fwd.append(f"    V[{s}:{s + n}] = [_f{k}(*row) for row in xs]")
    else:
        fwd.append(f"    V[{s}:{s + n}] = {py_map(expr, {'xs'}) or f'[{expr} for xs in xs]'}")
    return fwd


def build(plan: Plan, keep: set[int]) -> tuple[Any, Any, Any, int]:
    """(forward(V), backward(V, B) -> input gradients, source, len(B)) for `plan`; `keep`:
    slots whose value must be in V after forward (outputs, guarded values)."""
    ns: dict[str, Any] = dict(PY_NAMESPACE)
    ns.update(
        methodcaller=methodcaller,
        _seqsum=sequential_sum,  # adds as eager's `+=` and the builtin sum op do
        _rmul=repeat(mul),  # map(map, _rmul, rows, rows): repeat() never runs out
    )
    fwd = ["def forward(V):", "    _callV = methodcaller('__call__', V)"]
    rules: list[list[Rule]] = []
    templates = [template(g, ns) for g in plan.groups]
    group_holes = [holes(g, k, ns) for k, g in enumerate(plan.groups)]
    contraction = Contraction(plan, templates, keep)
    for k, (g, tpl, names) in enumerate(zip(plan.groups, templates, group_holes)):
        back = tpl.backward if tpl is not None else None
        rules.append([rule_of(b.format(**names)) for b in back] if back else [None])
        n, s = len(g.nodes), g.start
        if k in contraction.skipped:
            continue  # products that only fused sums read: computed there
        if k in contraction.fused:
            fwd += contraction.source(plan, k, ns)
            continue
        if n == 1 and tpl is not None and not tpl.uniform and tpl.forward:
            holes_ = {**names, **{f"x{j}": f"V[{g.inputs[j][0]}]" for j in range(g.n_inputs)}}
            fwd.append(f"    V[{s}] = {tpl.forward.format(**holes_)}")  # a chain's node
            continue
        fwd += [f"    # {g.op.name} x {n}"]
        if rowwise(g, tpl):
            fwd += _variadic(g, k, tpl, names, ns)
            continue
        cols = [f"x{j}" for j in range(g.n_inputs)]
        fwd += [
            f"    x{j} = {gather(g.inputs[j], 'V', ns, f'_i{k}_{j}')}" for j in range(g.n_inputs)
        ]
        if tpl is not None and tpl.forward is not None:
            expr = tpl.forward.format(**names)
            vec = py_map(expr, set(cols))
            fwd.append(f"    V[{s}:{s + n}] = {vec or comprehension(expr, cols)}")
        else:
            ns[f"_f{k}"] = partial(g.op.forward, **g.params) if g.params else g.op.forward
            fwd.append(f"    V[{s}:{s + n}] = map(_f{k}, {', '.join(cols)})")
    fwd.append("    return V")
    gp = GradPlan(plan, rules)
    bwd = backward_source(gp, templates, group_holes, ns)
    source = "\n".join(fwd) + "\n\n\n" + "\n".join(bwd) + "\n"
    ns.pop("__templates__", None)  # build-time only: do not keep them alive
    exec(compile(source, "<micrograd compiled program>", "exec"), ns)
    return ns["forward"], ns["backward"], source, gp.size

"""The pure-Python executor: one generated `forward(V)` and one `backward(V, E)`, one statement
per group (see `_plan`), each a C-level `map` chain over the group's nodes where the op has a
template, or a call of `op.forward` / `op.backward` per node where it has not."""

from __future__ import annotations

from functools import partial, reduce
from itertools import repeat
from operator import add, itemgetter, methodcaller
from typing import Any

from .._errors import OpContractError
from .._registry import registry
from .._template import Template, template_of
from .._value import spec_of
from ._exprs import PY_NAMESPACE, py_map
from ._plan import SEED, ZERO, Group, Plan


def _gather(idx: list[int], array: str, ns: dict[str, Any], name: str) -> str:
    """Source reading the slots `idx` of `array` as a sequence: a slice when contiguous."""
    first = idx[0]
    if idx == list(range(first, first + len(idx))):
        return f"{array}[{first}:{first + len(idx)}]"
    ns[name] = itemgetter(*idx)
    return f"{name}({array})"


def _rows(g: Group, k: int, ns: dict[str, Any]) -> str:
    """Source of the list of each node's input tuple, for a variadic op."""
    if g.n_inputs == 1:
        return f"list(zip({_gather(g.inputs[0], 'V', ns, f'_i{k}_0')}))"
    ns[f"_r{k}"] = [itemgetter(*[col[i] for col in g.inputs]) for i in range(len(g.nodes))]
    return f"list(map(_callV, _r{k}))"


def _variadic(
    plan: Plan, g: Group, k: int, tpl: Template | None, names: dict[str, str], ns: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """A variadic group: rows of inputs per node; statements do not grow with the input count.

    Edges are position-major (`E[base + j * n + i]`), so per-node lists of contributions are
    transposed on the way in; `g` sent to every input (sum's rule) is `g * k`.
    """
    n, s, width = len(g.nodes), g.start, g.n_inputs
    a = g.edge_base
    fwd = [f"    xs = {_rows(g, k, ns)}"]
    fn = partial(g.op.forward, **g.params) if g.params else g.op.forward
    ns[f"_f{k}"], ns[f"_op{k}"] = fn, g.op
    expr = tpl.forward.format(**names) if tpl is not None and tpl.forward is not None else None
    if expr is None:
        fwd.append(f"    V[{s}:{s + n}] = [_f{k}(*row) for row in xs]")
    else:
        fwd.append(f"    V[{s}:{s + n}] = {py_map(expr, {'xs'}) or f'[{expr} for xs in xs]'}")
    bwd = [f"    # d {g.op.name} x {n}"]
    bwd += grad_sum([plan.grad_edges(v) for v in g.nodes], f"_e{k}", ns, "g")
    back = tpl.backward[0].format(**names) if tpl is not None and tpl.backward else None
    if back == "(g)":  # sum's rule: no inputs needed
        bwd.append(f"    E[{a}:{a + width * n}] = g * {width}")
        return fwd, bwd
    bwd += [f"    out = V[{s}:{s + n}]", f"    xs = {_rows(g, k, ns).replace('_callV', '_callVb')}"]
    if back is not None:
        per_node = f"[[{back} for x in xs] for xs, out, g in zip(xs, out, g)]"
    else:
        ns[f"_b{k}"] = partial(g.op.backward, **g.params) if g.params else g.op.backward
        per_node = (
            f"_check([_b{k}(g, out, *xs) for xs, out, g in zip(xs, out, g)], {width}, _op{k})"
        )
    bwd.append(f"    C = {per_node}")
    bwd.append(f"    E[{a}:{a + width * n}] = [c for col in zip(*C) for c in col]")
    return fwd, bwd


def template(op: Any, ns: dict[str, Any]) -> Template | None:
    """The op's templates, rendered once per op and program (names prefixed per op)."""
    cache = ns.setdefault("__templates__", {})
    if id(op) not in cache:
        tpl = template_of(op, spec_of(op), f"_t{len(cache)}_")
        if tpl is not None:
            ns.update(tpl.globals)
        cache[id(op)] = tpl
    return cache[id(op)]  # type: ignore[no-any-return]


def holes(group: Group, k: int, ns: dict[str, Any]) -> dict[str, str]:
    """Template holes: inputs and out/g keep their names, params become namespace constants."""
    fixed = spec_of(group.op).arity is not None  # a variadic template names no x0, x1, ...
    names = {f"x{j}": f"x{j}" for j in range(group.n_inputs if fixed else 0)}
    names.update(g="g", out="out", x="x", xs="xs")
    for p, value in group.params.items():
        ns[f"_k{k}_{p}"] = value
        names[p] = f"_k{k}_{p}"
    return names


def _check(results: list[Any], n_inputs: int, op: Any) -> list[Any]:
    for r in results:
        if len(r) != n_inputs:
            raise OpContractError(
                op, registry.plugin_of(op), f"backward must return {n_inputs} gradient(s)"
            )
    return results


def build(plan: Plan) -> tuple[Any, Any, Any]:
    """(forward(V), backward(V, E) -> input gradients, source) for `plan`."""
    ns: dict[str, Any] = dict(PY_NAMESPACE)
    ns.update(_reduce=reduce, _add=add, _repeat=repeat, _check=_check)
    fwd = ["def forward(V):", "    _callV = methodcaller('__call__', V)"]
    bwd = [
        "def backward(V, E):",
        "    _callE = methodcaller('__call__', E)",
        "    _callVb = methodcaller('__call__', V)",
    ]
    ns["methodcaller"] = methodcaller
    ns["__passthrough__"] = _passthrough(plan, ns)
    blocks: list[list[str]] = []
    for k, g in enumerate(plan.groups):
        tpl = template(g.op, ns)
        names = holes(g, k, ns)
        n, s = len(g.nodes), g.start
        if (
            n == 1
            and g.op is not None
            and spec_of(g.op).arity is not None
            and tpl is not None
            and tpl.forward is not None
            and tpl.backward is not None
        ):
            f_line, b_lines = _scalar(plan, g, tpl, names, ns, k)
            fwd.append(f_line)
            blocks.append(b_lines)
            continue
        fwd += [f"    # {g.op.name} x {n}"]
        cols = [f"x{j}" for j in range(g.n_inputs)]
        if spec_of(g.op).arity is None:
            f_lines, b_lines = _variadic(plan, g, k, tpl, names, ns)
            fwd += f_lines
            blocks.append(b_lines)
            continue
        fwd += [
            f"    x{j} = {_gather(g.inputs[j], 'V', ns, f'_i{k}_{j}')}" for j in range(g.n_inputs)
        ]
        if tpl is not None and tpl.forward is not None:
            expr = tpl.forward.format(**names)
            vec = py_map(expr, set(cols))
            comp = f"[{expr} for {', '.join(cols)}, in zip({', '.join(cols)})]"
            fwd.append(f"    V[{s}:{s + n}] = {vec or comp}")
        else:
            ns[f"_f{k}"] = partial(g.op.forward, **g.params) if g.params else g.op.forward
            fwd.append(f"    V[{s}:{s + n}] = map(_f{k}, {', '.join(cols)})")
        blocks.append(_backward_group(plan, g, k, tpl, names, ns))
    for block in reversed(blocks):  # backward visits the groups last to first
        bwd += block
    if plan.inputs:
        bwd += grad_sum([plan.grad_edges(v) for v in plan.inputs], "_leaf", ns, "grads")
        bwd.append("    return grads")
    else:
        bwd.append("    return []")
    fwd.append("    return V")
    source = "\n".join(fwd) + "\n\n\n" + "\n".join(bwd) + "\n"
    for build_only in ("__passthrough__", "__templates__"):  # do not keep them alive
        ns.pop(build_only, None)
    exec(compile(source, "<micrograd compiled program>", "exec"), ns)
    return ns["forward"], ns["backward"], source


def _passthrough(plan: Plan, ns: dict[str, Any]) -> set[int]:
    """Edges whose contribution is the consumer's gradient itself (`backward_source` "g", as
    in add and sum), and the seed. A gradient is 0.0 plus contributions, so it is never -0.0,
    and 0.0 + such a contribution is the contribution: nodes fed only by these skip the add."""
    edges = {SEED}
    for g in plan.groups:
        tpl = template(g.op, ns)
        if tpl is None or tpl.backward is None:
            continue
        variadic = spec_of(g.op).arity is None
        for j in range(g.n_inputs):
            if tpl.backward[0 if variadic else j] == "({g})":
                edges.update(range(*g.edges(j)))
    return edges


def grad_sum(edges: list[list[int]], name: str, ns: dict[str, Any], target: str) -> list[str]:
    """Source setting `target` to each node's gradient: 0.0 plus its contributions in order.

    Usually in rounds, one C-level `map(add, ...)` per k-th contribution of every node (the
    0.0 pads of nodes with fewer contributions change nothing); a node with far more
    contributions than the rest gets a `reduce` of its own instead of making everyone wait.
    """
    width = max(len(e) for e in edges) - 1  # without the final pad
    if width == 1 and all(e[0] in ns["__passthrough__"] for e in edges):
        return [f"    {target} = {_gather([e[0] for e in edges], 'E', ns, name)}"]
    if width * len(edges) > 4 * sum(len(e) for e in edges):  # skewed: one reduce per node
        ns[name] = [itemgetter(*e) for e in edges]
        return [
            f"    {target} = list(map(_reduce, _repeat(_add), map(_callE, {name}), _repeat(0.0)))"
        ]
    lines = []
    for r in range(width):
        col = [e[r] if r < len(e) - 1 else 0 for e in edges]
        src = _gather(col, "E", ns, f"{name}_{r}")
        prev = "_repeat(0.0)" if r == 0 else target
        lines.append(f"    {target} = list(map(_add, {prev}, {src}))")
    return lines


def _scalar(
    plan: Plan, g: Group, tpl: Template, names: dict[str, str], ns: dict[str, Any], k: int
) -> tuple[str, list[str]]:
    """A group of one node (a chain, say) as scalar statements: no gathers, no maps."""
    s = g.start
    holes = {**names, "out": f"V[{s}]", "g": "g"}
    holes.update({f"x{j}": f"V[{g.inputs[j][0]}]" for j in range(g.n_inputs)})
    edges = [e for e in plan.grad_edges(g.nodes[0]) if e != ZERO]  # 0.0 pads change nothing
    if len(edges) == 1 and edges[0] in ns["__passthrough__"]:
        lines = [f"    g = E[{edges[0]}]"]
    else:
        lines = [f"    g = {' + '.join(['0.0', *(f'E[{e}]' for e in edges)])}"]
    for j, expr in enumerate(tpl.backward):
        lines.append(f"    E[{g.edges(j)[0]}] = {expr.format(**holes)}")
    return f"    V[{s}] = {tpl.forward.format(**holes)}", lines


def _backward_group(
    plan: Plan, g: Group, k: int, tpl: Template | None, names: dict[str, str], ns: dict[str, Any]
) -> list[str]:
    n, s = len(g.nodes), g.start
    lines = [f"    # d {g.op.name} x {n}"]
    lines += grad_sum([plan.grad_edges(v) for v in g.nodes], f"_e{k}", ns, "g")
    lines.append(f"    out = V[{s}:{s + n}]")
    cols = [f"x{j}" for j in range(g.n_inputs)]
    for j in range(g.n_inputs):
        lines.append(f"    x{j} = {_gather(g.inputs[j], 'V', ns, f'_i{k}_{j}')}")
    if tpl is not None and tpl.backward is not None:
        for j in range(g.n_inputs):
            a, b = g.edges(j)
            expr = tpl.backward[j].format(**names)
            vec = py_map(expr, {*cols, "out", "g"})
            comp = f"[{expr} for {', '.join(cols)}, out, g in zip({', '.join(cols)}, out, g)]"
            lines.append(f"    E[{a}:{b}] = {'g' if expr == '(g)' else vec or comp}")
    else:
        fn = partial(g.op.backward, **g.params) if g.params else g.op.backward
        ns[f"_b{k}"], ns[f"_op{k}"] = fn, g.op
        lines.append(
            f"    R = _check(list(map(_b{k}, g, out, {', '.join(cols)})), {g.n_inputs}, _op{k})"
        )
        lines.append("    C = list(zip(*R))")
        for j in range(g.n_inputs):
            a, b = g.edges(j)
            lines.append(f"    E[{a}:{b}] = C[{j}]")
    return lines

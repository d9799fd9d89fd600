"""The numpy executor (extra `fast`): the plan's groups as array statements on float64 arrays.

Same layout as the pure-Python executor (`_plan`): the value array `V`, the edge array `E`.
Templates become array expressions (`_vectorize.np_expr`); ops without one, or with one numpy cannot
express, run element by element through `op.forward` / `op.backward`. Sums run left to right
(`_seqsum`, never numpy's pairwise `sum`) so that results follow Python's float arithmetic.
"""

from __future__ import annotations

import ast
import re
from functools import partial
from typing import Any

import numpy as np

from . import _numpy_matmul
from ._codegen import check as _check
from ._codegen import contiguous, holes, rowwise, template
from ._plan import Group, Plan
from ._vectorize import np_expr


def _seqsum(rows: Any) -> Any:
    """Sum over axis 0, left to right from 0.0: eager's `+=` accumulation, float for float.

    `np.add.reduce` along axis 0 of a C-contiguous array adds row after row, since numpy adds
    pairwise only along the fast (last) axis in memory (see `numpy.sum`). With one column, that
    axis is the reduced one, so a single sum is the last of its running sums instead
    (`np.add.accumulate`: each one is the previous plus the next term, so left to right by
    definition); + 0.0 gives what starting from 0.0 gives (they differ only in the sign of a
    zero, while every term so far is a zero)."""
    if rows.shape[1] == 1:
        if not len(rows):
            return np.zeros(1)
        return np.add.accumulate(rows[:, 0])[-1:] + 0.0
    return np.add.reduce(np.ascontiguousarray(rows), axis=0, initial=0.0)


def _index(idx: list[int], ns: dict[str, Any], name: str) -> str:
    if contiguous(idx):
        return f"{idx[0]}:{idx[0] + len(idx)}"
    ns[name] = np.asarray(idx, dtype=np.intp)
    return name


def _elementwise(fn: Any, arrays: list[str]) -> str:
    lists = ", ".join(f"{a}.tolist()" for a in arrays)
    return f"_np.array(list(map({fn}, {lists})), dtype=_np.float64)"


def _grad_lines(
    edges: list[list[int]], name: str, ns: dict[str, Any], target: str, blind: bool = False
) -> list[str]:
    """`target` = each node's gradient, its contributions summed from 0.0 (`edges`, per node,
    end with the ZERO pad). `blind`: the gradients feed only a sign-blind backward
    (`_sign_blind`), so a single contribution is read as it is, not normalised with + 0.0."""
    width = max(len(e) for e in edges) - 1
    if width == 1:
        index = _index([e[0] for e in edges], ns, name)
        return [f"    {target} = E[{index}]" + ("" if blind else " + 0.0")]
    ns[name] = np.array([[e[r] if r < len(e) else 0 for e in edges] for r in range(width)])
    return [f"    {target} = _seqsum(E[{name}])"]


def build(plan: Plan) -> _NumpyRunner:
    ns: dict[str, Any] = {"_np": np, "_seqsum": _seqsum, "_check": _check}
    fwd = ["def forward(V):"]
    bwd: list[str] = ["def backward(V, E):"]
    saved: list[Any] = []  # gathers of V that forward makes and backward reads
    ns["_S"] = saved
    for k, g in enumerate(plan.groups):
        form = plan.lowered.get(k)
        if form is not None:  # one matrix product (see _matmul)
            n, at = len(g.nodes), len(saved)
            fwd += _numpy_matmul.forward(form, k, g.start, n, saved, ns)
            head = [f"    # d {g.op.name} x {n} (matrix products)"]
            edges = [plan.grad_edges(v) for v in g.nodes]
            head += _grad_lines(edges, f"_e{k}", ns, "g", blind=True)  # products and sums
            bwd[1:1] = [*head, *_numpy_matmul.backward(form, k, n, at)]
            continue
        tpl = template(g, ns)
        names = holes(g, k, ns)
        n, s = len(g.nodes), g.start
        cols = [f"x{j}" for j in range(g.n_inputs)]
        variadic = rowwise(g, tpl)
        if variadic:
            ns[f"_I{k}"] = np.array(g.inputs, dtype=np.intp)  # (inputs, nodes)
            loads = [("xs", f"_I{k}")]
        else:
            loads = [(f"x{j}", _index(g.inputs[j], ns, f"_i{k}_{j}")) for j in range(g.n_inputs)]
        head, body = _backward_group(plan, g, k, tpl, names, ns, variadic)
        # What backward reads of out and the inputs: a slice of V is a view, free to take
        # again; a gather copies, so backward reuses the copy forward made, kept in _S (V does
        # not change in between: backward runs only after a forward that completed).
        reloads, saves = [], {}
        for name, index in [("out", f"{s}:{s + n}"), *loads]:
            if not re.search(rf"\b{name}\b", "\n".join(body)):
                continue
            if ":" not in index:
                saves[name] = f"_S[{len(saved)}]"
                saved.append(None)
            reloads.append(f"    {name} = {saves.get(name, f'V[{index}]')}")
        bwd[1:1] = [*head, *reloads, *body]
        fwd.append(f"    # {g.op.name} x {n}")
        for name, index in loads:
            save = f"{saves[name]} = " if name in saves else ""
            fwd.append(f"    {name} = {save}V[{index}]")
        expr = None
        if tpl is not None and tpl.forward is not None:
            expr = np_expr(tpl.forward.format(**names), {*cols, "xs"}, ns)
        if expr is None:
            fn = partial(g.op.forward, **g.params) if g.params else g.op.forward
            ns[f"_f{k}"] = fn
            if variadic:
                expr = f"_np.array([_f{k}(*row) for row in xs.T.tolist()], dtype=_np.float64)"
            else:
                expr = _elementwise(f"_f{k}", cols)
        fwd.append(f"    V[{s}:{s + n}] = {expr}")
    if plan.inputs:
        bwd += _grad_lines([plan.grad_edges(v) for v in plan.inputs], "_leaf", ns, "grads")
        bwd.append("    return grads")
    else:
        bwd.append("    return _np.zeros(0)")
    source = "\n".join(fwd) + "\n    return V\n\n\n" + "\n".join(bwd) + "\n"
    ns.pop("__templates__", None)  # build-time only
    exec(compile(source, "<micrograd compiled program (numpy)>", "exec"), ns)
    return _NumpyRunner(plan, ns["forward"], ns["backward"], source)


def _backward_group(
    plan: Plan,
    g: Group,
    k: int,
    tpl: Any,
    names: dict[str, str],
    ns: dict[str, Any],
    variadic: bool,
) -> tuple[list[str], list[str]]:
    """Group k's backward: the lines that sum its nodes' gradients into `g`, then the lines that
    write its edges from `g`, `out` and the inputs (`x0`, ... or `xs`), which the caller loads."""
    n = len(g.nodes)
    head = [f"    # d {g.op.name} x {n}"]
    blind = _sign_blind(g, tpl)
    head += _grad_lines([plan.grad_edges(v) for v in g.nodes], f"_e{k}", ns, "g", blind)
    if variadic:
        return head, _variadic_backward(g, k, tpl, names, ns)
    cols = [f"x{j}" for j in range(g.n_inputs)]
    exprs: list[str | None] = [None] * g.n_inputs
    if tpl is not None and tpl.backward is not None:
        for j in range(g.n_inputs):
            exprs[j] = np_expr(tpl.backward[j].format(**names), {*cols, "out", "g"}, ns)
    body = []
    if all(e is not None for e in exprs):
        for j, expr in enumerate(exprs):
            a, b = g.edges(j)
            body.append(f"    E[{a}:{b}] = {expr}")
        return head, body
    fn = partial(g.op.backward, **g.params) if g.params else g.op.backward
    ns[f"_b{k}"], ns[f"_op{k}"] = fn, g.op
    arrays = ["g", "out", *cols]
    lists = ", ".join(f"{a}.tolist()" for a in arrays)
    body.append(f"    R = _check(list(map(_b{k}, {lists})), {g.n_inputs}, _op{k})")
    body.append("    C = _np.array(R, dtype=_np.float64).reshape(len(R), -1).T")
    for j in range(g.n_inputs):
        a, b = g.edges(j)
        body.append(f"    E[{a}:{b}] = C[{j}]")
    return head, body


def _sign_blind(g: Group, tpl: Any) -> bool:
    """True when each of group g's backward expressions is *sign-blind* in `g` (`_blind`):
    with a gradient of -0.0 instead of 0.0 it gives the same floats but for the sign of zeros.
    Every gradient that reaches a Value, or a backward that is not sign-blind, is summed from
    0.0 first (+ 0.0 for a single contribution), which turns -0.0 into 0.0, so the gradients
    of a sign-blind group need no + 0.0 of their own (a statement of ~2.5 us each): whatever
    sign a zero takes on the way, the floats that come out are the same."""
    if g.params or tpl is None or tpl.backward is None:
        return False
    names = {f"x{j}": f"x{j}" for j in range(g.n_inputs)}
    names |= {"x": "x", "xs": "xs", "g": "g", "out": "out"}
    try:
        exprs = [ast.parse(b.format(**names), mode="eval").body for b in tpl.backward]
    except (KeyError, IndexError, ValueError, SyntaxError):
        return False
    return all(_blind(e) for e in exprs)


def _mentions_g(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "g" for n in ast.walk(node))


def _blind(node: ast.AST) -> bool:
    """`g` itself, an expression without `g`, a product or quotient of a sign-blind expression
    by one without `g`, its negation, or a conditional on a test without `g` between such
    expressions (relu's `0.0 if out <= 0 else g`, tanh's `(1 - out * out) * g`)."""
    if not _mentions_g(node) or (isinstance(node, ast.Name) and node.id == "g"):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _blind(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = node.left, node.right
        return (_blind(left) and not _mentions_g(right)) or (
            _blind(right) and not _mentions_g(left)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _blind(node.left) and not _mentions_g(node.right)
    if isinstance(node, ast.IfExp):
        return not _mentions_g(node.test) and _blind(node.body) and _blind(node.orelse)
    return False


def _variadic_backward(
    g: Group, k: int, tpl: Any, names: dict[str, str], ns: dict[str, Any]
) -> list[str]:
    """`xs` is (inputs, nodes): the template runs on it whole, `g` and `out` broadcast."""
    n, width, a = len(g.nodes), g.n_inputs, g.edge_base
    span = f"E[{a}:{a + width * n}]"
    expr = None
    if tpl is not None and tpl.backward is not None:
        expr = np_expr(tpl.backward[0].format(**{**names, "x": "xs"}), {"xs", "out", "g"}, ns)
    if expr is not None:  # broadcast by the assignment itself, in C (broadcast_to: ~10 us)
        return [f"    {span}.reshape({width}, {n})[...] = {expr}"]
    ns[f"_b{k}"] = partial(g.op.backward, **g.params) if g.params else g.op.backward
    ns[f"_op{k}"] = g.op
    rows = "zip(g.tolist(), out.tolist(), xs.T.tolist())"
    return [
        f"    C = _check([_b{k}(gi, oi, *row) for gi, oi, row in {rows}], {width}, _op{k})",
        f"    {span} = _np.array(C, dtype=_np.float64).T.ravel()",
    ]


class _NumpyRunner:
    def __init__(self, plan: Plan, fwd: Any, bwd: Any, source: str) -> None:
        self.V = np.zeros(plan.size)
        self.n = n = len(plan.inputs)
        self.V[n : n + len(plan.constants)] = [v.data for v in plan.constants]
        self.E = np.zeros(plan.n_edges)
        self.E[1] = 1.0
        self._fwd, self._bwd, self.source = fwd, bwd, source

    # IEEE results (inf, nan), as the float ops give. One errstate per call (about 2 us): a
    # single errstate shared as a decorator keeps the state it saved on itself with numpy 1.x,
    # which two threads replaying programs at once would overwrite.
    def forward(self, data: list[float]) -> Any:
        self.V[: self.n] = data
        with np.errstate(all="ignore"):
            return self._fwd(self.V)

    def backward(self) -> list[float]:
        return self.backward_array().tolist()  # type: ignore[no-any-return]

    def backward_array(self) -> Any:
        """d output / d input for every input, as an array (each summed from 0.0)."""
        with np.errstate(all="ignore"):
            return self._bwd(self.V, self.E)

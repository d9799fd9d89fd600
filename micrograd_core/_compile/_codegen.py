"""Helpers shared by the executors that generate Python source (`_python_executor`,
`_python_backward`, `_numpy_executor`): fast paths rendered once per program, their holes,
gathers of slots."""

from __future__ import annotations

import re
from numbers import Real
from operator import itemgetter
from typing import Any

from .._errors import OpContractError
from .._fastpaths import Template
from .._fastpaths import template as fast_template
from .._registry import registry
from ._plan import Group

#: Terms per node up to which sums are added position by position, one element-wise `map` per
#: position over all the nodes: for a few terms that beats a `map` and a `sum` per node.
ROUNDS_MAX = 4


def contiguous(idx: list[int]) -> bool:
    return idx == list(range(idx[0], idx[0] + len(idx)))


def gather(idx: list[int], array: str, ns: dict[str, Any], name: str) -> str:
    """Source reading the slots `idx` of `array` as a sequence: a slice when contiguous."""
    if contiguous(idx):
        return f"{array}[{idx[0]}:{idx[0] + len(idx)}]"
    bind(ns, name, itemgetter(*idx))
    return f"{name}({array})"


def bind(ns: dict[str, Any], name: str, value: Any) -> None:
    """Every generated statement gets its own names: one statement overwriting another's
    gather would silently read the wrong slots."""
    if name in ns:
        raise AssertionError(f"generated name {name!r} bound twice")
    ns[name] = value


def getter(idx: list[int]) -> Any:
    """A callable reading slots `idx` of a list as a sequence (of any length, even one)."""
    if contiguous(idx):
        return itemgetter(slice(idx[0], idx[0] + len(idx)))
    return itemgetter(*idx)


def first_index(items: list[Any]) -> tuple[list[Any], list[int]]:
    """The distinct items, in order of first appearance, and each item's index among them."""
    index: dict[Any, int] = {}
    pick = [index.setdefault(item, len(index)) for item in items]
    return list(index), pick


def distinct(
    rows: list[tuple[int, ...]], array: str, name: str, ns: dict[str, Any]
) -> tuple[str, list[int]]:
    """Source of a list holding each distinct row of `rows` (slots of `array`), gathered once,
    and `pick`: the index in that list of each node's row (so a dense layer gathers each of its
    weight rows and input rows once, not once per node; `getter(pick)` then gives every node
    its row)."""
    unique, pick = first_index(rows)
    bind(ns, f"_{name}", [getter(list(r)) for r in unique])
    return f"list(map(_call{array}, _{name}))", pick


def rows_source(g: Group, k: int, ns: dict[str, Any], nodes: list[int] | None = None) -> str:
    """Source of the list of each node's input tuple, for a variadic op: of all the group's
    nodes, or of `nodes` (indices into the group; the namespace names differ then, since the
    forward's full gathers must not be replaced)."""
    tag = f"{k}" if nodes is None else f"b{k}"
    nodes = list(range(len(g.nodes))) if nodes is None else nodes
    if g.n_inputs == 1:
        return f"list(zip({gather([g.inputs[0][i] for i in nodes], 'V', ns, f'_i{tag}_0')}))"
    bind(ns, f"_r{tag}", [itemgetter(*[col[i] for col in g.inputs]) for i in nodes])
    return f"list(map(_callV, _r{tag}))"


def template(group: Group, ns: dict[str, Any]) -> Template | None:
    """The checked fast path of the group's op for its input count and params (see
    `_fastpaths`), rendered once per program (names prefixed per template), or None."""
    cache = ns.setdefault("__templates__", {})
    op = group.op
    key = (id(op), group.n_inputs, group.key)
    if key not in cache:
        spec, registered = registry.spec_of(op), registry.fastpath_of(op)
        prefix = f"_t{len(cache)}_"
        tpl = fast_template(op, spec, group.n_inputs, group.params, registered, prefix)
        if tpl is not None:
            ns.update(tpl.globals)
        cache[key] = tpl
    return cache[key]  # type: ignore[no-any-return]


def rowwise(group: Group, tpl: Template | None) -> bool:
    """Whether the group runs node by node over rows of inputs (a fast path written for any
    number of inputs, or a variadic op with none) rather than over columns x0, x1, ..."""
    return tpl.uniform if tpl is not None else registry.spec_of(group.op).arity is None


def holes(group: Group, k: int, ns: dict[str, Any]) -> dict[str, str]:
    """Template holes: inputs and out/g keep their names, params become namespace constants."""
    names = {f"x{j}": f"x{j}" for j in range(group.n_inputs)}
    names.update(g="g", out="out", x="x", xs="xs")
    for p, value in group.params.items():
        ns[f"_k{k}_{p}"] = value
        names[p] = f"_k{k}_{p}"
    return names


def check(results: list[Any], n_inputs: int, op: Any) -> list[Any]:
    """What an op's backward returned for each node: a sequence of `n_inputs` gradients each,
    every one a real number (as eager requires: what adds to a float to give a real)."""
    for r in results:
        try:
            ok = len(r) == n_inputs
        except TypeError:
            ok = False
        if not ok:
            msg = f"backward must return a sequence of {n_inputs} gradient(s), got {r!r}"
            raise OpContractError(op, registry.plugin_of(op), msg)
        for g in r:
            if type(g) is not float and not _real(g):
                msg = f"backward returned {type(g).__name__} {g!r}, not a real number"
                raise OpContractError(op, registry.plugin_of(op), msg)
    return results


def _real(g: Any) -> bool:
    if isinstance(g, Real):
        return True
    try:  # a 0-d numpy array: eager's `.grad += g` makes it a numpy float
        return isinstance(0.0 + g, Real)
    except Exception:
        return False


def comprehension(expr: str, names: list[str]) -> str:
    """`expr` over the sequences `names` (each also its element's name) as a list
    comprehension that zips only the names `expr` reads."""
    used = [n for n in names if re.search(rf"\b{n}\b", expr)]
    if not used:
        return f"[{expr} for _ in {names[0]}]"
    if len(used) == 1:
        return f"[{expr} for {used[0]} in {used[0]}]"
    return f"[{expr} for {', '.join(used)} in zip({', '.join(used)})]"

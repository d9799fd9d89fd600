"""Helpers shared by the executors that generate Python source (`_pyexec`, `_pygrad`,
`_npexec`): templates rendered once per program, their holes, gathers of slots."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from .._errors import OpContractError
from .._registry import registry
from .._template import Template, template_of
from .._value import spec_of
from ._plan import Group


def gather(idx: list[int], array: str, ns: dict[str, Any], name: str) -> str:
    """Source reading the slots `idx` of `array` as a sequence: a slice when contiguous."""
    first = idx[0]
    if idx == list(range(first, first + len(idx))):
        return f"{array}[{first}:{first + len(idx)}]"
    ns[name] = itemgetter(*idx)
    return f"{name}({array})"


def rows_source(g: Group, k: int, ns: dict[str, Any]) -> str:
    """Source of the list of each node's input tuple, for a variadic op."""
    if g.n_inputs == 1:
        return f"list(zip({gather(g.inputs[0], 'V', ns, f'_i{k}_0')}))"
    ns[f"_r{k}"] = [itemgetter(*[col[i] for col in g.inputs]) for i in range(len(g.nodes))]
    return f"list(map(_callV, _r{k}))"


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


def check(results: list[Any], n_inputs: int, op: Any) -> list[Any]:
    for r in results:
        if len(r) != n_inputs:
            raise OpContractError(
                op, registry.plugin_of(op), f"backward must return {n_inputs} gradient(s)"
            )
    return results

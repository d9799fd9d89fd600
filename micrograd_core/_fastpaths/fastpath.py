"""`FastPath`, an op's maths as expression strings, and `Template`, one rendered for the
engines (holes for their variables, the globals its names refer to)."""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Sequence
from typing import Any

import attrs


@attrs.frozen
class FastPath:
    """An op's forward and backward as expression strings (see the module docstring)."""

    forward: str | None = None
    backward: tuple[str, ...] | None = attrs.field(
        default=None, converter=lambda b: None if b is None else tuple(b)
    )


class Template:
    """A fast path rendered for the engines: `str.format` strings with `{name}` holes for
    engine variables, and the globals its other names refer to. `uniform`: written with
    `xs`/`x` (one rule for every input of a variadic op), else with `x0`, `x1`, ..."""

    __slots__ = ("backward", "forward", "globals", "params", "uniform")

    def __init__(
        self,
        forward: str | None,
        backward: tuple[str, ...] | None,
        globals_: dict[str, Any],
        params: tuple[str, ...],
        uniform: bool,
    ) -> None:
        self.forward = forward
        self.backward = backward
        self.globals = globals_
        self.params = params
        self.uniform = uniform


def module_globals(op: Any) -> dict[str, Any]:
    """The globals the op's methods see: where its expressions' names live."""
    cls = op if isinstance(op, type) else type(op)
    found = getattr(getattr(cls, "forward", None), "__globals__", None)
    return found if isinstance(found, dict) else vars(sys.modules.get(cls.__module__, builtins))


def render(
    fastpath: FastPath,
    n_inputs: int | None,
    params: Sequence[str],
    module: dict[str, Any],
    prefix: str,
) -> Template | None:
    """`fastpath` as a Template for an op of `n_inputs` inputs (None: the uniform `xs`/`x` form);
    names that are not holes get `prefix`. None if anything in it is unusable."""
    found: dict[str, Any] = {}
    if n_inputs is None:
        fwd_local = frozenset({"xs", *params})
        bwd_local = frozenset({"x", "g", "out", *params})
        n_back = 1
    else:
        inputs = {f"x{i}" for i in range(n_inputs)}
        fwd_local = frozenset({*inputs, *params})
        bwd_local = frozenset({*inputs, "g", "out", *params})
        n_back = n_inputs
    forward = None
    if fastpath.forward is not None:
        forward = _render(fastpath.forward, fwd_local, prefix, module, found)
        if forward is None:
            return None
    backward = None
    if fastpath.backward is not None:
        if len(fastpath.backward) != n_back:
            return None
        rendered = [_render(e, bwd_local, prefix, module, found) for e in fastpath.backward]
        if any(r is None for r in rendered):
            return None
        backward = tuple(r for r in rendered if r is not None)
    if forward is None and backward is None:
        return None
    return Template(forward, backward, found, tuple(params), n_inputs is None)


def _render(
    expr: Any, local: frozenset[str], prefix: str, module: dict[str, Any], found: dict[str, Any]
) -> str | None:
    """`expr` as a format string: local names become `{name}` holes, other names are renamed
    `prefix + name` (and collected in `found`). None if the expression is unusable."""
    if not isinstance(expr, str):
        return None
    try:
        tree = ast.parse(expr, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    holes: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                return None  # walrus or comprehension targets would leak into engine code
            if node.id in local:
                hole = f"__HOLE_{node.id}__"
                holes[hole] = "{" + node.id + "}"
            else:
                if node.id in module:
                    found[prefix + node.id] = module[node.id]
                elif hasattr(builtins, node.id):
                    found[prefix + node.id] = getattr(builtins, node.id)
                else:
                    return None
                hole = prefix + node.id
            node.id = hole
        elif isinstance(node, (ast.Lambda, ast.comprehension, ast.NamedExpr)):
            return None  # their own local names cannot be told from the op's module globals
    text = ast.unparse(tree).replace("{", "{{").replace("}", "}}")
    for hole, sub in holes.items():
        text = text.replace(hole, sub)
    return "(" + text + ")"

"""Optional op fast paths: `forward_source` / `backward_source` expression templates.

An op may declare, besides its ordinary `forward`/`backward` (which stay the contract):

    forward_source = "x0 * x1"             # an expression of the inputs and params
    backward_source = ("x1 * g", "x0 * g")  # one expression per input

Names: inputs `x0`, `x1`, ... (fixed arity) or `xs` (a variadic forward: the tuple of inputs),
`x` (a variadic backward: the input being differentiated), `out`, `g` (the upstream gradient)
and the op's static params by name. Every other name is looked up, once, in the globals of the
module that defines the op's class (so `math.tanh(x0)` works when that module imports math).
The engines inline these expressions into generated code instead of calling methods. They must
compute the same floats as `forward`/`backward`; anything unusable makes the engine fall back
to the method calls, so a template can only ever make an op faster, never break it: templates
are also checked against the methods at probe points before first use (`_template_check`).
"""

from __future__ import annotations

import ast
import builtins
import sys
from typing import Any

from ._template_check import mismatch, reject
from ._validate import OpSpec

_RESERVED = frozenset({"g", "out", "x", "xs"})


class Template:
    """An op's templates as `str.format` strings with `{name}` holes for engine variables."""

    __slots__ = ("backward", "forward", "globals", "params")

    def __init__(
        self,
        forward: str | None,
        backward: tuple[str, ...] | None,
        globals_: dict[str, Any],
        params: tuple[str, ...],
    ) -> None:
        self.forward = forward
        self.backward = backward
        self.globals = globals_
        self.params = params


def _render(
    expr: Any, local: frozenset[str], prefix: str, module: dict[str, Any], found: dict[str, Any]
) -> str | None:
    """Turn `expr` into a format string: local names become `{name}` holes, other names are
    renamed `prefix + name` (and collected in `found`). None if the template is unusable."""
    if not isinstance(expr, str):
        return None
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
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
        elif isinstance(node, (ast.Lambda, ast.comprehension)):
            return None  # their own local names cannot be told from the op's module globals
    text = ast.unparse(tree).replace("{", "{{").replace("}", "}}")
    for hole, sub in holes.items():
        text = text.replace(hole, sub)
    return "(" + text + ")"


def template_of(op: Any, spec: OpSpec, prefix: str) -> Template | None:
    """The usable templates of `op` (None if it declares none); names get `prefix`."""
    fwd_src = getattr(op, "forward_source", None)
    bwd_src = getattr(op, "backward_source", None)
    if fwd_src is None and bwd_src is None:
        return None
    module = vars(
        sys.modules.get(
            type(op).__module__ if not isinstance(op, type) else op.__module__, builtins
        )
    )
    params = tuple(spec.params)
    found: dict[str, Any] = {}
    if spec.arity is None:
        fwd_local = frozenset({"xs", *params})
        bwd_local = frozenset({"x", "g", "out", *params})
    else:
        inputs = {f"x{i}" for i in range(spec.arity)}
        fwd_local = frozenset({*inputs, *params})
        bwd_local = frozenset({*inputs, "g", "out", *params})
    forward = _render(fwd_src, fwd_local, prefix, module, found) if fwd_src else None
    backward: tuple[str, ...] | None = None
    if isinstance(bwd_src, (tuple, list)) and len(bwd_src) == (spec.arity or 1):
        rendered = [_render(e, bwd_local, prefix, module, found) for e in bwd_src]
        if all(r is not None for r in rendered):
            backward = tuple(r for r in rendered if r is not None)
    if forward is None and backward is None:
        return None
    verdict = _verdicts.get(id(op))
    if verdict is None or verdict[0] is not op:
        verdict = (op, mismatch(op, spec, forward, backward, found))
        _verdicts[id(op)] = verdict
        if verdict[1] is not None:
            reject(op, verdict[1])
    if verdict[1] is not None:
        return None
    return Template(forward, backward, found, params)


# id(op) -> (op, the template problem or None): each op's templates are checked once.
_verdicts: dict[int, tuple[Any, str | None]] = {}

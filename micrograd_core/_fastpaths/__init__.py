"""Fast paths: an op's maths as expressions that compiled mode inlines instead of calling methods.

Speed only, never semantics: the op's `forward` and `backward` are the one source of truth, and
every op runs correctly without a fast path. A fast path is

    FastPath(forward="x0 * x1", backward=("x1 * g", "x0 * g"))

with names `x0`, `x1`, ... for the inputs (or, for a variadic op whose rule is the same for
every input, `xs` for the tuple of inputs in `forward` and `x` for the input being
differentiated in `backward`), `out`, `g` (the upstream gradient) and the op's static params.
Any other name is looked up in the globals of the module that defines the op's class.

Where they come from (`template`, in order): a fast path the op's plugin registered through the
`register_fastpaths` hook (checked against the methods at registration, see `_registry`), or
one derived from the methods themselves (`derive`), checked before its first use (`verify`).
What fails the check is not used: the methods run instead.
"""

from __future__ import annotations

import ast
import builtins
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import attrs

from .._validate import OpSpec


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
    """The globals of the module that defines the op's class: where its expressions' names live."""
    cls = op if isinstance(op, type) else type(op)
    return vars(sys.modules.get(cls.__module__, builtins))


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


# (id(op), n_inputs, params key) -> (op, the derived fast path that passed the check, or None):
# derived and checked once each; the op is held so that its id stays unique while cached.
# Bounded: a process may apply many ops (a plugin making a private op per call, say).
_cache: OrderedDict[tuple[Any, ...], tuple[Any, tuple[FastPath, bool, bool] | None]] = OrderedDict()
_CACHE_MAX = 512
_lock = threading.Lock()


def template(
    op: Any,
    spec: OpSpec,
    n_inputs: int,
    params: dict[str, Any],
    registered: FastPath | None,
    prefix: str,
) -> Template | None:
    """The checked fast path of `op` applied to `n_inputs` inputs with these static params, as
    a Template (names prefixed with `prefix`), or None: compiled mode then calls the methods."""
    module = module_globals(op)
    if registered is not None:  # checked against the methods when it was registered
        uniform = spec.arity is None
        tpl = render(registered, None if uniform else n_inputs, spec.params, module, prefix)
        if tpl is not None:
            return tpl
    key = (id(op), n_inputs, _params_key(params))
    with _lock:
        hit = _cache.get(key)
    if hit is None or hit[0] is not op:
        hit = (op, _derive_checked(op, spec, n_inputs, params))
        with _lock:
            _cache[key] = hit
            while len(_cache) > _CACHE_MAX:
                _cache.popitem(last=False)
    if hit[1] is None:
        return None
    fastpath, uniform, baked = hit[1]
    names = () if baked else spec.params
    return render(fastpath, None if uniform else n_inputs, names, module, prefix)


def _derive_checked(
    op: Any, spec: OpSpec, n_inputs: int, params: dict[str, Any]
) -> tuple[FastPath, bool, bool] | None:
    """A fast path derived from the op's methods, if one can be and it passes the check."""
    from .derive import derive
    from .verify import mismatch

    derived = derive(op, spec, n_inputs, params)
    if derived is None:
        return None
    fastpath, uniform, baked = derived
    checked = params if baked else None
    if mismatch(op, spec, fastpath, None if uniform else n_inputs, checked) is not None:
        return None  # derived, but not the methods' floats everywhere: not used
    return derived


def _params_key(params: dict[str, Any]) -> Any:
    try:
        key = tuple(sorted((k, type(v), v) for k, v in params.items()))
        hash(key)
    except TypeError:
        return ("unhashable", id(params))
    return key


__all__ = ["FastPath", "Template", "module_globals", "render", "template"]

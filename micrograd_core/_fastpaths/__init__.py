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

import threading
from collections import OrderedDict
from typing import Any

from .._validate import OpSpec
from .derive import derive
from .fastpath import FastPath, Template, module_globals, render
from .verify import mismatch

# (id(op), n_inputs, params key) -> (op, the derived fast path that passed the check, or None):
# derived and checked once each; the op is held so that its id stays unique while cached.
# Bounded: a process may apply many ops (a plugin making a private op per call, say).
_Checked = tuple[FastPath, bool, bool, bool]  # see derive.Derived
_cache: OrderedDict[tuple[Any, ...], tuple[Any, _Checked | None]] = OrderedDict()
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
        # Only what the methods' source gave is kept: a symbolic run may have read attributes
        # of the op (`self.k`) as constants, which could change before the next compile.
        if hit[1] is not None and hit[1][3]:
            with _lock:
                _cache[key] = hit
                while len(_cache) > _CACHE_MAX:
                    _cache.popitem(last=False)
    if hit[1] is None:
        return None
    fastpath, uniform, baked, _ = hit[1]
    names = () if baked else spec.params
    return render(fastpath, None if uniform else n_inputs, names, module, prefix)


def _derive_checked(
    op: Any, spec: OpSpec, n_inputs: int, params: dict[str, Any]
) -> tuple[FastPath, bool, bool, bool] | None:
    """A fast path derived from the op's methods, if one can be and it passes the check."""
    derived = derive(op, spec, n_inputs, params)
    if derived is None:
        return None
    fastpath, uniform, baked, _ = derived
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

"""Templates must compute exactly what `forward`/`backward` compute: checked before use.

A template is a second copy of an op's maths, and a wrong copy would give silently wrong
results in the engines that inline it. So before any engine uses an op's templates, they are
evaluated at a few probe points inside the op's declared domain (away from its kinks) and
compared, float for float, with the methods. A template that disagrees is dropped (the methods
run instead) with a `PluginWarning` naming the op and the point, or an `OpContractError` with
MICROGRAD_STRICT_PLUGINS=1.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ._errors import OpContractError, PluginWarning
from ._registry import ENV_STRICT, _env_flag, registry
from ._validate import OpSpec

# Candidate input values; each input takes the ones its domain admits, off its kinks.
_PROBES = (0.7, -1.3, 2.5, 0.25, -0.4, 3.0, 1.1, -2.2, 0.05)
_VARIADIC_PROBE_ARITY = 3


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


def _points(spec: OpSpec, params: dict[str, Any]) -> list[tuple[float, ...]]:
    n = spec.arity or _VARIADIC_PROBE_ARITY
    domains = spec.domains(n, params)
    kinks = spec.kinks_of(n)
    per_input = [[p for p in _PROBES if p in domains[i] and p not in kinks[i]] for i in range(n)]
    if not all(per_input):
        return []
    # A few points, rotating through each input's candidates so inputs differ from each other.
    return [tuple(c[(k + i) % len(c)] for i, c in enumerate(per_input)) for k in range(3)]


def _evaluate(expr: str, env: dict[str, Any], globals_: dict[str, Any]) -> Any:
    source = expr.format(**{name: name for name in env})
    return eval(source, dict(globals_), env)  # the op's own declared template


def mismatch(
    op: Any,
    spec: OpSpec,
    forward: str | None,
    backward: tuple[str, ...] | None,
    globals_: dict[str, Any],
) -> str | None:
    """A description of the first probe point where a template disagrees, or None."""
    for params in spec.param_examples or ({},):
        for xs in _points(spec, dict(params)):
            try:
                out = op.forward(*xs, **params)
                grads = op.backward(0.75, out, *xs, **params)
            except Exception:
                continue  # the methods themselves fail here: nothing to compare against
            names = {f"x{i}": x for i, x in enumerate(xs)} if spec.arity else {"xs": xs}
            where = ", ".join(f"x{i}={x}" for i, x in enumerate(xs))
            if params:
                where += ", " + ", ".join(f"{k}={v!r}" for k, v in params.items())
            if forward is not None:
                try:
                    got = _evaluate(forward, {**names, **params}, globals_)
                except Exception as exc:
                    return f"forward_source raised {exc!r} at {where}"
                if not _same(got, out):
                    return f"forward_source gives {got!r} but forward gives {out!r} at {where}"
            if backward is None:
                continue
            for i, x in enumerate(xs):
                expr = backward[0] if spec.arity is None else backward[i]
                env = {"g": 0.75, "out": out, **params}
                env.update({"x": x} if spec.arity is None else names)
                try:
                    got = _evaluate(expr, env, globals_)
                except Exception as exc:
                    return f"backward_source[{i}] raised {exc!r} at {where}"
                if not _same(got, grads[i]):
                    return (
                        f"backward_source for input {i} gives {got!r} but backward gives "
                        f"{grads[i]!r} at {where} (grad=0.75)"
                    )
    return None


def reject(op: Any, problem: str) -> None:
    """Report a template that was dropped."""
    err = OpContractError(
        op, registry.plugin_of(op), f"{problem}; its templates are ignored (methods used)"
    )
    if _env_flag(ENV_STRICT):
        raise err
    warnings.warn(str(err), PluginWarning, stacklevel=3)

"""`apply(op, *inputs, **params)`: any op, registered or not, applied with every check.

The operators on `Value` take shortcuts for the common ops (see `_value`); everything else comes
here: the op's spec (validated once), its arity and static params, the type of what its forward
returned, and, while `compile` traces, the op's `expand`.
"""

from __future__ import annotations

from typing import Any

from . import _value
from ._errors import ArityError, OpContractError, ParamError
from ._registry import registry
from ._validate import OpSpec, validate_op
from ._value import _DATA, _TABLE, Value, _lift, _node

# Specs of op objects applied directly without being registered (an op may use a private op in
# its own backward), by id; each entry holds its op, so that the id is not reused while cached.
_adhoc_specs: dict[int, tuple[Any, OpSpec]] = {}
_ADHOC_MAX = 256  # an op that makes a new private op per call must not grow it forever


def spec_of(op: Any) -> OpSpec:
    """The validated spec of a registered op (by name or object) or of an ad-hoc op object."""
    name = getattr(op, "name", None)
    if isinstance(name, str) and _TABLE.get(name) is op:
        return registry.spec(name)
    cached = _adhoc_specs.get(id(op))
    if cached is None or cached[0] is not op:
        if len(_adhoc_specs) >= _ADHOC_MAX:
            del _adhoc_specs[next(iter(_adhoc_specs))]  # the oldest entry
        cached = (op, validate_op(op, None)[1])
        _adhoc_specs[id(op)] = cached
    return cached[1]


_OWN = ("expand", "forward", "backward")


def _own_expand(op: Any) -> bool:
    """Whether `op` has an `expand` written by the same class as its forward and backward (a
    subclass that changes the math but inherits `expand` must not be traced as the parent)."""
    if not callable(getattr(op, "expand", None)):
        return False  # most ops: no walk of the class hierarchy
    mro = (op if isinstance(op, type) else type(op)).__mro__
    owners = {next((c for c in mro if name in vars(c)), None) for name in _OWN}
    return len(owners) == 1


def call_problem(
    spec: OpSpec, n_inputs: int, params: dict[str, Any]
) -> tuple[type[ArityError] | type[ParamError], str] | None:
    """What is wrong with calling an op of `spec` on `n_inputs` inputs and `params`, as the
    error to raise and its message; None if nothing is."""
    if spec.arity is not None and n_inputs != spec.arity:
        return ArityError, f"takes {spec.arity} input(s), got {n_inputs}"
    if not n_inputs:
        return ArityError, "takes one or more inputs, got 0"
    for key, value in params.items():
        if isinstance(value, Value):
            return ParamError, (
                f"static param {key!r} is a Value: static params get no "
                "gradient, so pass a number (or use an op that takes it as an input)"
            )
    if params.keys() != set(spec.params):
        missing = sorted(set(spec.params) - params.keys())
        unknown = sorted(params.keys() - set(spec.params))
        parts = [f"missing {missing}"] if missing else []
        parts += [f"unknown {unknown}"] if unknown else []
        return ParamError, f"static params {'; '.join(parts)} (declared: {spec.params})"
    return None


def apply(op: Any, *inputs: Any, **params: Any) -> Value:
    """Apply an op (a registered name, or an op object) to inputs (Values or numbers).

    `apply("pow", x, exponent=3)`, `apply("sum", a, b, c)`. Checks arity and static params and
    raises `ArityError` / `ParamError` / `TypeError` naming the op and the argument.
    """
    if isinstance(op, str):
        op = registry.get(op)
    spec = spec_of(op)
    problem = call_problem(spec, len(inputs), params)
    if problem is not None:
        error, msg = problem
        raise error(op, registry.plugin_of(op), msg)
    if set(map(type, inputs)) == {Value}:  # the usual case, checked at C speed
        xs = inputs
    else:
        xs = tuple(_lift(x, spec.name, i) for i, x in enumerate(inputs))
    out = op.forward(*map(_DATA, xs), **params)
    if type(out) is not float:
        try:
            out = float(out)
        except (TypeError, ValueError):
            raise OpContractError(
                op,
                registry.plugin_of(op),
                f"forward returned {type(out).__name__} {out!r}, not a float",
            ) from None
    tracer = _value._tracer
    if tracer is not None and _own_expand(op):  # `compile` may trace simpler ops instead
        expanded = tracer.expansion(op, op.expand(*xs, **params), out)
        if expanded is not None:
            return expanded
    return _node(out, xs, op, params or None)

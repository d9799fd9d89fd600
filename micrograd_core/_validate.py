"""Validation of ops at registration: every contract check runs once here, never per operation."""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ._errors import ArityError, OpValidationError, ParamError
from ._op import REALS, VARIADIC, Interval, Op

# Names an op may not take because `Value` uses them itself (x.backward() must stay backward).
RESERVED_NAMES = frozenset(
    {"data", "grad", "backward", "zero_grad", "op", "parents", "param", "item", "apply"}
)
# How many inputs registration tries a variadic op's signature with.
_VARIADIC_TRIAL_ARITIES = (1, 2, 3)


@attrs.frozen
class OpSpec:
    """What registration learned about an op, normalised. Read by the gradient checker."""

    name: str
    arity: int | None
    params: tuple[str, ...]
    higher_order: bool
    summary: str
    param_examples: tuple[dict[str, Any], ...]
    domain: Callable[..., Sequence[Interval]] | Sequence[Interval] | None = attrs.field(repr=False)
    # normalised (see `_normalize_kinks`), or the op's callable taking the params
    kinks: Any = attrs.field(repr=False)
    # points where several inputs together are singular: normalised, or a callable of params
    singular: Any = attrs.field(default=(), repr=False)

    def domains(self, n_inputs: int, params: dict[str, Any] | None = None) -> tuple[Interval, ...]:
        """One `Interval` per input for `n_inputs` inputs under these static params."""
        dom = self.domain(**(params or {})) if callable(self.domain) else self.domain
        if dom is None:
            return (REALS,) * n_inputs
        dom = tuple(dom)
        return dom * n_inputs if len(dom) == 1 and n_inputs != 1 else dom

    def _params(self, params: dict[str, Any] | None) -> dict[str, Any]:
        # Callers that know no params (template probes) get the first example's.
        if params is not None:
            return params
        return dict(self.param_examples[0]) if self.param_examples else {}

    def kinks_of(
        self, n_inputs: int, params: dict[str, Any] | None = None
    ) -> tuple[tuple[float, ...], ...]:
        """The non-differentiable points of each of `n_inputs` inputs under these params."""
        kinks = self.kinks
        if callable(kinks):
            kinks = _normalize_kinks(kinks(**self._params(params)), self.arity, self._bad)
        if kinks and isinstance(kinks[0], tuple):
            per_input: tuple[tuple[float, ...], ...] = kinks
            return per_input * n_inputs if len(per_input) == 1 and n_inputs != 1 else per_input
        return (kinks,) * n_inputs

    def singular_of(
        self, n_inputs: int, params: dict[str, Any] | None = None
    ) -> tuple[tuple[float, ...], ...]:
        """The declared singular points (one coordinate per input) for `n_inputs` inputs."""
        points = self.singular
        if callable(points):
            points = _normalize_singular(points(**self._params(params)), self.arity, self._bad)
        return tuple(p for p in points if len(p) == n_inputs)

    def _bad(self, msg: str) -> OpValidationError:
        return OpValidationError(self, None, msg)


def validate_op(
    op: Any, plugin: str | None, distribution: str | None = None
) -> tuple[Any, OpSpec]:
    """Check `op` against the protocol; return the op instance and its spec, or raise
    `OpValidationError` naming the op and the plugin."""

    def fail(msg: str) -> OpValidationError:
        return OpValidationError(op, plugin, msg, distribution)

    if op is None or isinstance(op, (str, bytes, int, float, complex, bool, list, tuple, dict)):
        raise fail(f"expected an Op class or instance, got {type(op).__name__} {op!r}")
    if isinstance(op, type):
        try:
            op = op()
        except Exception as exc:
            raise fail(f"the op class cannot be instantiated without arguments: {exc!r}") from exc

    name = getattr(op, "name", None)
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise fail(f"`name` must be a Python identifier string, got {name!r}")
    if name.startswith("_") or name in RESERVED_NAMES:
        raise fail(f"the name {name!r} is reserved (it is an attribute of Value)")

    arity = getattr(op, "arity", "missing")
    if arity is not VARIADIC and (type(arity) is not int or arity < 1):
        raise fail(f"`arity` must be an int >= 1 or VARIADIC (None), got {arity!r}")

    params = getattr(op, "params", ())
    if isinstance(params, str) or not isinstance(params, Sequence):
        raise fail(f"`params` must be a tuple of names, got {params!r}")
    params = tuple(params)
    if not all(isinstance(p, str) and p.isidentifier() for p in params) or len(set(params)) < len(
        params
    ):
        raise fail(f"`params` must be distinct identifier strings, got {params!r}")

    higher_order = getattr(op, "higher_order", True)
    if not isinstance(higher_order, bool):
        raise fail(f"`higher_order` must be True or False, got {higher_order!r}")

    examples = tuple(dict(e) for e in getattr(op, "param_examples", ()) or ())
    if params and not examples:
        raise fail(f"it declares params {params} but no `param_examples` for the gradient checker")
    for ex in examples:
        if set(ex) != set(params):
            raise fail(f"param example {ex!r} must give exactly the params {params}")

    trial_arities = _VARIADIC_TRIAL_ARITIES if arity is VARIADIC else (arity,)
    dummy_params = examples[0] if examples else {}
    for method, extra in (("forward", 0), ("backward", 2)):
        fn = getattr(op, method, None)
        if not callable(fn):
            raise fail(f"`{method}` is missing or not callable")
        if getattr(type(op), method, None) is getattr(Op, method):
            raise fail(f"`{method}` is missing: it is Op's placeholder, define it on the op")
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # builtins without signatures: trust them
            continue
        for n in trial_arities:
            try:
                sig.bind(*([0.0] * (n + extra)), **dummy_params)
            except TypeError as exc:
                what = "grad, out, " if extra else ""
                raise fail(
                    f"`{method}{sig}` cannot be called as {method}({what}<{n} input(s)>"
                    f"{', **params' if params else ''}): {exc}"
                ) from None

    domain = getattr(op, "domain", None)
    dom_value = domain(**dummy_params) if callable(domain) else domain
    if dom_value is not None:
        if not isinstance(dom_value, Sequence) or not all(
            isinstance(d, Interval) for d in dom_value
        ):
            raise fail(f"`domain` must be a sequence of Interval, got {dom_value!r}")
        ok = len(dom_value) == 1 if arity is VARIADIC else len(dom_value) in (1, arity)
        if not ok:
            raise fail(f"`domain` has {len(dom_value)} intervals for arity {arity}")
    else:
        domain = None

    kinks = _points_attr(op, "kinks", _normalize_kinks, arity, examples, fail)
    singular = _points_attr(op, "singular", _normalize_singular, arity, examples, fail)
    doc = inspect.getdoc(type(op)) or ""
    if doc == inspect.getdoc(object) or doc.startswith("Optional base class for ops"):
        doc = ""
    summary = doc.strip().splitlines()[0] if doc.strip() else ""
    spec = OpSpec(name, arity, params, higher_order, summary, examples, domain, kinks, singular)
    return op, spec


def _normalize_kinks(
    kinks: Any, arity: int | None, fail: Callable[[str], OpValidationError]
) -> tuple[float, ...] | tuple[tuple[float, ...], ...]:
    if not isinstance(kinks, Sequence) or isinstance(kinks, str):
        raise fail(f"`kinks` must be a sequence of numbers, got {kinks!r}")
    if all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in kinks):
        return tuple(float(k) for k in kinks)
    if all(isinstance(k, Sequence) and not isinstance(k, str) for k in kinks):
        if not all(isinstance(x, (int, float)) for k in kinks for x in k):
            raise fail(f"`kinks` per-input sequences must hold numbers, got {kinks!r}")
        per_input = tuple(tuple(float(x) for x in k) for k in kinks)
        if len(per_input) != 1 and arity is not VARIADIC and len(per_input) != arity:
            raise fail(f"`kinks` has {len(per_input)} per-input sequences for arity {arity}")
        return per_input
    raise fail(f"`kinks` must be numbers, or one sequence of numbers per input; got {kinks!r}")


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
        if hasattr(value, "_op") and hasattr(value, "grad"):  # a Value
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
def _normalize_singular(
    points: Any, arity: int | None, fail: Callable[[str], OpValidationError]
) -> tuple[tuple[float, ...], ...]:
    """`singular`: points where inputs are jointly non-differentiable (atan2 at (0, 0)), each
    with one coordinate per input (for a variadic op, a point applies to that many inputs)."""
    ok = isinstance(points, Sequence) and not isinstance(points, str)
    ok = ok and all(
        isinstance(p, Sequence)
        and not isinstance(p, str)
        and len(p) >= 1
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in p)
        for p in points
    )
    if not ok:
        raise fail(f"`singular` must be a sequence of points (tuples of numbers), got {points!r}")
    normalized = tuple(tuple(float(x) for x in p) for p in points)
    for p in normalized:
        if arity is not VARIADIC and len(p) != arity:
            raise fail(f"`singular` point {p} has {len(p)} coordinate(s) for arity {arity}")
    return normalized


def _points_attr(
    op: Any,
    attr: str,
    normalize: Callable[[Any, int | None, Callable[[str], OpValidationError]], Any],
    arity: int | None,
    examples: tuple[dict[str, Any], ...],
    fail: Callable[[str], OpValidationError],
) -> Any:
    """`kinks` / `singular`, normalised; a callable (of the params, as `domain` may be) is kept
    after checking what it returns for every param example."""
    value = getattr(op, attr, ()) or ()
    if not callable(value):
        return normalize(value, arity, fail)
    for ex in examples or ({},):
        try:
            normalize(value(**ex), arity, fail)
        except OpValidationError:
            raise
        except Exception as exc:
            raise fail(f"`{attr}(**{ex!r})` raised {exc!r}") from exc
    return value

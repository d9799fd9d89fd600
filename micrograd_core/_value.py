"""`Value`, the scalar graph node, and the hot paths that build nodes (`+`, `*`, `.relu()`, ...);
`_apply` is the checked way any op becomes a node.

Hot-path notes: a node is seven slots and no closure, so a graph is freed by reference counting
alone (no per-node reference cycles for the cyclic GC to chase). The parents of a unary or binary
node live in the slots `_a` and `_b` rather than in a tuple: a tuple per node would double the
objects the cyclic GC scans, and the GC was a third of an eager training step. Other nodes keep
a tuple in `_many` (`_a` is then None). Operators read the op from the registry's plain dict;
pluggy is never involved here.
"""

from __future__ import annotations

from numbers import Real
from operator import attrgetter
from typing import Any

from ._registry import registry

_TABLE = registry.table  # name -> op; the same dict object for the life of the process
_new = object.__new__
_DATA = attrgetter("data")

# The active `compile` tracer, or None (the usual case: then each hook below costs one global
# read). While tracing it learns which leaves fn created (constants of the program), which
# comparisons of Value data fn made (guards checked at every replay) and whether a Value's data
# escaped into Python (`float(v)`, `v.item()`), which a replay could not follow.
_tracer: Any = None


class Value:
    """A scalar in a computation graph: `data`, `grad`, the parents it was computed from, the op.

    Drop-in for micrograd's `Value`: `Value(2.0) * 3 + 1`, `.relu()`, `.tanh()`, `.backward()`.
    Every registered op is also a method: `x.sigmoid()` once a plugin provides `sigmoid`.
    """

    __slots__ = ("_a", "_b", "_many", "_op", "_param", "data", "grad")

    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)

    def __init__(self, data: float) -> None:
        if type(data) is not float:
            data = _as_float(data, "Value(data)")
        self.data = data
        self.grad = 0.0
        self._a: Value | None = None  # first parent of a unary or binary node
        self._b: Value | None = None  # second parent of a binary node
        self._many: tuple[Value, ...] = ()  # the parents of any other node, when _a is None
        self._op: Any = None
        self._param: dict[str, Any] | None = None
        if _tracer is not None:
            _tracer.leaf(self)

    # ---- introspection -------------------------------------------------------------------
    @property
    def op(self) -> str:
        """The name of the op that produced this value ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs this value was computed from, in order."""
        return self._prev

    @property
    def _prev(self) -> tuple[Value, ...]:
        a = self._a
        if a is None:
            return self._many
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def param(self) -> dict[str, Any]:
        """The static parameters of the op that produced this value (e.g. the exponent)."""
        return dict(self._param or {})

    def item(self) -> float:
        if _tracer is not None:
            _tracer.escape(self, "v.item()")
        return self.data

    def __float__(self) -> float:
        if _tracer is not None:
            _tracer.escape(self, "float(v)")
        return float(self.data)

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- arithmetic (micrograd's definitions, so results match it float for float) -------
    # `+` and `*` are most of every graph: node creation is inlined (one Python call per node
    # besides `op.forward`), the op is still read from the registry table by name.
    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            return _binary("add", self, other)
        op = _TABLE.get("add") or registry.get("add")
        v = _new(Value)
        v.data = op.forward(self.data, other.data)
        v.grad = 0.0
        v._a = self
        v._b = other
        v._many = None
        v._op = op
        v._param = None
        return v

    def __radd__(self, other: float) -> Value:
        return _binary("add", other, self)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            return _binary("mul", self, other)
        op = _TABLE.get("mul") or registry.get("mul")
        v = _new(Value)
        v.data = op.forward(self.data, other.data)
        v.grad = 0.0
        v._a = self
        v._b = other
        v._many = None
        v._op = op
        v._param = None
        return v

    def __rmul__(self, other: float) -> Value:
        return _binary("mul", other, self)

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        return other + (-self)

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is not Value and isinstance(other, Real) and other == 0:
            other = _lift(other, "pow", 0)  # x / 0 is +-inf or nan (IEEE), as x / Value(0) is
        return self * other**-1

    def __rtruediv__(self, other: float) -> Value:
        return other * self**-1

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _apply.apply("pow_var", self, other)
        if not isinstance(other, Real):
            return NotImplemented
        return _apply.apply("pow", self, exponent=other)

    def __rpow__(self, other: float) -> Value:
        if not isinstance(other, Real):
            return NotImplemented
        return _apply.apply("pow_var", other, self)

    def relu(self) -> Value:
        return _unary("relu", self)

    def __abs__(self) -> Value:
        # relu(x) + relu(-x): registered ops only, so abs() differentiates to any order (its
        # derivative at 0 is taken as 0, relu's). Lets a backward written with abs() run on Values.
        return self.relu() + (-self).relu()

    def tanh(self) -> Value:
        return _unary("tanh", self)

    # Comparisons look at `data` only (they build no graph). They let a backward written for
    # floats, such as relu's `grad * (x > 0)`, also run on Values. `==` stays identity.
    def __lt__(self, other: Value | float) -> bool:
        result = self.data < _data(other)
        if _tracer is not None:
            _tracer.compare("lt", self, other, result)
        return result

    def __le__(self, other: Value | float) -> bool:
        result = self.data <= _data(other)
        if _tracer is not None:
            _tracer.compare("le", self, other, result)
        return result

    def __gt__(self, other: Value | float) -> bool:
        result = self.data > _data(other)
        if _tracer is not None:
            _tracer.compare("gt", self, other, result)
        return result

    def __ge__(self, other: Value | float) -> bool:
        result = self.data >= _data(other)
        if _tracer is not None:
            _tracer.compare("ge", self, other, result)
        return result

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: x.sigmoid() for an op a plugin registered.
        if name.startswith("_"):
            raise AttributeError(name)
        registry.get(name)  # raises UnknownOpError (an AttributeError) with close matches

        def method(*others: Any, **params: Any) -> Value:
            return _apply.apply(name, self, *others, **params)

        method.__name__ = name
        return method

    def backward(self, create_graph: bool = False) -> None:
        """Set `self.grad = 1` and d self / d node into `.grad` of every node below.

        Leaves (parameters, inputs) accumulate: their `.grad` grows with each call until you
        zero it (`Module.zero_grad()`), as in micrograd and PyTorch. Intermediate nodes get this
        pass's gradient, so calling `backward()` twice gives each leaf exactly twice the
        gradient. With `create_graph=True` the gradients are `Value`s that can be
        differentiated again.
        """
        from ._backward import backward

        backward(self, create_graph=create_graph)


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else x


def _as_float(x: Any, where: str) -> float:
    if isinstance(x, Real):  # int, bool, float, numpy floats, Fraction...
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{where}: the {type(x).__name__} is too large for a float") from None
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a number, got a Value (use it directly)")
    raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")


def _lift(x: Any, op: str, index: int) -> Value:
    """Inputs may be numbers on either side; they become constant leaves."""
    if isinstance(x, Value):
        return x
    v = _new(Value)
    v.data = _as_float(x, f"op {op!r}, input {index}")
    v.grad = 0.0
    v._a = v._b = None
    v._many = ()
    if _tracer is not None:
        _tracer.leaf(v)
    v._op = None
    v._param = None
    return v


def _node(data: float, prev: tuple[Value, ...], op: Any, param: dict[str, Any] | None) -> Value:
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    n = len(prev)
    if n == 2:
        v._a, v._b = prev
        v._many = None
    elif n == 1:
        v._a = prev[0]
        v._b = v._many = None
    else:
        v._a = v._b = None
        v._many = prev
    v._op = op
    v._param = param
    return v


def _binary(name: str, a: Any, b: Any) -> Value:
    """The hot path of `+` and `*`: no validation beyond lifting numbers."""
    if type(a) is not Value:
        if not isinstance(a, (Real, Value)):
            return NotImplemented  # type: ignore[return-value]
        a = _lift(a, name, 0)
    if type(b) is not Value:
        if not isinstance(b, (Real, Value)):
            return NotImplemented  # type: ignore[return-value]
        b = _lift(b, name, 1)
    try:
        op = _TABLE[name]
    except KeyError:
        op = registry.get(name)
    return _node(op.forward(a.data, b.data), (a, b), op, None)


def _unary(name: str, a: Value) -> Value:
    """The hot path of `.relu()` and `.tanh()`: `apply` minus the checks a method call needs not."""
    op = _TABLE.get(name) or registry.get(name)
    out = op.forward(a.data)
    if type(out) is not float:
        return _apply.apply(op, a)  # let apply convert the result or report the contract breach
    return _node(out, (a,), op, None)


def sum_values(values: list[Value]) -> Value:
    """One `sum` node over Values (the n-ary Sum op): the demo loss sums its terms with it."""
    try:
        op = _TABLE["sum"]
    except KeyError:
        op = registry.get("sum")
    prev = tuple(values)
    return _node(op.forward(*map(_DATA, prev)), prev, op, None)  # C-level read of every .data


# `apply` builds Values, so its module imports this one; the operators above reach it through
# the module object, looked up at call time.
from . import _apply  # noqa: E402

"""`Value`, the scalar graph node; `apply`, which makes any op a node; `grad`, the functional
gradient. With `_backward` (the order and the backward pass) this is the whole engine.

A node is seven slots and no closure, so a graph is freed by reference counting alone. The
parents of a unary or binary node live in the slots `_a` and `_b` (`_many` is then None), other
nodes keep a tuple in `_many` (`_a` is then None): a tuple per node would double the objects
the cyclic collector scans. Operators read the op from the registry's plain dict; pluggy never
runs here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from numbers import Integral, Real
from operator import attrgetter
from typing import Any, Final

from ._backward import backward_pass, differentiating, gradients, topological_order
from ._errors import OpContractError
from ._registry import registry
from ._validate import call_problem

_TABLE = registry.table  # name -> op; the same dict object for the life of the process
_new = object.__new__
_DATA = attrgetter("data")

#: The one place the engine names ops: the op each Python operator (and each of micrograd's
#: methods) applies. Every other op is reached by its name, `x.sigmoid()` or `apply("sum", ...)`.
OPERATORS: Final = {
    "+": "add",
    "*": "mul",
    "** number": "pow",
    "** Value": "pow_var",
    ".relu()": "relu",
    ".tanh()": "tanh",
}
_ADD, _MUL, _POW, _POW_VAR = (OPERATORS[k] for k in ("+", "*", "** number", "** Value"))
_RELU, _TANH = OPERATORS[".relu()"], OPERATORS[".tanh()"]

# The active `compile` tracer, or None (then each hook below costs one global read). While
# tracing it learns which leaves fn created (constants of the program), which comparisons of
# Value data fn made (guards re-checked at every replay) and whether data escaped into Python.
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
        self.data = data if type(data) is float else _as_float(data, "Value(data)")
        self.grad = 0.0
        self._a: Value | None = None
        self._b: Value | None = None
        self._many: tuple[Value, ...] | None = ()
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
            return self._many or ()
        return (a,) if self._b is None else (a, self._b)

    @property
    def param(self) -> dict[str, Any]:
        """The static parameters of the op that produced this value (e.g. the exponent)."""
        return dict(self._param or {})

    def item(self) -> float:
        if _tracer is not None:
            _tracer.escape(self, "v.item()")
        _not_while_differentiating("v.item()")
        return self.data

    def __float__(self) -> float:
        if _tracer is not None:
            _tracer.escape(self, "float(v)")
        _not_while_differentiating("float(v)")
        return float(self.data)

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- arithmetic: micrograd's definitions, so results match it float for float ---------
    # `+` and `*` are most of every graph, so they build their node inline.
    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            return _binary(_ADD, self, other)
        op = _TABLE.get(_ADD) or registry.get(_ADD)
        return _node(op.forward(self.data, other.data), self, other, None, op, None)

    def __radd__(self, other: float) -> Value:
        return _binary(_ADD, other, self)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            return _binary(_MUL, self, other)
        op = _TABLE.get(_MUL) or registry.get(_MUL)
        return _node(op.forward(self.data, other.data), self, other, None, op, None)

    def __rmul__(self, other: float) -> Value:
        return _binary(_MUL, other, self)

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        if not isinstance(other, (Real, Value)):
            return NotImplemented
        return self + (-_number(other, _ADD, 1))

    def __rsub__(self, other: float) -> Value:
        if not isinstance(other, Real):
            return NotImplemented
        return _number(other, _ADD, 0) + (-self)

    def __truediv__(self, other: Value | float) -> Value:
        # micrograd's x * other**-1. A number is made a float first, so that numpy scalars and
        # huge ints divide as a Python float would; x / 0 is then +-inf or nan, as x / Value(0).
        if type(other) is Value:
            return self * other**-1
        if not isinstance(other, Real):
            return NotImplemented
        c = _as_float(other, f"op {_MUL!r}, input 1")
        return self * (c**-1 if c else math.copysign(math.inf, c))

    def __rtruediv__(self, other: float) -> Value:
        if not isinstance(other, Real):
            return NotImplemented
        return _number(other, _MUL, 0) * self**-1

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return apply(_POW_VAR, self, other)
        if not isinstance(other, Real):
            return NotImplemented
        return apply(_POW, self, exponent=_number(other, _POW, 1))

    def __rpow__(self, other: float) -> Value:
        if not isinstance(other, Real):
            return NotImplemented
        return apply(_POW_VAR, other, self)

    def relu(self) -> Value:
        return _unary(_RELU, self)

    def tanh(self) -> Value:
        return _unary(_TANH, self)

    def __abs__(self) -> Value:
        # relu(x) + relu(-x): registered ops only, so abs() differentiates to any order (its
        # derivative at 0 is taken as 0, relu's). Lets a backward written with abs() run on Values.
        return self.relu() + (-self).relu()

    # Comparisons look at `data` only and build no graph; they let a backward written for
    # floats, such as relu's `grad if out > 0 else 0.0`, run on Values too. `==` stays identity.
    def __lt__(self, other: Value | float) -> bool:
        return _compare("lt", self, other, self.data < _data(other))

    def __le__(self, other: Value | float) -> bool:
        return _compare("le", self, other, self.data <= _data(other))

    def __gt__(self, other: Value | float) -> bool:
        return _compare("gt", self, other, self.data > _data(other))

    def __ge__(self, other: Value | float) -> bool:
        return _compare("ge", self, other, self.data >= _data(other))

    __hash__ = object.__hash__

    # ---- copying and pickling: flat, so a graph of any depth works ------------------------
    # A node is rebuilt from a list of its graph's nodes in topological order (leaves stay
    # objects of their own, so a model's parameters keep their identity in one pickle);
    # `.grad`s come after, as state, since a gradient's graph may contain the node itself.
    def __reduce__(self) -> tuple[Any, ...]:
        order = topological_order(self)
        pos = {v: i for i, v in enumerate(order)}
        records = [
            (v.data, _op_ref(v._op), v._param, tuple(pos[p] for p in v._prev))
            if v._op is not None
            else (v if v is not self else (v.data,))
            for v in order
        ]
        return _rebuild, (records,), [v.grad for v in order]

    def __setstate__(self, grads: list[Any]) -> None:
        for v, g in zip(topological_order(self), grads):
            if v._op is not None or v is self:
                v.grad = g

    def __copy__(self) -> Value:
        v = _new(Value)
        for slot in Value.__slots__:
            setattr(v, slot, getattr(self, slot))
        return v

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: x.sigmoid() for an op a plugin registered.
        if name.startswith("_"):
            raise AttributeError(name)
        registry.get(name)  # raises UnknownOpError (an AttributeError) with close matches
        return partial(apply, name, self)

    def backward(self, create_graph: bool = False) -> None:
        """Set `self.grad = 1` and d self / d node into the `.grad` of every node below.

        Leaves (parameters, inputs) accumulate: each call adds this pass's contributions to
        their `.grad`, one by one, until you zero it (`Module.zero_grad()`), as in micrograd and
        PyTorch. (In floating point a second call need not give exactly twice the first.)
        Intermediate nodes get this pass's gradient only. If an op's backward fails, every
        `.grad` is left as it was and `OpContractError` names the op.

        With `create_graph=True` the gradients are `Value`s that can be differentiated again.
        They reference the graph they came from, which references them back: zero them when
        done (or use `grad(..., create_graph=True)`, which stores nothing on the nodes).
        """
        backward_pass(self, create_graph)


def _op_ref(op: Any) -> Any:
    """A registered op by its name (the copy must use the registered op), another by itself."""
    return op.name if _TABLE.get(op.name) is op else op


def _rebuild(records: list[Any]) -> Value:
    """The last node of `records` (see `Value.__reduce__`), its graph built parents first."""
    built: list[Value] = []
    for r in records:
        if isinstance(r, Value):
            built.append(r)
        elif len(r) == 1:
            built.append(_lift(r[0], "copy", 0))
        else:
            data, op, param, parents = r
            op = registry.get(op) if isinstance(op, str) else op
            built.append(make_node(op, [built[i] for i in parents], data, param))
    return built[-1]


def _not_while_differentiating(how: str) -> None:
    op = differentiating()
    if op is not None:
        raise OpContractError(
            op,
            registry.plugin_of(op),
            f"its backward used {how} (Python's math.exp(v) does too) while create_graph=True "
            "differentiates it: the gradient's graph would be cut and its derivative come out 0. "
            "Use micrograd_core.math (exp, log, sqrt, ...), or declare higher_order = False",
        )


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else x


def _compare(kind: str, a: Value, b: Value | float, result: bool) -> bool:
    if _tracer is not None:
        _tracer.compare(kind, a, b, result)
    return result


def _as_float(x: Any, where: str) -> float:
    """A real number as a Python float (numpy scalars, ints, fractions...): what a node holds."""
    if isinstance(x, Real):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{where}: the {type(x).__name__} is too large for a float") from None
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a number, got a Value (use it directly)")
    raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")


def _number(x: Any, op: str, index: int) -> Any:
    """A number on the other side of an operator: a Python int stays exact (an exponent of
    10**400 is meaningful), any other real number becomes a Python float; Values pass."""
    if type(x) is int or type(x) is float or isinstance(x, Value):
        return x
    if isinstance(x, Integral) and not isinstance(x, bool):
        return int(x)
    return _as_float(x, f"op {op!r}, input {index}")


def _lift(x: Any, op: str, index: int) -> Value:
    """A number given where a Value goes becomes a constant leaf."""
    if isinstance(x, Value):
        return x
    v = _new(Value)
    v.data = _as_float(x, f"op {op!r}, input {index}")
    v.grad = 0.0
    v._a = v._b = v._op = v._param = None
    v._many = ()
    if _tracer is not None:
        _tracer.leaf(v)
    return v


def _node(data: Any, a: Any, b: Any, many: Any, op: Any, param: dict[str, Any] | None) -> Value:
    """A new op node: parents `a` (and `b`), or the tuple `many` (with `a` None)."""
    if type(data) is not float:
        data = _real(data, op, "forward")
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._a = a
    v._b = b
    v._many = many
    v._op = op
    v._param = param
    return v


def _real(x: Any, op: Any, method: str) -> float:
    """What an op's method returned, as a float, or an error naming the op."""
    if isinstance(x, Real):
        return float(x)
    msg = f"{method} returned {type(x).__name__} {x!r}, not a real number"
    raise OpContractError(op, registry.plugin_of(op), msg)


def _binary(name: str, a: Any, b: Any) -> Value:
    """`+` and `*` with a number on one side: the number becomes a constant leaf."""
    for x in (a, b):
        if not isinstance(x, (Real, Value)):
            return NotImplemented  # type: ignore[return-value]
    a, b = _lift(a, name, 0), _lift(b, name, 1)
    op = _TABLE.get(name) or registry.get(name)
    return _node(op.forward(a.data, b.data), a, b, None, op, None)


def _unary(name: str, a: Value) -> Value:
    """`.relu()` and `.tanh()`: `apply` without the checks a method call needs not."""
    op = _TABLE.get(name) or registry.get(name)
    return _node(op.forward(a.data), a, None, None, op, None)


def make_node(op: Any, inputs: Sequence[Value], out: Any, params: dict[str, Any] | None) -> Value:
    """The node of `op` over Values `inputs` whose forward gave `out` (already computed, say for
    a whole layer at once); the caller has checked the call as `apply` does."""
    n = len(inputs)
    if n == 1:
        return _node(out, inputs[0], None, None, op, params or None)
    if n == 2:
        return _node(out, inputs[0], inputs[1], None, op, params or None)
    return _node(out, None, None, tuple(inputs), op, params or None)


def apply(op: Any, *inputs: Any, **params: Any) -> Value:
    """Apply an op (a registered name, or an op object) to inputs (Values or numbers).

    `apply("pow", x, exponent=3)`, `apply("sum", a, b, c)`. Checks arity and static params and
    raises `ArityError` / `ParamError` / `TypeError` naming the op and the argument.
    """
    if isinstance(op, str):
        op = registry.get(op)
    spec = registry.spec_of(op)
    problem = call_problem(spec, len(inputs), params)
    if problem is not None:
        error, msg = problem
        raise error(op, registry.plugin_of(op), msg)
    if set(map(type, inputs)) == {Value}:  # the usual case, checked at C speed
        xs = inputs
    else:
        xs = tuple(_lift(x, spec.name, i) for i, x in enumerate(inputs))
    return make_node(op, xs, op.forward(*map(_DATA, xs), **params), params)


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d output / d input for each input, without touching any `.grad` (PyTorch's autograd.grad).

    The floats are those `output.backward()` would give. With `create_graph=True` the results
    are `Value`s you can differentiate again: `dx, = grad(y, [x], create_graph=True);
    ddx, = grad(dx, [x])`. An input `output` does not depend on gets 0.0.
    """
    if not isinstance(output, Value):
        raise TypeError(
            f"grad(output, inputs): output must be a Value, got {type(output).__name__}"
        )
    xs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(
                f"grad(output, inputs): inputs[{i}] must be a Value, got {type(x).__name__}"
            )
    seed = Value(1.0) if create_graph else 1.0
    acc = gradients(output, seed, create_graph)
    out = [acc.get(x, 0.0) for x in xs]
    if create_graph:  # constants (d(x+y)/dx = 1) become leaves, so every result is a Value
        return [g if isinstance(g, Value) else _lift(g, "grad", i) for i, g in enumerate(out)]
    return out


__all__ = ["OPERATORS", "Value", "apply", "grad", "make_node", "topological_order"]

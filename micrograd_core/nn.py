"""Neural-network building blocks with micrograd's signatures, init order and reprs.

After `random.seed(s)`, `MLP(2, [16, 16, 1])` holds exactly the weights micrograd's MLP would.
The one difference: a neuron's weighted sum `b + w0*x0 + ...` is a single node of the builtin
`dot` op instead of micrograd's chain of muls and adds (same floats; about an eighth of
micrograd's nodes, so eager steps are faster). nn reaches `dot` by name through the registry,
as any user code would; the engine itself knows no op by name.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from . import _value
from ._registry import registry
from ._value import _DATA, Value, _lift, _unary, apply, make_node

#: The registered op a neuron's weighted sum is: inputs bias, weights..., inputs...
DOT = "dot"


def _values(x: Sequence[Value | float], where: str) -> list[Value]:
    """The inputs as Values (numbers become constant leaves)."""
    return [v if isinstance(v, Value) else _lift(v, where, i) for i, v in enumerate(x)]


def _activations(neurons: Sequence[Neuron], xs: list[Value]) -> list[Value]:
    """Each neuron on the same inputs: its weighted sum (a `dot` node), then relu unless it is
    linear. One pass for a whole layer, which reads the inputs' data once."""
    acts = _dot_rows([(n.b, n.w) for n in neurons], xs)
    return [_unary("relu", a) if n.nonlin else a for n, a in zip(neurons, acts)]


def _dot_rows(rows: list[tuple[Value, list[Value]]], xs: list[Value]) -> list[Value]:
    """One `dot` node per (bias, weights) row over the same inputs: what `apply("dot", b,
    *ws, *xs)` gives, with the arity check made once and the inputs' data read once."""
    op = _value._TABLE.get(DOT) or registry.get(DOT)
    if registry.spec_of(op).arity is not None:
        return [apply(op, b, *ws, *xs) for b, ws in rows]  # checked one by one
    forward = op.forward
    xd = [*map(_DATA, xs)]
    return [
        make_node(op, (b, *ws, *xs), forward(b.data, *map(_DATA, ws), *xd), None)
        for b, ws in rows
    ]


class Module:
    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    def __init__(self, nin: int, nonlin: bool = True) -> None:
        if type(nin) is not int or nin < 1:
            raise ValueError(f"Neuron(nin): nin must be a positive int, got {nin!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"{self!r} takes {len(self.w)} inputs, got {len(x)}")
        return _activations([self], _values(x, "Neuron input"))[0]

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        xs = _values(x, "Layer input")
        if len(xs) != len(self.neurons[0].w):
            raise ValueError(f"{self!r} takes {len(self.neurons[0].w)} inputs, got {len(xs)}")
        out = _activations(self.neurons, xs)  # inputs checked and lifted once, here
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        if not nouts or not all(type(n) is int and n >= 1 for n in nouts):
            raise ValueError(f"MLP(nin, nouts): nouts must be positive layer sizes, got {nouts!r}")
        sz = [nin, *nouts]
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Any:
        """The last layer's outputs: a list, or a bare Value when it has one neuron (as in
        micrograd). A hidden layer of one neuron passes a list of one to the next layer."""
        out: Value | list[Value] = list(x)
        for layer in self.layers:
            out = layer([out] if isinstance(out, Value) else out)
        return out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

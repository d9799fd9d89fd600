"""`Program.sgd_step`: micrograd's training step (forward, zero_grad, backward, update) in one
call, with the update done on the program's arrays.

The loop a user writes costs, besides the program's own work, a Python statement per
parameter three times a step: `zero_grad`, adding each gradient into `.grad`, and
`p.data -= lr * p.grad`. On the demo's 337 parameters that is most of a compiled numpy step.
`sgd_step` gives the same floats with one pass over the parameters: a zeroed gradient plus the
program's gradient is computed as the program's gradient plus 0.0, the update as one array
expression, and each parameter's new `.data` and `.grad` are then written back together. Every
Value is left exactly as the loop leaves it (`StepPlan.step` says how), so code that reads
`.data` or `.grad` between steps, or changes `.data`, sees and is seen as with the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._value import Value

try:  # `step` runs only with the numpy executor; the module imports without numpy too
    import numpy
except ImportError:  # pragma: no cover - the numpy executor cannot be built then
    numpy = None


class StepPlan:
    """Where a list of parameters sits among a program's inputs, for `step`.

    `params` must be Values, each once. Parameters that are not the program's inputs keep a
    zero gradient and their data, as the loop gives them: Values `fn` never used, and also
    constants `fn` created and intermediate nodes, which a compiled backward gives no gradient
    (create the Values you train outside `fn`). Inputs that are not parameters get their
    gradient added to `.grad`, as `backward` gives them."""

    __slots__ = ("index", "inputs", "key", "others", "outside", "targets")

    def __init__(self, inputs: list[Value], params: Sequence[Value]) -> None:
        if not all(isinstance(p, Value) for p in params):
            bad = sorted({type(p).__name__ for p in params if not isinstance(p, Value)})
            raise TypeError(f"sgd_step: params must be Values, got {', '.join(bad)}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("sgd_step: a Value is listed twice in params")
        self.key = list(params)  # compared by identity first: a new equal list hits
        where = {id(v): i for i, v in enumerate(inputs)}
        self.inputs = inputs
        pos = [where[id(p)] for p in params if id(p) in where]
        self.targets = [inputs[i] for i in pos]  # the params that are inputs, in pos's order
        self.outside = [p for p in params if id(p) not in where]
        taken = set(pos)
        self.others = [i for i in range(len(inputs)) if i not in taken]
        # the params' slots in V and in the gradient array: a slice when they are the inputs
        # in the program's order (`program.inputs`), else an index array (a model's
        # `parameters()` are in another order: a gather of a few microseconds)
        whole = pos == list(range(len(inputs)))
        self.index: Any = slice(0, len(inputs))
        if not whole:
            self.index = pos if numpy is None else numpy.asarray(pos, dtype=numpy.intp)

    def step(self, V: Any, grads: Any, lr: float) -> None:
        """The loop's effect, given the data the forward read (`V[:n]`) and the program's
        gradients `grads` (each summed from 0.0, so never -0.0):

            for p in params: p.grad = 0.0       # zero_grad
            for v, g in zip(inputs, grads): v.grad += g       # backward
            for p in params: p.data -= lr * p.grad            # the update

        A parameter's gradient is 0.0 + g, its data `d - lr * (0.0 + g)`: the same IEEE
        operations in numpy as on Python floats, element by element."""
        with numpy.errstate(all="ignore"):  # lr * g may overflow to inf, as floats do
            g = grads[self.index] + 0.0
            d = V[self.index] - lr * g
        for p, dp, gp in zip(self.targets, d.tolist(), g.tolist()):
            p.data = dp
            p.grad = gp
        if self.others:
            inputs = self.inputs
            for i, gi in zip(self.others, grads[self.others].tolist()):
                inputs[i].grad += gi
        for p in self.outside:
            p.grad = 0.0
            p.data -= lr * p.grad

"""micrograd's demo workload: an MLP(2, [16, 16, 1]) learns two moons with a max-margin loss.

The loss is micrograd's: mean of relu(1 - y * score) plus 1e-4 * sum(p * p); SGD with learning
rate 1.0 - 0.9 * k / steps. Used by `micrograd demo`, the tests and the benchmarks.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import attrs

from ._value import Value, sum_values
from .datasets import make_moons
from .nn import MLP


@attrs.frozen
class StepResult:
    step: int
    loss: float
    accuracy: float
    lr: float


def demo_loss(
    model: MLP, X: Sequence[tuple[float, float]], y: Sequence[int], alpha: float = 1e-4
) -> tuple[Value, float]:
    """Total loss (a Value) and accuracy of `model` on the data, exactly as micrograd's demo."""
    inputs = [[Value(a), Value(b)] for a, b in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum_values(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum_values([p * p for p in model.parameters()])
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    return data_loss + reg_loss, accuracy


def train(
    steps: int = 100,
    seed: int = 1337,
    hidden: Sequence[int] = (16, 16),
    n_samples: int = 100,
    noise: float = 0.1,
    lr: float = 1.0,
    on_step: Callable[[StepResult], None] | None = None,
) -> tuple[MLP, list[StepResult]]:
    """Train the demo model; `on_step` sees each step's loss and accuracy as it happens."""
    if type(steps) is not int or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    X, y = make_moons(n_samples, noise, seed)
    random.seed(seed)
    model = MLP(2, [*hidden, 1])
    history = []
    for k in range(steps):
        loss, acc = demo_loss(model, X, y)
        model.zero_grad()
        loss.backward()
        rate = lr * (1.0 - 0.9 * k / steps)
        for p in model.parameters():
            p.data -= rate * p.grad
        result = StepResult(k, loss.data, acc, rate)
        history.append(result)
        if on_step is not None:
            on_step(result)
    return model, history

"""micrograd's demo workload: an MLP(2, [16, 16, 1]) learns two moons with a max-margin loss.

The loss is micrograd's: mean of relu(1 - y * score) plus 1e-4 * sum(p * p); SGD with learning
rate 1.0 - 0.9 * k / steps. Used by `micrograd demo`, the tests and the benchmarks: `train()`'s
defaults are micrograd's demo exactly, so its losses can be compared float for float.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import attrs

from ._value import Value, apply
from .datasets import make_moons
from .nn import MLP
from .optim import SGD, Adam

#: The optimizers `train(optimizer=...)` accepts, and the learning rate each starts from when
#: `lr` is not given (plain SGD's is micrograd's 1.0; the others diverge at that rate).
OPTIMIZERS: dict[str, float] = {"sgd": 1.0, "momentum": 0.1, "adam": 0.05}


@attrs.frozen
class StepResult:
    step: int
    loss: float
    accuracy: float
    lr: float


def demo_loss(
    model: MLP, X: Sequence[tuple[float, float]], y: Sequence[int], alpha: float = 1e-4
) -> tuple[Value, float]:
    """Total loss (a Value) and accuracy of `model` on the data, exactly as micrograd's demo.

    Labels are -1 and +1 (the max-margin loss needs the sign); `X` and `y` must be as long.
    """
    if len(X) != len(y) or not y:
        raise ValueError(f"demo_loss: X has {len(X)} points but y has {len(y)} labels")
    bad = sorted({repr(v) for v in y if v not in (-1, 1)})
    if bad:
        raise ValueError(f"demo_loss: labels must be -1 or +1, got {', '.join(bad[:5])}")
    loss, scores = _loss_and_scores(model, X, y, alpha)
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    return loss, accuracy


def _loss_and_scores(
    model: MLP, X: Sequence[tuple[float, float]], y: Sequence[int], alpha: float = 1e-4
) -> tuple[Value, list[Value]]:
    inputs = [[Value(a), Value(b)] for a, b in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = apply("sum", *losses) * (1.0 / len(losses))
    reg_loss = alpha * apply("sum", *[p * p for p in model.parameters()])
    return data_loss + reg_loss, scores


def train(
    steps: int = 100,
    seed: int = 1337,
    hidden: Sequence[int] = (16, 16),
    n_samples: int = 100,
    noise: float = 0.1,
    lr: float | None = None,
    on_step: Callable[[StepResult], None] | None = None,
    *,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    mode: str = "eager",
) -> tuple[MLP, list[StepResult]]:
    """Train the demo model; `on_step` sees each step's loss and accuracy as it happens.

    `optimizer` is "sgd" (micrograd's), "momentum" (SGD with `momentum`) or "adam". Every one
    follows micrograd's schedule: step k uses `lr * (1 - 0.9 * k / steps)`. `lr=None` takes the
    optimizer's default from `OPTIMIZERS`. The loss reported for step k is the loss *before*
    that step's update, as micrograd prints it.

    `mode="compiled"` traces the loss once (`micrograd_core.compile`, numpy's executor when numpy
    is installed, else pure Python) and replays it every step: the same training, much faster on
    larger data; with numpy, losses agree with eager's within the documented tolerance
    (docs/performance.md), without it float for float.
    """
    if mode not in ("eager", "compiled"):
        raise ValueError(f"mode must be 'eager' or 'compiled', got {mode!r}")
    if type(steps) is not int or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    hidden = tuple(hidden)
    if not all(type(h) is int and h >= 1 for h in hidden):
        raise ValueError(f"hidden sizes must be positive ints, got {list(hidden)!r}")
    base_lr = OPTIMIZERS[optimizer] if lr is None else float(lr)
    X, y = make_moons(n_samples, noise, seed)
    random.seed(seed)
    model = MLP(2, [*hidden, 1])
    params = model.parameters()
    opt: SGD | Adam
    if optimizer == "adam":
        opt = Adam(params, lr=base_lr)
    else:
        # SGD with momentum 0 performs micrograd's `p.data -= rate * p.grad` exactly.
        opt = SGD(params, lr=base_lr, momentum=momentum if optimizer == "momentum" else 0.0)
    history = []
    step = _compiled_step(model, X, y) if mode == "compiled" else None
    for k in range(steps):
        if step is None:
            loss, acc = demo_loss(model, X, y)
            model.zero_grad()
            loss.backward()
            value = loss.data
        else:
            value, acc = step()
        opt.lr = rate = base_lr * (1.0 - 0.9 * k / steps)
        opt.step()
        result = StepResult(k, value, acc, rate)
        history.append(result)
        if on_step is not None:
            on_step(result)
    return model, history


def _compiled_step(
    model: MLP, X: Sequence[tuple[float, float]], y: Sequence[int]
) -> Callable[[], tuple[float, float]]:
    """One compiled forward + backward: (loss, accuracy), the gradients in the parameters.
    The program's outputs are the loss (the one differentiated) and the scores, from which
    each step's accuracy is counted."""
    from ._compile import compile

    def outputs() -> list[Value]:
        loss, scores = _loss_and_scores(model, X, y)
        return [loss, *scores]

    program = compile(outputs, executor="auto")
    n = len(y)

    def step() -> tuple[float, float]:
        loss, *scores = program.forward()
        model.zero_grad()
        program.backward()
        accuracy = sum((yi > 0) == (si > 0) for yi, si in zip(y, scores)) / n
        return loss, accuracy

    return step


def predict(model: MLP, points: Sequence[tuple[float, float]]) -> list[float]:
    """The model's score at each point, computed on plain floats (no graph is built).

    About a hundred times faster than calling the model on `Value`s, which matters for the
    thousands of points of a decision-boundary picture; `tests/test_demo.py` checks that both
    agree.
    """
    layers = [
        [([w.data for w in n.w], n.b.data, n.nonlin) for n in layer.neurons]
        for layer in model.layers
    ]
    scores = []
    for point in points:
        xs: list[float] = list(point)
        for layer in layers:
            out = []
            for ws, b, nonlin in layer:
                act = b
                for wi, xi in zip(ws, xs):
                    act += wi * xi
                out.append(act if not nonlin or act > 0.0 else 0.0)
            xs = out
        scores.append(xs[0])
    return scores

"""Optimizers: SGD (with momentum) and Adam. `lr` is a plain attribute, so schedules set it.

Every argument is checked at construction, so a typo fails there and not at the first `step()`:
a `TypeError` for what is not a number (`lr="0.1"`, `betas=(0.9,)`), a `ValueError` for a number
out of range (NaN, inf, a negative or zero learning rate), each naming the optimizer and the
argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real
from typing import Any

import attrs

from ._value import Value


def _params(ps: Iterable[Value]) -> list[Value]:
    params = list(ps)
    bad = [type(p).__name__ for p in params if not isinstance(p, Value)]
    if bad:
        raise TypeError(f"optimizer params must be Values, got {', '.join(sorted(set(bad)))}")
    return params


def _grad(p: Value) -> float:
    g = p.grad
    return g.data if isinstance(g, Value) else g


def _number(owner: object, name: str, x: Any, ok: Callable[[float], bool], what: str) -> float:
    """`x` as a float if `ok(float(x))`; errors name the optimizer, the argument and `what`."""
    where = f"{type(owner).__name__}: {name}"
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a number, got {type(x).__name__} {x!r}")
    value = float(x)
    if not ok(value):  # the comparisons `ok` makes are all False for NaN
        raise ValueError(f"{where} must be {what}, got {x!r}")
    return value


def _lr(owner: object, x: Any) -> float:
    return _number(owner, "lr", x, lambda v: 0 < v < math.inf, "a positive finite number")


def _decay(owner: object, name: str, x: Any) -> float:
    """A decay rate such as a momentum or a beta."""
    return _number(owner, name, x, lambda v: 0 <= v < 1, "in [0, 1)")


@attrs.define(eq=False)
class SGD:
    """p -= lr * v, with v = momentum * v + grad (PyTorch's form; momentum=0: plain SGD)."""

    params: list[Value] = attrs.field(converter=_params)
    lr: float = 0.01
    momentum: float = 0.0
    _velocity: list[float] = attrs.field(init=False, factory=list)

    def __attrs_post_init__(self) -> None:
        self.lr = _lr(self, self.lr)
        self.momentum = _decay(self, "momentum", self.momentum)
        self._velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu, vel = self.lr, self.momentum, self._velocity
        for i, p in enumerate(self.params):
            g = _grad(p)
            if mu:
                g = vel[i] = mu * vel[i] + g
            p.data -= lr * g

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0


@attrs.define(eq=False)
class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""

    params: list[Value] = attrs.field(converter=_params)
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    _m: list[float] = attrs.field(init=False, factory=list)
    _v: list[float] = attrs.field(init=False, factory=list)
    _t: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        self.lr = _lr(self, self.lr)
        betas = self.betas
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair of numbers (b1, b2), got {betas!r}")
        self.betas = (_decay(self, "betas[0]", betas[0]), _decay(self, "betas[1]", betas[1]))
        # eps >= 0 (PyTorch's rule); inf would freeze every parameter
        self.eps = _number(
            self, "eps", self.eps, lambda v: 0 <= v < math.inf, "a finite number >= 0"
        )
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        self._t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self._t, 1 - b2**self._t
        for i, p in enumerate(self.params):
            g = _grad(p)
            self._m[i] = m = b1 * self._m[i] + (1 - b1) * g
            self._v[i] = v = b2 * self._v[i] + (1 - b2) * g * g
            p.data -= self.lr * (m / c1) / (math.sqrt(v / c2) + self.eps)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

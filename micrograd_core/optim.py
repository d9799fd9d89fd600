"""Optimizers: SGD (with momentum) and Adam. `lr` is a plain attribute, so schedules set it."""

from __future__ import annotations

import math
from collections.abc import Iterable

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


@attrs.define(eq=False)
class SGD:
    """p -= lr * v, with v = momentum * v + grad (PyTorch's form; momentum=0: plain SGD)."""

    params: list[Value] = attrs.field(converter=_params)
    lr: float = 0.01
    momentum: float = 0.0
    _velocity: list[float] = attrs.field(init=False, factory=list)

    def __attrs_post_init__(self) -> None:
        if self.lr <= 0 or not math.isfinite(self.lr):
            raise ValueError(f"SGD: lr must be a positive number, got {self.lr!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {self.momentum!r}")
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
        if self.lr <= 0 or not math.isfinite(self.lr):
            raise ValueError(f"Adam: lr must be a positive number, got {self.lr!r}")
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"Adam: betas must be in [0, 1), got {self.betas!r}")
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

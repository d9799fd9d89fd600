"""Forward-mode dual numbers: an oracle for derivatives that shares no code with the engine."""

from __future__ import annotations

import math


class Dual:
    __slots__ = ("d", "v")

    def __init__(self, v: float, d: float = 0.0) -> None:
        self.v, self.d = float(v), float(d)

    @staticmethod
    def lift(x: Dual | float) -> Dual:
        return x if isinstance(x, Dual) else Dual(x)

    def __add__(self, o: Dual | float) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v + o.v, self.d + o.d)

    __radd__ = __add__

    def __mul__(self, o: Dual | float) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v * o.v, self.d * o.v + self.v * o.d)

    __rmul__ = __mul__

    def __neg__(self) -> Dual:
        return Dual(-self.v, -self.d)

    def __sub__(self, o: Dual | float) -> Dual:
        return self + (-Dual.lift(o))

    def __rsub__(self, o: float) -> Dual:
        return Dual.lift(o) + (-self)

    def __truediv__(self, o: Dual | float) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / (o.v * o.v))

    def __rtruediv__(self, o: float) -> Dual:
        return Dual.lift(o) / self

    def __pow__(self, o: Dual | float) -> Dual:
        if isinstance(o, Dual):  # x ** y = exp(y log x)
            val = self.v**o.v
            return Dual(val, val * (o.d * math.log(self.v) + o.v * self.d / self.v))
        return Dual(self.v**o, o * self.v ** (o - 1) * self.d)

    def __rpow__(self, base: float) -> Dual:
        val = base**self.v
        return Dual(val, val * math.log(base) * self.d)

    def relu(self) -> Dual:
        return Dual(self.v, self.d) if self.v > 0 else Dual(0.0, 0.0)

    def tanh(self) -> Dual:
        t = math.tanh(self.v)
        return Dual(t, (1 - t * t) * self.d)

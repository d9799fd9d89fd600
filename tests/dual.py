"""Forward-mode dual numbers (first order) and hyper-dual numbers (second order): oracles for
derivatives that share no code with the engine."""

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


class HyperDual:
    """a + b e1 + c e2 + d e1 e2, with e1**2 = e2**2 = 0: exact second derivatives in forward
    mode. Seed a leaf x_i with b = 1 and a leaf x_j with c = 1 (both for i = j); the `d` part of
    f is then d2f / dx_i dx_j, and `b` is df / dx_i. Shares no code with the engine."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, a: float, b: float = 0.0, c: float = 0.0, d: float = 0.0) -> None:
        self.a, self.b, self.c, self.d = float(a), float(b), float(c), float(d)

    @staticmethod
    def lift(x: HyperDual | float) -> HyperDual:
        return x if isinstance(x, HyperDual) else HyperDual(x)

    def _chain(self, f: float, f1: float, f2: float) -> HyperDual:
        """g(self) for a function g with g(a) = f, g'(a) = f1, g''(a) = f2."""
        return HyperDual(f, f1 * self.b, f1 * self.c, f1 * self.d + f2 * self.b * self.c)

    def __add__(self, o: HyperDual | float) -> HyperDual:
        o = HyperDual.lift(o)
        return HyperDual(self.a + o.a, self.b + o.b, self.c + o.c, self.d + o.d)

    __radd__ = __add__

    def __mul__(self, o: HyperDual | float) -> HyperDual:
        o = HyperDual.lift(o)
        return HyperDual(
            self.a * o.a,
            self.a * o.b + self.b * o.a,
            self.a * o.c + self.c * o.a,
            self.a * o.d + self.b * o.c + self.c * o.b + self.d * o.a,
        )

    __rmul__ = __mul__

    def __neg__(self) -> HyperDual:
        return HyperDual(-self.a, -self.b, -self.c, -self.d)

    def __sub__(self, o: HyperDual | float) -> HyperDual:
        return self + (-HyperDual.lift(o))

    def __pow__(self, o: HyperDual | float) -> HyperDual:
        if isinstance(o, HyperDual):  # x ** y = exp(y log x), for x > 0
            return (self.log() * o).exp()
        k, a = float(o), self.a
        return self._chain(a**k, k * a ** (k - 1), k * (k - 1) * a ** (k - 2))

    def exp(self) -> HyperDual:
        e = math.exp(self.a)
        return self._chain(e, e, e)

    def log(self) -> HyperDual:
        return self._chain(math.log(self.a), 1 / self.a, -1 / (self.a * self.a))

    def tanh(self) -> HyperDual:
        t = math.tanh(self.a)
        return self._chain(t, 1 - t * t, -2 * t * (1 - t * t))

    def relu(self) -> HyperDual:
        return self._chain(self.a, 1.0, 0.0) if self.a > 0 else HyperDual(0.0)

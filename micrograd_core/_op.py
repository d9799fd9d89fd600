"""The op protocol: the contract every op, builtin or third-party, is written against.

An op is a small class (or an instance of one) with a `name`, an `arity`, and `forward` and
`backward` standing side by side. Subclassing `Op` is optional: it only supplies defaults for the
optional attributes; registration validates whatever object it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Final

import attrs

#: `arity = VARIADIC` declares an op that takes one or more inputs (like `sum`).
VARIADIC: Final = None


@attrs.frozen
class Interval:
    """The set of inputs where an op is defined, for one input. Used by the gradient checker.

    `Interval(0, inf, low_open=True)` is x > 0 (log's domain); the default is the whole real line.
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __attrs_post_init__(self) -> None:
        if not (isinstance(self.low, (int, float)) and isinstance(self.high, (int, float))):
            raise TypeError(f"Interval bounds must be numbers, got {self.low!r}, {self.high!r}")
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"Interval needs low <= high, got [{self.low}, {self.high}]")

    def __contains__(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below


#: The whole real line: every input's default domain.
REALS: Final = Interval()


class Op:
    """Optional base class for ops; documents the protocol and supplies its defaults.

    Required:
      name     the registry key, a Python identifier (`x.name()` calls the op).
      arity    the number of inputs, or `VARIADIC` for one or more.
      forward(*xs, **params) -> float
               the output from the input floats. Static parameters (`params`) arrive as keywords.
      backward(grad, out, *xs, **params) -> sequence
               one gradient per input, in order: upstream `grad` times d out / d x_i.
               Write it with plain arithmetic on its arguments: with `create_graph=True` the
               engine passes `Value`s instead of floats, and the same code builds the graph of
               the gradient, which makes second derivatives work.

    Optional:
      params        names of static parameters (stored on the node, no gradient), e.g. exponent.
      higher_order  False if backward only works on floats (PyTorch's `once_differentiable`);
                    `create_graph=True` through this op then raises instead of answering wrong.
      domain        one `Interval` per input (one for all, if variadic); or a method taking the
                    params and returning them. Where the gradient checker samples.
      kinks         points where the op is not differentiable, the same for every input
                    (relu: `(0.0,)`), or one sequence per input; or a method taking the params
                    and returning them (a clamp's `lo` and `hi`). The checker keeps away from them.
      singular      points where several inputs together are singular, one coordinate per input
                    (atan2: `((0.0, 0.0),)`); or a method taking the params and returning them.
      param_examples  example `params` dicts the gradient checker tries.

    Nothing here exists for speed: compiled mode derives its fast paths from `forward` and
    `backward` themselves, or takes hand-written ones registered apart (`register_fastpaths`),
    checked against these methods first. See docs/writing-an-op.md.
    """

    name: ClassVar[str]
    arity: ClassVar[int | None]
    params: ClassVar[tuple[str, ...]] = ()
    higher_order: ClassVar[bool] = True
    domain: ClassVar[Sequence[Interval] | Callable[..., Sequence[Interval]] | None] = None
    kinks: ClassVar[Sequence[float] | Sequence[Sequence[float]] | Callable[..., Sequence[Any]]] = ()
    singular: ClassVar[Sequence[Sequence[float]] | Callable[..., Sequence[Sequence[float]]]] = ()
    param_examples: ClassVar[Sequence[dict[str, Any]]] = ()

    # Placeholders for type checkers: registration refuses an op that does not replace them.
    def forward(self, *xs: Any, **params: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Any, out: Any, *xs: Any, **params: Any) -> Sequence[Any]:
        raise NotImplementedError  # pragma: no cover - abstract

    def __repr__(self) -> str:
        return f"<op {getattr(self, 'name', type(self).__name__)}>"

"""hypothesis strategies for op inputs: values inside an op's declared domain, away from its kinks.

Magnitudes: by default values lie in `[-1e6, 1e6]`, drawn three ways at once: uniformly over the
(clipped) domain, log-uniformly in magnitude from `1e-12` to `1e6` with either sign (so tiny and
large inputs are as common as moderate ones), and log-uniformly close to each kink and each finite
domain bound (within 10 times its size), on the side(s) inside the domain; for an op that declares
`singular` points (several inputs at once, as atan2's (0, 0)), half the inputs lie close to one of
them. Points closer than a relative `1e-4` to a kink, bound or singular point are never produced
(see `_numeric.GAP`). Change the range with `min_magnitude` / `max_magnitude`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import attrs
from hypothesis import assume
from hypothesis import strategies as st

from .._op import REALS, Interval
from .._validate import OpSpec
from ._numeric import GAP, singular_points, usable, usable_jointly

MIN_MAGNITUDE = 1e-12
MAX_MAGNITUDE = 1e6
#: Draws near a kink or bound lie within this relative distance of it (and past GAP).
NEAR_WINDOW = 10.0
#: The arities a variadic op is checked at, unless told otherwise.
VARIADIC_ARITIES = (1, 2, 3, 4, 5, 7)


@attrs.frozen
class OpExample:
    """One drawn input to an op: the input floats, the static params and the upstream gradient."""

    inputs: tuple[float, ...]
    params: dict[str, Any] = attrs.field(factory=dict)
    upstream: float = 1.0


def _signed(pair: tuple[bool, float]) -> float:
    negative, magnitude = pair
    return -magnitude if negative else magnitude


def _near(point: float, scale: float, pair: tuple[bool, float]) -> float:
    below, offset = pair
    return point - offset * scale if below else point + offset * scale


def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda e: 10.0**e)


def _sides(point: float, interval: Interval) -> st.SearchStrategy[bool]:
    """Which side(s) of `point` lie inside the domain: True means below."""
    below = interval.low < point  # something just below is inside
    above = point < interval.high
    if below and above:
        return st.booleans()
    return st.just(below)


def domain_values(
    interval: Interval = REALS,
    kinks: Sequence[float] = (),
    *,
    min_magnitude: float = MIN_MAGNITUDE,
    max_magnitude: float = MAX_MAGNITUDE,
) -> st.SearchStrategy[float]:
    """Floats strictly inside `interval`, 0 or between `min_magnitude` and `max_magnitude` in
    size, and never within a relative `1e-4` of a kink or a finite bound, where finite differences
    are unreliable."""
    if not 0 < min_magnitude < max_magnitude:
        raise ValueError(
            f"need 0 < min_magnitude < max_magnitude, got {min_magnitude}, {max_magnitude}"
        )
    low, high = max(interval.low, -max_magnitude), min(interval.high, max_magnitude)
    if not low < high:
        raise ValueError(f"the domain {interval} has no point with |x| <= {max_magnitude}")
    singular = singular_points(interval, kinks)
    magnitudes = _log_uniform(min_magnitude, max_magnitude)
    parts: list[st.SearchStrategy[float]] = [
        st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False),
        st.tuples(_sides(0.0, interval), magnitudes).map(_signed),
    ]
    for point in singular:
        if not interval.low <= point <= interval.high:
            continue  # a kink outside the domain is never reached
        if point == 0.0:
            offsets = magnitudes
        else:  # closer than GAP (relative) is never usable; start a little above it. Up to
            # NEAR_WINDOW only: farther is the magnitude draws' job, and a bug that lives just
            # past a kink (a clamp wrong on (hi, hi + 0.5)) needs the density here
            top = min(max_magnitude / abs(point), NEAR_WINDOW)
            offsets = _log_uniform(GAP * 1.01, max(top, GAP * 2))
        scale = max(abs(point), 1.0) if point == 0.0 else abs(point)
        parts.append(st.tuples(_sides(point, interval), offsets).map(partial(_near, point, scale)))
    return st.one_of(parts).filter(
        partial(
            _usable_in,
            interval=interval,
            singular=singular,
            magnitudes=(min_magnitude, max_magnitude),
        )
    )


def _usable_in(
    x: float, *, interval: Interval, singular: Sequence[float], magnitudes: tuple[float, float]
) -> bool:
    return usable(x, interval, singular, *magnitudes)


@functools.lru_cache(maxsize=256)
def _cached_values(
    interval: Interval, kinks: tuple[float, ...], min_magnitude: float, max_magnitude: float
) -> st.SearchStrategy[float]:
    # Building (and validating) a strategy costs far more than drawing from it.
    strategy = domain_values(
        interval, kinks, min_magnitude=min_magnitude, max_magnitude=max_magnitude
    )
    strategy.validate()
    return strategy


def _spec(op_or_name: Any) -> OpSpec:
    if isinstance(op_or_name, OpSpec):
        return op_or_name
    from ._resolve import resolve

    return resolve(op_or_name).spec


@st.composite
def _op_examples(
    draw: st.DrawFn,
    spec: OpSpec,
    arities: Sequence[int],
    params: Sequence[dict[str, Any]],
    min_magnitude: float,
    max_magnitude: float,
    upstream: bool,
) -> OpExample:
    n = draw(st.sampled_from(arities))
    chosen = dict(draw(st.sampled_from(params))) if params else {}
    domains = spec.domains(n, chosen)
    kinks = spec.kinks_of(n, chosen)
    points = spec.singular_of(n, chosen)
    if points and draw(st.booleans()):  # half the time, close to a joint singular point
        xs = _near_point(draw, draw(st.sampled_from(points)), max_magnitude)
        singular = [singular_points(domains[i], kinks[i]) for i in range(n)]
        magnitudes = (min_magnitude, max_magnitude)
        assume(all(usable(x, domains[i], singular[i], *magnitudes) for i, x in enumerate(xs)))
    else:
        xs = tuple(
            draw(_cached_values(domains[i], tuple(kinks[i]), min_magnitude, max_magnitude))
            for i in range(n)
        )
    assume(usable_jointly(xs, points))
    g = draw(st.sampled_from((1.0, -0.5, 2.0, 0.375))) if upstream else 1.0
    return OpExample(xs, chosen, g)


def _near_point(
    draw: st.DrawFn, point: tuple[float, ...], max_magnitude: float
) -> tuple[float, ...]:
    """A point at a log-uniform relative distance (from just over `GAP` up) from `point`."""
    scale = max(math.hypot(*point), 1.0)
    radius = draw(_log_uniform(GAP * 1.01, max(max_magnitude / scale, GAP * 2))) * scale
    direction = [draw(st.floats(-1.0, 1.0)) for _ in point]
    norm = math.hypot(*direction) or 1.0
    return tuple(p + radius * d / norm for p, d in zip(point, direction))


def op_inputs(
    op_or_name: Any,
    *,
    arities: Sequence[int] | None = None,
    params: Sequence[dict[str, Any]] | None = None,
    min_magnitude: float = MIN_MAGNITUDE,
    max_magnitude: float = MAX_MAGNITUDE,
    upstream: bool = True,
) -> st.SearchStrategy[OpExample]:
    """`OpExample`s for an op (a registered name or an op object): a number of inputs it takes
    (one of `arities` if variadic), one of its `param_examples`, inputs from its domain under
    those params and away from its kinks, and an upstream gradient (1.0 unless `upstream`)."""
    spec = _spec(op_or_name)
    if spec.arity is not None:
        if arities is not None and tuple(arities) != (spec.arity,):
            raise ValueError(
                f"op {spec.name!r} takes exactly {spec.arity} input(s), not {tuple(arities)}"
            )
        arities = (spec.arity,)
    arities = tuple(arities or VARIADIC_ARITIES)
    if not arities or any(type(n) is not int or n < 1 for n in arities):
        raise ValueError(f"arities must be ints >= 1, got {arities!r}")
    if params is None:
        params = spec.param_examples
    params = tuple(dict(p) for p in params)
    for p in params:
        if set(p) != set(spec.params):
            raise ValueError(f"op {spec.name!r} takes the params {spec.params}, got {p!r}")
    if spec.params and not params:
        raise ValueError(f"op {spec.name!r} has params {spec.params}: give some examples")
    return _op_examples(spec, arities, params, min_magnitude, max_magnitude, upstream)

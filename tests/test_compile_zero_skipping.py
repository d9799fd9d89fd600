"""The pure-Python executor leaves out the terms of zero gradient (`_compile/_zeros`): its sums
must stay eager's floats, bit for bit, and keep every term where leaving one out would not
(a factor that is inf or nan, since inf * 0.0 is nan)."""

from __future__ import annotations

import math
from operator import mul
from typing import Any

import pytest
from helpers import sum_values
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_core import Op, Value, apply, compile, registry, sequential_sum
from micrograd_core._compile._zero_skipping import FactorSums, drop_zeros
from micrograd_core.nn import MLP


def _same(a: list[float], b: list[float]) -> bool:
    """Equal as floats, NaN included, with the same sign of zero, and both floats."""
    return all(
        type(x) is type(y)
        and (
            (math.isnan(x) and math.isnan(y))
            or (x == y and math.copysign(1, x) == math.copysign(1, y))
        )
        for x, y in zip(a, b, strict=True)
    )


def _plain(factors, grads, pick_f, pick_q, starts):  # type: ignore[no-untyped-def]
    """What eager adds: start + every term, in order (start 0.0 without `starts`)."""
    starts = starts or [0.0] * len(pick_q)
    return [
        sequential_sum(map(mul, factors[f], grads[q]), s)  # not sum(): it compensates on 3.12+
        for f, q, s in zip(pick_f, pick_q, starts, strict=True)
    ]


_grads = st.sampled_from([0.0, -0.0, 1.5, -2.25, 3e-310, 1e308, math.inf, math.nan])
_factors = st.sampled_from([0.0, -0.0, 1.0, -0.75, 1e308, 2.5e-8, math.inf, -math.inf, math.nan])
_starts = st.sampled_from([0.0, 1.0, -3.5, 1e308, math.inf, math.nan])  # never -0.0: see _zeros


@st.composite
def _segments(draw: st.DrawFn) -> tuple:  # type: ignore[type-arg]
    """Rows of factors and gradients, and which rows each node reads (a node's two rows are as
    long as each other); `aligned`: every row has one length."""
    n_q, n = draw(st.integers(1, 5)), draw(st.integers(1, 12))
    pick_q = draw(st.lists(st.integers(0, n_q - 1), min_size=n, max_size=n))
    aligned = draw(st.booleans())
    if aligned:
        width, n_f = draw(st.integers(1, 6)), draw(st.integers(1, 4))
        lengths = [width] * n_q
        pick_f = draw(st.lists(st.integers(0, n_f - 1), min_size=n, max_size=n))
        f_lengths = [width] * n_f
    else:
        lengths = [draw(st.integers(1, 6)) for _ in range(n_q)]
        pick_f, f_lengths = list(range(n)), [lengths[q] for q in pick_q]
    factor = _factors.filter(math.isfinite) if draw(st.booleans()) else _factors
    grads = []
    for k in lengths:  # a row of zeros (a met margin), or a mix of zeros and numbers
        dead = draw(st.booleans())
        grads.append(tuple(0.0 if dead or draw(st.booleans()) else draw(_grads) for _ in range(k)))
    factors = [tuple(draw(factor) for _ in range(k)) for k in f_lengths]
    starts = draw(st.none() | st.lists(_starts, min_size=n, max_size=n))
    return factors, grads, pick_f, pick_q, aligned, starts


@settings(max_examples=400, deadline=None)
@given(_segments())
def test_factor_sums_are_the_plain_sums(segment: tuple) -> None:  # type: ignore[type-arg]
    factors, grads, pick_f, pick_q, aligned, starts = segment
    expected = _plain(factors, grads, pick_f, pick_q, starts)
    got = list(FactorSums(pick_f, pick_q, aligned)(factors, grads, starts))
    assert _same(got, expected)


def test_an_infinite_factor_keeps_every_term() -> None:
    """inf * 0.0 is nan: leaving that term out would give a number where eager gives nan."""
    factors, grads = [(math.inf, 1.0)], [(0.0, 2.0), (0.0, 0.0)]
    sums = list(FactorSums([0, 0], [0, 1], True)(factors, grads))
    assert all(math.isnan(s) for s in sums)
    assert drop_zeros(factors, grads, True)[2] is None  # nothing was left out


def test_terms_of_zero_gradient_are_left_out() -> None:
    factors = [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)]
    grads = [(0.0, 1.0, -0.0), (0.0, 0.0, 0.0), (0.0, 2.0, 0.0)]
    f, q, live = drop_zeros(factors, grads, True)
    assert f == [(2.0,), (5.0,)] and q == [(1.0,), (), (2.0,)] and live == [True, False, True]
    sums = FactorSums([0, 1, 1, 0], [0, 1, 2, 1], True)(factors, grads, [0.5, 0.25, 1.0, 0.0])
    assert _same(list(sums), [2.5, 0.25, 11.0, 0.0])  # a dead row's node keeps its start


def _hinge_net(weights_inf: bool) -> tuple[list[Value], object]:
    """A relu MLP with micrograd's max-margin loss, where most samples meet the margin (their
    gradients are exactly zero) and most weights' gradients are sums over the samples."""
    import random

    random.seed(7)
    model = MLP(3, [8, 8, 1])
    if weights_inf:
        model.layers[1].neurons[2].w[5].data = math.inf
    X = [[Value(math.sin(3 * s + i)) for i in range(3)] for s in range(40)]
    y = [1 if s % 3 else -1 for s in range(40)]
    scale = Value(0.05)  # small scores: margins met for some samples, not others

    def fn() -> Value:
        scores = [model(x) for x in X]
        losses = [(1 + -yi * si * 40 * scale).relu() for yi, si in zip(y, scores)]
        return sum_values(losses) * (1.0 / len(losses))

    return model.parameters(), fn


@pytest.mark.parametrize("weights_inf", [False, True])
def test_a_hinge_loss_network_gives_eagers_gradients(weights_inf: bool) -> None:
    leaves, fn = _hinge_net(weights_inf)
    program = compile(fn)
    for _ in range(3):  # a few SGD steps: the dead samples change between replays
        for v in leaves:
            v.grad = 0.0
        out = fn()
        out.backward()
        expected = [out.data] + [v.grad for v in leaves]
        for v in leaves:
            v.grad = 0.0
        value = program.forward()
        program.backward()
        assert _same([value] + [v.grad for v in leaves], expected)
        for v in leaves:
            if math.isfinite(v.grad):
                v.data -= 0.5 * v.grad
    assert "_fs" in program.source  # the weights' gradients went through FactorSums


class _Floor(Op):
    """An op whose backward gives the int 0: its contributions start other sums as ints."""

    name = "floor_int_grad"
    arity = 1

    def forward(self, x: float) -> float:
        return float(x // 1)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (0,)


def test_a_node_without_terms_gets_a_float_as_in_eager() -> None:
    """Eager's gradient is 0.0 + c1 + ...: a float even when every contribution is the int 0."""
    a, b = Value(0.5), Value(1.5)
    ks = [Value(float(i)) for i in range(1, 7)]

    def fn() -> Value:
        floors = [apply("floor_int_grad", v) for v in (a, b) for _ in range(5)]
        dead = [(v * k).relu() * 0.0 for v in (a, b) for k in ks]  # gradient 0.0: no terms
        return sum_values(dead + floors)

    with registry.temporary(_Floor):
        program = compile(fn)
        a.grad = b.grad = 0  # as micrograd's zero_grad leaves them: `+=` keeps an int an int
        fn().backward()
        expected = [a.grad, b.grad]
        a.grad = b.grad = 0
        program.forward()
        program.backward()
    assert "_fs" in program.source
    assert _same([a.grad, b.grad], expected)

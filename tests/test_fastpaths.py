"""Fast paths: derived from the ops' methods or registered apart, checked before use, and never
able to change a number."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest

from micrograd_core import (
    FastPath,
    Op,
    PluginWarning,
    Value,
    apply,
    compile,
    hookimpl,
    registry,
)
from micrograd_core._fastpaths import template
from micrograd_core._fastpaths.verify import mismatch


class HardTanh5(Op):
    """clip(x, -5, 5)"""

    name = "hardtanh5"
    arity = 1
    kinks = (-5.0, 5.0)

    def forward(self, x: float) -> float:
        return -5.0 if x < -5.0 else (5.0 if x > 5.0 else x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad if -5.0 < x < 5.0 else 0.0 * grad,)


class _WrongFastPathPlugin:
    """The issue's example: a hand-written backward that forgets the upper clip."""

    @staticmethod
    @hookimpl
    def register_ops(register: Any) -> None:
        register(HardTanh5)

    @staticmethod
    @hookimpl
    def register_fastpaths(register: Any) -> None:
        register(
            HardTanh5,
            forward="-5.0 if x0 < -5.0 else (5.0 if x0 > 5.0 else x0)",
            backward=("g if x0 > -5.0 else 0.0 * g",),
        )


@pytest.fixture
def hardtanh5() -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry.register_plugin(_WrongFastPathPlugin, name="clipping")
    try:
        yield caught
    finally:
        registry.unregister("hardtanh5")


@pytest.mark.parametrize("mode", ["eager", "python", "numpy"])
def test_a_wrong_hand_written_fast_path_is_dropped_and_every_path_is_right(
    hardtanh5: Any, mode: str
) -> None:
    messages = [str(w.message) for w in hardtanh5 if issubclass(w.category, PluginWarning)]
    assert any("hardtanh5" in m and "clipping" in m and "disagrees" in m for m in messages)
    assert registry.fastpath_of(registry.get("hardtanh5")) is None
    x = Value(7.0)
    if mode == "eager":
        x.hardtanh5().backward()
    else:
        program = compile(lambda: x.hardtanh5() * 1.0, executor=mode)
        program.forward()
        program.backward()
    assert x.grad == 0.0


def test_a_right_hand_written_fast_path_is_kept() -> None:
    class Plugin:
        @staticmethod
        @hookimpl
        def register_fastpaths(register: Any) -> None:
            register(
                HardTanh5,
                forward="-5.0 if x0 < -5.0 else (5.0 if x0 > 5.0 else x0)",
                backward=("g if -5.0 < x0 < 5.0 else 0.0 * g",),
            )

    with registry.temporary(HardTanh5):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            registry.register_plugin(Plugin, name="clipping-fast")
        op = registry.get("hardtanh5")
        assert registry.fastpath_of(op) is not None
        x = Value(7.0)
        program = compile(lambda: x.hardtanh5() * 1.0, executor="python")
        program.forward()
        program.backward()
        assert x.grad == 0.0


@pytest.mark.parametrize(
    ("forward", "backward", "where"),
    [
        ("x0 * 2.0", ("g * 2.0",), None),  # right
        ("x0 * 2.0", ("abs(g) * 2.0",), "grad=-2.0"),  # wrong for negative gradients
        ("x0 * 2.0 + 0.0", ("g * 2.0",), "x0=-0.0"),  # -0.0 + 0.0 is 0.0
        ("min(x0 * 2.0, 1e308)", ("g * 2.0",), "inf"),  # wrong only at inf
        ("x0 * 2.0 if x0 == x0 else 0.0", ("g * 2.0",), "nan"),  # wrong only at nan
        ("x0 * 2.0 if abs(x0) < 1e299 else x0", ("g * 2.0",), "e+"),  # only at huge magnitudes
    ],
)
def test_the_check_finds_disagreements_at_the_edges(
    forward: str, backward: tuple[str, ...], where: str | None
) -> None:
    class Double(Op):
        name = "double_fp"
        arity = 1

        def forward(self, x: float) -> float:
            return x * 2.0

        def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
            return (grad * 2.0,)

    op = Double()
    problem = mismatch(op, registry.spec_of(op), FastPath(forward, backward))
    if where is None:
        assert problem is None
    else:
        assert problem is not None and where in problem, problem


def test_the_check_looks_on_both_sides_of_a_kink() -> None:
    class Step(Op):
        name = "step_fp"
        arity = 1
        kinks = (3.25,)

        def forward(self, x: float) -> float:
            return 1.0 if x > 3.25 else 0.0

        def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
            return (0.0 * grad,)

    op = Step()
    wrong = FastPath("1.0 if x0 >= 3.25 else 0.0", ("0.0 * g",))  # wrong at the kink only
    assert "x0=3.25" in (mismatch(op, registry.spec_of(op), wrong) or "")


class Reciprocal(Op):
    """1/x with IEEE results: a symbolic run cannot see the except branch."""

    name = "reciprocal_fp"
    arity = 1

    def forward(self, x: float) -> float:
        try:
            return 1.0 / x
        except ZeroDivisionError:
            return math.copysign(math.inf, x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (-(out * out) * grad,)


def test_a_derived_fast_path_that_differs_is_not_used() -> None:
    op = Reciprocal()
    spec = registry.spec_of(op)
    tpl = template(op, spec, 1, {}, None, "")
    assert tpl is None or tpl.forward is None  # "1.0 / x0" raises at 0: not used
    with registry.temporary(Reciprocal):
        x = Value(0.0)
        program = compile(lambda: x.reciprocal_fp() * 1.0)
        assert program.forward() == math.inf


@pytest.mark.parametrize(
    ("name", "n", "forward", "backward"),
    [
        ("add", 2, "({x0} + {x1})", ("({g})", "({g})")),
        ("mul", 2, "({x0} * {x1})", ("({x1} * {g})", "({x0} * {g})")),
        ("relu", 1, "(0.0 if {x0} < 0 else {x0})", None),
        ("tanh", 1, "(math.tanh({x0}))", ("((1 - {out} * {out}) * {g})",)),
        ("sum", 4, "(sequential_sum({xs}))", ("({g})",)),
        ("dot", 5, "(0.0 + {x0} + {x1} * {x3} + {x2} * {x4})", None),
    ],
)
def test_builtin_fast_paths_are_derived_from_their_methods(
    name: str, n: int, forward: str, backward: tuple[str, ...] | None
) -> None:
    op = registry.get(name)
    assert registry.fastpath_of(op) is None  # none written by hand
    tpl = template(op, registry.spec_of(op), n, {}, None, "")
    assert tpl is not None
    assert tpl.forward == forward
    if backward is not None:
        assert tpl.backward == backward


def test_dot_derived_backward_pairs_each_weight_with_its_input() -> None:
    op = registry.get("dot")
    tpl = template(op, registry.spec_of(op), 5, {}, None, "")
    assert tpl is not None
    assert tpl.backward == ("({g})", "({x3} * {g})", "({x4} * {g})", "({x1} * {g})", "({x2} * {g})")


def test_a_value_several_times_in_one_dot_compiles_bit_for_bit() -> None:
    x = Value(1.4847508522966897)
    y = x * x
    eager_root = apply("dot", x, y, y, x, y, x)
    eager_root.backward()
    eager = x.grad
    x.grad = 0.0
    program = compile(lambda: apply("dot", x, y, y, x, y, x))
    program.forward()
    program.backward()
    assert x.grad == eager
    assert x.grad.hex() == eager.hex()


def test_numpy_executor_stays_within_its_documented_tolerance() -> None:
    import random

    rng = random.Random(5)
    xs = [Value(rng.uniform(-3, 3)) for _ in range(300)]

    def fn() -> Value:
        return apply("sum", *[(x * 0.7 + 0.1).tanh() * x for x in xs])

    root = fn()
    root.backward()
    eager = [x.grad for x in xs]
    for x in xs:
        x.grad = 0.0
    program = compile(fn, executor="numpy")
    value = program.forward()
    program.backward()
    assert math.isclose(value, root.data, rel_tol=1e-13)
    for a, b in zip(eager, (x.grad for x in xs)):
        assert abs(a - b) <= 8 * math.ulp(max(abs(a), abs(b), 1.0))  # a few ulp per op


def test_check_op_checks_the_fast_path_compiled_mode_would_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from micrograd_core.testing import check_op

    with registry.temporary(HardTanh5):
        op = registry.get("hardtanh5")
        assert check_op(op, max_examples=20).ok  # no fast path registered; a derived one is fine
        assert "fast paths" in check_op(op, max_examples=20).checks
        wrong = FastPath(
            "-5.0 if x0 < -5.0 else (5.0 if x0 > 5.0 else x0)",
            ("g if x0 > -5.0 else 0.0 * g",),  # the forgotten upper clip
        )
        monkeypatch.setattr(registry, "fastpath_of", lambda o: wrong if o is op else None)
        result = check_op(op, max_examples=20, raise_on_failure=False)
    assert not result.ok and result.failure is not None
    assert result.failure.kind == "fast path mismatch"
    assert "registered fast path disagrees" in result.failure.message

"""Wide fast paths (a layer's 129-input `dot`, a 4,417-input `sum`) are derived and checked as
thoroughly as narrow ones, only faster: the check compares a point's gradients as one tuple and
goes input by input where that does not settle it, with the same verdict and message."""

from __future__ import annotations

import importlib

import pytest

from micrograd_core import FastPath, registry
from micrograd_core._fastpaths import verify
from micrograd_core._fastpaths.derive import derive
from micrograd_core._fastpaths.verify import mismatch


def _dot(n: int) -> tuple[object, object, FastPath]:
    op = registry.get("dot")
    spec = registry.spec_of(op)
    derived = derive(op, spec, n, {})
    assert derived is not None
    return op, spec, derived[0]


@pytest.mark.parametrize("n", [3, 5, 9, 33, 129])
def test_the_derived_dot_passes_at_every_width(n: int) -> None:
    op, spec, fastpath = _dot(n)
    assert mismatch(op, spec, fastpath, n) is None


def _tampered(fastpath: FastPath, i: int, expr: str) -> FastPath:
    backward = list(fastpath.backward or ())
    backward[i] = expr
    return FastPath(fastpath.forward, tuple(backward))


@pytest.mark.parametrize(
    ("i", "expr"),
    [
        (100, "((x36 * g) + 0.0)"),  # -0.0 becomes 0.0: differs only in the sign of a zero
        (1, "(x66 * g * 1.0000000000000002)"),  # one ulp off, for one weight of 64
        (128, "(x63 * g)"),  # the last input paired with a wrong weight
        (0, "(g / (x0 - x0))"),  # raises (or nan) where the method gives a number
    ],
)
def test_a_wrong_gradient_of_one_input_of_129_is_found_with_the_same_message(
    i: int, expr: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    op, spec, fastpath = _dot(129)
    wrong = _tampered(fastpath, i, expr)
    found = mismatch(op, spec, wrong, 129)
    assert found is not None and f"for input {i} " in found
    monkeypatch.setattr(verify, "_whole", lambda *args: None)  # input by input only
    assert mismatch(op, spec, wrong, 129) == found


def test_a_fast_path_that_raises_where_the_method_raises_still_passes() -> None:
    """Where the method raises, the whole tuple raising settles nothing: input by input,
    every expression must raise as well (here they do, as the method's own arithmetic)."""
    op, spec, fastpath = _dot(5)
    assert verify._whole(_render(op, spec, fastpath, 5), 5, ()) is not None
    assert mismatch(op, spec, fastpath, 5) is None


def _render(op: object, spec: object, fastpath: FastPath, n: int) -> object:
    from micrograd_core._fastpaths.fastpath import module_globals, render

    return render(fastpath, n, (), module_globals(op), "_fp_")


def test_a_fixed_form_naming_x_is_checked_input_by_input() -> None:
    tpl = _render(*_dot(3), 3)
    tpl.backward = ("x", *tpl.backward[1:])  # type: ignore[attr-defined]
    assert verify._whole(tpl, 3, ()) is None


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 4417])
def test_a_wide_sum_gets_its_one_rule_for_every_input(n: int) -> None:
    op = registry.get("sum")
    derived = derive(op, registry.spec_of(op), n, {})
    assert derived is not None and derived[1]  # the uniform xs / x form
    assert derived[0].backward == ("g",)


def test_a_rule_that_reads_another_input_is_not_uniform() -> None:
    uniform = importlib.import_module("micrograd_core._fastpaths.derive")._uniform
    assert uniform(("(x0 * g)", "(x1 * g)", "(x2 * g)")) == "(x * g)"
    assert uniform(("(x0 * g)", "(x1 * g)", "(x3 * g)")) is None  # input 2 reads x3
    assert uniform(("(x0 * g)", "(x01 * g)")) is None  # x01 is not input 1's name
    assert uniform(("(x0 * x10)", "(x1 * g)")) is None
    assert uniform(("g", "(g + 0.0)")) is None  # two different rules

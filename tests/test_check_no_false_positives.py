"""A correct op must never be flagged: every builtin op, the example plugin's ops and the ops a
plugin author wrote from the docs (tests/user_ops.py) pass thousands of examples in total,
including near kinks, domain edges and singular points, tiny and large inputs.

CI runs 250 examples per op (plus per param example / arity shares), seeded per op name (the
derandomized "ci" profile). The deep local run is
    HYPOTHESIS_PROFILE=deep python -m pytest tests/test_check_no_false_positives.py
(2000 examples per op, a fresh random seed each run: the seed is in any failure report), or
    micrograd check --examples 5000 --seed 1
and the false-alarm figures (ops x examples x seeds, how many flagged) come from
    python tests/measure_false_alarms.py --examples 2000 --seeds 10
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from user_ops import USER_OPS, Atan2, LogSumExp

from micrograd_core import Op, registry
from micrograd_core.testing import check_op, check_point

# the builtins and the example plugin's ops; softplus and swish write backward with
# micrograd_core.math, so their second order fails if it detaches (issue 14, item 2)
SHIPPED = [
    "add", "cos", "dot", "exp", "expm1", "log", "log1p", "mul", "pow", "pow_var", "relu",
    "sigmoid", "sin", "softplus", "sqrt", "sum", "swish", "tanh",
]  # fmt: skip
EXAMPLES = max(250, settings.default.max_examples)


def test_every_shipped_op_is_installed() -> None:
    assert set(SHIPPED) <= set(registry.names())


@pytest.mark.parametrize("name", SHIPPED)
def test_correct_op_passes_many_examples(name: str) -> None:
    result = check_op(name, max_examples=EXAMPLES)
    assert result.ok
    assert result.examples >= EXAMPLES
    assert result.examples - result.skipped >= EXAMPLES * 0.7  # overflow skips stay rare
    assert result.max_used < 1


@pytest.mark.parametrize("name", ["relu", "log", "pow"])
def test_near_kinks_and_edges_with_tight_magnitudes(name: str) -> None:
    # every input drawn within [-1e-3, 1e-3] (tiny magnitudes, next to relu's kink and log's edge)
    assert check_op(name, max_examples=100, min_magnitude=1e-12, max_magnitude=1e-3).ok


@pytest.mark.parametrize("name", ["exp", "mul", "tanh", "sigmoid"])
def test_large_magnitudes(name: str) -> None:
    assert check_op(name, max_examples=100, min_magnitude=1.0, max_magnitude=1e8).ok


@pytest.mark.parametrize("op", USER_OPS, ids=lambda op: op.name)
def test_user_ops_with_edges_kinks_and_singular_points(op: type[Op]) -> None:
    # softplus, gelu, atan2, logsumexp, a clamp with lo/hi params, asin, a clip, hypot
    with registry.temporary(op):
        assert check_op(op.name, max_examples=EXAMPLES).ok


@pytest.mark.parametrize(
    "xs", [[973635.0] * 5, [1e7] * 4, [1e8, 1e8 + 3.0, 1e8 - 0.5], [-5e6] * 7, [2e5, -3e5]]
)
def test_logsumexp_at_large_magnitudes_where_it_was_flagged(xs: list[float]) -> None:
    # a shift-invariant op: the relative step (10 at 1e7) is far too coarse; smaller steps agree
    with registry.temporary(LogSumExp):
        result = check_point("u_logsumexp", xs, upstream=-0.5)
    assert result.ok and "second order" in result.checks


def test_logsumexp_search_at_large_magnitudes() -> None:
    with registry.temporary(LogSumExp):
        result = check_op(
            "u_logsumexp", max_examples=EXAMPLES, min_magnitude=1e4, max_magnitude=1e8
        )
    assert result.ok


def test_cancelling_terms_at_large_magnitudes() -> None:
    # b + w0*x0 + w1*x1 + w2*x2 = 2**23 - 8388606 = 2: forward is 2, but it moves in steps of
    # 2e-9 (the spacing at 2**23), so its round-off is that of its terms, not of 2
    xs = [8388608.0, 1.0, -1.0, 0.0, 0.0, 8388606.0, 0.0]
    assert check_point("dot", xs).ok
    # the search that found it (10 seeds x 1000 examples of every op, large magnitudes)
    assert check_op(
        "dot", seed=8, arities=(7,), max_examples=1000, min_magnitude=1.0, max_magnitude=1e8
    ).ok


def test_terms_near_overflow() -> None:
    # x * d(x**y)/dx and y * d(x**y)/dy are each finite, their sum is not: no OverflowError
    assert check_point("pow_var", [142.0, 141.875]).ok


def test_atan2_next_to_its_singular_point() -> None:
    # a correct atan2 failed at (1e-7, 0.0) unless it claimed a kink at 0 for both inputs
    with registry.temporary(Atan2):
        for xs in ([1e-7, 0.0], [0.0, 1e-7], [-1e-9, 3e-9], [1e-12, -1e-12]):
            assert check_point("u_atan2", xs).ok
        assert check_op("u_atan2", max_examples=EXAMPLES, max_magnitude=1e-3).ok

"""Every replay a failure report prints works exactly as printed, and gives the same failure;
a hypothesis example pasted into a bare `check_op(name, reproduce=...)` works too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_check_planted_bugs import ClampHalfOpen, WrongAtFour, WrongSign
from user_ops import LogSumExp

from micrograd_core import Op, registry
from micrograd_core.testing import (
    CheckResult,
    GradientCheckError,
    NotReproducedError,
    check_op,
    check_point,
)


def printed_calls(report: str) -> list[str]:
    """The replay calls of a report, as a person would copy them."""
    block = report[report.index("  reproduce: ") :]
    return re.findall(r"(check_(?:op|point)\(.*\))\s*$", block, flags=re.MULTILINE)


def replay(call: str) -> CheckResult:
    with pytest.raises(GradientCheckError) as info:
        eval(call, {"check_op": check_op, "check_point": check_point})
    result: CheckResult = info.value.result
    return result


@pytest.mark.parametrize("op", [WrongSign, WrongAtFour, ClampHalfOpen], ids=lambda o: o.__name__)
def test_each_printed_replay_gives_the_same_failure(op: type[Op]) -> None:
    with registry.temporary(op):
        with pytest.raises(GradientCheckError) as info:
            check_op(op.name)
        original = info.value.result.failure
        calls = printed_calls(str(info.value))
        assert len(calls) == 3  # the seeded run, the input alone, hypothesis's example
        assert "reproduce=(" in calls[2]
        for call in calls:
            again = replay(call).failure
            assert again is not None and original is not None
            assert (again.kind, again.inputs, again.params) == (
                original.kind,
                original.inputs,
                original.params,
            ), call


def test_the_clamp_replay_says_second_order_false() -> None:
    # its failure was found by the first-order search: the seeded replay must run that search
    with registry.temporary(ClampHalfOpen), pytest.raises(GradientCheckError) as info:
        check_op(ClampHalfOpen.name)
    assert "second_order=False" in printed_calls(str(info.value))[0]


def _example(report: str) -> tuple[str, bytes]:
    match = re.search(r"reproduce=(\('[^']*', b'[^']*'\))", report)
    assert match, report
    version, blob = eval(match.group(1))
    return version, blob


def test_a_bare_call_with_the_example_replays_it() -> None:
    # the issue: check_op("logsumexp", reproduce=...) without the arities raised DidNotReproduce
    with registry.temporary(WrongAtFour):
        with pytest.raises(GradientCheckError) as info:
            check_op(WrongAtFour.name)
        example = _example(str(info.value))
        with pytest.raises(GradientCheckError) as again:
            check_op(WrongAtFour.name, reproduce=example)
    first, second = info.value.result.failure, again.value.result.failure
    assert first is not None and second is not None
    assert second.inputs == first.inputs and len(second.inputs) == 4


class FixedLogSumExp(LogSumExp):
    name = WrongAtFour.name


def test_an_example_that_no_longer_fails_is_a_clear_error() -> None:
    with registry.temporary(WrongAtFour), pytest.raises(GradientCheckError) as info:
        check_op(WrongAtFour.name)
    example = _example(str(info.value))
    with registry.temporary(FixedLogSumExp), pytest.raises(NotReproducedError) as error:
        check_op(WrongAtFour.name, reproduce=example)
    assert "does not fail op 'pb_four'" in str(error.value)
    assert "complete check_op(...) call printed in the report" in str(error.value)


def test_seeded_replays_are_stable() -> None:
    kwargs: dict[str, Any] = {"seed": 99, "raise_on_failure": False}
    with registry.temporary(WrongSign):
        a = check_op(WrongSign.name, **kwargs)
        b = check_op(WrongSign.name, **kwargs)
    assert a.failure == b.failure and a.reproduce == b.reproduce

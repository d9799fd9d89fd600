"""The pytest11 plugin: off (and invisible) by default; one flag or ini line adds a gradient
check per installed op. Each test runs a fresh pytest in-process with `pytester`."""

from __future__ import annotations

import pytest

from micrograd_core import registry

pytest_plugins = ["pytester"]

A_TEST = "def test_nothing():\n    assert True\n"

# A conftest that registers a wrong op for the duration of the inner run.
BAD_OP_CONFTEST = '''
from micrograd_core import Op, registry

class BadSign(Op):
    """tanh with the sign of its derivative flipped."""
    name = "bad_sign"
    arity = 1
    def forward(self, x):
        import math
        return math.tanh(x)
    def backward(self, grad, out, x):
        return (-(1 - out * out) * grad,)

def pytest_configure(config):
    registry.register(BadSign)

def pytest_unconfigure(config):
    registry.unregister("bad_sign")
'''


def test_plugin_is_installed_through_the_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["*--micrograd-check-ops=OPS*"])


def test_off_by_default_nothing_changes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(A_TEST)
    result = pytester.runpytest_inprocess("-v")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "gradient-checking" not in out and "micrograd_check_op" not in out
    collected = pytester.runpytest_inprocess("--collect-only", "-q")
    assert "micrograd_check_op" not in collected.stdout.str()


def test_disabled_plugin_leaves_runs_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(A_TEST)
    result = pytester.runpytest_inprocess("-p", "no:micrograd")
    result.assert_outcomes(passed=1)


def test_flag_all_checks_every_installed_op(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(A_TEST)
    result = pytester.runpytest_inprocess(
        "--micrograd-check-ops=all", "--micrograd-check-examples=4", "-v"
    )
    result.assert_outcomes(passed=1 + len(registry.names()))
    result.stdout.fnmatch_lines(["*micrograd: gradient-checking ops all*"])
    for name in registry.names():
        result.stdout.fnmatch_lines([f"*micrograd_check_op?{name}? PASSED*"])


def test_ini_option_selects_a_subset(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmicrograd_check_ops = sigmoid, exp\nmicrograd_check_examples = 4\n")
    result = pytester.runpytest_inprocess("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*micrograd_check_op?sigmoid? PASSED*"])
    assert "micrograd_check_op[tanh]" not in result.stdout.str()


def test_flag_overrides_ini_and_none_turns_it_off(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmicrograd_check_ops = all\n")
    pytester.makepyfile(A_TEST)
    result = pytester.runpytest_inprocess("--micrograd-check-ops=none")
    result.assert_outcomes(passed=1)


def test_a_distribution_name_selects_its_ops(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "--micrograd-check-ops=micrograd-ops-example", "--micrograd-check-examples=4", "-v"
    )
    result.assert_outcomes(passed=3)
    for name in ("exp", "log", "sigmoid"):
        result.stdout.fnmatch_lines([f"*micrograd_check_op?{name}? PASSED*"])


def test_k_selects_generated_checks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(A_TEST)
    result = pytester.runpytest_inprocess(
        "--micrograd-check-ops=all", "--micrograd-check-examples=4", "-k", "tanh"
    )
    result.assert_outcomes(passed=1, deselected=len(registry.names()))


def test_a_wrong_op_fails_with_the_report(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BAD_OP_CONFTEST)
    result = pytester.runpytest_inprocess("--micrograd-check-ops=bad_sign,tanh")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*gradient check FAILED for op 'bad_sign' (plugin '<in-process>')*",
            "*problem:  gradient mismatch*",
            "*reproduce: check_op('bad_sign', seed=*",
        ]
    )
    assert "bad_sign" not in registry  # the inner run cleaned up


def test_unknown_name_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--micrograd-check-ops=sigmod")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no op, plugin or distribution named 'sigmod'*"])


def test_bad_examples_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmicrograd_check_ops = tanh\nmicrograd_check_examples = many\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR

"""The pytest11 plugin: off (and invisible) by default; one flag or ini line adds a gradient
check per installed op. Each test runs a fresh pytest in-process with `pytester`."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_dists import broken_import, installed, provides
from hypothesis import settings

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
    for name in ("sigmoid", "softplus", "swish"):
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


# The same wrong op under a hypothesis profile that is NOT derandomized (a project that did not
# copy our conftest): the plugin must still give each op a fixed seed.
FRESH_PROFILE_CONFTEST = (
    BAD_OP_CONFTEST
    + """
from hypothesis import settings
settings.register_profile("fresh", derandomize=False, max_examples=20)
settings.load_profile("fresh")
"""
)


@pytest.fixture
def restore_profile() -> Iterator[None]:
    yield
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _seed(output: str) -> int:
    match = re.search(r"reproduce: check_op\('bad_sign', seed=(\d+)\)", output)
    assert match, output
    return int(match.group(1))


@pytest.mark.usefixtures("restore_profile")
def test_each_op_gets_a_fixed_seed_whatever_the_profile(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FRESH_PROFILE_CONFTEST)
    first = pytester.runpytest_inprocess("--micrograd-check-ops=bad_sign")
    second = pytester.runpytest_inprocess("--micrograd-check-ops=bad_sign")
    first.assert_outcomes(failed=1)
    seed = _seed(first.stdout.str())
    assert seed == _seed(second.stdout.str()) == zlib.crc32(b"bad_sign")
    fresh = pytester.runpytest_inprocess(
        "--micrograd-check-ops=bad_sign", "-o", "micrograd_check_seed=random"
    )
    assert _seed(fresh.stdout.str()) != seed
    chosen = pytester.runpytest_inprocess(
        "--micrograd-check-ops=bad_sign", "--micrograd-check-seed=7"
    )
    assert _seed(chosen.stdout.str()) == 7


WRONG_AT_FOUR_CONFTEST = """
import math
from micrograd_core import VARIADIC, Op, registry

class WrongAtFour(Op):
    name = "sum_bug4"
    arity = VARIADIC
    def forward(self, *xs):
        return math.fsum(xs)
    def backward(self, grad, out, *xs):
        return (grad * (0.5 if len(xs) == 4 else 1.0),) * len(xs)

def pytest_configure(config):
    registry.register(WrongAtFour)

def pytest_unconfigure(config):
    registry.unregister("sum_bug4")
"""


def test_arities_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(WRONG_AT_FOUR_CONFTEST)
    pytester.makeini("[pytest]\nmicrograd_check_ops = sum_bug4\nmicrograd_check_examples = 30\n")
    pytester.runpytest_inprocess().assert_outcomes(failed=1)  # the default arities include 4
    skipping_four = pytester.runpytest_inprocess("-o", "micrograd_check_arities=1,2,3,5")
    skipping_four.assert_outcomes(passed=1)
    flag = pytester.runpytest_inprocess("--micrograd-check-arities=4")
    flag.assert_outcomes(failed=1)
    flag.stdout.fnmatch_lines(["*arities=(4,)*"])
    bad = pytester.runpytest_inprocess("-o", "micrograd_check_arities=two")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.filterwarnings("ignore::micrograd_core.PluginWarning")
def test_a_plugin_that_failed_to_load_is_a_failing_item_saying_why(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    dists = (
        broken_import("ghost-dist", "ghost"),
        provides("alpha-dist", "alpha", "twin"),
        provides("beta-dist", "beta", "twin", 2.0),
    )
    with installed(tmp_path / "site", *dists):
        by_plugin = pytester.runpytest_inprocess("--micrograd-check-ops=ghost")
        by_dist = pytester.runpytest_inprocess("--micrograd-check-ops=ghost-dist,tanh")
        by_op = pytester.runpytest_inprocess("--micrograd-check-ops=twin")
        everything = pytester.runpytest_inprocess(
            "--micrograd-check-ops=all", "--micrograd-check-examples=2", "-q"
        )
        n_ops = len(registry.names())
    by_plugin.assert_outcomes(failed=1)
    by_plugin.stdout.fnmatch_lines(
        [
            "*plugin 'ghost' (distribution ghost-dist) is installed but did not load*",
            "*plugin failed to load*No module named 'no_such_dependency_xyz'*",
        ]
    )
    assert (
        "no op, plugin or distribution named" not in by_plugin.stdout.str() + by_plugin.stderr.str()
    )
    by_dist.assert_outcomes(passed=1, failed=1)
    by_op.assert_outcomes(failed=1)
    by_op.stdout.fnmatch_lines(["*op lost to a name clash: op 'twin' is provided by both*"])
    everything.assert_outcomes(passed=n_ops, failed=2)
    everything.stdout.fnmatch_lines(
        ["*micrograd_plugin_problem?ghost?*", "*micrograd_plugin_problem?twin?*"]
    )

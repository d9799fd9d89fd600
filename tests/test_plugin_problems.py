"""Plugin problems in plain sight: what a lost name says, where a warning points, an override of
a builtin, the op-protocol version; and higher order that never detaches in silence."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from fake_dists import FakeDist, broken_import, installed, provides

from micrograd_core import (
    PROTOCOL,
    Op,
    OpContractError,
    PluginWarning,
    UnknownOpError,
    Value,
    grad,
    registry,
)
from micrograd_core import math as mm
from micrograd_core.cli import main
from micrograd_core.testing import check_op


def test_a_name_lost_to_a_clash_says_so(tmp_path: Path) -> None:
    a = provides("dist-a", "plug_a", "twin_op", 2.0)
    b = provides("dist-b", "plug_b", "twin_op", 3.0)
    with pytest.warns(PluginWarning, match="twin_op"), installed(tmp_path, a, b):
        with pytest.raises(UnknownOpError, match=r"twin_op.*No plugin got that name.*plug_a"):
            registry.get("twin_op")


def test_an_unknown_name_mentions_plugins_that_failed(tmp_path: Path) -> None:
    with pytest.warns(PluginWarning), installed(tmp_path, broken_import("ghost-dist", "ghost")):
        with pytest.raises(UnknownOpError, match=r"'ghost'.*failed to load"):
            registry.get("ghost_op")


def test_an_import_failure_keeps_its_traceback_and_points_at_the_plugin(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with installed(tmp_path, broken_import("ghost-dist", "ghost")):
            (failure,) = [f for f in registry.failures if getattr(f, "plugin", "") == "ghost"]
            assert isinstance(failure.__cause__, ModuleNotFoundError)
            assert "ghost_plugin_mod.py, line 2" in str(failure)
    (warning,) = [w for w in caught if "ghost" in str(w.message)]
    assert warning.filename.endswith("ghost_plugin_mod.py") and warning.lineno == 2


def test_an_invalid_op_names_the_distribution(tmp_path: Path) -> None:
    source = (
        "from micrograd_core import hookimpl\n"
        "class Bad:\n    name = 'bad name'\n    arity = 1\n"
        "@hookimpl\ndef register_ops(register):\n    register(Bad)\n"
    )
    dist = FakeDist("bad-dist", "badplug", "badplug_mod", source)
    with pytest.warns(PluginWarning, match=r"badplug.*distribution bad-dist"):
        with installed(tmp_path, dist):
            pass


_OVERRIDE = """
from micrograd_core import Op, hookimpl

class LoudTanh(Op):
    name = "tanh"
    arity = 1
    def forward(self, x):
        return 0.0
    def backward(self, grad, out, x):
        return (0.0,)

@hookimpl
def register_ops(register):
    register(LoudTanh, override=True)
"""


def test_a_plugin_replacing_a_builtin_is_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = FakeDist("wrong-tanh", "wrongtanh", "wrongtanh_mod", _OVERRIDE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with installed(tmp_path, dist):
            assert Value(3.0).tanh().data == 0.0
    (warning,) = [w for w in caught if "replaces the builtin op 'tanh'" in str(w.message)]
    assert "wrongtanh" in str(warning.message)
    assert warning.filename.endswith("wrongtanh_mod.py")
    monkeypatch.setenv("MICROGRAD_ALLOW_OVERRIDES", "wrongtanh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with installed(tmp_path / "again", dist):
            assert Value(3.0).tanh().data == 0.0
    assert not [w for w in caught if "replaces the builtin" in str(w.message)]
    assert Value(3.0).tanh().data == math.tanh(3.0)  # the builtin is back


def _versioned(name: str, version: object) -> FakeDist:
    source = provides(name, name.replace("-", "_"), f"{name.replace('-', '_')}_op").source
    return FakeDist(
        name,
        name.replace("-", "_"),
        f"{name.replace('-', '_')}_mod",
        f"micrograd_protocol = {version!r}\n{source}",
    )


def test_a_plugin_for_another_protocol_is_skipped_with_both_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    future, today = _versioned("future-ops", 99), _versioned("today-ops", 1)
    with pytest.warns(PluginWarning, match=r"protocol 99.*speaks protocol 1"):
        with installed(tmp_path, future, today):
            assert "future_ops_op" not in registry
            assert registry.get("today_ops_op").forward(2.0) == 2.0
            assert main(["ops", "--json"]) == 0
            listing = json.loads(capsys.readouterr().out)
    assert listing["protocol"] == PROTOCOL
    row = next(r for r in listing["ops"] if r["name"] == "today_ops_op")
    assert row["protocol"] == 1
    assert any("protocol 99" in s for s in listing["skipped"])


def test_a_plugin_stating_no_protocol_keeps_working(tmp_path: Path) -> None:
    with installed(tmp_path, provides("plain-dist", "plain", "plain_op")):
        (row,) = [r for r in registry.list() if r.name == "plain_op"]
        assert row.protocol == PROTOCOL


class _DetachingExp(Op):
    name = "detaching_exp"
    arity = 1

    def forward(self, x: float) -> float:
        return math.exp(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * math.exp(x),)  # Python's math: floats only


class _MathExp(_DetachingExp):
    name = "math_exp"

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * mm.exp(x),)


def test_a_backward_that_detaches_is_an_error_not_a_zero() -> None:
    with registry.temporary(_DetachingExp, _MathExp):
        x = Value(0.5)
        assert grad(x.detaching_exp(), [x]) == [math.exp(0.5)]  # first order is fine
        with pytest.raises(OpContractError, match=r"detaching_exp.*micrograd_core.math"):
            grad(x.detaching_exp(), [x], create_graph=True)  # its result would be a constant
        (d1,) = grad(x.math_exp(), [x], create_graph=True)
        (d2,) = grad(d1, [x])
        assert d2 == pytest.approx(math.exp(0.5), rel=1e-15)  # 0.0 had the graph been cut
    assert float(Value(2.0)) == 2.0  # outside a backward, float() is fine


@pytest.mark.parametrize(
    ("fn", "x", "want"),
    [
        (mm.exp, 1000.0, math.inf),
        (mm.exp, math.nan, math.nan),
        (mm.exp, 709.781, 1.7946165138991433e308),
        (mm.log, 0.0, -math.inf),
        (mm.log, -1.0, math.nan),
        (mm.log1p, -1.0, -math.inf),
        (mm.expm1, 1e-10, math.expm1(1e-10)),
        (mm.sqrt, -1.0, math.nan),
        (mm.sin, math.inf, math.nan),
        (mm.cos, 0.0, 1.0),
        (mm.tanh, 1e308, 1.0),
    ],
)
def test_math_on_floats_gives_floats_with_ieee_results(fn: Any, x: float, want: float) -> None:
    got = fn(x)
    assert type(got) is float
    assert got == want or (math.isnan(got) and math.isnan(want))
    v = fn(Value(x))
    assert isinstance(v, Value) and (v.data == got or (math.isnan(got) and math.isnan(v.data)))


@pytest.mark.parametrize("name", ["exp", "expm1", "log", "log1p", "sqrt", "sin", "cos"])
def test_elementary_ops_are_right_to_second_order(name: str) -> None:
    result = check_op(name)
    assert result.ok, result
    assert "second order" in result.checks


def test_third_order_through_the_elementary_ops() -> None:
    x = Value(0.3)
    (d1,) = grad(mm.sin(x) * mm.exp(x), [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    e, s, c = math.exp(0.3), math.sin(0.3), math.cos(0.3)
    assert d3 == pytest.approx(2 * e * (c - s), rel=1e-12)  # (e^x sin x)''' = 2e^x(cos - sin)

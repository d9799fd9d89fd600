"""`micrograd check`: a table, a report per failure, exit status 1 on any failure, --json."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from micrograd_core import Op, registry
from micrograd_core.cli import main


class HalfTanh(Op):
    """tanh with half its derivative."""

    name = "half_tanh"
    arity = 1

    def forward(self, x: float) -> float:
        return math.tanh(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (0.5 * (1 - out * out) * grad,)


def test_table_for_chosen_ops(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "tanh", "sigmoid", "--examples", "10"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:3] == ["op", "plugin", "distribution"] and header[-1] == "verdict"
    assert "examples" in header and "max" in header
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    assert rows["tanh"].split()[1] == "builtin" and rows["tanh"].endswith("ok")
    assert "micrograd-ops-example" in rows["sigmoid"]
    assert "2 passed, 0 failed" in out


def test_failure_exits_1_with_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    with registry.temporary(HalfTanh):
        status = main(["check", "half_tanh", "tanh", "-n", "10"])
    out = capsys.readouterr().out
    assert status == 1
    assert any(line.startswith("half_tanh") and line.endswith("FAIL") for line in out.splitlines())
    assert "gradient check FAILED for op 'half_tanh'" in out
    assert "1 passed, 1 failed" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("half_tanh"))
    assert float(row[-3]) >= 0.4  # the failing comparison's error (half the derivative: 0.5)


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    with registry.temporary(HalfTanh):
        status = main(["check", "half_tanh", "relu", "-n", "10", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    by_op = {d["op"]: d for d in data}
    assert by_op["relu"]["ok"] is True and by_op["relu"]["plugin"] == "builtin"
    failure = by_op["half_tanh"]["failure"]
    assert failure["kind"] == "gradient mismatch"
    assert failure["comparisons"][0]["ok"] is False


def test_all_installed_ops_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-n", "3", "--no-second-order"]) == 0
    out = capsys.readouterr().out
    assert f"{len(registry.names())} passed, 0 failed" in out


def test_unknown_op_and_bad_count_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "sigmod"]) == 2
    assert "did you mean 'sigmoid'" in capsys.readouterr().err
    assert main(["check", "tanh", "--examples", "0"]) == 2

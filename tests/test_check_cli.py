"""`micrograd check`: a table, a report per failure, exit status 1 on any failure or plugin
problem, --json, --arities."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_dists import broken_import, installed, provides, write

from micrograd_core import VARIADIC, Op, registry
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
    assert data["ok"] is False and data["plugin_problems"] == []
    by_op = {d["op"]: d for d in data["results"]}
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


class WrongAtFour(Op):
    """A sum whose backward is wrong with exactly four inputs."""

    name = "sum_bug4"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        return math.fsum(xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        return (grad * (0.5 if len(xs) == 4 else 1.0),) * len(xs)


def test_arities_choose_the_input_counts(capsys: pytest.CaptureFixture[str]) -> None:
    with registry.temporary(WrongAtFour):
        assert main(["check", "sum_bug4", "-n", "20", "--arities", "1,2,3,5"]) == 0
        assert main(["check", "sum_bug4", "-n", "20"]) == 1  # the default includes 4
        capsys.readouterr()
        assert main(["check", "sum_bug4", "-n", "20", "--arities", "9,4", "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert len(result["failure"]["inputs"]) == 4
    assert "arities [4, 9]" in result["checks"]
    # a fixed-arity op ignores --arities; a bad list is a usage error
    assert main(["check", "tanh", "-n", "3", "--arities", "2,3"]) == 0
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--arities", "0,2"])
    assert exit_info.value.code == 2


BROKEN = (
    broken_import("ghost-dist", "ghost"),
    provides("alpha-dist", "alpha", "twin"),
    provides("beta-dist", "beta", "twin", 2.0),
)


@pytest.mark.filterwarnings("ignore::micrograd_core.PluginWarning")
def test_plugin_problems_fail_the_gate_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with installed(tmp_path, *BROKEN):
        status = main(["check", "-n", "3", "--no-second-order"])
        out = capsys.readouterr().out
        allowed = main(["check", "tanh", "-n", "3", "--allow-plugin-failures"])
        allowed_out = capsys.readouterr().out
        as_json = main(["check", "tanh", "-n", "3", "--json"])
        data = json.loads(capsys.readouterr().out)
    assert status == 1
    n_ops = len(registry.names())
    assert f"{n_ops} passed, 0 failed, 2 plugin problems" in out
    assert "plugin problems (exit status 1)" in out
    assert "plugin failed to load: plugin 'ghost' (distribution ghost-dist 0.1)" in out
    assert "No module named 'no_such_dependency_xyz'" in out
    assert "op lost to a name clash: op 'twin'" in out
    assert allowed == 0 and "2 plugin problems (allowed)" in allowed_out
    assert as_json == 1 and data["ok"] is False
    kinds = sorted(p["kind"] for p in data["plugin_problems"])
    assert kinds == ["op lost to a name clash", "plugin failed to load"]
    ghost = next(p for p in data["plugin_problems"] if p["plugin"] == "ghost")
    assert ghost["distribution"] == "ghost-dist"


def test_plugin_problem_exit_status_from_a_fresh_process(tmp_path: Path) -> None:
    # the real command in a new interpreter, where the broken plugin is simply installed
    write(tmp_path, BROKEN[0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    run = subprocess.run(
        [sys.executable, "-m", "micrograd_core.cli", "check", "relu", "-n", "3"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 passed, 0 failed, 1 plugin problem" in run.stdout
    assert "plugin 'ghost'" in run.stdout
    assert "Traceback" not in run.stderr

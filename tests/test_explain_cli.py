"""`micrograd explain`, and what it shares with `micrograd graph`: an EXPR that starts with '-',
and the size guard that refuses a huge demo graph before building it."""

from __future__ import annotations

import json
import os
import pty
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from micrograd_core import Value, explain, topological_order
from micrograd_core.cli import main
from micrograd_core.cli._source import MAX_GRAPH_SIZE, demo_graph_size
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP

TANH = ["tanh(x*y + 1)", "--var", "x=2", "--var", "y=-1"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_prints_the_text_of_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", *TANH)
    assert code == 0, err
    x, y = Value(2.0), Value(-1.0)
    root = (x * y + 1).tanh()
    assert out == explain(root, {x: "x", y: "y", root: "out"}).text()
    assert "\x1b[" not in out  # captured output is not a terminal
    assert "upstream * local" in out and "out = 1         (the seed)" in out


def test_explain_json_equals_backward(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", *TANH, "--json")
    assert code == 0
    data = json.loads(out)
    by_name = {n["name"]: n for n in data["nodes"]}
    x, y = Value(2.0), Value(-1.0)
    (x * y + 1).tanh().backward()
    assert by_name["x"]["grad"] == x.grad and by_name["y"]["grad"] == y.grad
    assert [s["op"] for s in data["backward"]] == ["tanh", "add", "mul"]


def test_explain_the_demo_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--demo", "--hidden", "2", "--samples", "1", "--json")
    assert code == 0
    data = json.loads(out)
    X, y = make_moons(seed=1337)
    random.seed(1337)
    model = MLP(2, [2, 1])
    loss, _ = demo_loss(model, X[:1], y[:1])
    loss.backward()
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["loss"]["grad"] == 1.0
    for li, layer in enumerate(model.layers, start=1):
        for ni, neuron in enumerate(layer.neurons):
            assert by_name[f"b{li}.{ni}"]["grad"] == neuron.b.grad
            for k, w in enumerate(neuron.w):
                assert by_name[f"w{li}.{ni}.{k}"]["grad"] == w.grad
    assert {"x0.0", "x0.1"} <= set(by_name)


def test_explain_colour(capsys: pytest.CaptureFixture[str]) -> None:
    _, always, _ = run(capsys, "explain", *TANH, "--color", "always")
    _, never, _ = run(capsys, "explain", *TANH, "--color", "never")
    assert "\x1b[" in always and "\x1b[" not in never


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_explain_colours_a_terminal_only(no_color: str | None, coloured: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    leader, follower = pty.openpty()
    cmd = [sys.executable, "-m", "micrograd_core.cli", "explain", *TANH]
    proc = subprocess.Popen(cmd, stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    text = b"".join(chunks).decode()
    assert ("\x1b[" in text) is coloured
    assert "upstream * local" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["y"], "unknown variable 'y'"),
        ([], "give either an expression or --demo"),
        (["x", "--var", "x=1", "--demo"], "give either an expression or --demo"),
    ],
)
def test_explain_bad_input(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "explain", *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_explain_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["explain", "x", "--var", "x=1", "--digits", "0"])
    assert exit_.value.code == 2
    assert "expected a positive integer" in capsys.readouterr().err


# ---- an expression starting with '-' ------------------------------------------------------


@pytest.mark.parametrize("command", ["graph", "explain"])
@pytest.mark.parametrize(
    ("argv", "value"),
    [
        (["-x", "--var", "x=1"], -1.0),
        (["--var", "x=3", "-x*2"], -6.0),
        (["-x", "--var", "x=-2"], 2.0),  # a negative --var value is still the option's value
        (["-(x+1)", "--var=x=1"], -2.0),
        (["-1"], -1.0),
        (["--", "-x", "--var", "x=1"], None),  # after `--` everything is positional: too many
        (["--var", "x=1", "--", "-x"], -1.0),
    ],
)
def test_expression_starting_with_minus(
    capsys: pytest.CaptureFixture[str], command: str, argv: list[str], value: float | None
) -> None:
    extra = ["--json"] if command == "explain" else []
    if value is None:
        with pytest.raises(SystemExit):
            main([command, *extra, *argv])
        assert "unrecognized arguments" in capsys.readouterr().err
        return
    code, out, err = run(capsys, command, *extra, *argv)
    assert code == 0, err
    if command == "explain":
        data = json.loads(out)
        root = next(n for n in data["nodes"] if n["id"] == data["root"])
        assert root["data"] == value
    else:
        assert f"data {value:.4f}" in out


def test_options_still_work_next_to_a_minus_expression(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "g.dot"
    code, stdout, err = run(capsys, "graph", "-x", "--var", "x=1", "-o", str(out), "-T", "dot")
    assert code == 0, err
    assert "written to" in stdout and out.read_text().startswith("digraph")
    code, _, err = run(capsys, "graph", "-x", f"-o{out}", "--var", "x=1")
    assert code == 0, err
    with pytest.raises(SystemExit):
        main(["graph", "-x", "--var", "x=1", "--bogus"])
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_console_script_takes_a_minus_expression() -> None:
    exe = shutil.which("micrograd")
    assert exe, "the `micrograd` console script is not on PATH; pip install -e . first"
    r = subprocess.run([exe, "graph", "-x", "--var", "x=1"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "data -1.0000" in r.stdout


# ---- the size guard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hidden", "samples"), [((2,), 1), ((16, 16), 2), ((3, 5), 4), ((8,), 7), ((2, 2, 2), 3)]
)
def test_demo_size_estimate_is_the_real_size(hidden: tuple[int, ...], samples: int) -> None:
    X, y = make_moons(seed=1)
    random.seed(1)
    loss, _ = demo_loss(MLP(2, [*hidden, 1]), X[:samples], y[:samples])
    order = topological_order(loss)
    real = len(order) + sum(len(v.parents) for v in order)
    # Exact today; the guard only needs it close, so a change of the model's graph that moves
    # it by a few percent should not break this test, and one that moves it more should.
    assert abs(demo_graph_size(hidden, samples) - real) <= 0.05 * real


@pytest.mark.parametrize("command", ["graph", "explain"])
def test_a_huge_demo_graph_is_refused_before_it_is_built(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    start = time.perf_counter()
    code, out, err = run(capsys, command, "--demo", "--hidden", "1000,1000", "--samples", "100")
    assert time.perf_counter() - start < 5  # the model alone would take longer than this
    assert code == 2 and out == ""
    assert "--samples" in err and "--hidden" in err and f"{MAX_GRAPH_SIZE:,}" in err
    assert "Traceback" not in err


def test_the_largest_allowed_demo_graph_is_built(capsys: pytest.CaptureFixture[str]) -> None:
    # Just under the limit: built and written (DOT text), so the limit is not set too low.
    # (68,68: the most samples under the limit, 95, are within the demo's 100 points)
    samples = 1
    while demo_graph_size((68, 68), samples + 1) <= MAX_GRAPH_SIZE:
        samples += 1
    assert demo_graph_size((68, 68), samples) > MAX_GRAPH_SIZE // 2 and samples <= 100
    code, out, err = run(capsys, "graph", "--demo", "--hidden", "68,68", "--samples", str(samples))
    assert code == 0, err
    assert out.startswith("digraph")

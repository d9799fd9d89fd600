"""Graph drawing: `to_dot` text checked with a small DOT parser, `draw_dot` with and without
Graphviz, and `micrograd graph` run as a user would run it."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from micrograd_core import Value, topological_order
from micrograd_core.graph import (
    GraphvizError,
    GraphvizNotFoundError,
    draw_dot,
    to_dot,
)

# ---- a tiny parser for the DOT subset to_dot writes: every line must be understood --------

NODE = re.compile(r'^  (\w+) \[shape=(record|ellipse), label="((?:[^"\\]|\\.)*)"\];$')
EDGE = re.compile(r"^  (\w+) -> (\w+);$")
HEADER = re.compile(r'^digraph "((?:[^"\\]|\\.)*)" \{$')


@attrs.define
class Dot:
    name: str
    records: dict[str, list[str]]  # value node id -> label fields
    ops: dict[str, str]  # op node id -> label
    edges: list[tuple[str, str]]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def parse_dot(text: str) -> Dot:
    lines = text.splitlines()
    header = HEADER.match(lines[0])
    assert header, lines[0]
    assert lines[-1] == "}"
    assert text.endswith("}\n")
    dot = Dot(_unescape(header.group(1)), {}, {}, [])
    for line in lines[1:-1]:
        if line.startswith(("  graph [", "  node [")):
            continue
        if m := NODE.match(line):
            nid, shape, label = m.groups()
            assert nid not in dot.records and nid not in dot.ops, f"duplicate node {nid}"
            if shape == "record":
                assert label.startswith("{ ") and label.endswith(" }"), label
                # Split on unescaped bars only, then undo the escapes.
                fields = re.split(r"(?<!\\) \| ", label[2:-2])
                dot.records[nid] = [_unescape(f) for f in fields]
            else:
                dot.ops[nid] = _unescape(label)
        elif m := EDGE.match(line):
            dot.edges.append((m.group(1), m.group(2)))
        else:
            pytest.fail(f"unexpected DOT line: {line!r}")
    declared = dot.records.keys() | dot.ops.keys()
    for a, b in dot.edges:
        assert a in declared and b in declared, (a, b)
    return dot


def fields(record: list[str]) -> dict[str, str]:
    """{"label": ..., "data": ..., "grad": ...} of one value node."""
    out = {}
    for f in record:
        key, _, rest = f.partition(" ")
        if key in ("data", "grad"):
            out[key] = rest
        else:
            out["label"] = f
    return out


def check_structure(dot: Dot, root: Value) -> None:
    """The parsed DOT is exactly root's graph: one record per value in topological order, an
    op node per computed value, one edge per parent (in order) and none other."""
    order = topological_order(root)
    assert len(dot.records) == len(order)
    expected_edges = []
    for i, node in enumerate(order):
        rec = fields(dot.records[f"v{i}"])
        assert float(rec["data"]) == pytest.approx(node.data, abs=1e-4)
        if node.op:
            assert dot.ops[f"v{i}_op"].split("(")[0] == node.op
            expected_edges.append((f"v{i}_op", f"v{i}"))
            expected_edges += [(f"v{order.index(p)}", f"v{i}_op") for p in node.parents]
        else:
            assert f"v{i}_op" not in dot.ops
    assert dot.edges == expected_edges


# ---- to_dot --------------------------------------------------------------------------------


def test_to_dot_shows_op_data_grad_and_labels() -> None:
    x, y = Value(2.0), Value(-1.0)
    out = (x * y + 1).tanh()
    out.backward()
    dot = parse_dot(to_dot(out, labels={x: "x", y: "y"}))
    check_structure(dot, out)
    by_label = {fields(r).get("label"): fields(r) for r in dot.records.values()}
    assert float(by_label["x"]["grad"]) == pytest.approx(x.grad, abs=1e-4)
    assert float(by_label["y"]["data"]) == -1.0
    assert sorted(dot.ops.values()) == ["add", "mul", "tanh"]


def test_an_input_used_twice_has_two_edges_and_params_are_shown() -> None:
    x = Value(3.0)
    out = x * x + x**2
    dot = parse_dot(to_dot(out))
    check_structure(dot, out)
    mul = next(k for k, v in dot.ops.items() if v == "mul")
    assert [a for a, b in dot.edges if b == mul] == ["v0", "v0"]
    assert "pow(exponent=2)" in dot.ops.values()


def test_output_is_deterministic() -> None:
    def build() -> str:
        a, b, c = Value(1.0), Value(2.0), Value(3.0)
        out = (a * b + b * c + c * a).relu()
        out.backward()
        return to_dot(out, labels={a: "a", b: "b", c: "c"})

    assert build() == build()


def test_labels_are_escaped() -> None:
    x = Value(1.0)
    out = x + 1
    nasty = 'a{b}|<c> "q" \\ z'
    dot = parse_dot(to_dot(out, labels={x: nasty}, name='my "g"'))
    assert dot.name == 'my "g"'
    assert [fields(r).get("label") for r in dot.records.values()].count(nasty) == 1


def test_non_finite_numbers_and_value_gradients() -> None:
    x = Value(float("inf"))
    y = Value(2.0)
    out = y * y
    out.backward(create_graph=True)  # y.grad is now a Value
    assert isinstance(y.grad, Value)
    dot = parse_dot(to_dot(out))
    assert fields(dot.records["v0"])["grad"] == "4.0000"
    assert fields(parse_dot(to_dot(x + 1)).records["v0"])["data"] in {"inf", "1.0000"}


def test_deep_graph_without_recursion() -> None:
    x = Value(0.5)
    out = x
    for _ in range(20_000):  # far past the default recursion limit of 1,000
        out = out + 1.0
    text = to_dot(out)
    assert text.count("[shape=ellipse") == 20_000
    assert text.count("[shape=record") == 40_001  # x, 20,000 constants, 20,000 sums


def test_to_dot_rejects_what_is_not_a_value() -> None:
    with pytest.raises(TypeError, match="expects a Value"):
        to_dot(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(Value(1.0), rankdir="sideways")


# ---- draw_dot with and without Graphviz ----------------------------------------------------


def _no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)


def test_draw_dot_without_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_dot(monkeypatch)
    x = Value(2.0)
    g = draw_dot(x.tanh(), labels={x: "x"})
    assert g.source == to_dot(x.tanh(), labels={x: "x"})
    assert g.nodes == 2
    assert g._repr_svg_() is None  # Jupyter then shows repr, which says what is missing
    assert "Graphviz `dot` not found" in repr(g)
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        g.render(tmp_path / "g.svg")
    with pytest.raises(GraphvizNotFoundError):
        g.pipe("png")
    assert not (tmp_path / "g.svg").exists()
    # DOT text never needs Graphviz.
    assert g.render(tmp_path / "g.dot").read_text() == g.source
    with pytest.raises(ValueError, match="cannot tell the format"):
        g.render(tmp_path / "g.jpeg")


def _fake_dot(tmp_path: Path, script: str) -> None:
    exe = tmp_path / "bin" / "dot"
    exe.parent.mkdir()
    exe.write_text(f"#!/bin/sh\n{script}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(os.name == "nt", reason="the fake dot program is a POSIX shell script")
def test_graphviz_failure_is_a_typed_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_dot(tmp_path, 'echo "Error: syntax error in line 1" >&2; exit 3')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(GraphvizError, match="exit status 3: Error: syntax error"):
        draw_dot(Value(1.0)).pipe("svg")


@pytest.mark.skipif(os.name == "nt", reason="the fake dot program is a POSIX shell script")
def test_render_sends_the_source_to_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A stand-in `dot` that echoes its format flag and its input: checks the plumbing.
    _fake_dot(tmp_path, 'echo "format $1"; cat')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    g = draw_dot(Value(1.0) * 2)
    out = g.render(tmp_path / "out.png")
    assert out.read_text() == "format -Tpng\n" + g.source
    assert g._repr_svg_() == "format -Tsvg\n" + g.source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_real_graphviz_renders_svg_and_png(tmp_path: Path) -> None:
    x = Value(2.0)
    out = (x * 3).tanh()
    out.backward()
    g = draw_dot(out, labels={x: "x"})
    svg = g._repr_svg_()
    assert svg is not None and "<svg" in svg and ">tanh<" in svg
    png = g.render(tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


# ---- `micrograd graph`, as a user runs it --------------------------------------------------


def micrograd(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    exe = shutil.which("micrograd")
    assert exe, "the `micrograd` console script is not on PATH; pip install -e . first"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def module_cli(*args: str, env: dict[str, str], cwd: Path):
    return subprocess.run(
        [sys.executable, "-m", "micrograd_core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_cli_graph_of_an_expression_prints_dot() -> None:
    r = micrograd("graph", "tanh(x*y + 1)", "--var", "x=2", "--var", "y=-1")
    assert r.returncode == 0, r.stderr
    dot = parse_dot(r.stdout)
    x, y = Value(2.0), Value(-1.0)
    out = (x * y + 1).tanh()
    out.backward()
    check_structure(dot, out)
    by_label = {fields(v).get("label"): fields(v) for v in dot.records.values()}
    assert set(by_label) >= {"x", "y", "out"}
    assert float(by_label["x"]["grad"]) == pytest.approx(x.grad, abs=1e-4)
    assert float(by_label["out"]["grad"]) == 1.0


def test_cli_graph_of_the_demo_loss(tmp_path: Path) -> None:
    r = micrograd("graph", "--demo", "--hidden", "2", "--samples", "1", "-o", "loss.dot",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "written to loss.dot" in r.stdout
    dot = parse_dot((tmp_path / "loss.dot").read_text())
    loss = [fields(v) for v in dot.records.values() if fields(v).get("label") == "loss"]
    assert len(loss) == 1 and float(loss[0]["grad"]) == 1.0
    # 2 inputs -> 2 hidden relu neurons -> 1 output: sum, relu and the loss arithmetic.
    assert {"sum", "relu", "mul", "add"} <= set(dot.ops.values())


def test_cli_graph_without_graphviz(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty directory: no `dot` anywhere
    r = module_cli("graph", "x**2", "--var", "x=3", "-o", "g.svg", env=env, cwd=tmp_path)
    assert r.returncode == 1
    assert "Graphviz" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "g.svg").exists()
    r = module_cli("graph", "x**2", "--var", "x=3", "-o", "g.dot", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    parse_dot((tmp_path / "g.dot").read_text())


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_cli_graph_renders_png_and_svg(tmp_path: Path) -> None:
    r = micrograd("graph", "relu(a*b)", "--var", "a=1", "--var", "b=2", "-o", "g.png",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    r = micrograd("graph", "relu(a*b)", "--var", "a=1", "--var", "b=2", "-T", "svg")
    assert r.returncode == 0 and "<svg" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x +"], "not a valid expression"),
        (["__import__('os').system('echo pwned')"], "only registered op names can be called"),
        (["__import__('os')"], "no op named '__import__'"),
        (["x.__class__"], "Attribute is not allowed"),
        (["y"], "unknown variable 'y'; pass --var y=VALUE"),
        (["tahn(x)", "--var", "x=1"], "did you mean 'tanh'"),
        (["relu(x, x)", "--var", "x=1"], "takes 1 input"),
        (["x/0 + 1" + "0" * 400, "--var", "x=1"], "too large for a float"),
        (["x", "--var", "x"], "expected NAME=NUMBER"),
        (["x", "--var", "x=1", "--var", "x=2"], "given twice"),
        (["x", "--var", "x=1", "-o", "g.jpeg"], "cannot tell the format"),
        ([], "give either an expression or --demo"),
        (["x", "--demo"], "give either an expression or --demo"),
    ],
)
def test_cli_graph_bad_input(args: list[str], message: str, tmp_path: Path) -> None:
    r = micrograd("graph", *args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert "pwned" not in r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == []

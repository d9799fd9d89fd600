"""The `micrograd` command run as a user runs it: a console script in a subprocess.

(`micrograd graph` is tested in test_graph.py, next to the DOT parser.)
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_core import Op, PluginWarning, hookimpl, registry
from micrograd_core.cli import main
from micrograd_core.serialize import load_model

STEP = re.compile(r"^step\s+(\d+)/(\d+)\s+loss (\S+)\s+accuracy\s+(\S+)%$")


def micrograd(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("micrograd")
    assert exe, "the `micrograd` console script is not on PATH; pip install -e . first"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def no_matplotlib_env(tmp_path: Path) -> dict[str, str]:
    """An environment in which `import matplotlib` fails, as on a machine without the extra."""
    stub = tmp_path / "stub"
    (stub / "matplotlib").mkdir(parents=True)
    (stub / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('matplotlib hidden by the test')\n"
    )
    return {**os.environ, "PYTHONPATH": str(stub)}


def steps_of(stdout: str) -> list[tuple[int, int, float, float]]:
    out = []
    for line in stdout.splitlines():
        if m := STEP.match(line):
            out.append((int(m[1]), int(m[2]), float(m[3]), float(m[4])))
    return out


# ---- the command itself ---------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    r = micrograd("--help")
    assert r.returncode == 0
    for command in ("demo", "ops", "graph"):
        assert command in r.stdout
    for command in ("demo", "ops", "graph"):
        sub = micrograd(command, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith(f"usage: micrograd {command}")


def test_python_dash_m_works_too(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "micrograd_core.cli", "ops", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ops"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required: COMMAND"),
        (["fly"], "invalid choice: 'fly'"),
        (["demo", "--steps", "0"], "--steps: expected a positive integer, got '0'"),
        (["demo", "--steps", "many"], "--steps: expected a positive integer"),
        (["demo", "--lr", "-1"], "--lr: expected a positive number"),
        (["demo", "--lr", "nan"], "--lr: expected a positive number"),
        (["demo", "--momentum", "1.5"], "--momentum: expected a number in [0, 1)"),
        (["demo", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
        (["demo", "--hidden", "16,,16"], "--hidden: expected comma-separated positive"),
        (["demo", "--hidden", "0"], "--hidden: expected comma-separated positive"),
        (["demo", "--bogus"], "unrecognized arguments: --bogus"),
        (["ops", "tahn"], "no op named 'tahn' is registered; did you mean 'tanh'?"),
        # Output paths are checked before training, so a typo does not waste the run.
        (["demo", "-o", "nowhere/b.png"], "directory nowhere does not exist"),
        (["demo", "-o", "b.jpeg"], "cannot tell the format of b.jpeg"),
        (["demo", "-o", "."], ". is a directory"),
        (["demo", "--save-model", "m.txt"], "cannot tell the format of m.txt: use one of .json"),
        # A model too large to hold is refused before anything is allocated (it was a
        # MemoryError traceback after minutes of allocating).
        (["demo", "--hidden", "99999999999999999999"], "about 102,000,000,000,000,000,000,498"),
        (["demo", "--samples", "100000", "--hidden", "64,64"], "use a smaller --hidden"),
        # --demo draws the demo's 100 points: more is said, not quietly cut to 100.
        (["explain", "--demo", "--hidden", "2", "--samples", "120"], "at most --samples 100"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: list[str], message: str, tmp_path: Path) -> None:
    r = micrograd(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert "step" not in r.stdout  # refused before training
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was written


# ---- demo -----------------------------------------------------------------------------------


def test_demo_ascii_shows_progress_summary_and_picture(tmp_path: Path) -> None:
    r = micrograd("demo", "--steps", "5", "--ascii", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    steps = steps_of(r.stdout)
    # Not a terminal: plain lines, one per step here, no carriage-return redraws.
    assert [s[:2] for s in steps] == [(k, 5) for k in range(1, 6)]
    assert "\r" not in r.stdout
    assert steps[0][2] == pytest.approx(0.9093643844649194, abs=1e-4)  # micrograd's first loss
    assert steps[-1][2] < steps[0][2]
    summary = next(line for line in r.stdout.splitlines() if line.startswith("trained"))
    assert "MLP(2, [16, 16, 1]) (337 parameters) for 5 steps with sgd" in summary
    assert summary.endswith(f"accuracy {steps[-1][3]:.1f}%")
    rows = [line for line in r.stdout.splitlines() if line.startswith("|")]
    assert len(rows) == 24 and all(len(row) == 66 for row in rows)
    picture = "".join(rows)
    for mark in ":ox":  # both regions and both classes are drawn
        assert mark in picture
    assert list(tmp_path.iterdir()) == []  # --ascii writes no file


def test_demo_without_matplotlib_falls_back_to_ascii(tmp_path: Path) -> None:
    env = no_matplotlib_env(tmp_path)
    r = micrograd("demo", "--steps", "3", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "+" + "-" * 64 + "+" in r.stdout
    assert "pip install matplotlib" in r.stdout
    assert not (tmp_path / "moons.png").exists()
    # An image asked for explicitly is an error, not a silent fallback.
    r = micrograd("demo", "--steps", "2", "-o", "boundary.png", cwd=tmp_path, env=env)
    assert r.returncode == 2
    assert "matplotlib is not installed" in r.stderr and "Traceback" not in r.stderr


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_demo_writes_a_png_decision_boundary(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the PNG needs the optional `plot` extra")
    import matplotlib.image

    r = micrograd("demo", "--steps", "5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    png = tmp_path / "moons.png"
    assert "decision boundary written to moons.png" in r.stdout
    data = png.read_bytes()
    width, height = _png_size(data)
    assert width >= 300 and height >= 200 and len(data) > 10_000
    pixels = matplotlib.image.imread(png)
    colours = {tuple(p) for row in pixels[::7] for p in row[::7]}
    assert len(colours) > 4  # two regions, two classes of points, axes: not a blank image


def test_demo_options_change_the_run(tmp_path: Path) -> None:
    args = ["demo", "--steps", "4", "--no-plot", "--hidden", "4,3", "--seed", "7"]
    adam = micrograd(*args, "--optimizer", "adam", "--lr", "0.02", cwd=tmp_path)
    assert adam.returncode == 0, adam.stderr
    assert "MLP(2, [4, 3, 1]) (31 parameters) for 4 steps with adam" in adam.stdout
    again = micrograd(*args, "--optimizer", "adam", "--lr", "0.02", cwd=tmp_path)
    assert steps_of(again.stdout) == steps_of(adam.stdout)  # same seed, same run
    momentum = micrograd(*args, "--optimizer", "momentum", cwd=tmp_path)
    sgd = micrograd(*args, cwd=tmp_path)
    other_seed = micrograd(*args[:-1], "8", cwd=tmp_path)
    losses = [[s[2] for s in steps_of(r.stdout)] for r in (adam, momentum, sgd, other_seed)]
    # Same data and weights at step 1; the optimizers then differ from step 2 on.
    assert losses[0][0] == losses[1][0] == losses[2][0] != losses[3][0]
    assert len({tuple(x[1:]) for x in losses[:3]}) == 3
    assert list(tmp_path.iterdir()) == []


def test_demo_saves_the_model_and_ascii_to_files(tmp_path: Path) -> None:
    r = micrograd(
        "demo", "--steps", "2", "--hidden", "5", "--save-model", "m.json", "-o", "b.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    model = load_model(tmp_path / "m.json")
    assert [len(layer.neurons) for layer in model.layers] == [5, 1]
    assert (tmp_path / "b.txt").read_text().startswith("+" + "-" * 64 + "+\n")
    assert "model saved to m.json" in r.stdout


def test_demo_with_a_hidden_layer_of_one_neuron(tmp_path: Path) -> None:
    # was: TypeError 'Value' object is not iterable, a traceback
    r = micrograd(
        "demo", "--steps", "2", "--hidden", "3,1", "--save-model", "m.json", "-o", "b.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "MLP(2, [3, 1, 1])" in r.stdout and "Traceback" not in r.stderr
    model = load_model(tmp_path / "m.json")
    assert [len(layer.neurons) for layer in model.layers] == [3, 1, 1]
    assert isinstance(model([0.5, -0.5]).data, float)
    one = micrograd("demo", "--steps", "1", "--hidden", "1", "--no-plot", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert "MLP(2, [1, 1]) (5 parameters)" in one.stdout


# ---- ops ------------------------------------------------------------------------------------


def test_ops_table_lists_every_op_with_its_origin() -> None:
    r = micrograd("ops")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["op", "arity", "plugin", "distribution", "version", "summary"]
    listed = {line.split()[0] for line in lines[1:] if line and not line[0].isspace()}
    for info in registry.list():
        assert info.name in listed
        row = next(line for line in lines if line.startswith(info.name + " "))
        assert info.plugin in row and (info.distribution or "-") in row
    assert f"{len(registry.list())} op(s)" in r.stdout


def test_ops_json_is_complete_and_parseable() -> None:
    r = micrograd("ops", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["micrograd_core"]
    assert [op["name"] for op in data["ops"]] == registry.names()
    by_name = {op["name"]: op for op in data["ops"]}
    assert by_name["add"]["arity"] == 2 and by_name["sum"]["arity"] is None
    assert by_name["pow"]["params"] == ["exponent"]
    assert by_name["tanh"]["distribution"] == "micrograd-core"
    for op in data["ops"]:
        assert set(op) == {
            "name", "arity", "params", "plugin", "distribution", "version", "summary",
            "higher_order", "overrides", "protocol",
        }  # fmt: skip
        assert isinstance(op["summary"], str) and op["summary"]
    assert data["skipped"] == []
    one = json.loads(micrograd("ops", "tanh", "--json").stdout)
    assert [op["name"] for op in one["ops"]] == ["tanh"]


def test_the_example_plugin_appears_and_can_be_switched_off() -> None:
    """README step: `pip install ./plugins_example` makes its ops appear, with no other change."""
    data = json.loads(micrograd("ops", "--json").stdout)
    example = {op["name"]: op for op in data["ops"] if op["plugin"] == "example"}
    if not example:
        pytest.fail("the example plugin is not installed: pip install ./plugins_example")
    assert set(example) >= {"sigmoid", "softplus", "swish"}
    assert {op["distribution"] for op in example.values()} == {"micrograd-ops-example"}
    env = {**os.environ, "MICROGRAD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    off = json.loads(micrograd("ops", "--json", env=env).stdout)
    names = {op["name"] for op in off["ops"]}
    assert "sigmoid" not in names and "tanh" in names
    r = micrograd("graph", "sigmoid(x)", "--var", "x=0")
    assert r.returncode == 0 and 'label="sigmoid"' in r.stdout


class FastTanh(Op):
    """A replacement tanh, registered over the builtin one."""

    name = "tanh"
    arity = 1

    def forward(self, x):  # type: ignore[no-untyped-def]
        return math.tanh(x)

    def backward(self, grad, out, x):  # type: ignore[no-untyped-def]
        return (grad * (1 - out * out),)


def test_ops_shows_an_override(capsys: pytest.CaptureFixture[str]) -> None:
    # In-process: an override needs a second plugin, which a subprocess would not see.
    with registry.temporary(FastTanh, override=True):
        assert main(["ops", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert main(["ops"]) == 0
        table = capsys.readouterr().out.splitlines()
    by_name = {op["name"]: op for op in data["ops"]}
    assert by_name["tanh"]["plugin"] == "<in-process>"
    assert "plugin 'builtin'" in by_name["tanh"]["overrides"]
    assert by_name["add"]["overrides"] is None
    assert table[0].split()[:6] == ["op", "arity", "plugin", "distribution", "version", "overrides"]
    row = next(line for line in table if line.startswith("tanh "))
    assert "<in-process>" in row and "plugin 'builtin'" in row
    assert main(["ops"]) == 0  # the override is gone again: so is the column
    assert "overrides" not in capsys.readouterr().out.splitlines()[0]


class BrokenPlugin:
    @hookimpl
    def register_ops(self, register):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


def test_ops_lists_skipped_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    before = list(registry.failures)
    try:
        with pytest.warns(PluginWarning, match="boom"):
            registry.register_plugin(BrokenPlugin(), name="broken")
        assert main(["ops"]) == 0
        out = capsys.readouterr().out
        assert main(["ops", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
    finally:
        registry.failures[:] = before
    assert "skipped: plugin 'broken'" in out and "boom" in out
    assert any("broken" in s and "boom" in s for s in data["skipped"])
    assert "tanh" in {op["name"] for op in data["ops"]}  # the other plugins keep working


def test_closed_stdout_pipe_is_quiet() -> None:
    # `micrograd ops | head`: the reader is gone before we write; no error message, no traceback.
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "micrograd_core.cli", "ops"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 1
    assert proc.stderr == ""


@pytest.mark.parametrize("mode", ["eager", "compiled"])
def test_demo_samples_and_mode_give_steps_per_second(tmp_path: Path, mode: str) -> None:
    r = micrograd(
        "demo",
        "--steps",
        "4",
        "--samples",
        "30",
        "--hidden",
        "4",
        "--mode",
        mode,
        "--no-plot",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    steps = steps_of(r.stdout)
    assert [s[:2] for s in steps] == [(k, 4) for k in range(1, 5)]
    summary = next(line for line in r.stdout.splitlines() if line.startswith("trained"))
    assert "for 4 steps with sgd on 30 points" in summary
    assert ("compiled (numpy)" in summary) == (mode == "compiled")  # the `fast` extra is installed
    rate = re.search(r"\(([\d,.]+) steps/s; first step ([\d.]+)s\)", summary)
    assert rate is not None and float(rate[1].replace(",", "")) > 0


def test_demo_compiled_and_eager_train_alike(tmp_path: Path) -> None:
    runs = {
        mode: steps_of(
            micrograd(
                "demo",
                "--steps",
                "3",
                "--samples",
                "20",
                "--mode",
                mode,
                "--no-plot",
                cwd=tmp_path,
            ).stdout
        )
        for mode in ("eager", "compiled")
    }
    assert len(runs["eager"]) == len(runs["compiled"]) == 3
    for a, b in zip(runs["eager"], runs["compiled"]):
        assert a[2] == pytest.approx(b[2], abs=1e-4)  # the losses as printed (4 decimals)
        assert a[3] == b[3]  # accuracy


def test_demo_rejects_a_bad_sample_count_or_mode(tmp_path: Path) -> None:
    for args, message in (
        (["--samples", "0"], "--samples: expected a positive integer"),
        (["--mode", "fast"], "invalid choice: 'fast'"),
    ):
        r = micrograd("demo", *args, cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr, r.stderr


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    exe = shutil.which("micrograd")
    assert exe
    proc = subprocess.Popen(
        [exe, "demo", "--steps", "100000", "--no-plot"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the first step has run: the command is inside its loop
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_ops_json_has_the_keys_the_cli_reference_shows() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    start = doc.index("`--json` prints one object:")
    sample = json.loads(doc[doc.index("```json\n", start) + 8 : doc.index("```", start + 40)])
    r = micrograd("ops", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert set(got) == set(sample)
    assert set(got["ops"][0]) == set(sample["ops"][0])
    row = next(op for op in got["ops"] if op["name"] == sample["ops"][0]["name"])
    assert row == sample["ops"][0]

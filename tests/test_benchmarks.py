"""`python -m benchmarks --quick` runs every engine through the runner's pipe and prints the table
(a smoke test: the figures themselves are the benchmark's business, not the tests')."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_prints_every_engine_with_one_final_loss() -> None:
    cmd = [sys.executable, "-m", "benchmarks", "--quick", "--no-scaling", "--cpu", "-1"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    rows = {}
    for line in out.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| micrograd") and len(cells) == 9:
            rows[(cells[0], cells[1])] = cells
    engines = ["eager", "compiled (python)", "compiled (numpy)"]
    for engine, gc_mode in [(e, "default") for e in engines] + [("eager", "out")]:
        cells = rows[(f"micrograd-core {engine}", gc_mode)]
        assert float(cells[2].split()[0]) > 0  # s/step
        assert int(cells[5].replace(",", "")) > 1000  # nodes per step
    exact = {rows[k][8] for k in rows if k[0].startswith("micrograd-core") and "numpy" not in k[0]}
    assert len(exact) == 1 and re.fullmatch(r"0\.\d+", loss := exact.pop())  # one loss
    numpy = float(rows[("micrograd-core compiled (numpy)", "default")][8])
    assert abs(numpy - float(loss)) <= 1e-9 * float(loss)  # matrix products: another order
    # Program.sgd_step: its own labelled row, beside (not instead of) micrograd's loop; the
    # same training, so the same final loss as the numpy executor's loop, to the last bit
    step = rows[("micrograd-core compiled (numpy), sgd_step", "default")]
    assert float(step[2]) > 0 and float(step[8]) == numpy
    # what micrograd's loop costs by itself (zero_grad + update), printed below the table
    assert re.search(r"micrograd's loop alone \(zero_grad \+ update\) .* [\d.]+ ms", out.stdout)
    if ("micrograd 0.1.0", "default") in rows:  # the `bench` extra is installed
        assert "MISMATCH" not in out.stdout
        assert re.search(r"\| [\d.]+x \(\d+-\d+\) \|", out.stdout)  # ratios with their range
        assert re.search(r"pure-Python floor: .* [\d.]+ ms", out.stdout)
    # the larger workload (cut down by --quick): compile time, s/step and peak RSS per engine
    large = out.stdout[out.stdout.index("## Larger workload") :]
    numpy_row = next(line for line in large.splitlines() if "compiled (numpy)" in line)
    cells = [c.strip() for c in numpy_row.strip("|").split("|")]
    assert re.fullmatch(r"[\d.]+ s", cells[1]) and float(cells[2]) > 0 and "MiB" in cells[4]
    step_row = next(line for line in large.splitlines() if "sgd_step" in line)
    assert float(step_row.strip("|").split("|")[2]) > 0
    torch_row = next(line for line in large.splitlines() if line.startswith("| PyTorch"))
    # PyTorch is an optional peer: timed when installed, else skipped with a note saying how
    assert ("pip install torch" in torch_row) != bool(re.search(r"\| [\d.]+ \| 1\.0x", torch_row))


def test_without_torch_the_peer_is_skipped_with_a_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import workload

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    monkeypatch.delitem(sys.modules, "benchmarks.torch_peer", raising=False)
    workload.serve("torch", "default", 1, 20, "4")
    line = capsys.readouterr().out.strip()
    assert line.startswith("{") and "pip install torch" in line

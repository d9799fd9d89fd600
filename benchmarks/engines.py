"""The runner's side of an engine's subprocess (`benchmarks.workload`), and the ratios taken
round by round: shared by the demo table (`benchmarks.run`) and the larger workload
(`benchmarks.large`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

# Every engine computes on one thread: PyTorch is told so (`torch.set_num_threads(1)`), numpy's
# BLAS by these variables, read when it loads. On a shared 2-core host a second BLAS thread
# mostly waits for the neighbours (a 64x64 layer's product took ten times longer with two).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

TORCH = "PyTorch CPU (float64, 1 thread)"
#: compiled numpy trained with `Program.sgd_step` (one call a step) instead of micrograd's loop
STEP = "micrograd-core compiled (numpy), sgd_step"


class Engine:
    """One engine's subprocess (`benchmarks.workload.serve`), asked for a few steps at a time."""

    def __init__(
        self, engine: str, gc_mode: str, steps: int, samples: int = 100, hidden: str = "16,16"
    ) -> None:
        cmd = [sys.executable, "-m", "benchmarks.workload", engine, gc_mode, str(steps)]
        cmd += [str(samples), hidden]
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.stderr = tempfile.TemporaryFile(mode="w+")  # read only if the engine fails
        self.proc = subprocess.Popen(
            cmd,
            cwd=root,
            env={**os.environ, **ONE_THREAD},
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        first = self._line()  # the setup (and, compiled, the compile) runs alone
        self.failed: dict[str, Any] | None = None
        if first != "ready":
            self.failed = json.loads(first) if first.startswith("{") else self._failure()

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def _failure(self) -> dict[str, Any]:
        self.proc.kill()
        self.stderr.seek(0)
        return {"missing": f"failed: {self.stderr.read().strip().splitlines()[-1:]}"}

    def steps(self, n: int) -> None:
        if self.failed is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(f"{n}\n")
            self.proc.stdin.flush()
            if self._line() != "done":
                self.failed = self._failure()

    def result(self) -> dict[str, Any]:
        if self.failed is not None:
            return self.failed
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        line = self._line()
        if self.proc.wait() != 0 or not line.startswith("{"):
            return self._failure()
        result: dict[str, Any] = json.loads(line)
        return result


def split(n: int, rounds: int) -> list[int]:
    """n steps as `rounds` near-equal parts, larger ones first."""
    return [n // rounds + (r < n % rounds) for r in range(rounds)]


def per_round(r: dict[str, Any]) -> list[float]:
    """The median step time of each round."""
    medians, i = [], 0
    for n in r["rounds"]:
        medians.append(statistics.median(r["times"][i : i + n]))
        i += n
    return medians


def ratio(reference: list[float] | None, mine: list[float]) -> str:
    """How many times faster than `reference`: the median over rounds of the ratio within each
    round, and the range of those ratios."""
    if not reference:
        return "-"
    ratios = sorted(a / b for a, b in zip(reference, mine))
    if len(ratios) == 1:
        return f"{short(ratios[0], 1)}x"
    median = statistics.median(ratios)
    return f"{short(median, 1)}x ({short(ratios[0])}-{short(ratios[-1])})"


def short(x: float, decimals: int = 0) -> str:
    """A ratio: integers from 10 (unless `decimals`), one decimal from 1, two digits below."""
    if x < 1:
        return f"{x:.2g}"
    return f"{x:.1f}" if x < 10 or decimals else f"{x:.0f}"

"""`train(mode=...)` and `micrograd demo --mode`: compiled training is eager's training, float for
float without numpy (pure-Python executor), within the documented tolerance with it."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from micrograd_core.cli import main
from micrograd_core.demo import train


def _hide_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_numpy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("no numpy here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)


def _run(mode: str) -> tuple[list[float], list[float], list[float]]:
    model, history = train(steps=4, n_samples=25, hidden=(5, 3), mode=mode)
    weights = [p.data for p in model.parameters()]
    return [r.loss for r in history], [r.accuracy for r in history], weights


def test_compiled_without_numpy_trains_exactly_as_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    eager = _run("eager")
    _hide_numpy(monkeypatch)
    assert _run("compiled") == eager


def test_compiled_with_numpy_trains_as_eager_within_the_tolerance() -> None:
    pytest.importorskip("numpy")
    (losses, accuracy, weights), eager = _run("compiled"), _run("eager")
    assert losses == pytest.approx(eager[0], rel=1e-9)
    assert accuracy == eager[1]
    assert weights == pytest.approx(eager[2], rel=1e-9, abs=1e-12)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be 'eager' or 'compiled'"):
        train(steps=1, mode="fast")


def test_the_summary_names_the_executor_without_numpy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _hide_numpy(monkeypatch)
    code = main(["demo", "--steps", "2", "--samples", "10", "--mode", "compiled", "--no-plot"])
    out = capsys.readouterr().out
    assert code == 0
    assert "compiled (pure Python; pip install 'micrograd-core[fast]' for numpy)" in out
    assert "steps/s" in out

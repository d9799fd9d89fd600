"""The demo workload's options, the float predictor, the progress display and the pictures."""

from __future__ import annotations

import importlib.util
import inspect
import io
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_core import Value
from micrograd_core._plot import PlotUnavailableError, ascii_boundary, save_png
from micrograd_core._progress import Progress
from micrograd_core.datasets import make_moons
from micrograd_core.demo import OPTIMIZERS, StepResult, demo_loss, predict, train
from micrograd_core.nn import MLP


def test_train_defaults_are_micrograds_demo() -> None:
    params = inspect.signature(train).parameters
    defaults = {name: p.default for name, p in params.items()}
    assert defaults["steps"] == 100 and defaults["seed"] == 1337
    assert tuple(defaults["hidden"]) == (16, 16)
    assert defaults["n_samples"] == 100 and defaults["noise"] == 0.1
    assert defaults["optimizer"] == "sgd" and OPTIMIZERS["sgd"] == 1.0
    assert list(params)[:7] == ["steps", "seed", "hidden", "n_samples", "noise", "lr", "on_step"]


def _micrograd_loop(steps: int) -> list[float]:
    """micrograd's demo training loop, written out as in its notebook."""
    X, y = make_moons(100, 0.1, 1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        loss, _ = demo_loss(model, X, y)
        model.zero_grad()
        loss.backward()
        rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= rate * p.grad
        losses.append(loss.data)
    return losses


def test_default_training_is_micrograds_loop_float_for_float() -> None:
    # The learning-rate schedule depends on `steps`, so the run must be the 100-step one; it
    # is stopped after 3 steps from on_step to keep the test fast.
    seen: list[StepResult] = []

    class Stop(Exception):
        pass

    def on_step(r: StepResult) -> None:
        seen.append(r)
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        train(on_step=on_step)
    assert [r.loss for r in seen] == _micrograd_loop(3)
    assert [r.lr for r in seen] == [1.0 - 0.9 * k / 100 for k in range(3)]


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_other_optimizers_train(optimizer: str) -> None:
    _, history = train(steps=6, hidden=(8,), optimizer=optimizer)
    _, plain = train(steps=6, hidden=(8,))
    assert history[0].loss == plain[0].loss  # same start
    assert [r.loss for r in history] != [r.loss for r in plain]
    assert history[-1].loss < history[0].loss
    assert history[0].lr == OPTIMIZERS[optimizer]


def test_train_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="optimizer must be one of sgd, momentum, adam"):
        train(steps=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="steps must be a positive int"):
        train(steps=0)
    with pytest.raises(ValueError, match="hidden sizes must be positive ints"):
        train(steps=1, hidden=(4, 0))


def test_predict_matches_the_value_graph() -> None:
    model, _ = train(steps=2, hidden=(6, 5))
    points = [(0.1, 0.2), (-1.0, 0.5), (2.0, -0.4), (0.0, 0.0)]
    fast = predict(model, points)
    slow = [model([Value(a), Value(b)]).data for a, b in points]
    assert fast == pytest.approx(slow, rel=1e-12, abs=1e-12)


# ---- progress ---------------------------------------------------------------------------


def test_progress_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with Progress(100, stream=out) as bar:
        for k in range(1, 101):
            bar.update(k, loss=1.0 / k, accuracy=k / 100)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 11  # step 1, then every tenth
    assert lines[0] == "step   1/100  loss 1.0000  accuracy   1.0%"
    assert lines[-1] == "step 100/100  loss 0.0100  accuracy 100.0%"


def test_progress_redraws_one_line_on_a_terminal() -> None:
    out = io.StringIO()
    with Progress(4, stream=out, tty=True, width=8) as bar:
        for k in range(1, 5):
            bar.update(k, loss=0.5)
    text = out.getvalue()
    frames = text.rstrip("\n").split("\r")[1:]
    assert len(frames) == 4 and text.endswith("\n") and text.count("\n") == 1
    assert frames[1].startswith("[####----] 2/4  loss 0.5000")
    assert frames[3].startswith("[########] 4/4")
    with pytest.raises(ValueError):
        Progress(0)


# ---- pictures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained() -> tuple[MLP, list[tuple[float, float]], list[int]]:
    model, _ = train(steps=8, hidden=(8, 8))
    X, y = make_moons()
    return model, X, y


def test_ascii_boundary(trained: tuple[MLP, list[tuple[float, float]], list[int]]) -> None:
    model, X, y = trained
    art = ascii_boundary(model, X, y, width=40, height=12).splitlines()
    assert art[0] == art[13] == "+" + "-" * 40 + "+"
    body = art[1:13]
    assert all(len(row) == 42 and row[0] == row[-1] == "|" for row in body)
    cells = "".join(row[1:-1] for row in body)
    assert set(cells) <= set(" :oxOX")
    assert ":" in cells and " " in cells  # both decision regions show
    scores = predict(model, X)
    wrong = sum((s > 0) != (label > 0) for s, label in zip(scores, y))
    # Points may share a cell, so at most as many marks as points, capitals for the mistakes.
    assert 0 < sum(c in "oxOX" for c in cells) <= len(X)
    assert sum(c in "OX" for c in cells) <= wrong
    with pytest.raises(ValueError):
        ascii_boundary(model, X, y, width=1)


def test_png_needs_matplotlib(
    trained: tuple[MLP, list[tuple[float, float]], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    with pytest.raises(PlotUnavailableError, match="pip install matplotlib"):
        save_png(*trained, tmp_path / "b.png")
    assert not (tmp_path / "b.png").exists()


def test_png_with_matplotlib(
    trained: tuple[MLP, list[tuple[float, float]], list[int]], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib", reason="the PNG needs the optional `plot` extra")
    path = save_png(*trained, tmp_path / "b.png", resolution=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5_000


# ---- docs pictures ----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_docs_pictures_are_generated_by_the_script(tmp_path: Path) -> None:
    script = ROOT / "docs" / "gen_images.py"
    r = subprocess.run(
        [sys.executable, str(script), "--steps", "3", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    made = {p.name for p in tmp_path.iterdir()}
    assert {"moons.txt", "graph.dot"} <= made  # always
    assert ("moons.png" in made) == (importlib.util.find_spec("matplotlib") is not None)
    assert ("graph.svg" in made) == (shutil.which("dot") is not None)
    assert (tmp_path / "graph.dot").read_text().startswith('digraph "micrograd" {')


def test_every_picture_the_docs_show_is_committed_and_small() -> None:
    pages = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    shown = {m for page in pages for m in re.findall(r"\]\((img/[^)\s]+)\)", page.read_text())}
    assert shown, "the docs show no generated picture"
    for rel in shown:
        path = ROOT / "docs" / rel
        assert path.is_file(), f"{rel} is missing: run python docs/gen_images.py"
        assert path.stat().st_size < 200_000, f"{rel} is too big to commit"

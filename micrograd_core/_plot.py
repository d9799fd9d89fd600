"""Decision-boundary pictures of a 2-D classifier: ASCII for the terminal, PNG via matplotlib.

matplotlib is optional (the `plot` extra): it is imported only inside `save_png`, which raises
`PlotUnavailableError` naming the extra when it is missing, so `micrograd demo` can fall back to
the ASCII picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ._errors import MicrogradError
from .demo import predict
from .nn import MLP

Points = Sequence[tuple[float, float]]


class PlotUnavailableError(MicrogradError, ImportError):
    """matplotlib (the optional `plot` extra) is not installed."""

    HINT = 'matplotlib is not installed (the optional "plot" extra): pip install matplotlib'


def _bounds(X: Points, margin: float = 0.5) -> tuple[float, float, float, float]:
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    return min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin


def ascii_boundary(
    model: MLP, X: Points, y: Sequence[int], width: int = 64, height: int = 24
) -> str:
    """The decision regions as text: `:` where the model says +1, blank where it says -1;
    data points as `o` (label -1) and `x` (label +1), upper-case when misclassified."""
    if width < 2 or height < 2:
        raise ValueError(f"picture must be at least 2x2 characters, got {width}x{height}")
    x0, x1, y0, y1 = _bounds(X)
    # Cell centres; row 0 is the top of the picture (largest y).
    cx = [x0 + (x1 - x0) * (i + 0.5) / width for i in range(width)]
    cy = [y1 - (y1 - y0) * (j + 0.5) / height for j in range(height)]
    scores = predict(model, [(a, b) for b in cy for a in cx])
    grid = [
        [":" if scores[j * width + i] > 0 else " " for i in range(width)] for j in range(height)
    ]
    for (a, b), label, score in zip(X, y, predict(model, X)):
        i = min(width - 1, int((a - x0) / (x1 - x0) * width))
        j = min(height - 1, int((y1 - b) / (y1 - y0) * height))
        mark = "x" if label > 0 else "o"
        grid[j][i] = mark if (score > 0) == (label > 0) else mark.upper()
    border = "+" + "-" * width + "+"
    lines = [border, *("|" + "".join(row) + "|" for row in grid), border]
    lines.append("':' model says +1   o/x data labelled -1/+1   O/X misclassified")
    return "\n".join(lines)


def save_png(
    model: MLP, X: Points, y: Sequence[int], path: str | Path, resolution: int = 120
) -> Path:
    """Write the decision boundary and the data as an image (PNG, or any suffix matplotlib
    knows: .svg, .pdf). Raises `PlotUnavailableError` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and never steal focus from the terminal
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailableError(PlotUnavailableError.HINT) from exc
    path = Path(path)
    x0, x1, y0, y1 = _bounds(X)
    nx = resolution
    ny = max(2, round(resolution * (y1 - y0) / (x1 - x0)))
    gx = [x0 + (x1 - x0) * i / (nx - 1) for i in range(nx)]
    gy = [y0 + (y1 - y0) * j / (ny - 1) for j in range(ny)]
    scores = predict(model, [(a, b) for b in gy for a in gx])
    Z = [[1.0 if scores[j * nx + i] > 0 else 0.0 for i in range(nx)] for j in range(ny)]
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    try:
        ax.contourf(gx, gy, Z, levels=[-0.5, 0.5, 1.5], cmap="Spectral", alpha=0.8)
        ax.scatter(
            [p[0] for p in X], [p[1] for p in X], c=list(y), s=30, cmap="jet", edgecolors="k"
        )
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title("micrograd-core: decision boundary on two moons")
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)  # pyplot keeps every figure alive otherwise
    return path

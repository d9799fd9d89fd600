"""The Graphviz `dot` program: finding it, running it, and its errors.

Shared by the static pictures (`graph`) and the step-through page's layout (`stepthrough`), so
both say the same thing when Graphviz is missing or fails.
"""

from __future__ import annotations

import shutil
import subprocess

from ._errors import MicrogradError


class GraphvizError(MicrogradError, RuntimeError):
    """The Graphviz `dot` program failed to render a graph."""


class GraphvizNotFoundError(GraphvizError, FileNotFoundError):
    """The Graphviz `dot` program is not installed (or not on PATH)."""

    def __init__(self) -> None:
        super().__init__(
            "the Graphviz `dot` program was not found on PATH, so the graph cannot be rendered "
            "as an image; install Graphviz (apt-get install graphviz, brew install graphviz, "
            "conda install graphviz) or write DOT text instead (Graph.source, to_dot(), "
            "`micrograd graph ... -o graph.dot`)"
        )


def find_dot() -> str | None:
    """The path of the Graphviz `dot` program, or None when it is not installed."""
    return shutil.which("dot")


def run_dot(source: str, fmt: str) -> bytes:
    """`dot -T<fmt>` on `source`. Raises `GraphvizNotFoundError` or `GraphvizError`."""
    exe = find_dot()
    if exe is None:
        raise GraphvizNotFoundError()
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, check=False
        )
    except OSError as exc:  # found on PATH but not runnable
        raise GraphvizError(f"could not run {exe}: {exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"`dot -T{fmt}` failed with exit status {done.returncode}: {err}")
    return done.stdout

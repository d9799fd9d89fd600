"""The documentation site: `mkdocs build --strict` passes, the API reference is generated for
every public name, code is highlighted, the notebook's outputs and the screenshot are in the
site, and the terminal output shown in "How backprop works" is what the command prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from external_tools import missing

import micrograd_core
from micrograd_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Named in the prose of api.md rather than rendered: constants without docstrings of their own.
PROSE_ONLY = {"VARIADIC", "REALS", "__version__"}


def test_the_api_reference_covers_every_public_name() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    rendered = set(re.findall(r"^::: micrograd_core\.(\w+)$", text, re.M))
    assert set(micrograd_core.__all__) - PROSE_ONLY <= rendered
    assert all(f"`{name}`" in text for name in PROSE_ONLY)


def test_the_explain_output_shown_in_the_docs_is_current(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (DOCS / "backprop.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- micrograd explain output -->\n```text\n(.*?)```", text, re.S)
    assert shown, "backprop.md lost its explain output block"
    assert main(["explain", "tanh(x*y + 1)", "--var", "x=2", "--var", "y=-1"]) == 0
    assert capsys.readouterr().out == shown.group(1)


def test_the_screenshot_is_committed() -> None:
    png = DOCS / "img" / "backprop-page.png"
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(data) < 500_000
    assert "img/backprop-page.png" in (DOCS / "backprop.md").read_text(encoding="utf-8")


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    try:
        import mkdocs  # noqa: F401
        import mkdocs_jupyter  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError:
        missing("the `docs` extra (MkDocs and its plugins)")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (ROOT / ".cache").exists()  # the notebook is executed afresh, nothing cached
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in set(micrograd_core.__all__) - PROSE_ONLY:
        assert f'id="micrograd_core.{name}"' in api, name
    # Generated from docstrings: the text of a docstring is on the page.
    assert "The forward and backward passes of the graph that computed" in api
    # Code blocks are highlighted at build time (Pygments spans), not in the browser.
    quickstart = (site / "quickstart" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<span class="kn">(import|from)</span>', quickstart)
    notebook = (site / "notebooks" / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert "upstream * local" in notebook  # explain's output
    assert "&lt;iframe" in notebook or "<iframe" in notebook  # the step-through view
    assert "data:image/png;base64," in notebook  # the decision boundary
    assert "check_op: ok=True" in notebook
    assert (site / "img" / "backprop-page.png").exists()
    assert "img/backprop-page.png" in (site / "backprop" / "index.html").read_text("utf-8")

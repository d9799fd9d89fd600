"""The tutorial notebook runs top to bottom, and shows what it promises."""

from __future__ import annotations

import json
from pathlib import Path

from external_tools import missing

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "tutorial.ipynb"


def test_the_notebook_is_committed_without_outputs() -> None:
    # The docs site and the test below execute it: stored outputs could only be stale.
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert len(code) >= 8
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def test_the_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        missing("the `notebook` extra (nbclient, nbformat, ipykernel)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # Raises CellExecutionError, with the cell and its traceback, at the first failing cell.
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    rich = [
        o.get("data", {}) for o in outputs if o.output_type in ("execute_result", "display_data")
    ]
    assert "upstream * local" in text  # explain
    assert any("<iframe" in d.get("text/html", "") for d in rich)  # the step-through view
    assert any("image/png" in d for d in rich)  # the decision boundary
    assert "check_op: ok=True" in text
    assert "gradient check FAILED for op 'bad_softsign'" in text  # the checker catches the bug
    accuracy = [line for line in text.splitlines() if line.startswith("step 39:")]
    assert accuracy and int(accuracy[0].rsplit(" ", 1)[1].rstrip("%")) >= 90
    # It writes no file (hypothesis, under check_op, keeps its example database in .hypothesis).
    assert [p.name for p in tmp_path.iterdir() if p.name != ".hypothesis"] == []

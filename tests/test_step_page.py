"""The step-through page as a file: self-contained, its steps in the engine's order, its numbers
the engine's, its size limited with a clear message. (`test_step_page_browser.py` runs it.)"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from external_tools import need_graphviz

import micrograd_core.stepthrough._page as page_module
from micrograd_core import Value, explain, topological_order
from micrograd_core.cli import main
from micrograd_core.graph import GraphTooLargeError, draw_dot
from micrograd_core.stepthrough import (
    MAX_DAGRE_VALUES,
    MAX_PAGE_VALUES,
    page_data,
    step_through_html,
)

VENDOR = Path(page_module.__file__).parent / "vendor"


def tanh_graph() -> tuple[Value, dict[Value, str]]:
    x, y = Value(2.0), Value(-1.0)
    out = (x * y + 1).tanh()
    return out, {x: "x", y: "y", out: "out"}


def chain(n: int) -> Value:
    """A graph of exactly `n` values."""
    v = Value(0.5)
    for _ in range(n - 1):
        v = v.tanh()
    assert len(topological_order(v)) == n
    return v


def page_json(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="mg-data">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


@pytest.mark.parametrize("layout", ["dagre", "graphviz"])
def test_the_page_is_self_contained(layout: str) -> None:
    if layout == "graphviz":
        need_graphviz()
    out, labels = tanh_graph()
    page = step_through_html(out, labels, layout=layout)
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page  # the browser itself refuses any request
    # No reference to anything outside the file: the only URL is the SVG namespace.
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", page)
    assert "sourceMappingURL" not in page
    assert ("Chris Pettitt" in page) is (layout == "dagre")  # the library only when used


def test_the_steps_follow_forward_then_the_engines_backward() -> None:
    out, labels = tanh_graph()
    data = page_data(out, labels, layout="dagre")
    e = explain(out, labels)
    steps = data["steps"]
    assert steps[0]["phase"] == "start" and steps[0]["set"] == []
    forward = [s for s in steps if s["phase"] == "forward"]
    backward = [s for s in steps if s["phase"] == "backward"]
    ops = [v for v in topological_order(out) if v.op]
    assert [s["node"] for s in forward] == [e[v].id for v in ops]
    assert [s["node"] for s in backward] == [e.root] + [e[v].id for v in reversed(ops)]
    seed = backward[0]
    assert [e.root, "grad", 1.0] in seed["set"]
    # Replaying the steps' numbers gives the engine's gradients.
    grads: dict[str, float] = {}
    for s in steps:
        for node, field, value in s["set"]:
            if field == "grad":
                grads[node] = value
    out.backward()
    assert {k: grads[e[v].id] for v, k in labels.items()} == {k: v.grad for v, k in labels.items()}
    assert "x.grad = 0 + -0.419974 = -0.419974" in "\n".join(backward[-1]["text"])


def test_a_value_used_twice_shows_the_running_sum() -> None:
    x = Value(3.0)
    out = x * x
    data = page_data(out, {x: "x"}, layout="dagre")
    text = "\n".join(data["steps"][-1]["text"])
    assert "x.grad = 0 + 3 = 3" in text and "x.grad = 3 + 3 = 6" in text


def test_numbers_and_names_are_escaped() -> None:
    x = Value(float("nan"))
    out = x * 2
    page = step_through_html(out, {x: "</script><b>x"}, title="</title>/*DATA*/", layout="dagre")
    data = page_json(page)
    assert "</script><b>x" in {v["name"] for v in data["values"]}
    assert page.count("</script>") == 3  # the data block, the library, the page's script
    assert "<title>&lt;/title&gt;/*DATA*/</title>" in page
    assert any(s["set"] == [[data["root"], "data", "nan"]] for s in data["steps"])


def test_too_large_a_graph_says_so_and_how_to_shrink_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)  # no Graphviz: dagre's limit
    small = chain(MAX_DAGRE_VALUES)
    assert "mg-data" in step_through_html(small)
    big = chain(MAX_DAGRE_VALUES + 1)
    with pytest.raises(GraphTooLargeError, match=r"--samples.*--hidden") as info:
        step_through_html(big)
    assert f"{MAX_DAGRE_VALUES + 1:,} values" in str(info.value)
    assert f"up to {MAX_PAGE_VALUES:,} when Graphviz is installed" in str(info.value)
    # In Jupyter: a note instead of a broken page.
    note = draw_dot(big)._repr_html_()
    assert note is not None and "--samples" in note and "<iframe" not in note


def test_too_large_with_graphviz() -> None:
    need_graphviz()
    with pytest.raises(GraphTooLargeError, match=f"more than the {MAX_PAGE_VALUES:,}"):
        step_through_html(chain(MAX_PAGE_VALUES + 1))


def test_cli_too_large_a_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    code = main(["graph", "--demo", "--hidden", "32,32", "--samples", "4", "-o", str(page)])
    err = capsys.readouterr().err
    assert code == 2 and "--samples" in err and "--hidden" in err and "Traceback" not in err
    assert not page.exists()


def test_cli_writes_the_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "backprop.html"
    code = main(["graph", "tanh(x*y + 1)", "--var", "x=2", "--var", "y=-1", "-o", str(page)])
    out = capsys.readouterr().out
    assert code == 0 and "open it in a browser" in out
    text = page.read_text(encoding="utf-8")
    assert "<title>tanh(x*y + 1) at x=2, y=-1</title>" in text
    names = {v["name"] for v in page_json(text)["values"]}
    assert {"x", "y", "out"} <= names


def test_jupyter_shows_the_page_in_an_iframe_and_svg_stays_available(tmp_path: Path) -> None:
    out, labels = tanh_graph()
    g = draw_dot(out, labels=labels)
    frame = g._repr_html_()
    assert frame is not None and frame.startswith("<iframe srcdoc=")
    assert 'sandbox="allow-scripts"' in frame
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))  # type: ignore[union-attr]
    assert page_json(inner)["root"] == explain(out).root
    # The static picture: step_through=False hands Jupyter the SVG (or the repr) instead.
    assert draw_dot(out, step_through=False)._repr_html_() is None
    assert g.render(tmp_path / "p.html").read_text(encoding="utf-8").startswith("<!DOCTYPE")
    assert g.render(tmp_path / "p.htm").exists()


def test_graphviz_layout_places_every_box() -> None:
    need_graphviz()
    x = Value(1.5)
    out = (x * x).tanh()  # two edges between the same pair of nodes
    data = page_data(out, {x: "x"}, layout="graphviz")
    placed = data["layout"]
    assert placed["engine"].startswith("Graphviz")
    assert set(placed["nodes"]) == {b[0] for b in data["boxes"]}
    assert len(placed["edges"]) == len(data["edges"])
    x_to_mul = [i for i, (a, b) in enumerate(data["edges"]) if a == "v0" and b == "v1_op"]
    assert len(x_to_mul) == 2
    first, second = (placed["edges"][i]["points"] for i in x_to_mul)
    assert first != second  # each of the two edges has its own curve
    for edge in placed["edges"]:
        assert (len(edge["points"]) - 1) % 3 == 0 and edge["tip"] is not None


def test_bad_arguments() -> None:
    out, _ = tanh_graph()
    with pytest.raises(ValueError, match="layout must be one of"):
        page_data(out, layout="neato")
    with pytest.raises(ValueError, match="rankdir"):
        page_data(out, rankdir="BT")


def test_vendored_dagre_is_the_published_file() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((VENDOR / "dagre.min.js").read_bytes()).hexdigest()
    assert digest in readme
    assert "MIT" in (VENDOR / "LICENSE-dagre.txt").read_text(encoding="utf-8")

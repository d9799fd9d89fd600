"""The step-through page in a real, headless Chromium (driven by Playwright, which is pointed at
the system's Chromium and never downloads one): it loads with no console error and no request,
the first step of backward highlights the output with grad 1, the steps follow the engine's
backward order, and the last step shows the `Value`s' gradients."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from external_tools import chromium, in_ci, need_graphviz

from micrograd_core import Value, explain, topological_order
from micrograd_core.cli import main
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.graph import draw_dot
from micrograd_core.nn import MLP
from micrograd_core.stepthrough import step_through_html

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the `browser` extra is not installed
    sync_playwright = None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    exe = chromium()
    if sync_playwright is None:
        if in_ci():
            pytest.fail("playwright is missing in CI: install the `browser` extra", pytrace=False)
        pytest.skip("playwright is not installed (the `browser` extra)")
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield b
        b.close()


class Visit:
    """A page opened from a file, with every console message, error and request recorded."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1100, "height": 700})
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready=true]", timeout=60_000)

    def step(self) -> dict[str, str]:
        """What the step panel says now: its index, phase and highlighted node."""
        panel = self.page.locator("#mg-text")
        return {k: panel.get_attribute(f"data-{k}") or "" for k in ("index", "phase", "node")}

    def current(self) -> list[str]:
        return self.page.eval_on_selector_all(
            ".value.current", "els => els.map(e => e.getAttribute('data-id'))"
        )

    def values(self, field: str) -> dict[str, str]:
        return self.page.eval_on_selector_all(
            ".value", f"els => Object.fromEntries(els.map(e => [e.dataset.id, e.dataset.{field}]))"
        )

    def close(self) -> None:
        assert self.problems == []
        assert self.requests == [self.url]  # the page itself, and nothing else
        self.page.close()


def as_float(text: str) -> float:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.get(
        text, float(text) if text else float("nan")
    )


def walk(visit: Visit, root: Value, labels: dict[Value, str]) -> None:
    """Step through the whole page, checking every step against `explain` and the engine."""
    e = explain(root, labels)
    order = topological_order(root)
    ops = [v for v in order if v.op]
    assert visit.step() == {"index": "0", "phase": "start", "node": ""}
    assert set(visit.values("grad").values()) == {""}  # no gradient before backward
    for v in ops:  # forward, with the "next" button
        visit.page.click("#mg-next")
        step = visit.step()
        assert step["phase"] == "forward" and step["node"] == e[v].id
        assert as_float(visit.values("data")[e[v].id]) == v.data
    visit.page.click("#mg-next")  # the first step of backward: the output, grad 1
    step = visit.step()
    assert step["phase"] == "backward" and step["node"] == e.root
    assert visit.current() == [e.root]
    assert visit.values("grad")[e.root] == "1"
    assert visit.page.locator(f'.value[data-id="{e.root}"] .grad').text_content() == "grad 1"
    seen = []
    for _ in ops:  # the rest of backward, with the arrow key
        visit.page.keyboard.press("ArrowRight")
        seen.append(visit.step()["node"])
    engine = [e[v].id for v in reversed(ops)]  # Value.backward's schedule
    assert seen == engine == [s.node for s in e.backward]
    assert visit.page.locator("#mg-next").is_disabled()
    for v in order:
        v.grad = 0.0
    root.backward()
    shown = visit.values("grad")
    assert {e[v].id: as_float(shown[e[v].id]) for v in order} == {e[v].id: v.grad for v in order}
    # Back to the start undoes every step.
    visit.page.keyboard.press("Home")
    assert visit.step()["index"] == "0" and set(visit.values("grad").values()) == {""}
    visit.page.keyboard.press("End")
    assert visit.values("grad") == shown


def tanh_graph() -> tuple[Value, dict[Value, str]]:
    x, y = Value(2.0), Value(-1.0)
    out = (x * y + 1).tanh()
    return out, {x: "x", y: "y", out: "out"}


@pytest.mark.parametrize("layout", ["graphviz", "dagre"])
def test_stepping_through_tanh(browser: Browser, tmp_path: Path, layout: str) -> None:
    if layout == "graphviz":
        need_graphviz()
    out, labels = tanh_graph()
    path = tmp_path / "backprop.html"
    path.write_text(step_through_html(out, labels, layout=layout), encoding="utf-8")
    visit = Visit(browser, path)
    footer = visit.page.locator("#mg-footer").text_content() or ""
    assert ("Graphviz" if layout == "graphviz" else "dagre 3.1.3") in footer
    walk(visit, out, labels)
    visit.close()


def test_a_value_used_twice_and_the_back_button(browser: Browser, tmp_path: Path) -> None:
    x = Value(3.0)
    out = x * x + x
    path = tmp_path / "twice.html"
    path.write_text(step_through_html(out, {x: "x"}, layout="dagre"), encoding="utf-8")
    visit = Visit(browser, path)
    visit.page.keyboard.press("End")
    assert visit.values("grad")["v0"] == "7"
    visit.page.click("#mg-prev")  # undo the mul step: x keeps only the add's 1
    assert visit.values("grad")["v0"] == "1"
    assert "x.grad = 0 + 3 = 3" not in (visit.page.locator("#mg-text").text_content() or "")
    visit.page.click("#mg-next")
    assert "x.grad = 4 + 3 = 7" in (visit.page.locator("#mg-text").text_content() or "")
    visit.close()


@pytest.mark.parametrize("layout", ["graphviz", "dagre"])
def test_the_demo_model_from_the_command_line(
    browser: Browser, tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if layout == "graphviz":
        need_graphviz()
    else:
        monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`: the page lays itself out
    path = tmp_path / "demo.html"
    args = ["graph", "--demo", "--hidden", "2", "--samples", "1", "-o", str(path)]
    assert main(args) == 0
    X, y = make_moons(seed=1337)
    random.seed(1337)
    model = MLP(2, [2, 1])
    loss, _ = demo_loss(model, X[:1], y[:1])
    visit = Visit(browser, path)
    walk(visit, loss, {loss: "loss"})
    visit.close()


def test_jupyter_iframe(browser: Browser, tmp_path: Path) -> None:
    out, labels = tanh_graph()
    frame_html = draw_dot(out, labels=labels)._repr_html_()
    assert frame_html is not None
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><body>{frame_html}</body></html>", encoding="utf-8")
    page: Any = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("body[data-ready=true]").wait_for(timeout=60_000)
    frame.locator("#mg-last").click()
    x_grad = frame.locator('.value[data-name="x"]').get_attribute("data-grad")
    out.backward()
    assert x_grad is not None and float(x_grad) == next(v for v in labels if labels[v] == "x").grad
    assert errors == [] and requests == [path.resolve().as_uri()]
    page.close()


def test_the_docs_screenshot_script(browser: Browser, tmp_path: Path) -> None:
    # `browser` makes this test skip or fail exactly like the others without a Chromium.
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "docs/gen_images.py", "--only", "page", "--out", str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout, done.stdout
    png = (tmp_path / "backprop-page.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000

"""Generate the pictures in docs/img from the code, so they never drift from what it draws.

    python docs/gen_images.py          # from the repository root
    python docs/gen_images.py --steps 5 --out /tmp/img    # a quick trial elsewhere

Writes, into docs/img/:
- moons.png   the decision boundary after `micrograd demo`'s default training (needs the `plot`
              extra, matplotlib; skipped with a message without it)
- moons.txt   the same boundary as the ASCII art the terminal shows (always)
- graph.dot   the graph of tanh(x*y + 1) at x=2, y=-1 after backward (always)
- graph.svg   that graph drawn by Graphviz (needs the `dot` program; skipped without it)
- backprop-page.png
              the step-through page of that graph during its last backward step, taken by a
              headless Chromium (needs the `browser` extra, Playwright, and a Chromium: the
              system's `chromium`, or MICROGRAD_CHROMIUM; skipped with a message without them)

`--only page` makes just the screenshot (no training).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from micrograd_core import Value
from micrograd_core._plot import PlotUnavailableError, ascii_boundary, save_png
from micrograd_core.datasets import make_moons
from micrograd_core.demo import train
from micrograd_core.graph import GraphvizNotFoundError, draw_dot

OUT = Path(__file__).resolve().parent / "img"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def tanh_graph() -> tuple[Value, dict[Value, str]]:
    """tanh(x*y + 1) at x=2, y=-1, after backward: the docs' running example."""
    x, w = Value(2.0), Value(-1.0)
    out = (x * w + 1).tanh()
    out.backward()
    return out, {x: "x", w: "y", out: "out"}


def page_screenshot(path: Path) -> str:
    """The step-through page of the running example at its last backward step, as a PNG.
    Returns what was done, or why it was skipped."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: Playwright is not installed (the `browser` extra)"
    exe = os.environ.get("MICROGRAD_CHROMIUM") or next(
        (p for p in map(shutil.which, CHROMIUM_NAMES) if p), None
    )
    if exe is None:
        return "skipped: no Chromium found (apt-get install chromium, or MICROGRAD_CHROMIUM)"
    out, labels = tanh_graph()
    html = draw_dot(out, labels=labels).html(title="tanh(x*y + 1) at x=2, y=-1")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "backprop.html"
        page_file.write_text(html, encoding="utf-8")
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 960, "height": 400})
        page.goto(page_file.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        page.keyboard.press("End")  # the last step: mul sends its gradient to x and y
        page.screenshot(path=str(path))
        browser.close()
    return f"wrote {path}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the pictures in docs/img.")
    parser.add_argument("--steps", type=int, default=100, help="demo training steps (100)")
    parser.add_argument("--out", type=Path, default=OUT, help="output directory (docs/img)")
    parser.add_argument("--only", choices=["page"], help="make only this picture")
    args = parser.parse_args(argv)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.only == "page":
        print(page_screenshot(out_dir / "backprop-page.png"))
        return 0
    print(f"training the demo model ({args.steps} steps)...")
    model, history = train(steps=args.steps)
    X, y = make_moons()
    (out_dir / "moons.txt").write_text(ascii_boundary(model, X, y) + "\n", encoding="utf-8")
    print(f"wrote {out_dir / 'moons.txt'} (final accuracy {history[-1].accuracy:.0%})")
    try:
        # A modest resolution keeps the committed file small (tens of kilobytes).
        save_png(model, X, y, out_dir / "moons.png", resolution=100)
        print(f"wrote {out_dir / 'moons.png'}")
    except PlotUnavailableError as exc:
        print(f"skipped moons.png: {exc}")

    out, labels = tanh_graph()
    graph = draw_dot(out, labels=labels)
    graph.render(out_dir / "graph.dot")
    print(f"wrote {out_dir / 'graph.dot'}")
    try:
        graph.render(out_dir / "graph.svg")
        print(f"wrote {out_dir / 'graph.svg'}")
    except GraphvizNotFoundError as exc:
        print(f"skipped graph.svg: {exc}")
    print(page_screenshot(out_dir / "backprop-page.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

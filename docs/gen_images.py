"""Generate the pictures in docs/img from the code, so they never drift from what it draws.

    python docs/gen_images.py          # from the repository root
    python docs/gen_images.py --steps 5 --out /tmp/img    # a quick trial elsewhere

Writes, into docs/img/:
- moons.png   the decision boundary after `micrograd demo`'s default training (needs the `plot`
              extra, matplotlib; skipped with a message without it)
- moons.txt   the same boundary as the ASCII art the terminal shows (always)
- graph.dot   the graph of tanh(x*y + 1) at x=2, y=-1 after backward (always)
- graph.svg   that graph drawn by Graphviz (needs the `dot` program; skipped without it)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from micrograd_core import Value
from micrograd_core._plot import PlotUnavailableError, ascii_boundary, save_png
from micrograd_core.datasets import make_moons
from micrograd_core.demo import train
from micrograd_core.graph import GraphvizNotFoundError, draw_dot

OUT = Path(__file__).resolve().parent / "img"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the pictures in docs/img.")
    parser.add_argument("--steps", type=int, default=100, help="demo training steps (100)")
    parser.add_argument("--out", type=Path, default=OUT, help="output directory (docs/img)")
    args = parser.parse_args(argv)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
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

    x, w = Value(2.0), Value(-1.0)
    out = (x * w + 1).tanh()
    out.backward()
    graph = draw_dot(out, labels={x: "x", w: "y", out: "out"})
    graph.render(out_dir / "graph.dot")
    print(f"wrote {out_dir / 'graph.dot'}")
    try:
        graph.render(out_dir / "graph.svg")
        print(f"wrote {out_dir / 'graph.svg'}")
    except GraphvizNotFoundError as exc:
        print(f"skipped graph.svg: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

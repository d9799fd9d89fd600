"""`micrograd graph`: draw the computation graph of an expression or of the demo model's loss."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..graph import FORMATS, GraphvizNotFoundError, draw_dot
from . import _source

EXAMPLES = """\
examples:
  micrograd graph "tanh(x*y + 1)" --var x=2 --var y=-1 -o backprop.html
                                    step through backprop in a browser
  micrograd graph "tanh(x*y + 1)" --var x=2 --var y=-1          DOT text on stdout
  micrograd graph "x**2 + sigmoid(x)" --var x=0.5 -o graph.svg  picture (needs Graphviz)
  micrograd graph --demo --hidden 2,2 --samples 1 -o loss.png   the demo model's loss
  micrograd graph "-x" --var x=1                                 EXPR may start with '-'
"""


def _arguments(p: argparse.ArgumentParser) -> list[argparse.Action]:
    actions = _source.add_source_arguments(p, "draw")
    actions += [
        p.add_argument("-o", "--output", type=Path, metavar="PATH", help="file to write"),
        p.add_argument(
            "-T",
            "--format",
            choices=FORMATS,
            help="output format (default: from the --output suffix, else dot)",
        ),
        p.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="layout direction"),
        p.add_argument("--no-backward", action="store_true", help="do not compute gradients"),
    ]
    return actions


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "graph",
        help="draw the graph of an expression or of the demo model's loss (HTML, DOT, SVG, PNG)",
        # Raw formatting keeps the examples' alignment, so the description is wrapped here.
        description=(
            "Build the graph of EXPR (numbers, --var variables, + - * / **, and calls of\n"
            "registered ops such as tanh(x) or pow(x, exponent=3)), run backward so every\n"
            "node shows its gradient, and write it as Graphviz DOT text (stdout by default),\n"
            "as a self-contained web page that steps through forward and backward (.html),\n"
            "or, when Graphviz's `dot` program is installed, as SVG, PNG or PDF."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _arguments(p)


def prepare_argv(args: Sequence[str]) -> list[str]:
    """Let EXPR start with '-' (see `_source.prepare_argv`)."""
    return _source.prepare_argv(args, _arguments(argparse.ArgumentParser(add_help=False)))


def _format(args: argparse.Namespace) -> str | None:
    if args.format is not None:
        return str(args.format)
    suffix = args.output.suffix.lstrip(".").lower() if args.output else "dot"
    fmt = {"gv": "dot", "htm": "html"}.get(suffix, suffix)
    return fmt if fmt in FORMATS else None


def run(args: argparse.Namespace) -> int:
    fmt = _format(args)
    if fmt is None:  # checked before building, which may take a while
        print(
            f"micrograd graph: error: cannot tell the format of {args.output}; "
            f"use a suffix or --format among {', '.join(FORMATS)}",
            file=sys.stderr,
        )
        return 2
    root, labels = _source.build(args)
    if not args.no_backward:
        root.backward()
    graph = draw_dot(root, labels=labels, rankdir=args.rankdir)
    try:
        if fmt == "html":
            data = graph.html(title=_source.title(args)).encode("utf-8")
        else:
            data = graph.pipe(fmt)
    except GraphvizNotFoundError as exc:
        # Not a usage error: the same command works once Graphviz is installed.
        print(f"micrograd graph: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        if fmt in ("dot", "svg", "html"):
            sys.stdout.write(data.decode("utf-8"))
        else:  # binary: bypass the text layer
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    elif fmt == "html":
        args.output.write_bytes(data)
        print(
            f"step-through page of {graph.nodes} values written to {args.output}: open it in a "
            "browser and step with the arrow keys"
        )
    else:
        args.output.write_bytes(data)
        print(f"graph of {graph.nodes} values written to {args.output} ({fmt})")
    return 0

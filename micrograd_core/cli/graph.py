"""`micrograd graph`: draw the computation graph of an expression or of the demo model's loss."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

from .._value import Value
from ..datasets import make_moons
from ..demo import demo_loss
from ..graph import FORMATS, GraphvizNotFoundError, draw_dot
from ..nn import MLP
from ._args import hidden_sizes, positive_int
from ._expr import evaluate

EXAMPLES = """\
examples:
  micrograd graph "tanh(x*y + 1)" --var x=2 --var y=-1          DOT text on stdout
  micrograd graph "x**2 + sigmoid(x)" --var x=0.5 -o graph.svg  picture (needs Graphviz)
  micrograd graph --demo --hidden 2,2 --samples 1 -o loss.png   the demo model's loss
"""


def _variable(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as x=2, got {text!r}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: expected a number, got {value!r}") from None


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "graph",
        help="draw the graph of an expression or of the demo model's loss (DOT, SVG, PNG)",
        # Raw formatting keeps the examples' alignment, so the description is wrapped here.
        description=(
            "Build the graph of EXPR (numbers, --var variables, + - * / **, and calls of\n"
            "registered ops such as tanh(x) or pow(x, exponent=3)), run backward so every\n"
            "node shows its gradient, and write it as Graphviz DOT text (stdout by default)\n"
            "or, when Graphviz's `dot` program is installed, as SVG, PNG or PDF."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expression", nargs="?", metavar="EXPR", help="the expression to draw")
    p.add_argument(
        "--var",
        type=_variable,
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="a variable of EXPR (repeatable)",
    )
    p.add_argument("--demo", action="store_true", help="draw the demo model's loss instead")
    p.add_argument(
        "--hidden", type=hidden_sizes, default=(16, 16), help="--demo: hidden sizes (16,16)"
    )
    p.add_argument(
        "--samples", type=positive_int, default=2, help="--demo: data points in the loss (2)"
    )
    p.add_argument("--seed", type=int, default=1337, help="--demo: data and weight seed")
    p.add_argument("-o", "--output", type=Path, metavar="PATH", help="file to write")
    p.add_argument(
        "-T",
        "--format",
        choices=FORMATS,
        help="output format (default: from the --output suffix, else dot)",
    )
    p.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="layout direction")
    p.add_argument("--no-backward", action="store_true", help="do not compute gradients")


def _build(args: argparse.Namespace) -> tuple[Value, dict[Value, str]]:
    if args.demo:
        X, y = make_moons(seed=args.seed)
        random.seed(args.seed)  # the weights `micrograd demo` starts from
        model = MLP(2, [*args.hidden, 1])
        loss, _ = demo_loss(model, X[: args.samples], y[: args.samples])
        return loss, {loss: "loss"}
    variables: dict[str, Value] = {}
    for name, number in args.var:
        if name in variables:
            raise ValueError(f"variable {name!r} is given twice")
        variables[name] = Value(number)
    out = evaluate(args.expression, variables)
    labels = {v: k for k, v in variables.items()}
    labels.setdefault(out, "out")
    return out, labels


def run(args: argparse.Namespace) -> int:
    if args.demo == (args.expression is not None):
        print("micrograd graph: error: give either an expression or --demo", file=sys.stderr)
        return 2
    root, labels = _build(args)
    if not args.no_backward:
        root.backward()
    graph = draw_dot(root, labels=labels, rankdir=args.rankdir)
    fmt = args.format
    if fmt is None:
        suffix = args.output.suffix.lstrip(".").lower() if args.output else "dot"
        fmt = "dot" if suffix == "gv" else suffix
        if fmt not in FORMATS:
            print(
                f"micrograd graph: error: cannot tell the format of {args.output}; "
                f"use a suffix or --format among {', '.join(FORMATS)}",
                file=sys.stderr,
            )
            return 2
    try:
        data = graph.pipe(fmt)
    except GraphvizNotFoundError as exc:
        # Not a usage error: the same command works once Graphviz is installed.
        print(f"micrograd graph: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        if fmt in ("dot", "svg"):
            sys.stdout.write(data.decode("utf-8"))
        else:  # binary: bypass the text layer
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    else:
        args.output.write_bytes(data)
        print(f"graph of {graph.nodes} values written to {args.output} ({fmt})")
    return 0

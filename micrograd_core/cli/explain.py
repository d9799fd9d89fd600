"""`micrograd explain`: the forward and backward passes of an expression, step by step."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..explanation import explain
from . import _source
from ._args import positive_int

EXAMPLES = """\
examples:
  micrograd explain "tanh(x*y + 1)" --var x=2 --var y=-1
  micrograd explain "x*x + x" --var x=3          a value used twice: its grad is a sum
  micrograd explain --demo --hidden 2 --samples 1  a small model's loss
  micrograd explain "sigmoid(x)" --var x=0 --json  for tools
"""


def _arguments(p: argparse.ArgumentParser) -> list[argparse.Action]:
    actions = _source.add_source_arguments(p, "explain")
    actions += [
        p.add_argument("--json", action="store_true", help="print JSON instead of text"),
        p.add_argument(
            "--color",
            choices=["auto", "always", "never"],
            default="auto",
            help="colour the text: auto (on a terminal, unless NO_COLOR is set), always, never",
        ),
        p.add_argument(
            "--digits",
            type=positive_int,
            default=6,
            help="significant digits of the numbers in the text (6)",
        ),
    ]
    return actions


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="print backprop step by step: forward values, then each backward step's arithmetic",
        description=(
            "Build the graph of EXPR (or of the demo model's loss) and print the forward\n"
            "values, then the backward pass node by node in the order the engine runs it:\n"
            "the upstream gradient, each input's local derivative (from the op's own\n"
            "backward), their product, and each value's gradient as the sum of what its\n"
            "consumers sent back. The numbers are exactly those .backward() computes."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _arguments(p)


def prepare_argv(args: Sequence[str]) -> list[str]:
    """Let EXPR start with '-' (see `_source.prepare_argv`)."""
    return _source.prepare_argv(args, _arguments(argparse.ArgumentParser(add_help=False)))


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    root, labels = _source.build(args)
    explanation = explain(root, labels)
    if args.json:
        json.dump(explanation.to_dict(), sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(explanation.text(color=_use_color(args.color), digits=args.digits))
    return 0

"""The `micrograd` command. Each subcommand lives in its own module beside this one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._errors import MicrogradError
from . import demo, ops

# Each module provides add_parser(subparsers) and run(args) -> exit code.
COMMANDS = {"demo": demo, "ops": ops}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="micrograd", description="A scalar autodiff engine where every op is a plugin."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(COMMANDS[args.command].run(args))
    except (MicrogradError, ValueError, OSError) as exc:  # user errors: a message, no traceback
        print(f"micrograd {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

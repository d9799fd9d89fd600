"""The `micrograd` command. Each subcommand is a module in this package that defines
`add_parser(subparsers)` and `run(args) -> int`; modules are found by name, so adding a command
means adding a file (`new_plugin.py` is the command `new-plugin`)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from .._errors import MicrogradError


def _commands() -> dict[str, ModuleType]:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "add_parser") and hasattr(module, "run"):
            found[info.name.replace("_", "-")] = module  # new_plugin.py is `new-plugin`
    return found


def build_parser(commands: dict[str, ModuleType] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="micrograd", description="A scalar autodiff engine where every op is a plugin."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (commands or _commands()).values():
        module.add_parser(sub)
    return parser


def _prepared(argv: Sequence[str] | None, commands: dict[str, ModuleType]) -> list[str]:
    """argv after the command's own `prepare_argv(args)`, if it has one (`micrograd graph "-x"`
    needs it: argparse would read the expression as an unknown option)."""
    args = list(sys.argv[1:] if argv is None else argv)
    module = commands.get(args[0]) if args else None
    prepare = getattr(module, "prepare_argv", None)
    return [args[0], *prepare(args[1:])] if prepare is not None else args


def main(argv: Sequence[str] | None = None) -> int:
    commands = _commands()
    args = build_parser(commands).parse_args(_prepared(argv, commands))
    try:
        return int(commands[args.command].run(args))
    except BrokenPipeError:  # `micrograd ops | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush is quiet too
        return 1
    except (MicrogradError, ValueError, OSError) as exc:  # user errors: a message, no traceback
        print(f"micrograd {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`micrograd ops`: every installed op and where it came from."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import Any

from .. import PROTOCOL, __version__
from .._registry import OpInfo, registry

COLUMNS = ("op", "arity", "plugin", "distribution", "version", "summary")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "ops",
        help="list the installed ops and the plugins they come from",
        description=(
            "List every registered op: its arity ('n' = variadic), static parameters, the "
            "plugin and distribution that provide it, and a one-line summary. Ops that "
            "replace another plugin's op say which one they override; plugins that failed "
            "to load are listed at the end."
        ),
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="show only these ops")
    p.add_argument("--json", action="store_true", help="machine-readable output (an object)")
    p.add_argument(
        "--full", action="store_true", help="do not shorten summaries to the terminal width"
    )
    # Summaries are shortened only on a terminal: piped output keeps every character.


def _row_dict(r: OpInfo) -> dict[str, Any]:
    return {
        "name": r.name,
        "arity": r.arity,  # null = variadic
        "params": list(r.params),
        "plugin": r.plugin,
        "distribution": r.distribution,
        "version": r.version,
        "summary": r.summary,
        "higher_order": r.higher_order,
        "overrides": r.overrides,
        "protocol": r.protocol,  # the op-protocol version its plugin was written for
    }


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 3)] + "..."


def run(args: argparse.Namespace) -> int:
    rows = registry.list()
    if args.names:
        for name in args.names:
            registry.get(name)  # UnknownOpError (exit 2) with close matches for a typo
        rows = [r for r in rows if r.name in set(args.names)]
    if args.json:
        out = {
            "micrograd_core": __version__,
            "protocol": PROTOCOL,
            "ops": [_row_dict(r) for r in rows],
            "skipped": [str(f) for f in registry.failures],
        }
        print(json.dumps(out, indent=2))
        return 0
    # The overrides column appears only when some op replaces another: it is rare, and an
    # always-empty column would push the summaries off narrow terminals.
    overrides = any(r.overrides for r in rows)
    header = COLUMNS[:-1] + (("overrides",) if overrides else ()) + COLUMNS[-1:]
    table = [header]
    for r in rows:
        arity = "n" if r.arity is None else str(r.arity)
        if r.params:
            arity += f" ({', '.join(r.params)})"
        cells = (r.name, arity, r.plugin, r.distribution or "-", r.version or "-")
        if overrides:
            cells += (r.overrides or "-",)
        table.append((*cells, _first_line(r.summary)))
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    room = shutil.get_terminal_size((120, 24)).columns - sum(widths) - 2 * len(widths)
    for row in table:
        shorten = sys.stdout.isatty() and not args.full
        summary = _fit(row[-1], max(room, 20)) if shorten else row[-1]
        padded = [c.ljust(w) for c, w in zip(row, widths)]
        print("  ".join([*padded, summary]).rstrip())
    older = sorted({f"{r.plugin} ({r.protocol})" for r in rows if r.protocol != PROTOCOL})
    note = f"; written for an older protocol: {', '.join(older)}" if older else ""
    print(
        f"\n{len(rows)} op(s), op protocol {PROTOCOL}{note}; `micrograd ops --json` for every field"
    )
    for failure in registry.failures:
        print(f"skipped: {failure}")
    return 0

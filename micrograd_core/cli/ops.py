"""`micrograd ops`: every installed op and where it came from."""

from __future__ import annotations

import argparse
import json
from typing import Any

import attrs

from .._registry import registry


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ops", help="list the installed ops and their plugins")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    rows = registry.list()
    if args.json:
        print(json.dumps([attrs.asdict(r) for r in rows], indent=2))
        return 0
    table = [("op", "arity", "plugin", "distribution", "summary")]
    for r in rows:
        arity = "n" if r.arity is None else str(r.arity)
        dist = f"{r.distribution or '-'} {r.version or ''}".strip()
        note = f" [overrides {r.overrides}]" if r.overrides else ""
        table.append((r.name, arity, r.plugin, dist, r.summary + note))
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4])
    for failure in registry.failures:
        print(f"skipped: {failure}")
    return 0

"""`micrograd check`: gradient-check installed ops outside pytest (needs hypothesis)."""

from __future__ import annotations

import argparse
import json
import zlib
from typing import TYPE_CHECKING, Any

from .._registry import registry

if TYPE_CHECKING:  # the testing package imports hypothesis: only load it when checking
    from ..testing import CheckResult


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="prove the installed ops' gradients right with property-based checks",
        description="Compare each op's backward with finite differences on inputs drawn by "
        "hypothesis from its domain (and second derivatives where supported). Exit status 1 if "
        "any op fails. Needs hypothesis: pip install 'micrograd-core[test]'.",
    )
    p.add_argument("ops", nargs="*", metavar="OP", help="op names to check (default: all)")
    p.add_argument(
        "-n", "--examples", type=int, default=100, metavar="N", help="examples per op (100)"
    )
    p.add_argument(
        "--seed", type=int, default=None, help="hypothesis seed (default: fixed per op name)"
    )
    p.add_argument(
        "--no-second-order", action="store_true", help="skip the gradient-of-gradient check"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    try:
        from ..testing import check_op
    except ImportError as exc:  # hypothesis is a test extra
        raise ValueError(f"needs hypothesis ({exc}); pip install 'micrograd-core[test]'") from None
    if args.examples < 1:
        raise ValueError(f"--examples must be >= 1, got {args.examples}")
    names = args.ops or registry.names()
    for name in names:
        registry.get(name)  # UnknownOpError (a clean message, exit 2) before any work
    results = []
    for name in names:
        seed = args.seed if args.seed is not None else zlib.crc32(name.encode())
        results.append(
            check_op(
                name,
                max_examples=args.examples,
                seed=seed,
                second_order=not args.no_second_order,
                raise_on_failure=False,
            )
        )
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2, default=repr))
        return 1 if failed else 0
    table = [("op", "plugin", "distribution", "examples", "max rel err", "tol used", "verdict")]
    for r in results:
        dist = f"{r.distribution or '-'} {r.version or ''}".strip()
        table.append(
            (
                r.op,
                r.plugin,
                dist,
                f"{r.examples - r.skipped}/{r.examples}",
                _rel_error(r),
                f"{r.max_used:.0%}" if r.ok else "-",
                r.verdict,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    for r in failed:
        print()
        print(r.report())
    print()
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _rel_error(r: CheckResult) -> str:
    """The failing comparison's error for a failure; for a pass, the largest relative error
    among comparisons above atol, or "<atol" when every error was within the absolute bound."""
    errors = [c.rel_error for c in (r.failure.comparisons if r.failure else ())]
    errors = [e for e in errors if e == e]  # drop NaN
    if errors:
        return f"{max(errors):.2g}"
    if not r.ok:
        return "-"
    return f"{r.max_rel_error:.2g}" if r.max_rel_error > 0 else "<atol"

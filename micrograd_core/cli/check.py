"""`micrograd check`: gradient-check installed ops outside pytest (needs hypothesis).

A gate, so it fails on what it could not check too: a plugin that failed to load or an op lost
to a name clash exits 1 (listed after the table) unless `--allow-plugin-failures` is given."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from .._registry import registry

if TYPE_CHECKING:  # the testing package imports hypothesis: only load it when checking
    from ..testing import CheckResult
    from ..testing._plugin_problems import PluginProblem


def arity_list(text: str) -> tuple[int, ...]:
    """ "1,2,4,9" -> (1, 2, 4, 9): the input counts a variadic op is checked with."""
    try:
        counts = tuple(int(p) for p in text.split(","))
    except ValueError:
        counts = ()
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated input counts >= 1 such as 1,2,4,9, got {text!r}"
        )
    return tuple(sorted(set(counts)))


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="prove the installed ops' gradients right with property-based checks",
        description="Compare each op's backward with finite differences on inputs drawn by "
        "hypothesis from its domain (and second derivatives where supported). Exit status 1 if "
        "any op fails, or if a plugin failed to load or lost an op to a name clash. Needs "
        "hypothesis: pip install 'micrograd-core[test]'.",
    )
    p.add_argument("ops", nargs="*", metavar="OP", help="op names to check (default: all)")
    p.add_argument(
        "-n", "--examples", type=int, default=100, metavar="N", help="examples per op (100)"
    )
    p.add_argument(
        "--seed", type=int, default=None, help="hypothesis seed (default: fixed per op name)"
    )
    p.add_argument(
        "--arities",
        type=arity_list,
        default=None,
        metavar="N,N,...",
        help="input counts for variadic ops (default 1,2,3,4,5,7)",
    )
    p.add_argument(
        "--no-second-order", action="store_true", help="skip the gradient-of-gradient check"
    )
    p.add_argument(
        "--allow-plugin-failures",
        action="store_true",
        help="list plugins that failed to load or lost an op to a name clash, but exit 0 for them",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    try:
        from ..testing import check_op
        from ..testing._plugin_problems import problems
        from ..testing._search import fixed_seed
    except ImportError as exc:  # hypothesis is a test extra
        raise ValueError(f"needs hypothesis ({exc}); pip install 'micrograd-core[test]'") from None
    if args.examples < 1:
        raise ValueError(f"--examples must be >= 1, got {args.examples}")
    names = args.ops or registry.names()
    for name in names:
        registry.get(name)  # UnknownOpError (a clean message, exit 2) before any work
    results = []
    for name in names:
        variadic = registry.spec(name).arity is None
        results.append(
            check_op(
                name,
                max_examples=args.examples,
                seed=args.seed if args.seed is not None else fixed_seed(name),
                second_order=not args.no_second_order,
                arities=args.arities if variadic else None,
                raise_on_failure=False,
            )
        )
    failed = [r for r in results if not r.ok]
    plugin_problems = problems()
    status = 1 if failed or (plugin_problems and not args.allow_plugin_failures) else 0
    if args.json:
        out = {
            "results": [r.to_dict() for r in results],
            "plugin_problems": [p.to_dict() for p in plugin_problems],
            "ok": status == 0,
        }
        print(json.dumps(out, indent=2, default=repr))
        return status
    _print_table(results)
    for r in failed:
        print()
        print(r.report())
    if plugin_problems:
        print()
        _print_problems(plugin_problems, args.allow_plugin_failures)
    print()
    summary = f"{len(results) - len(failed)} passed, {len(failed)} failed"
    if plugin_problems:
        n = len(plugin_problems)
        summary += f", {n} plugin problem{'s' if n > 1 else ''}"
        summary += " (allowed)" if args.allow_plugin_failures else ""
    print(summary)
    return status


def _print_table(results: list[CheckResult]) -> None:
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


def _print_problems(plugin_problems: list[PluginProblem], allowed: bool) -> None:
    verdict = "allowed by --allow-plugin-failures" if allowed else "exit status 1"
    print(f"plugin problems ({verdict}): their ops are missing from the table above")
    for p in plugin_problems:
        print(f"  {p.text()}")


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

"""What a check found, and the report a person reads when it fails."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import attrs

from .._errors import MicrogradError
from ._numeric import Comparison

# Failure kinds, each with a hint about the usual cause.
HINTS: dict[str, str] = {
    "gradient mismatch": "backward disagrees with the derivative of forward; compare the two "
    "formulas at this input (a constant factor, a sign, a branch taken for some inputs only?)",
    "second-order mismatch": "first derivatives are right but differentiating backward's result "
    "is not: backward must use plain arithmetic on its arguments (no float(), math.* or .data on "
    "a Value), or declare higher_order = False",
    "value path mismatch": "backward gives a different gradient when the engine passes Values "
    "(create_graph=True) than with floats: it must compute the same formula for both",
    "wrong number of gradients": "backward must return exactly one gradient per input, in order",
    "non-finite gradient": "forward is finite and smooth around this input (finite differences "
    "work) but backward returns inf or NaN; narrow the op's `domain` or fix backward",
    "non-deterministic forward": "forward returned different results for the same inputs",
    "non-deterministic backward": "backward returned different gradients for the same inputs",
    "input mutated": "the op changed its inputs or params (or a Value's data or grad); ops must be "
    "pure",
    "params not honoured": "the node built by apply() does not carry the static params, or its "
    "value differs from forward(..., **params)",
    "forward raised": "forward raised inside the declared domain; fix it or narrow `domain`",
    "backward raised": "backward raised inside the declared domain",
    "no usable examples": "every drawn input overflowed; check `domain` or pass smaller "
    "max_magnitude",
    "flaky": "the op behaved differently when hypothesis replayed the same input",
}

JUMP_HINT = (
    "finite differences never settle here, however small the step: the function changes "
    "abruptly at this input. If the op has a kink or a branch cut here, declare it (`kinks`, or "
    "`singular` for a point in several inputs); if not, a branch of backward is wrong on one "
    "side of this input"
)


@attrs.frozen
class Failure:
    """The first problem a check found (shrunk by hypothesis to a simple input)."""

    kind: str
    message: str
    inputs: tuple[float, ...] = ()
    params: dict[str, Any] = attrs.field(factory=dict)
    upstream: float = 1.0
    comparisons: tuple[Comparison, ...] = ()
    second_order: bool = False  # found by the second-order checks (create_graph=True)
    # False when finite differences never settled as the step shrank: a jump, not a formula
    converged: bool = True

    @property
    def hint(self) -> str:
        if not self.converged:
            return JUMP_HINT
        return HINTS.get(self.kind, "")


@attrs.define
class CheckResult:
    """The outcome of `check_op` for one op. `ok` is False iff `failure` is set."""

    op: str
    plugin: str
    distribution: str | None = None
    version: str | None = None
    examples: int = 0  # inputs evaluated (shrinking included)
    skipped: int = 0  # inputs where forward overflowed, so there was nothing to compare
    # derivatives float precision does not determine at their input (sin at 1e15): not compared
    inconclusive: int = 0
    max_abs_error: float = 0.0
    # over comparisons whose error exceeded atol and whose estimate is sharp (noise < 0.1%)
    max_rel_error: float = 0.0
    max_used: float = 0.0  # the largest fraction of the allowed error any comparison used
    checks: list[str] = attrs.field(factory=list)  # what was checked, e.g. "second order"
    failure: Failure | None = None
    seed: int | None = None
    reproduce: str = ""  # calls that replay the failure, each complete as printed
    blob: str = ""  # hypothesis's @reproduce_failure line, when it printed one

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def verdict(self) -> str:
        return "ok" if self.ok else "FAIL"

    def record(self, comparisons: list[Comparison], atol: float) -> None:
        for c in comparisons:
            if math.isfinite(c.abs_error):
                self.max_abs_error = max(self.max_abs_error, c.abs_error)
                self.max_used = max(self.max_used, c.used)
                # relative error where it means something: above atol, with a sharp estimate
                if c.abs_error > atol and c.noise <= 1e-3 * max(abs(c.analytic), abs(c.numeric)):
                    self.max_rel_error = max(self.max_rel_error, c.rel_error)

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self, recurse=False)
        d["ok"] = self.ok
        if self.failure is not None:
            f = self.failure
            d["failure"] = {
                "kind": f.kind,
                "message": f.message,
                "hint": f.hint,
                "inputs": list(f.inputs),
                "params": f.params,
                "upstream": f.upstream,
                "second_order": f.second_order,
                "converged": f.converged,
                "comparisons": [
                    {
                        **attrs.asdict(c),
                        "abs_error": c.abs_error,
                        "rel_error": c.rel_error,
                        "ok": c.ok,
                    }
                    for c in f.comparisons
                ],
            }
        return d

    def _inconclusive(self) -> str:
        n = self.inconclusive
        if not n:
            return ""
        return f", {n} derivative{'s' * (n != 1)} inconclusive within float precision"

    def report(self) -> str:
        """A multi-line, human-readable account; for a failure, everything needed to act."""
        where = f"plugin {self.plugin!r}"
        if self.distribution:
            where += f", distribution {self.distribution} {self.version or ''}".rstrip()
        if self.failure is None:
            return (
                f"op {self.op!r} ({where}): ok, {self.examples} examples "
                f"({self.skipped} skipped{self._inconclusive()}), max rel error "
                f"{self.max_rel_error:.3g}, "
                f"max {self.max_used:.0%} of the allowed error; checked {', '.join(self.checks)}"
            )
        f = self.failure
        lines = [
            f"gradient check FAILED for op {self.op!r} ({where})",
            _wrap("problem:", f"{f.kind}: {f.message}"),
        ]
        if f.inputs:
            xs = ", ".join(f"x{i} = {x!r}" for i, x in enumerate(f.inputs))
            lines.append(f"  input:    {xs}")
            lines.append(f"  params:   {f.params!r}    upstream grad: {f.upstream!r}")
        if f.comparisons:
            lines.append("")
            lines.extend(_table(f.comparisons))
            lines.append("")
        if f.hint:
            lines.append(_wrap("hint:", f.hint))
        lines.append(f"  examples: {self.examples} evaluated, shrinking included")
        if self.reproduce:
            lines.append(f"  reproduce: {self.reproduce}")
        return "\n".join(lines)


def _wrap(label: str, text: str) -> str:
    return textwrap.fill(
        text,
        width=96,
        initial_indent=f"  {label:<9} ",
        subsequent_indent=" " * 12,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _table(comparisons: tuple[Comparison, ...]) -> list[str]:
    head = ("", "analytic", "numeric", "abs err", "rel err", "allowed", "step", "")
    rows = [head] + [
        (
            c.label,
            f"{c.analytic:.10g}",
            f"{c.numeric:.10g}",
            f"{c.abs_error:.3g}",
            f"{c.rel_error:.3g}",
            f"{c.allowed:.3g}",
            f"{c.step:.3g}",
            "ok" if c.ok else "<-- wrong",
        )
        for c in comparisons
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]


class GradientCheckError(MicrogradError, AssertionError):
    """A gradient check failed. `result` holds the structured `CheckResult`; the message is its
    report. An AssertionError too, so pytest shows it as a test failure, not an error."""

    def __init__(self, result: Any) -> None:
        self.result = result
        super().__init__(result.report())


class NotReproducedError(MicrogradError, AssertionError):
    """`check_op(..., reproduce=...)` replayed the example and the op passed: it is fixed, or
    the example belongs to other arities, params or another hypothesis version."""

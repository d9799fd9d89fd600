"""Every check of one op at one input. No hypothesis here: `check_op` draws the inputs and calls
`check_at`, which raises `Found` with a `Failure` at the first problem."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NoReturn

import attrs

from .._value import Value, apply, grad
from ._confirm import Settled, settle
from ._numeric import (
    Comparison,
    Estimate,
    Tolerance,
    central_difference,
    joint_distance,
    same_float,
    singular_points,
    step_for,
    terms_size,
)
from ._report import Failure
from ._resolve import Target
from ._scale import resolves
from ._strategies import OpExample

Fn = Callable[[list[float]], float]


class Found(Exception):
    """Raised inside a hypothesis run to report a `Failure` (hypothesis then shrinks the input)."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(f"{failure.kind}: {failure.message}")


@attrs.frozen
class Outcome:
    comparisons: tuple[Comparison, ...]
    skipped: bool  # forward overflowed (or every finite difference did): nothing was compared
    # derivatives that float precision does not determine here (see `_confirm`): not compared
    inconclusive: int = 0


def _fmt_call(name: str, xs: Sequence[float], params: dict[str, Any]) -> str:
    args = [repr(x) for x in xs] + [f"{k}={v!r}" for k, v in params.items()]
    return f"{name}({', '.join(args)})"


class _Point:
    """One op at one input; each method checks one property and raises `Found` on failure."""

    def __init__(self, target: Target, ex: OpExample, tol: Tolerance) -> None:
        self.t, self.op, self.spec = target, target.op, target.spec
        self.xs = list(ex.inputs)
        self.params = dict(ex.params)
        self.upstream = ex.upstream
        self.tol = tol
        n = len(self.xs)
        domains, kinks = self.spec.domains(n, self.params), self.spec.kinks_of(n, self.params)
        self.singular = [singular_points(domains[i], kinks[i]) for i in range(n)]
        joint = joint_distance(self.xs, self.spec.singular_of(n, self.params))
        self.steps = [step_for(x, s, tol.eps, joint) for x, s in zip(self.xs, self.singular)]
        self._unsettled: set[str] = set()  # second-order estimates that never converged
        self.ones: list[float] = []  # backward with upstream 1 (set by first_order)
        self.inconclusive = 0  # comparisons dropped as inconclusive (see `_confirm`)

    def fail(
        self, kind: str, msg: str, comparisons: Sequence[Comparison] = (), converged: bool = True
    ) -> NoReturn:
        xs, params, cs = tuple(self.xs), dict(self.params), tuple(comparisons)
        failure = Failure(kind, msg, xs, params, self.upstream, cs, converged=converged)
        raise Found(failure)

    # ---- calling the op, turning its exceptions into reports -----------------------------
    def forward(self, xs: Sequence[float]) -> float | None:
        """forward's output as a float; None if it overflowed (nothing to check there)."""
        params = copy.deepcopy(self.params)
        try:
            y = float(self.op.forward(*xs, **params))
        except OverflowError:
            return None
        except Exception as exc:
            self.fail("forward raised", f"{_fmt_call('forward', xs, self.params)} raised {exc!r}")
        if params != self.params:
            self.fail("input mutated", f"forward changed its params to {params!r}")
        return y if math.isfinite(y) else None

    def backward(self, g: float, y: float, xs: Sequence[float]) -> list[float]:
        params = copy.deepcopy(self.params)
        call = f"backward({g!r}, {y!r}, {_fmt_call('', xs, self.params)[1:-1]})"
        try:
            gs = self.op.backward(g, y, *xs, **params)
        except Exception as exc:
            self.fail("backward raised", f"{call} raised {exc!r}")
        if params != self.params:
            self.fail("input mutated", f"backward changed its params to {params!r}")
        try:
            gs = list(gs)
        except TypeError:
            self.fail("wrong number of gradients", f"{call} returned {gs!r}, not a sequence")
        if len(gs) != len(xs):
            self.fail(
                "wrong number of gradients",
                f"{call} returned {len(gs)} gradient(s) for {len(xs)} input(s): {gs!r}",
            )
        try:
            return [float(v) for v in gs]
        except (TypeError, ValueError):
            self.fail("backward raised", f"{call} returned {gs!r}, which are not all numbers")

    # ---- the properties ------------------------------------------------------------------
    def deterministic(self) -> tuple[float, list[float]] | None:
        y = self.forward(self.xs)
        if y is None:
            return None
        again = self.forward(self.xs)
        if again is None or not same_float(y, again):
            self.fail("non-deterministic forward", f"returned {y!r}, then {again!r}")
        g1 = self.backward(self.upstream, y, self.xs)
        g2 = self.backward(self.upstream, y, self.xs)
        if not all(map(same_float, g1, g2)):
            self.fail("non-deterministic backward", f"returned {g1!r}, then {g2!r}")
        return y, g1

    def apply_path(self, y: float) -> None:
        """apply() stores the params on the node and gives forward's value; inputs stay intact."""
        leaves = [Value(x) for x in self.xs]
        params = copy.deepcopy(self.params)
        try:
            node = apply(self.op, *leaves, **params)
        except Exception as exc:
            self.fail(
                "params not honoured", f"apply(op, *inputs, **{self.params!r}) raised {exc!r}"
            )
        if not same_float(node.data, y) or node.param != self.params:
            self.fail(
                "params not honoured",
                f"apply() gave a node with data {node.data!r} and params {node.param!r}; "
                f"forward(..., **{self.params!r}) gives {y!r}",
            )
        self._intact(leaves, "apply()")

    def _intact(self, leaves: Sequence[Value], where: str) -> None:
        for i, (leaf, x) in enumerate(zip(leaves, self.xs)):
            if not same_float(leaf.data, x) or not (type(leaf.grad) is float and leaf.grad == 0):
                self.fail(
                    "input mutated",
                    f"{where} changed input x{i}: data {x!r} -> {leaf.data!r}, grad 0.0 -> "
                    f"{leaf.grad!r}",
                )

    def first_order(self, y: float, grads: list[float]) -> list[Comparison]:
        def f(v: list[float]) -> float:
            y = self.forward(v)  # raises Found if forward raises inside the domain
            return math.nan if y is None else y

        # forward's round-off scales with its terms: take their size from backward (a wrong
        # gradient only loosens the check of the others, by ~1e-8 relative to itself)
        self.ones = self.backward(1.0, y, self.xs)  # the gradient for upstream 1
        terms = terms_size(self.xs, self.ones)
        comparisons, estimates = [], []
        for i, h in enumerate(self.steps):
            est = central_difference(f, self.xs, i, h, terms)
            if est is None:
                continue
            numeric = self.upstream * est.value
            noise = abs(self.upstream) * est.noise
            allowed = self.tol.allowed(grads[i], numeric, noise)
            comparisons.append(Comparison(f"x{i}", grads[i], numeric, h, allowed, noise))
            estimates.append((i, est))
        for c in comparisons:
            if not math.isfinite(c.analytic):
                self.fail(
                    "non-finite gradient",
                    f"backward gives {c.analytic!r} for input {c.label}, finite differences "
                    f"give {c.numeric:.10g}",
                    comparisons,
                )
        settled = [
            self._settle(f, c, est, self.upstream, i, terms, partial(self._gradient, i))
            for c, (i, est) in zip(comparisons, estimates)
        ]
        self.inconclusive += sum(s.inconclusive for s in settled)
        settled = [s for s in settled if not s.inconclusive]
        comparisons = [s.comparison for s in settled]
        bad = [s for s in settled if not s.comparison.ok]
        if bad:
            which = ", ".join(s.comparison.label for s in bad)
            converged = any(s.converged for s in bad)
            self.fail(
                "gradient mismatch",
                f"backward's gradient for {which} disagrees with central finite differences"
                + _unconverged(not converged, "forward"),
                comparisons,
                converged,
            )
        return comparisons

    def _settle(
        self,
        f: Fn,
        c: Comparison,
        est: Estimate,
        scale: float,
        i: int,
        terms: float,
        derivative: Fn,
    ) -> Settled:
        """Confirm or clear a comparison at smaller steps (see `_confirm`). `derivative(v)` is
        the analytic derivative that `c` checks, at another input v (for upstream 1)."""
        estimate_at = partial(central_difference, f, self.xs, i, terms=terms)
        half = self.tol.allowed(c.analytic, c.analytic) / 2
        steady = partial(resolves, derivative, self.xs, i, abs(scale), half)
        return settle(c, est, estimate_at, self.tol, scale, steady)

    def _gradient(self, i: int, v: list[float]) -> float:
        """backward's gradient for input i at v, for upstream 1 (floats)."""
        y = self._float_forward(v)
        return float(self.op.backward(1.0, y, *v, **copy.deepcopy(self.params))[i])

    def _hessian_entry(self, i: int, j: int, v: list[float]) -> float:
        """d(grad x_i)/dx_j at v, through the engine as `second_order` computes it."""
        leaves = [Value(x) for x in v]
        node = apply(self.op, *leaves, **copy.deepcopy(self.params))
        first = grad(node, leaves, create_graph=True)
        return float(grad(first[i], leaves)[j])

    def _float_forward(self, v: list[float]) -> float:
        return float(self.op.forward(*v, **copy.deepcopy(self.params)))

    def second_order(self, y: float) -> list[Comparison]:
        """grad(create_graph=True) through the op, differentiated again, against finite
        differences of the float backward (gradgradcheck)."""
        n = len(self.xs)
        ones = self.ones
        leaves = [Value(x) for x in self.xs]
        try:
            node = apply(self.op, *leaves, **copy.deepcopy(self.params))
            first = grad(node, leaves, create_graph=True)
        except Exception as exc:
            self.fail(
                "backward raised",
                f"backward fails when the engine passes Values (create_graph=True): {exc!r}; "
                "use plain arithmetic, or declare higher_order = False",
            )
        value_path = [
            Comparison(
                f"x{i}: Values vs floats",
                first[i].data,
                ones[i],
                0.0,
                self.tol.allowed(first[i].data, ones[i]),
            )
            for i in range(n)
        ]
        if not all(c.ok for c in value_path):
            self.fail("value path mismatch", "create_graph=True gives other gradients", value_path)
        comparisons: list[Comparison] = []
        for i in range(n):
            try:
                row = grad(first[i], leaves)
            except Exception as exc:
                self.fail("backward raised", f"differentiating grad x{i} raised {exc!r}")
            comparisons += self._hessian_row(i, row)
        self._intact(leaves, "grad(create_graph=True)")
        bad = [c for c in comparisons if not c.ok or not math.isfinite(c.analytic)]
        if bad:
            which = ", ".join(c.label for c in bad)
            converged = not {c.label for c in bad} <= self._unsettled
            self.fail(
                "second-order mismatch",
                f"{which}: the derivative of backward's output disagrees with finite differences "
                "of backward" + _unconverged(not converged, "backward"),
                comparisons,
                converged,
            )
        return comparisons

    def _hessian_row(self, i: int, row: list[float]) -> list[Comparison]:
        g_i = partial(self._gradient, i)

        out = []
        terms = abs(self.ones[i]) + terms_size(self.xs, row)
        for j, h in enumerate(self.steps):
            est = central_difference(_quiet(g_i), self.xs, j, h, terms)
            if est is not None:
                allowed = self.tol.allowed(row[j], est.value, est.noise)
                label = f"d(grad x{i})/dx{j}"
                c = Comparison(label, row[j], est.value, h, allowed, est.noise)
                entry = partial(self._hessian_entry, i, j)
                settled = self._settle(_quiet(g_i), c, est, 1.0, j, terms, entry)
                if settled.inconclusive:
                    self.inconclusive += 1
                    continue
                if not settled.converged:
                    self._unsettled.add(label)
                out.append(settled.comparison)
        return out


def _unconverged(none_settled: bool, what: str) -> str:
    """A note for failures where smaller steps never gave a sharp estimate: the function jumps
    (or has an undeclared kink) right here, rather than a formula being wrong."""
    if not none_settled:
        return ""
    return (
        f" (finite differences of {what} do not settle as the step shrinks: it changes abruptly "
        "at this input, e.g. a branch or an undeclared kink)"
    )


def _quiet(f: Callable[[list[float]], float]) -> Callable[[list[float]], float]:
    """Errors of backward at a neighbouring point mean "no estimate there", not a failure."""

    def wrapped(v: list[float]) -> float:
        try:
            return f(v)
        except (ArithmeticError, ValueError, TypeError):
            return math.nan

    return wrapped


def check_at(target: Target, ex: OpExample, tol: Tolerance, second_order: bool) -> Outcome:
    """Run every check at one input; raise `Found` at the first failure."""
    p = _Point(target, ex, tol)
    base = p.deterministic()
    if base is None:
        return Outcome((), skipped=True)
    y, grads = base
    p.apply_path(y)
    comparisons = p.first_order(y, grads)
    if second_order and target.spec.higher_order:
        try:
            comparisons += p.second_order(y)
        except Found as exc:
            raise Found(attrs.evolve(exc.failure, second_order=True)) from None
    skipped = not comparisons and not p.inconclusive
    return Outcome(tuple(comparisons), skipped, p.inconclusive)

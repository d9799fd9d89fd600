"""`check_op`: hypothesis draws inputs, `_point.check_at` checks each, the result is a report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._validate import call_problem
from ._fastpath_check import fast_path_problem
from ._numeric import ATOL, EPS, RTOL, Tolerance
from ._point import Found, check_at
from ._report import CheckResult, Failure, GradientCheckError
from ._resolve import UNREGISTERED, Target, resolve
from ._search import Config, Search, active_profile, default_seed
from ._strategies import MAX_MAGNITUDE, MIN_MAGNITUDE, VARIADIC_ARITIES, OpExample


def _configs(
    target: Target, arities: Sequence[int] | None, params: Sequence[dict[str, Any]] | None
) -> list[Config]:
    """Every (arity, params) pair to check: each param example and each arity gets a share of
    the examples, so none is left out by chance."""
    spec = target.spec
    if spec.arity is None:
        ns = tuple(arities or VARIADIC_ARITIES)
    else:
        ns = (spec.arity,)
        if arities is not None and tuple(arities) != ns:
            raise ValueError(
                f"op {spec.name!r} takes exactly {spec.arity} input(s), not {tuple(arities)}"
            )
    ps = [dict(p) for p in (spec.param_examples if params is None else params)] or [{}]
    return [(n, p) for p in ps for n in ns]


def _op_expr(target: Target) -> str:
    return repr(target.name) if target.plugin != UNREGISTERED else "<your op object>"


def check_op(
    op_or_name: Any,
    *,
    max_examples: int | None = None,
    seed: int | None = None,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    second_order: bool = True,
    arities: Sequence[int] | None = None,
    params: Sequence[dict[str, Any]] | None = None,
    min_magnitude: float = MIN_MAGNITUDE,
    max_magnitude: float = MAX_MAGNITUDE,
    raise_on_failure: bool = True,
    reproduce: tuple[str, bytes] | None = None,
) -> CheckResult:
    """Prove an op's gradients right on inputs hypothesis draws from its declared domain.

    `op_or_name` is a registered op name or an op object (registered or not). For each static
    param example and (variadic ops) each arity in `arities` (default 1, 2, 3, 4, 5 and 7),
    about `max_examples / number of combinations` inputs are checked (default: the active
    hypothesis profile's `max_examples`; hypothesis's own default is 100). At each input:
    forward and backward are deterministic and leave their inputs alone, backward returns one
    finite gradient per input matching central finite differences (`eps`, `atol`, `rtol`;
    a mismatch is confirmed at smaller steps before it is reported), `apply` honours the params;
    and unless `second_order=False` or the op declares `higher_order = False`, the gradient
    computed with `create_graph=True` matches the float one and its own gradient matches finite
    differences of backward. A second-order failure is reported only if first order holds on
    every drawn input: otherwise the first-order failure is. Last, the fast path compiled mode
    would inline for the op (registered by its plugin, or derived from its methods) is checked
    against the methods again, on many more points than compiled mode's own check.

    Returns a `CheckResult`; on failure raises `GradientCheckError` (whose message is the report),
    or with `raise_on_failure=False` returns the result with `failure` set. `seed` replays a run;
    `reproduce=(version, blob)` replays the one example a report printed (`NotReproducedError`
    if it no longer fails).
    """
    target = resolve(op_or_name)
    tol = Tolerance(eps, atol, rtol)
    configs = _configs(target, arities, params)
    if max_examples is None:
        max_examples = active_profile().max_examples
    if max_examples < 1:
        raise ValueError(f"max_examples must be >= 1, got {max_examples}")
    seed = default_seed(target.name) if seed is None else seed
    check2 = second_order and target.spec.higher_order
    result = _new_result(target, _checks_done(target, configs, check2), seed=seed)
    per_config = max(1, math.ceil(max_examples / len(configs)))
    search = Search(target, tol, per_config, seed, (min_magnitude, max_magnitude))
    found = search.run(configs, check2, result, reproduce)
    if found is not None and found[0].second_order and reproduce is None:
        # Classify by first order first: shrinking a first-order bug can end on an input where
        # only second order fails (on the jump of a wrong branch), which would blame the
        # wrong thing. So search again with first order alone; its failure, if any, is the one.
        first = search.run(configs, False, result)
        if first is not None:
            found, check2 = first, False
    if found is not None:
        _describe(result, target, *found, check2=check2, second_order=second_order)
    if result.ok and result.examples == result.skipped:
        result.failure = Failure("no usable examples", f"all {result.examples} inputs overflowed")
    if result.ok:
        problem = fast_path_problem(target, configs)
        if problem is not None:
            result.failure = Failure("fast path mismatch", problem)
    if raise_on_failure and not result.ok:
        raise GradientCheckError(result)
    return result


def _describe(
    result: CheckResult,
    target: Target,
    failure: Failure,
    config: Config,
    blob: str,
    *,
    check2: bool,
    second_order: bool,
) -> None:
    """Fill in the failure and the calls that replay it, each complete as printed."""
    n, p = config
    result.failure = failure
    args = [_op_expr(target)]
    if p:
        args.append(f"params=[{p!r}]")
    if target.spec.arity is None:
        args.append(f"arities=({n},)")
    if second_order and not check2 and target.spec.higher_order:
        args.append("second_order=False")  # the first-order search found it
    result.reproduce = f"check_op({', '.join([args[0], f'seed={result.seed}', *args[1:]])})"
    if failure.inputs:
        result.reproduce += (
            f"\n             or this input alone: check_point({_op_expr(target)}, "
            f"{list(failure.inputs)!r}, params={failure.params!r}, "
            f"upstream={failure.upstream!r})"
        )
    if blob:
        result.blob = blob
        replay = blob[len("@reproduce_failure") :]
        result.reproduce += (
            f"\n             or hypothesis's example: check_op({', '.join(args)}, "
            f"reproduce={replay})"
        )


def _checks_done(target: Target, configs: list[Config], check2: bool) -> list[str]:
    checks = ["first order", "determinism", "purity", "gradient count", "fast paths"]
    if target.spec.params:
        unique = [p for i, (_, p) in enumerate(configs) if p not in [q for _, q in configs[:i]]]
        checks.append(f"params {unique}")
    if target.spec.arity is None:
        checks.append(f"arities {sorted({n for n, _ in configs})}")
    if check2:
        checks.append("second order")
    return checks


def check_point(
    op_or_name: Any,
    inputs: Sequence[float],
    params: dict[str, Any] | None = None,
    *,
    upstream: float = 1.0,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    second_order: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Every check of `check_op`, at one given input (e.g. one copied from a failure report)."""
    target = resolve(op_or_name)
    _check_call(target, inputs, params)
    ex = OpExample(tuple(float(x) for x in inputs), dict(params or {}), float(upstream))
    check2 = second_order and target.spec.higher_order
    result = _new_result(target, _checks_done(target, [(len(inputs), ex.params)], check2))
    result.examples = 1
    tol = Tolerance(eps, atol, rtol)
    try:
        outcome = check_at(target, ex, tol, check2)
    except Found as exc:
        result.failure = exc.failure
    else:
        result.skipped = int(outcome.skipped)
        result.inconclusive = outcome.inconclusive
        result.record(list(outcome.comparisons), tol.atol)
    if result.ok and result.skipped:
        result.failure = Failure("no usable examples", f"forward overflowed at {list(inputs)!r}")
    if raise_on_failure and not result.ok:
        raise GradientCheckError(result)
    return result


def _check_call(target: Target, inputs: Sequence[float], params: dict[str, Any] | None) -> None:
    """Caller mistakes are the caller's: ArityError / ParamError / ValueError, not op failures."""
    spec = target.spec
    problem = call_problem(spec, len(inputs), dict(params or {}))
    if problem is not None:
        error, msg = problem
        raise error(target.op, target.plugin, msg)
    domains = spec.domains(len(inputs), dict(params or {}))
    for i, (x, dom) in enumerate(zip(inputs, domains)):
        if x not in dom:
            raise ValueError(f"check_point: input {i} = {x!r} is outside the op's domain {dom}")


def _new_result(target: Target, checks: list[str], seed: int | None = None) -> CheckResult:
    """An empty result naming the op and where it came from."""
    return CheckResult(
        op=target.name,
        plugin=target.plugin,
        distribution=target.distribution,
        version=target.version,
        seed=seed,
        checks=checks,
    )

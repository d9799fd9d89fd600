"""A fast path must give exactly the floats of the op's own methods: checked before any use.

`mismatch` evaluates the fast path's expressions and the methods at sampled points and
compares them bit for bit (the sign of a zero included; any NaN equals any NaN). The points
cover the whole real line, not only the declared domain (the engine runs an op anywhere, and an
expression that raises where the method returns inf would break a replay): +-0, +-1, the
smallest subnormal, magnitudes up to 1e300, +-inf, NaN, every kink and the floats on either
side of it, and seeded random values of every magnitude. The upstream gradient takes ordinary,
zero, huge, infinite and NaN values too. Where a method raises, the fast path must raise too.
Sampling is deterministic (seeded by the op's name), so a verdict never changes between runs.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from array import array
from typing import Any

from .._validate import OpSpec
from .fastpath import FastPath, module_globals, render

_SPECIAL = (
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    1e-8,
    -7e-3,
    5e-324,
    -5e-324,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
)
_GRADS = (0.75, 1.0, -2.0, 0.0, -0.0, 1e300, math.inf, math.nan)
_VARIADIC_ARITIES = (1, 2, 3, 4, 7)
SAMPLES = 160  # points per (arity, params); `check_op` asks for more
_LONE_X = re.compile(r"\bx\b")


def mismatch(
    op: Any,
    spec: OpSpec,
    fastpath: FastPath,
    n_inputs: int | None = None,
    params: dict[str, Any] | None = None,
    samples: int = SAMPLES,
) -> str | None:
    """Where the fast path and the methods first disagree, in words; None if they never do.

    `n_inputs`: check a fixed-count form (x0, x1, ...) for that many inputs; None: the op's
    arity, or several counts for the uniform `xs`/`x` form of a variadic op. `params`: check
    with these static params (baked into the fast path) instead of the op's examples."""
    uniform = spec.arity is None and n_inputs is None
    arities = (n_inputs,) if n_inputs else (spec.arity,) if spec.arity else _VARIADIC_ARITIES
    names = () if params is not None else spec.params
    tpl = render(fastpath, None if uniform else arities[0], names, module_globals(op), "_fp_")
    if tpl is None:
        return "its expressions cannot be read (a syntax error, or a name its module lacks)"
    rng = random.Random(zlib.crc32(spec.name.encode()))
    examples = [params] if params is not None else list(spec.param_examples) or [{}]
    for ps in examples:
        for n in arities:
            kinks = _kink_points(spec, n)
            fwd, bwds = _compile(tpl, n, names, uniform)
            whole = None if uniform else _whole(tpl, n, names)
            for xs in _points(rng, n, kinks, samples):
                kw = {p: ps[p] for p in names}
                problem = _compare(op, ps, kw, xs, fwd, bwds, rng, whole)
                if problem is not None:
                    where = ", ".join(f"x{i}={x!r}" for i, x in enumerate(xs))
                    if ps:
                        where += ", " + ", ".join(f"{k}={v!r}" for k, v in ps.items())
                    return f"{problem} at {where}"
    return None


def _kink_points(spec: OpSpec, n: int) -> list[list[float]]:
    try:
        kinks = spec.kinks_of(n)
    except Exception:
        return [[] for _ in range(n)]
    return [
        [y for k in ks for y in (k, math.nextafter(k, -math.inf), math.nextafter(k, math.inf))]
        for ks in kinks
    ]


def _points(rng: random.Random, n: int, kinks: list[list[float]], samples: int) -> list[tuple]:
    points: list[tuple[float, ...]] = []
    if n == 1:
        points += [(x,) for x in _SPECIAL] + [(k,) for k in kinks[0]]
    elif n == 2:
        points += [(a, b) for a in _SPECIAL[::2] for b in _SPECIAL[1::2]]
    while len(points) < samples:
        points.append(tuple(_one(rng, kinks[i]) for i in range(n)))
    return points


def _one(rng: random.Random, kinks: list[float]) -> float:
    r = rng.random()
    if r < 0.25:
        return rng.choice(_SPECIAL)
    if r < 0.4 and kinks:
        return rng.choice(kinks)
    if r < 0.7:
        return rng.uniform(-10.0, 10.0)
    return math.copysign(10.0 ** rng.uniform(-300, 300), rng.random() - 0.5)


def _compile(tpl: Any, n: int, params: tuple[str, ...], uniform: bool) -> tuple[Any, list[Any]]:
    """The template's expressions as functions of (inputs..., g, out, params...)."""
    ins = ["xs"] if uniform else [f"x{i}" for i in range(n)]
    holes = {name: name for name in [*ins, "x", "g", "out", *params]}
    args = (
        ", ".join([*ins, "x", "g", "out", "*", *params])
        if params
        else ", ".join([*ins, "x", "g", "out"])
    )

    def make(expr: str | None) -> Any:
        if expr is None:
            return None
        return eval(f"lambda {args}: {expr.format(**holes)}", dict(tpl.globals))

    return make(tpl.forward), [make(b) for b in (tpl.backward or ())]


def _whole(tpl: Any, n: int, params: tuple[str, ...]) -> Any:
    """All of a fixed-count backward's gradients as one function returning a tuple, or None.

    Checking input by input costs a call per (point, gradient, input), which for a 129-input
    `dot` was most of a second. `_compare` first compares the whole tuple, bit for bit, and
    goes input by input only where that does not settle it (something raised, or the bits
    differ), so the verdict and its message are exactly those of the check input by input."""
    bwds = tpl.backward or ()
    if len(bwds) != n or n < 2 or any(b is None or _LONE_X.search(b) for b in bwds):
        return None  # (a fixed-count form never names `x`; if one did, go input by input)
    ins = [f"x{i}" for i in range(n)]
    holes = {name: name for name in [*ins, "x", "g", "out", *params]}
    args = ", ".join([*ins, "x", "g", "out", *(["*", *params] if params else [])])
    body = ", ".join(b.format(**holes) for b in bwds)
    return eval(f"lambda {args}: ({body},)", dict(tpl.globals))


def _same_bits(got: Any, want: list[Any]) -> bool:
    """True when the two sequences are the same doubles, bit for bit (so `_same` holds for
    every pair); False when that cannot be told this way (the caller then looks pair by pair)."""
    try:
        return array("d", got).tobytes() == array("d", want).tobytes()
    except Exception:
        return False


def _call(fn: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    try:
        return True, fn(*args, **kwargs)
    except Exception as exc:
        return False, exc


def _same(a: Any, b: Any) -> bool:
    try:
        a, b = float(a), float(b)
    except Exception:
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _compare(
    op: Any,
    ps: dict[str, Any],
    kw: dict[str, Any],
    xs: tuple[float, ...],
    fwd: Any,
    bwds: list[Any],
    rng: random.Random,
    whole: Any = None,
) -> str | None:
    """The first disagreement at the point `xs` (params `ps`; `kw`: those the fast path names).
    `whole`: the backward as one function (`_whole`), tried first."""
    n = len(xs)
    ok, out = _call(op.forward, *xs, **ps)
    if fwd is not None:
        fok, got = _call(fwd, *_args(fwd, xs), None, 0.0, 0.0, **kw)
        if ok and not (fok and _same(got, out)):
            return f"forward gives {out!r} but the fast path gives {got!r}"
        if not ok and fok:
            return f"forward raises {out!r} but the fast path gives {got!r}"
    if not bwds or not ok:
        return None
    for g in (*_GRADS[:3], rng.choice(_GRADS[3:])):
        bok, grads = _call(op.backward, g, out, *xs, **ps)
        if bok:
            try:
                grads = list(grads)
            except Exception:
                bok = False
        if whole is not None and bok and len(grads) == n:
            wok, got = _call(whole, *xs, None, g, out, **kw)
            if wok and _same_bits(got, grads):
                continue  # every input agrees: what the loop below would find
        for i in range(n):
            expr = bwds[0] if len(bwds) == 1 and n != 1 else bwds[i]
            x = xs[i]
            fok, got = _call(expr, *_args(expr, xs), x, g, out, **kw)
            if not bok:
                if fok:
                    return f"backward raises but the fast path gives {got!r} (grad={g!r})"
                continue
            if not (fok and len(grads) == n and _same(got, grads[i])):
                want = grads[i] if len(grads) == n else grads
                return (
                    f"backward gives {want!r} for input {i} but the fast path gives "
                    f"{got!r} (grad={g!r})"
                )
    return None


def _is_uniform(fn: Any) -> bool:
    return fn.__code__.co_varnames[:1] == ("xs",)


def _args(fn: Any, xs: tuple[float, ...]) -> tuple[Any, ...]:
    return (xs,) if _is_uniform(fn) else xs

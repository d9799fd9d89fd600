"""Fast paths derived from an op's own methods, so that its maths is written once.

Two ways, tried in order for `forward` and for `backward`:
1. **From the source.** A method whose body is one `return` of an expression (a docstring
   aside) is that expression: `return b * grad, a * grad` gives `("x1 * g", "x0 * g")`. The
   parameters are renamed to the engine's names; every other name must be a global of the op's
   module or a builtin (not `self`, whose attributes could change).
2. **By a symbolic run.** The method is called once with placeholders that record the
   arithmetic done on them (`Symbol`), for this many inputs and these static params. It works
   for plain arithmetic, loops and comprehensions over the inputs (a variadic `sum` or `dot`);
   a method that branches on a value, converts it (`math.exp(x)`, `float(x)`) or reads an
   attribute of it stops the run, and that method gets no fast path.
A run cannot see `try`/`except` or `isinstance` tests that a float would have taken another way,
which is why every derived fast path is still checked against the methods before it is used
(`verify`), and dropped if they disagree anywhere.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
from collections.abc import Sequence
from typing import Any

from .._validate import OpSpec
from .fastpath import FastPath

# (fast path, uniform xs/x form, params baked in, read from the source alone)
Derived = tuple[FastPath, bool, bool, bool]
_INPUT = re.compile(r"\bx(\d+)\b")  # an input's name, x0, x1, ...


def derive(op: Any, spec: OpSpec, n_inputs: int, params: dict[str, Any]) -> Derived | None:
    """A fast path for `op` on `n_inputs` inputs with `params`, or None if none can be derived."""
    variadic = spec.arity is None
    fwd = _from_source(op.forward, 0, variadic, spec.params)
    bwd = _from_source(op.backward, 2, variadic, spec.params)
    if not variadic and fwd is not None and bwd is not None:
        return FastPath(fwd, bwd), False, False, True  # type: ignore[arg-type]
    xs = [Symbol(f"x{i}") for i in range(n_inputs)]
    ran = _run(op.backward, [Symbol("g"), Symbol("out"), *xs], params)
    backward = None
    if isinstance(ran, (tuple, list)) and len(ran) == n_inputs:
        parts = [_source(b) for b in ran]
        if all(p is not None for p in parts):
            backward = tuple(p for p in parts if p is not None)
    if variadic and not params and isinstance(fwd, str):
        uniform = _uniform(backward) if backward is not None else None
        if uniform is not None:  # one rule for every input: the `xs`/`x` form, for any count
            return FastPath(fwd, (uniform,)), True, False, False
    if not variadic and not params:  # what the source gave, the rest from the run
        forward = fwd if isinstance(fwd, str) else _source(_run(op.forward, xs, params))
        back = bwd if isinstance(bwd, tuple) else backward
        if forward is None and back is None:
            return None
        return FastPath(forward, back), False, False, False
    forward = _source(_run(op.forward, xs, params))  # for exactly these inputs and params
    if forward is None and backward is None:
        return None
    return FastPath(forward, backward), False, True, False


def _uniform(backward: tuple[str, ...]) -> str | None:
    """The one expression of `x` that every input's gradient is (with its own input), if any."""
    forms = set()
    for i, expr in enumerate(backward):
        # one precompiled pattern for every input (a pattern per input index filled re's
        # cache: a 4,417-input sum compiled 4,417 patterns, a second of the larger workload)
        if any(k != str(i) for k in _INPUT.findall(expr)):
            return None  # reads another input
        forms.add(_INPUT.sub("x", expr))
    return forms.pop() if len(forms) == 1 else None


def _from_source(
    method: Any, leading: int, variadic: bool, params: Sequence[str]
) -> str | tuple[str, ...] | None:
    """The expression a one-`return` method returns, in the engine's names: a string for a
    forward, a tuple of strings for a backward (`leading` = 2: grad and out come first)."""
    try:
        source = textwrap.dedent(inspect.getsource(method))
        func = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    args = func.args
    names = [a.arg for a in args.posonlyargs + args.args][1:]  # without self
    if args.defaults or (args.kw_defaults and any(d is not None for d in args.kw_defaults)):
        return None  # a default could differ from what the engine passes
    rename: dict[str, str] = {}
    engine = ["g", "out"][:leading]
    if len(names) < leading:
        return None
    rename.update(zip(names[:leading], engine))
    inputs = names[leading:]
    if variadic:
        if inputs or args.vararg is None:
            return None
        rename[args.vararg.arg] = "xs" if leading == 0 else "__xs__"
    else:
        if args.vararg is not None:
            return None
        rename.update({name: f"x{i}" for i, name in enumerate(inputs)})
    for kw in args.kwonlyargs:
        if kw.arg not in params:
            return None
    value = body[0].value
    for node in ast.walk(value):
        if isinstance(node, ast.Name):
            if node.id == "self" or node.id == "__xs__":
                return None
            node.id = rename.get(node.id, node.id)
        elif isinstance(node, (ast.Lambda, ast.comprehension, ast.NamedExpr, ast.Starred)):
            return None
    if leading == 0:
        return ast.unparse(value)
    if not isinstance(value, (ast.Tuple, ast.List)):
        return None
    return tuple(ast.unparse(e) for e in value.elts)


class _NotSymbolic(Exception):
    """The method did something with a placeholder that an expression cannot record."""


def _run(method: Any, args: list[Any], params: dict[str, Any]) -> Any:
    try:
        return method(*args, **params)
    except Exception:  # any failure means: no fast path from a run
        return None


def _source(x: Any) -> str | None:
    if isinstance(x, Symbol):
        return x.src
    if type(x) in (int, float) and math.isfinite(x):
        return repr(x)
    return None


def _operand(x: Any) -> str:
    if isinstance(x, Symbol):
        return x.src
    if type(x) in (int, float, bool) and (type(x) is not float or math.isfinite(x)):
        return repr(x)
    raise _NotSymbolic(f"cannot record the constant {x!r}")


class Symbol:
    """A placeholder that records the arithmetic done on it as Python source."""

    __slots__ = ("src",)

    def __init__(self, src: str) -> None:
        self.src = src

    def _bin(self, op: str, other: Any, reflected: bool = False) -> Symbol:
        a, b = _operand(self), _operand(other)
        return Symbol(f"({b} {op} {a})" if reflected else f"({a} {op} {b})")

    def __add__(self, o: Any) -> Symbol:
        return self._bin("+", o)

    def __radd__(self, o: Any) -> Symbol:
        return self._bin("+", o, True)

    def __sub__(self, o: Any) -> Symbol:
        return self._bin("-", o)

    def __rsub__(self, o: Any) -> Symbol:
        return self._bin("-", o, True)

    def __mul__(self, o: Any) -> Symbol:
        return self._bin("*", o)

    def __rmul__(self, o: Any) -> Symbol:
        return self._bin("*", o, True)

    def __truediv__(self, o: Any) -> Symbol:
        return self._bin("/", o)

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._bin("/", o, True)

    def __pow__(self, o: Any) -> Symbol:
        return self._bin("**", o)

    def __rpow__(self, o: Any) -> Symbol:
        return self._bin("**", o, True)

    def __neg__(self) -> Symbol:
        return Symbol(f"(-{self.src})")

    def __pos__(self) -> Symbol:
        return Symbol(f"(+{self.src})")

    def __lt__(self, o: Any) -> Symbol:
        return self._bin("<", o)

    def __le__(self, o: Any) -> Symbol:
        return self._bin("<=", o)

    def __gt__(self, o: Any) -> Symbol:
        return self._bin(">", o)

    def __ge__(self, o: Any) -> Symbol:
        return self._bin(">=", o)

    def __abs__(self) -> Symbol:
        return Symbol(f"abs({self.src})")

    def __eq__(self, o: Any) -> bool:  # type: ignore[override]
        raise _NotSymbolic("a comparison for equality")

    __ne__ = __eq__  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise _NotSymbolic("a branch on a value")

    def __float__(self) -> float:
        raise _NotSymbolic("a conversion of a value")

    def __index__(self) -> int:
        raise _NotSymbolic("a conversion of a value")

    __int__ = __complex__ = __index__  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]

"""A safe evaluator of arithmetic expressions over `Value`s, for `micrograd graph`.

The text is parsed into `ast` nodes (by `_parse`, which never recurses) and only a whitelist is
evaluated: numbers, variable names, the operators + - * / ** (unary + and - too), and calls of
registered op names with positional arguments and numeric keyword parameters
(`pow(x, exponent=3)`). Nothing is ever passed to `eval`, so `__import__('os')` is an error, not
a shell. Evaluation walks the tree with an explicit stack too, so a long chain such as
`x+x+...+x` (100,000 terms) cannot hit the recursion limit.

Arithmetic on constants is the graph's arithmetic: `1/0` is inf and `9**9**9` is inf, exactly
as `x/0` and `x**9**9` are for a variable `x` (IEEE 754, see the Non-finite numbers table in
the concepts doc); the folded result becomes one leaf.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any, cast

from .._errors import MicrogradError
from .._registry import registry
from .._value import Value, apply
from ._parse import ParseError, parse

MAX_LENGTH = 1_000_000  # characters; a 100,000-term sum is 200,000

_BINOPS: dict[type, Any] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY: dict[type, Any] = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


class ExpressionError(MicrogradError, ValueError):
    """The expression is not valid, or uses something outside the allowed subset."""

    def __init__(self, msg: str, node: ast.AST | None = None, col: int | None = None) -> None:
        col = getattr(node, "col_offset", col)
        where = f" (at column {col + 1})" if col is not None else ""
        super().__init__(f"{msg}{where}")


def _parse(text: str) -> ast.expr:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    try:
        return parse(text.strip())
    except ParseError as exc:
        raise ExpressionError(exc.msg, col=exc.col) from None


def _children(node: ast.expr, variables: Mapping[str, Value]) -> list[ast.expr]:
    """The sub-expressions to evaluate first; raises on anything outside the whitelist."""
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise ExpressionError(f"only numbers are allowed, not {node.value!r}", node)
        return []
    if isinstance(node, ast.Name):
        if node.id not in variables:
            hint = f"pass --var {node.id}=VALUE"
            if node.id in registry:
                hint = f"{node.id!r} is an op: call it, {node.id}(x)"
            raise ExpressionError(f"unknown variable {node.id!r}; {hint}", node)
        return []
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed", node)
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed", node)
        return [node.operand]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only registered op names can be called, as in tanh(x)", node)
        registry.get(node.func.id)  # UnknownOpError, with close matches, for a typo
        for kw in node.keywords:
            if kw.arg is None or not isinstance(kw.value, ast.Constant):
                raise ExpressionError("keyword parameters must be numbers, as in exponent=2", kw)
            if type(kw.value.value) not in (int, float):
                raise ExpressionError("keyword parameters must be numbers, as in exponent=2", kw)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError("*args is not allowed", node)
        return list(node.args)
    raise ExpressionError(f"{type(node).__name__} is not allowed in an expression", node)


def evaluate(text: str, variables: Mapping[str, Value]) -> Value:
    """The `Value` of `text` with `variables` as its leaves. A constant expression gives a
    leaf `Value`. Raises `ExpressionError` (or `UnknownOpError`) for anything not allowed."""
    root = _parse(text)
    results: dict[int, Any] = {}
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(_children(node, variables)))
            continue
        try:
            results[id(node)] = _compute(node, variables, results)
        except ArithmeticError as exc:  # an op's forward that raised
            raise ExpressionError(f"cannot compute: {exc}", node) from None
        except TypeError as exc:
            if isinstance(exc, MicrogradError):  # ArityError, ParamError: already clear
                raise
            raise ExpressionError(f"cannot compute: {exc}", node) from None
    value = results[id(root)]
    return value if isinstance(value, Value) else Value(value)


def _compute(node: ast.expr, variables: Mapping[str, Value], results: dict[int, Any]) -> Any:
    if isinstance(node, ast.Constant):
        # As floats: integer arithmetic on constants (10**10**10) would run for ever.
        try:
            return float(cast(float, node.value))  # _children allowed only int and float
        except OverflowError:
            number = str(node.value)
            raise ExpressionError(
                f"cannot compute: the number {number[:12]}... ({len(number)} digits) is too "
                "large for a float",
                node,
            ) from None
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        a, b = results[id(node.left)], results[id(node.right)]
        if not isinstance(a, Value) and not isinstance(b, Value):
            # Constants follow the graph's arithmetic (IEEE: 1/0 is inf, as x/0 is), not
            # Python's (ZeroDivisionError, OverflowError, complex numbers).
            return _BINOPS[type(node.op)](Value(a), b).data
        return _BINOPS[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](results[id(node.operand)])
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [results[id(a)] for a in node.args]
    params: dict[str, Any] = {}
    for kw in node.keywords:  # _children checked: named, with a numeric constant value
        assert kw.arg is not None and isinstance(kw.value, ast.Constant)
        params[kw.arg] = kw.value.value
    return apply(node.func.id, *args, **params)

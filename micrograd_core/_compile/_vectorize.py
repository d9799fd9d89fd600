"""Op templates turned into whole-group expressions, for the pure-Python and numpy executors.

A fast path (see `micrograd_core._fastpaths`) is a scalar expression such as `(1 - out*out) * g`.
For a group of nodes the executors need it over sequences:
- pure Python: nested `map(operator.f, ...)` calls, so the loop over a group's nodes runs in C
  (`map(mul, map(sub, repeat(1), map(mul, out, out)), g)`); a template that cannot be written
  that way (a conditional, say) becomes a list comprehension, still one statement per group;
- numpy: the same expression on arrays (`np.where` for a conditional, `np.tanh` for
  `math.tanh`); calls numpy has no twin for run element by element through `np.frompyfunc`.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
from typing import Any

from .._floats import sequential_sum

_BIN = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "truediv",
    ast.Pow: "pow",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
}
_CMP = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_UN = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not_"}

#: Names the generated pure-Python code needs, besides the op's own template globals.
PY_NAMESPACE: dict[str, Any] = {
    f"_op_{n}": getattr(operator, n) for n in {*_BIN.values(), *_CMP.values(), *_UN.values()}
}
PY_NAMESPACE["_repeat"] = __import__("itertools").repeat


class Untranslatable(Exception):
    """The template uses a construct the vectorised form does not cover."""


def py_map(expr: str, vectors: set[str]) -> str | None:
    """`expr` over the sequences named in `vectors` as nested maps, or None (comprehension)."""
    try:
        src, is_vector = _py(ast.parse(expr, mode="eval").body, vectors)
    except (Untranslatable, SyntaxError):
        return None
    return src if is_vector else None


def _vec(part: tuple[str, bool]) -> str:
    return part[0] if part[1] else f"_repeat({part[0]})"


def _py(node: ast.AST, vectors: set[str]) -> tuple[str, bool]:
    if isinstance(node, ast.Name):
        return node.id, node.id in vectors
    if isinstance(node, ast.Constant):
        return repr(node.value), False
    if isinstance(node, ast.Attribute) and not _py(node.value, vectors)[1]:
        return ast.unparse(node), False
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        parts = [_py(node.left, vectors), _py(node.right, vectors)]
        name = _BIN[type(node.op)]
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UN:
        parts = [_py(node.operand, vectors)]
        name = _UN[type(node.op)]
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP:
        parts = [_py(node.left, vectors), _py(node.comparators[0], vectors)]
        name = _CMP[type(node.ops[0])]
    elif isinstance(node, ast.Call) and not node.keywords:
        func = _py(node.func, vectors)
        if func[1] or any(isinstance(a, ast.Starred) for a in node.args):
            raise Untranslatable
        parts = [_py(a, vectors) for a in node.args]
        if not any(v for _, v in parts):
            return f"{func[0]}({', '.join(s for s, _ in parts)})", False
        return f"map({func[0]}, {', '.join(_vec(p) for p in parts)})", True
    else:
        raise Untranslatable
    if not any(v for _, v in parts):
        return ast.unparse(node), False
    return f"map(_op_{name}, {', '.join(_vec(p) for p in parts)})", True


# ---- numpy -------------------------------------------------------------------------------
_NP_TWINS = {
    math.tanh: "tanh",
    math.exp: "exp",
    math.log: "log",
    math.sqrt: "sqrt",
    math.sin: "sin",
    math.cos: "cos",
    math.log1p: "log1p",
    math.expm1: "expm1",
    abs: "abs",
    math.fabs: "abs",
}


def np_expr(expr: str, vectors: set[str], namespace: dict[str, Any]) -> str | None:
    """`expr` on numpy arrays named in `vectors`; may add helpers to `namespace`."""
    try:
        return _np(ast.parse(expr, mode="eval").body, vectors, namespace)[0]
    except (Untranslatable, SyntaxError):
        return None


def _np(node: ast.AST, vectors: set[str], ns: dict[str, Any]) -> tuple[str, bool]:
    if isinstance(node, ast.Name):
        return node.id, node.id in vectors
    if isinstance(node, ast.Constant):
        return repr(node.value), False
    if isinstance(node, ast.Attribute):
        value = _np(node.value, vectors, ns)
        if value[1]:
            raise Untranslatable
        return ast.unparse(node), False
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = _np(node.left, vectors, ns), _np(node.right, vectors, ns)
        op = ast.unparse(ast.BinOp(ast.Name("a"), node.op, ast.Name("b")))[2:-2]
        return f"({left[0]} {op} {right[0]})", left[1] or right[1]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _np(node.operand, vectors, ns)
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{inner[0]})", inner[1]
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP:
        left, right = _np(node.left, vectors, ns), _np(node.comparators[0], vectors, ns)
        op = ast.unparse(ast.Compare(ast.Name("a"), node.ops, [ast.Name("b")]))[2:-2]
        return f"({left[0]} {op} {right[0]})", left[1] or right[1]
    if isinstance(node, ast.IfExp):
        parts = [_np(n, vectors, ns) for n in (node.test, node.body, node.orelse)]
        if not any(v for _, v in parts):
            return ast.unparse(node), False
        return f"_np.where({', '.join(s for s, _ in parts)})", True
    if isinstance(node, ast.Call) and not node.keywords:
        func_src, func_vec = _np(node.func, vectors, ns)
        if func_vec or any(isinstance(a, ast.Starred) for a in node.args):
            raise Untranslatable
        func = eval(func_src, ns)  # a module global of the op (already in the namespace)
        if (func is builtins.sum or func is sequential_sum) and len(node.args) == 1:
            # sum(xs): left to right (Python's own sum() compensates from 3.12: an ulp apart)
            inner = _np(node.args[0], vectors, ns)
            return f"_seqsum({inner[0]})", True
        args = [_np(a, vectors, ns) for a in node.args]
        if not any(v for _, v in args):
            return f"{func_src}({', '.join(s for s, _ in args)})", False
        twin = _NP_TWINS.get(func)
        if twin is not None:
            return f"_np.{twin}({', '.join(s for s, _ in args)})", True
        helper = f"_ufunc{len(ns)}"
        ns[helper] = _elementwise(func, len(args))
        return f"{helper}({', '.join(s for s, _ in args)})", True
    raise Untranslatable


def _elementwise(func: Any, nargs: int) -> Any:
    import numpy as np

    ufunc = np.frompyfunc(func, nargs, 1)
    return lambda *arrays: ufunc(*arrays).astype(np.float64)

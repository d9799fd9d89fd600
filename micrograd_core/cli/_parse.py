"""Parsing `micrograd graph` expressions into `ast` nodes, without recursion.

`ast.parse` recurses once per level of the tree it builds, and `x+x+...+x` is a tree as deep as
the chain is long: past about 2,800 terms it raises RecursionError. This parser reads Python's
tokens (`tokenize`) and builds the same `ast` node types (`BinOp`, `UnaryOp`, `Call`,
`Constant`, `Name`, `Attribute`) with an operator stack (the shunting-yard algorithm), so its
depth is bounded by nothing but memory: a 100,000-term sum parses. It accepts Python's
expression syntax for numbers, names, strings, calls, attribute access, parentheses and the
arithmetic and bitwise operators with Python's precedence; `_expr` then decides what of that is
allowed (only numbers, variables, + - * / ** and calls of ops).
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from typing import Any

#: Binary operators: token -> (ast operator class, precedence). Higher binds tighter.
_BINARY: dict[str, tuple[type[ast.operator], int]] = {
    "|": (ast.BitOr, 1),
    "^": (ast.BitXor, 2),
    "&": (ast.BitAnd, 3),
    "<<": (ast.LShift, 4),
    ">>": (ast.RShift, 4),
    "+": (ast.Add, 5),
    "-": (ast.Sub, 5),
    "*": (ast.Mult, 6),
    "/": (ast.Div, 6),
    "//": (ast.FloorDiv, 6),
    "%": (ast.Mod, 6),
    "@": (ast.MatMult, 6),
    "**": (ast.Pow, 8),  # right-associative; its right operand may be a unary expression
}
_UNARY: dict[str, type[ast.unaryop]] = {"-": ast.USub, "+": ast.UAdd, "~": ast.Invert}
_UNARY_PRECEDENCE = 7  # -x*y is (-x)*y, -x**y is -(x**y)
_SKIP = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT}


class ParseError(Exception):
    """Not an expression; `col` is the 0-based column of the offending token, if known."""

    def __init__(self, msg: str, col: int | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.col = col


class _Op:
    """An operator waiting on the stack for its right operand."""

    __slots__ = ("col", "op", "prec", "unary")

    def __init__(self, op: type, prec: int, unary: bool, col: int) -> None:
        self.op, self.prec, self.unary, self.col = op, prec, unary, col


class _Open:
    """An open parenthesis: a group, or the argument list of a call of `func`."""

    __slots__ = ("args", "col", "func", "keyword", "keywords", "mark", "trailing")

    def __init__(self, col: int, mark: int, func: ast.expr | None) -> None:
        self.col, self.func = col, func
        self.mark = mark  # how many operands lay below this parenthesis
        self.args: list[ast.expr] = []
        self.keywords: list[ast.keyword] = []
        self.keyword: str | None = None  # after `name=`, until the value is complete
        self.trailing = False  # a comma came: f(x,) may close with no argument after it


def _at(node: Any, col: int) -> Any:
    node.col_offset = col
    node.lineno = 1
    return node


def _number(text: str, col: int) -> Any:
    try:
        return ast.literal_eval(text)  # 1_000, 0x1f, 1e5, 1j: Python's own number syntax
    except (SyntaxError, ValueError) as exc:  # 0777; an int past Python's digit limit
        raise ParseError(f"not a valid number {text[:20]!r}: {exc}", col) from None


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    tokens: list[tokenize.TokenInfo] = []
    try:
        tokens.extend(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        if not str(exc.args[0]).startswith("EOF in multi-line statement"):
            raise ParseError(f"not a valid expression: {exc.args[0]}") from None
        # An unbalanced parenthesis: the parser says which, and where.
        end = (1, len(text))
        tokens.append(tokenize.TokenInfo(tokenize.ENDMARKER, "", end, end, text))
    for tok in tokens:
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise ParseError(f"not a valid expression: unexpected {tok.string!r}", tok.start[1])
    return [t for t in tokens if t.type not in _SKIP and t.type != tokenize.ERRORTOKEN]


class _Parser:
    """One parse: the operands built so far, and the operators and parentheses still open."""

    def __init__(self) -> None:
        self.operands: list[ast.expr] = []
        self.stack: list[_Op | _Open] = []

    def reduce(self, prec: int = 0, right_assoc: bool = False) -> None:
        """Apply the stacked operators that bind at least as tightly as an operator of
        precedence `prec` arriving now (0: all of them, down to the nearest parenthesis)."""
        stack, operands = self.stack, self.operands
        while stack:
            op = stack[-1]
            if not isinstance(op, _Op) or op.prec < prec or (op.prec == prec and right_assoc):
                return
            stack.pop()
            right = operands.pop()
            if op.unary:
                operands.append(_at(ast.UnaryOp(op.op(), right), op.col))
            else:
                left = operands.pop()
                operands.append(_at(ast.BinOp(left, op.op(), right), left.col_offset))

    def open_group(self, token: str, col: int) -> _Open:
        """The innermost open parenthesis, which `token` (`)`, `,` or `=`) belongs to."""
        self.reduce()
        top = self.stack[-1] if self.stack else None
        if not isinstance(top, _Open):
            if token == ")":
                raise ParseError(f"not a valid expression: unmatched {token!r}", col)
            raise ParseError(_unexpected(token), col)
        return top

    def argument(self, group: _Open, col: int) -> None:
        """The argument just completed (at a comma or the closing parenthesis) into the call."""
        if group.func is None:
            raise ParseError("',' is not allowed in an expression (tuples are not)", col)
        if len(self.operands) != group.mark + 1:
            raise ParseError("not a valid expression: an argument is missing", col)
        value = self.operands.pop()
        if group.keyword is not None:
            group.keywords.append(ast.keyword(arg=group.keyword, value=value))
            group.keyword = None
        elif group.keywords:
            raise ParseError("a positional argument follows a keyword argument", value.col_offset)
        else:
            group.args.append(value)

    def close(self, col: int) -> None:
        group = self.open_group(")", col)
        empty = len(self.operands) == group.mark
        if group.func is None and empty:
            raise ParseError("not a valid expression: empty parentheses", group.col)
        if group.func is not None:
            # f() and f(x,) close with no argument pending; anything else completes one
            # (and `argument` refuses f(x, k=) or f(x y)).
            if not empty or group.keyword is not None or (group.args and not group.trailing):
                self.argument(group, col)
            node = ast.Call(group.func, group.args, group.keywords)
            self.operands.append(_at(node, group.func.col_offset))
        self.stack.pop()

    def keyword(self, col: int) -> None:
        group = self.open_group("=", col)
        name = self.operands[-1] if len(self.operands) == group.mark + 1 else None
        if group.func is None or group.keyword is not None or not isinstance(name, ast.Name):
            raise ParseError("'=' is not allowed in an expression", col)
        group.keyword = name.id
        self.operands.pop()

    def operand(self, tok: tokenize.TokenInfo) -> bool:
        """Handle a token where an operand is expected; True once the operand is complete."""
        s, col = tok.string, tok.start[1]
        if tok.type == tokenize.NUMBER:
            self.operands.append(_at(ast.Constant(_number(s, col)), col))
        elif tok.type == tokenize.STRING:
            self.operands.append(_at(ast.Constant(s), col))  # refused by the whitelist later
        elif tok.type == tokenize.NAME and s in _CONSTANTS:
            self.operands.append(_at(ast.Constant(_CONSTANTS[s]), col))
        elif tok.type == tokenize.NAME and not keyword.iskeyword(s):
            self.operands.append(_at(ast.Name(s, ast.Load()), col))
        elif s in _UNARY:
            self.stack.append(_Op(_UNARY[s], _UNARY_PRECEDENCE, True, col))
            return False
        elif s == "(":
            self.stack.append(_Open(col, len(self.operands), None))
            return False
        elif s == ")" and self.stack and isinstance(self.stack[-1], _Open):
            self.close(col)  # f() and f(x,); `close` refuses () and f(x, k=)
        else:
            raise ParseError(_unexpected(s), col)
        return True


_CONSTANTS = {"True": True, "False": False, "None": None}


def parse(text: str) -> ast.expr:
    """The `ast` expression of `text`; `ParseError` if it is not one."""
    p = _Parser()
    tokens = _tokens(text)
    want_operand = True
    i = 0
    while tokens[i].type != tokenize.ENDMARKER:
        tok = tokens[i]
        s, col = tok.string, tok.start[1]
        i += 1
        if want_operand:
            want_operand = not p.operand(tok)
            continue
        if s in _BINARY:
            op, prec = _BINARY[s]
            p.reduce(prec, right_assoc=s == "**")
            p.stack.append(_Op(op, prec, False, col))
            want_operand = True
        elif s == "(":  # a call of whatever was just parsed (a name, an attribute...)
            func = p.operands.pop()
            p.stack.append(_Open(col, len(p.operands), func))
            want_operand = True
        elif s == ")":
            p.close(col)
        elif s == "," or s == "=":
            group = p.open_group(s, col)
            if s == ",":
                p.argument(group, col)
                group.trailing = True
            else:
                p.keyword(col)
            want_operand = True
            continue
        elif s == "." and tokens[i].type == tokenize.NAME:
            value = p.operands.pop()
            p.operands.append(_at(ast.Attribute(value, tokens[i].string, ast.Load()), col))
            i += 1
        else:
            raise ParseError(_unexpected(s), col)
    if want_operand:
        raise ParseError(_unexpected(""), len(text))
    p.reduce()
    opened = [group for group in p.stack if isinstance(group, _Open)]
    if opened:
        raise ParseError(f"not a valid expression: {'('!r} was never closed", opened[0].col)
    (root,) = p.operands
    return root


def _unexpected(s: str) -> str:
    if not s:
        return "not a valid expression: it ends too soon"
    if keyword.iskeyword(s) or s in ("<", ">", "<=", ">=", "==", "!=", ":", ":=", "=", "["):
        return f"{s!r} is not allowed in an expression"
    return f"not a valid expression: unexpected {s!r}"

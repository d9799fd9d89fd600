"""The `micrograd graph` expression language: its parser builds what Python's `ast.parse` builds,
without recursion (long chains), and constants follow the graph's IEEE arithmetic."""

from __future__ import annotations

import ast
import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import MicrogradError, Value
from micrograd_core.cli._expr import ExpressionError, evaluate
from micrograd_core.cli._parse import parse

_ATOMS = ["x", "y", "1", "2.5", "0", "1e3", "0x1f", "tanh(x)", "pow(x, exponent=2)", "x.a"]
_BINARY = ["+", "-", "*", "/", "**", "//", "%", "@", "<<", ">>", "&", "|", "^"]


def _compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(_BINARY), children, st.sampled_from(["", " "]))
    return (
        binary.map(lambda t: f"{t[0]}{t[3]}{t[1]}{t[3]}{t[2]}")
        | st.tuples(st.sampled_from(["-", "+", "~"]), children).map("".join)
        | children.map(lambda c: f"({c})")
        | st.lists(children, max_size=3).map(lambda args: f"f({', '.join(args)})")
        | st.tuples(children, children).map(lambda t: f"g({t[0]}, k={t[1]},)")
    )


EXPRESSIONS = st.recursive(st.sampled_from(_ATOMS), _compound, max_leaves=12)


@given(EXPRESSIONS)
def test_the_parser_builds_what_python_builds(text: str) -> None:
    # Precedence, associativity (** to the right), unary minus under **, calls, keywords.
    assert ast.dump(parse(text)) == ast.dump(ast.parse(text, mode="eval").body)


@given(st.text(alphabet="xy12()+-*/ .,=[]'_e", max_size=25))
def test_any_text_is_a_value_or_a_typed_error(text: str) -> None:
    variables = {"x": Value(2.0), "y": Value(-1.0)}
    try:
        assert isinstance(evaluate(text, variables), Value)
    except MicrogradError:
        pass  # ExpressionError, UnknownOpError, ArityError...: never a raw exception


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("+".join(["x"] * 100_000), 200_000.0),  # was: "expression is nested too deeply"
        ("-".join(["x"] * 20_000), 2.0 - 2.0 * 19_999),  # Python's parser: 2,800 at most
        ("*".join(["x"] * 1_000), 2.0**1_000),
        ("-" * 20_000 + "x", 2.0),
        ("x" + "**1" * 20_000, 2.0),
    ],
    ids=["sum", "difference", "product", "negations", "powers"],
)
def test_long_flat_chains_evaluate(text: str, value: float) -> None:
    assert evaluate(text, {"x": Value(2.0)}).data == value


def test_a_long_sum_through_the_command() -> None:
    text = "+".join(["x"] * 5_000)
    r = subprocess.run(
        [sys.executable, "-m", "micrograd_core.cli", "graph", text, "--var", "x=1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-500:]
    assert r.stdout.startswith("digraph") and "5000" in r.stdout


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1/0", math.inf),  # was: "cannot compute: float division by zero", while x/0 was inf
        ("x/0", math.inf),
        ("-1/0", -math.inf),
        ("0/0", math.nan),
        ("9**9**9", math.inf),  # was: "cannot compute: (34, 'Numerical result out of range')"
        ("x**9**9", math.inf),
        ("(-8)**0.5", math.nan),  # was: "the result is a complex number"
        ("0**-1", math.inf),
        ("10/4 + x", 4.5),
        # Constants are floats, as every Value's data is: 10**400 is inf, so the exponent is
        # inf and (-1) ** inf is 1 (IEEE), not the -1 of Python's exact int arithmetic.
        ("(-x/2) ** (10**400 + 1)", 1.0),
        ("10**400 - 10**400", math.nan),
    ],
)
def test_constants_follow_the_graphs_arithmetic(text: str, value: float) -> None:
    got = evaluate(text, {"x": Value(2.0)}).data
    assert got == value or (math.isnan(value) and math.isnan(got))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1" + "0" * 400 + " + x", "the number 100000000000... (401 digits) is too large"),
        ("x +", "not a valid expression: it ends too soon (at column 4)"),
        ("(x", "'(' was never closed (at column 1)"),
        ("x)", "unmatched ')' (at column 2)"),
        ("(x, y)", "tuples are not"),
        ("x = 2", "'=' is not allowed in an expression (at column 3)"),
        ("sum(x=1, y)", "a positional argument follows a keyword argument"),
        ("x if y else x", "'if' is not allowed in an expression"),
        ("x < y", "'<' is not allowed in an expression"),
        ("x[0]", "'[' is not allowed in an expression"),
        ("x // 2", "operator FloorDiv is not allowed"),
        ("x.__class__", "Attribute is not allowed"),
        ("'abc'", "only numbers are allowed"),
        ("x $ y", "unexpected '$' (at column 3)"),
    ],
)
def test_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(text, {"x": Value(2.0), "y": Value(1.0)})
    assert message in str(info.value)

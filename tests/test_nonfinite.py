"""The non-finite convention is one table, in docs/concepts.md ("Non-finite numbers"). Every row
is checked here twice: micrograd-core computes it, on each gradient path, and it is what
PyTorch computes."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from micrograd_core import Value, compile, grad

DOC = Path(__file__).resolve().parents[1] / "docs" / "concepts.md"
_ROW = re.compile(
    r"^\| `(?P<expr>[^`]+)` \| `(?P<at>[^`]+)` \| `(?P<value>[^`]+)` \| `(?P<grads>[^`]+)` \|",
    re.M,
)


class Row(NamedTuple):
    expr: str  # a Python expression of the leaves, valid on Values and on torch tensors
    at: str  # "x=0.0, y=2.0"
    value: str  # repr of the float result
    grads: str  # "dx=0.0, dy=nan"

    def leaves(self) -> dict[str, float]:
        return {k: float(v) for k, v in (part.split("=") for part in self.at.split(", "))}

    def expected_grads(self) -> dict[str, float]:
        return {k[1:]: float(v) for k, v in (part.split("=") for part in self.grads.split(", "))}


def table_rows() -> list[Row]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Non-finite numbers")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return [Row(*m.group("expr", "at", "value", "grads")) for m in _ROW.finditer(section)]


ROWS = table_rows()

# PyTorch's float64 results (torch 2.14.1 on CPU; torch is not a test dependency, so they are
# written down): the row's expression evaluated on leaves
# `torch.tensor(v, dtype=torch.float64, requires_grad=True)`, then `.backward()`.
TORCH: dict[tuple[str, str], tuple[str, str]] = {
    ("x ** (1/3)", "x=-8.0"): ("nan", "dx=nan"),
    ("x ** 400.5", "x=-10.0"): ("nan", "dx=nan"),
    ("x ** 401", "x=-10.0"): ("-inf", "dx=inf"),
    ("x ** -1", "x=0.0"): ("inf", "dx=-inf"),
    ("x ** -1", "x=-0.0"): ("-inf", "dx=-inf"),
    ("x / 0", "x=1.0"): ("inf", "dx=inf"),
    ("x / 0", "x=0.0"): ("nan", "dx=inf"),
    ("x.tanh()", "x=inf"): ("1.0", "dx=0.0"),
    ("x.exp()", "x=709.781"): ("1.7946165138991433e+308", "dx=1.7946165138991433e+308"),
    ("x.exp()", "x=710.0"): ("inf", "dx=inf"),
    ("x.exp()", "x=nan"): ("nan", "dx=nan"),
    ("x.log()", "x=0.0"): ("-inf", "dx=inf"),
    ("x.log()", "x=-1.0"): ("nan", "dx=-1.0"),
    ("x.relu() * 1e308 * 10", "x=-1.0"): ("0.0", "dx=0.0"),
    ("abs(x) / 0", "x=-0.5"): ("inf", "dx=-inf"),
    ("x.relu()", "x=nan"): ("nan", "dx=1.0"),
    ("x.log().relu()", "x=-1.0"): ("nan", "dx=-1.0"),
    ("x ** 0", "x=0.0"): ("1.0", "dx=0.0"),
    ("x ** 0", "x=nan"): ("1.0", "dx=0.0"),
    ("x ** y", "x=1.0, y=nan"): ("1.0", "dx=nan, dy=0.0"),
    ("x ** y", "x=nan, y=0.0"): ("1.0", "dx=0.0, dy=nan"),
    ("x ** y * 1e308 * 10", "x=2.0, y=0.0"): ("inf", "dx=0.0, dy=inf"),
    ("x ** 0.5", "x=0.0"): ("0.0", "dx=inf"),
    ("x ** y", "x=0.0, y=2.0"): ("0.0", "dx=0.0, dy=0.0"),
    ("x ** y", "x=0.0, y=0.0"): ("1.0", "dx=0.0, dy=0.0"),
    ("x ** y", "x=0.0, y=-1.0"): ("inf", "dx=-inf, dy=-inf"),
    ("x ** y", "x=-2.0, y=2.0"): ("4.0", "dx=-4.0, dy=nan"),
    ("x * 0 * 1e308 * 10", "x=1.0"): ("0.0", "dx=nan"),
    ("x + y", "x=1.0, y=nan"): ("nan", "dx=1.0, dy=1.0"),
    ("x * y", "x=1.0, y=nan"): ("nan", "dx=nan, dy=1.0"),
}
# Integer exponents past the float range: PyTorch's exponents are floats, it has no such row.
NOT_IN_TORCH = {("x ** (10**400 + 1)", "x=-0.5"), ("x ** 10**400", "x=1.0")}

PATHS = ("grad", "create_graph", "backward", "compiled-python", "compiled-numpy")


def _same(got: float, want: float, zero_sign: bool) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    if got != want:
        return False
    return not zero_sign or math.copysign(1.0, got) == math.copysign(1.0, want)


def _run(row: Row, path: str) -> tuple[float, dict[str, Any]]:
    leaves = {name: Value(v) for name, v in row.leaves().items()}
    z = eval(row.expr, {"__builtins__": {"abs": abs}}, dict(leaves))  # the table's own text
    xs = list(leaves.values())
    if path.startswith("compiled"):
        program = compile(
            lambda: eval(row.expr, {"__builtins__": {"abs": abs}}, dict(leaves)),
            executor=path.split("-")[1],
        )
        program.forward()
        program.backward()
        return z.data, {name: x.grad for name, x in leaves.items()}
    if path == "grad":
        gs = grad(z, xs)
    elif path == "create_graph":
        gs = [g.data for g in grad(z, xs, create_graph=True)]
    else:
        z.backward()
        gs = [x.grad for x in xs]
    return z.data, dict(zip(leaves, gs))


def test_the_table_is_read() -> None:
    assert len(ROWS) >= 20
    keys = [(r.expr, r.at) for r in ROWS]
    assert len(set(keys)) == len(keys), "a row appears twice"
    assert ("x.relu() * 1e308 * 10", "x=-1.0") in keys  # the cases are rows
    assert ("x ** y", "x=0.0, y=2.0") in keys


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.expr} at {r.at}")
def test_the_table_is_what_pytorch_computes(row: Row) -> None:
    key = (row.expr, row.at)
    if key in NOT_IN_TORCH:
        assert key not in TORCH
        return
    assert TORCH[key] == (row.value, row.grads)


def test_every_pytorch_reference_is_in_the_table() -> None:
    assert set(TORCH) | NOT_IN_TORCH == {(r.expr, r.at) for r in ROWS}


def _cases() -> list[Any]:
    cases = []
    for row in ROWS:
        for path in PATHS:
            cases.append(pytest.param(row, path, id=f"{path}: {row.expr} at {row.at}"))
    return cases


@pytest.mark.parametrize(("row", "path"), _cases())
def test_micrograd_follows_the_table(row: Row, path: str) -> None:
    value, grads = _run(row, path)
    assert _same(value, float(row.value), zero_sign=True), f"value {value!r}, table {row.value}"
    expected = row.expected_grads()
    assert grads.keys() == expected.keys()
    for name, want in expected.items():
        # "signs of zero aside", as the docs say of the gradients
        assert _same(grads[name], want, zero_sign=False), f"d{name} = {grads[name]!r}"

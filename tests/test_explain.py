"""`explain(value)`: its numbers are exactly what `.backward()` computes, its steps come in the
engine's order, and its text and JSON say so readably."""

from __future__ import annotations

import json
import math
import random
import re
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import (
    Explanation,
    Op,
    OpContractError,
    Value,
    apply,
    explain,
    registry,
    topological_order,
)
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP
from micrograd_core.testing import expression_graphs, op_inputs


def same(a: float, b: float) -> bool:
    """Equal as floats, sign of zero included; nan equals nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def assert_matches_backward(out: Value, e: Explanation) -> None:
    """Every node's gradient in `e` is bit for bit the `.grad` that `out.backward()` gives."""
    order = topological_order(out)
    for v in order:
        v.grad = 0.0
    out.backward()
    for v in order:
        assert same(e[v].grad, v.grad), (e[v], v.grad)
        assert e[v].data == v.data or math.isnan(v.data)


def tanh_example() -> tuple[Value, Value, Value, dict[Value, str]]:
    x, y = Value(2.0), Value(-1.0)
    out = (x * y + 1).tanh()
    return x, y, out, {x: "x", y: "y", out: "out"}


def test_tanh_example_step_by_step() -> None:
    _, _, out, labels = tanh_example()
    e = explain(out, labels)
    assert [s.op for s in e.backward] == ["tanh", "add", "mul"]
    first = e.backward[0]
    assert first.node == e[out].id and first.upstream == 1.0
    assert first.terms[0].local == pytest.approx(1 - math.tanh(-1.0) ** 2)
    mul = e.backward[2]
    assert [e.node(t.input).name for t in mul.terms] == ["x", "y"]
    assert [t.local for t in mul.terms] == [-1.0, 2.0]  # d(xy)/dx = y, d(xy)/dy = x
    for step in e.backward:
        for t in step.terms:
            assert t.product == pytest.approx(step.upstream * t.local)
    assert e[out].contributions[0].step == 0  # the seed
    assert_matches_backward(out, e)


def test_explain_reads_no_grad_and_writes_none() -> None:
    x, y, out, labels = tanh_example()
    x.grad = 123.0  # a leftover gradient from an earlier pass must not leak in
    e = explain(out, labels)
    assert x.grad == 123.0 and y.grad == 0.0 and out.grad == 0.0
    assert e[x].grad == pytest.approx(-(1 - math.tanh(-1.0) ** 2))


def test_a_value_used_twice_gets_the_sum_of_its_contributions() -> None:
    x = Value(3.0)
    out = x * x + x  # micrograd's classic bug was `=` instead of `+=` here
    e = explain(out, {x: "x"})
    parts = e[x].contributions
    assert [c.value for c in parts] == [1.0, 3.0, 3.0]
    assert e[x].grad == sum(c.value for c in parts) == 7.0
    # Added in the engine's order: the add step comes before the mul step.
    assert [c.step for c in parts] == sorted(c.step for c in parts)
    assert "= 1 (step 1) + 3 (step 2) + 3 (step 2)" in e.text()
    assert_matches_backward(out, e)


def test_a_leaf_alone() -> None:
    x = Value(5.0)
    e = explain(x, {x: "x"})
    assert e.backward == () and e[x].grad == 1.0 and e.forward == ()
    assert "no op: the output is an input" in e.text()


@given(expression_graphs(max_nodes=10))
def test_matches_backward_on_random_graphs(graph: Any) -> None:
    _, out = graph.build()
    assert_matches_backward(out, explain(out))


@pytest.mark.parametrize("name", sorted(registry.names()))
@given(data=st.data())
def test_every_registered_op(name: str, data: st.DataObject) -> None:
    ex = data.draw(op_inputs(name))
    leaves = [Value(v) for v in ex.inputs]
    node = apply(name, *leaves, **ex.params)
    out = node * ex.upstream
    e = explain(out)
    assert_matches_backward(out, e)
    step = next(s for s in e.backward if s.node == e[node].id)
    assert step.op == name and step.upstream == ex.upstream
    op = registry.get(name)
    expected = op.backward(1.0, e.node(step.node).data, *ex.inputs, **ex.params)
    assert [t.local for t in step.terms] == [float(g) for g in expected]


def test_a_small_model() -> None:
    X, y = make_moons(seed=1337)
    random.seed(1337)
    model = MLP(2, [2, 1])
    loss, _ = demo_loss(model, X[:1], y[:1])
    e = explain(loss)
    assert len(e.backward) == len(e.forward) > 10
    assert {s.op for s in e.backward} >= {"dot", "relu", "mul", "add", "sum"}
    assert_matches_backward(loss, e)


# ---- the order is the engine's -------------------------------------------------------------

CALLS: list[float] = []


class _Recording(Op):
    """An op with no template, so the engine calls its `backward` once per node, in order."""

    arity: ClassVar[int | None] = 2
    higher_order = False

    def forward(self, a: float, b: float) -> float:
        return a + 0.5 * b

    def backward(self, grad: float, out: float, a: float, b: float) -> tuple[float, float]:
        CALLS.append(out)
        return grad, 0.5 * grad


class RecordA(_Recording):
    name = "record_a"


class RecordB(_Recording):
    name = "record_b"

    def forward(self, a: float, b: float) -> float:
        return a * 0.25 + b


def test_the_backward_order_is_the_engines() -> None:
    rng = random.Random(4)
    with registry.temporary(RecordA, RecordB):
        for _ in range(20):
            values = [Value(rng.uniform(-1, 1)) for _ in range(3)]
            for _ in range(25):  # a random DAG with shared sub-expressions
                a, b = rng.choice(values), rng.choice(values[-6:])
                values.append(apply(rng.choice(["record_a", "record_b"]), a, b))
            out = values[-1]
            e = explain(out)
            CALLS.clear()
            out.backward()
            engine = list(CALLS)
            assert engine == [e.node(s.node).data for s in e.backward]
            assert len(engine) == len(e.forward)


# ---- text and JSON -------------------------------------------------------------------------


def test_text_columns_are_aligned_and_plain_without_colour() -> None:
    _, _, out, labels = tanh_example()
    text = explain(out, labels).text()
    assert "\x1b[" not in text
    lines = text.splitlines()
    head = lines.index(
        "  step  node  op    upstream grad  input  local derivative  upstream * local"
    )
    rows = lines[head + 1 : head + 6]
    # Every row's input column starts where the header's does.
    col = lines[head].index("input")
    assert all(r[col - 2 : col] == "  " and r[col] != " " for r in rows)
    forward = lines[1:7]
    assert len({line.index("=") for line in forward}) == 1
    assert re.search(r"out = tanh\(v\d\) = tanh\(-1\) = -0\.761594", text)


def test_colour_only_when_asked() -> None:
    _, _, out, labels = tanh_example()
    e = explain(out, labels)
    coloured = e.text(color=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == e.text()


def test_digits() -> None:
    _, _, out, labels = tanh_example()
    assert "-0.76 " not in explain(out, labels).text()
    assert "= -0.76\n" in explain(out, labels).text(digits=2)


def test_json_is_strict_and_complete() -> None:
    x = Value(-1.0)
    out = x.log() if "log" in registry else x**0.5  # nan data: must survive as strict JSON
    e = explain(out, {x: "x"})
    text = json.dumps(e.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["root"] == e.root
    assert {n["name"] for n in data["nodes"]} >= {"x"}
    assert any(n["data"] == "nan" for n in data["nodes"])
    steps = data["backward"]
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))


def test_a_broken_backward_is_named() -> None:
    class Broken(Op):
        name = "broken"
        arity = 1

        def forward(self, x: float) -> float:
            return x

        def backward(self, grad: float, out: float, x: float) -> tuple[float, ...]:
            raise KeyError("oops")

    class Short(Op):
        name = "short"
        arity = 2

        def forward(self, a: float, b: float) -> float:
            return a + b

        def backward(self, grad: float, out: float, a: float, b: float) -> tuple[float, ...]:
            return (grad,)

    with registry.temporary(Broken, Short):
        with pytest.raises(OpContractError, match=r"broken.*KeyError"):
            explain(Value(1.0).broken())
        with pytest.raises(OpContractError, match=r"short.*one gradient per input"):
            explain(apply("short", Value(1.0), Value(2.0)))
    with pytest.raises(TypeError, match="expects a Value"):
        explain(1.0)  # type: ignore[arg-type]

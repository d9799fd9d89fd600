"""The engine at its edges: numbers entering the graph, non-real results, failing (or
interrupted) backwards, grad() against backward(), copies of deep graphs, create_graph's cycles."""

from __future__ import annotations

import copy
import gc
import math
import pickle
import random
from typing import Any

import numpy as np
import pytest

from micrograd_core import (
    Op,
    OpContractError,
    Value,
    apply,
    compile,
    grad,
    registry,
    topological_order,
)
from micrograd_core.nn import MLP


def test_numpy_scalars_become_python_floats_on_every_operator() -> None:
    c = np.float32(0.1)
    x = Value(2.0)
    y = x**c
    assert y.data == 2.0 ** float(c)  # 1.0717734636..., not float32's 1.0717734098
    y.backward()
    assert type(x.grad) is float
    assert (Value(2.0) / c).data == 2.0 * float(c) ** -1  # 19.9999997, not 20.0
    assert (Value(2.0) / np.int64(3)).data == 2.0 * 3.0**-1
    assert (np.float32(0.1) - Value(0.0)).data == float(np.float32(0.1))
    assert (Value(1.0) - np.float64(0.5)).data == 0.5


def test_division_converts_its_operand_before_using_it() -> None:
    with pytest.raises(ValueError, match=r"op 'mul'.*too large"):
        Value(2.0) / 10**400
    assert (Value(2.0) / 0).data == math.inf
    assert (Value(-2.0) / -0.0).data == math.inf
    assert math.isnan((Value(0.0) / 0).data)
    assert (Value(0.5) ** 10**400).data == 0.0  # an int exponent stays exact


class _ComplexBackward(Op):
    """sqrt whose backward uses Python's ** (complex below 0)."""

    name = "complex_back_a"
    arity = 1

    def forward(self, x: float) -> float:
        return math.sqrt(abs(x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * 0.5 * x**-0.5,)


class _ComplexForward(_ComplexBackward):
    name = "complex_fwd_a"

    def forward(self, x: float) -> Any:
        return x**0.5


def test_a_non_real_result_is_a_typed_error_naming_the_op() -> None:
    with registry.temporary(_ComplexBackward, _ComplexForward):
        x = Value(-4.0)
        x.grad = 0.25
        y = x.complex_back_a() * 3.0
        with pytest.raises(OpContractError, match=r"complex_back_a.*complex"):
            y.backward()
        assert x.grad == 0.25  # left as it was
        with pytest.raises(OpContractError, match=r"complex_back_a.*complex"):
            grad(y, [x])
        with pytest.raises(OpContractError, match=r"complex_fwd_a.*not a real number"):
            Value(-4.0).complex_fwd_a()


@pytest.mark.parametrize("error", [KeyError("k"), RuntimeError("boom"), ZeroDivisionError()])
def test_any_failing_backward_is_named_and_leaves_no_partial_gradient(error: Exception) -> None:
    class Fails(Op):
        name = "fails_a"
        arity = 1

        def forward(self, x: float) -> float:
            return x

        def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
            raise error

    with registry.temporary(Fails):
        a, b = Value(1.5), Value(2.0)
        a.grad, b.grad = 0.5, -0.5
        # the mul node runs first and gives a and b their contributions, then fails_a fails
        y = apply("fails_a", a) * b + a * b
        with pytest.raises(OpContractError, match=r"fails_a.*backward raised") as info:
            y.backward()
        assert info.value.__cause__ is error
        assert (a.grad, b.grad) == (0.5, -0.5)
        assert all(n.grad == 0.0 for n in topological_order(y) if n._op is not None)


@pytest.mark.parametrize("executor", ["python", "numpy"])
def test_compiled_backward_returning_a_bare_float_is_named(executor: str) -> None:
    class Bare(Op):
        name = "bare_a"
        arity = 1

        def forward(self, x: float) -> float:
            return 2.0 * x

        def backward(self, grad: Any, out: Any, x: Any) -> Any:
            if grad == grad:  # a branch: no fast path is derived, the method runs
                return 2.0 * grad
            return (2.0 * grad,)

    with registry.temporary(Bare):
        x = Value(1.0)
        program = compile(lambda: x.bare_a() * x, executor=executor)
        program.forward()
        with pytest.raises(OpContractError, match=r"bare_a.*sequence"):
            program.backward()


def _random_graph(rng: random.Random, leaves: list[Value]) -> Value:
    nodes = list(leaves)
    for _ in range(rng.randrange(3, 25)):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(6)
        if kind == 0:
            v = a + b
        elif kind == 1:
            v = a * b
        elif kind == 2:
            v = a.tanh()
        elif kind == 3:
            v = (a * -1.0).relu()
        elif kind == 4:
            v = apply("dot", a, b, a, b, rng.choice(nodes))
        else:
            v = apply("sum", a, b, a)
        nodes.append(v)
    return nodes[-1]


def test_grad_and_backward_give_the_same_floats() -> None:
    rng = random.Random(7)
    zeros = [0.0, -0.0, 1.0, -1.0]
    for _ in range(400):
        leaves = [Value(rng.choice([*zeros, rng.uniform(-2, 2)])) for _ in range(4)]
        root = _random_graph(rng, leaves)
        functional = grad(root, leaves)
        root.backward()
        assert [g.hex() for g in functional] == [leaf.grad.hex() for leaf in leaves]


def test_a_100000_deep_graph_pickles_and_copies() -> None:
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    for clone in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert clone.data == y.data and clone.grad == 1.0
        order = topological_order(clone)
        assert len(order) == len(topological_order(y))
        assert order[0].grad == x.grad and order[0] is not x
        assert clone._op is registry.get("add")  # the registered op, not a copy of it


def test_a_pickled_model_and_loss_share_their_parameters() -> None:
    random.seed(3)
    model = MLP(2, [3, 1])
    loss = model([1.0, -2.0])
    loss.backward()
    model2, loss2 = pickle.loads(pickle.dumps((model, loss)))
    params = {id(p) for p in model2.parameters()}
    in_graph = [v for v in topological_order(loss2) if id(v) in params]
    assert len(in_graph) == len(params)
    assert [p.grad for p in model2.parameters()] == [p.grad for p in model.parameters()]
    assert copy.copy(loss).parents == loss.parents


def test_grad_with_create_graph_makes_no_reference_cycle() -> None:
    gc.collect()
    gc.disable()
    try:
        for _ in range(200):
            x = Value(0.7)
            y = (x * x).tanh() * x
            (dx,) = grad(y, [x], create_graph=True)
            (ddx,) = grad(dx, [x])
            assert math.isfinite(ddx)
        del x, y, dx
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_backward_with_create_graph_then_zeroing_frees_the_graph() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(0.7)
        for _ in range(50):
            (x * x * x).backward(create_graph=True)  # x.grad's graph holds x: a cycle
            x.grad = 0.0  # zero it when done, as Value.backward's docstring says
        del x
        assert gc.collect() == 0
    finally:
        gc.enable()


class _Interrupted(Op):
    name = "interrupted_a"
    arity = 1

    def forward(self, x: float) -> float:
        return x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        raise KeyboardInterrupt


def test_ctrl_c_in_a_backward_leaves_every_grad_as_it_was() -> None:
    with registry.temporary(_Interrupted):
        a, b = Value(1.0), Value(2.0)
        a.grad, b.grad = 0.25, 0.5
        y = a.interrupted_a() + b * 3.0  # b's contribution is added before the interruption
        with pytest.raises(KeyboardInterrupt):
            y.backward()
        assert (a.grad, b.grad) == (0.25, 0.5)


@pytest.mark.parametrize("executor", ["python", "numpy"])
def test_compiled_backward_adds_its_sum_onto_an_earlier_grad(executor: str) -> None:
    # As documented (architecture, "Order of the sums"): from zeroed gradients compiled mode
    # is eager's floats; onto an earlier .grad it adds the finished sum in one addition.
    x = Value(1.0)
    program = compile(lambda: x * 1e-16 + x * 1e-16, executor=executor)
    program.forward()
    program.backward()
    assert x.grad == 2e-16
    x.grad = 1.0
    program.backward()
    assert x.grad == 1.0 + 2e-16  # eager: (1.0 + 1e-16) + 1e-16 == 1.0
    x.grad = 1.0
    (x * 1e-16 + x * 1e-16).backward()
    assert x.grad == 1.0


@pytest.mark.parametrize(
    "returned", [np.array(2.0), np.float32(2.0), 2, 1j, "1", np.array([1.0, 2.0])], ids=repr
)
def test_grad_and_backward_accept_and_refuse_the_same_gradients(returned: Any) -> None:
    class Returns(Op):
        name = "returns_a"
        arity = 1

        def forward(self, x: float) -> float:
            return x

        def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
            return (returned,)

    def outcome(run: Any) -> Any:
        try:
            got = run()
        except OpContractError as exc:
            return str(exc).split(": ")[1][:25]
        assert type(got) is float
        return got

    with registry.temporary(Returns):
        x = Value(1.0)
        y = x.returns_a() * 1.0
        by_grad = outcome(lambda: grad(y, [x])[0])
        by_backward = outcome(lambda: (y.backward(), x.grad)[1])
        assert by_grad == by_backward
@pytest.mark.parametrize("executor", ["python", "numpy"])
@pytest.mark.parametrize("bad", ["1", 1j, np.array([2.0, 3.0]), Value(2.0)], ids=repr)
def test_compiled_backward_returning_a_non_real_is_named_and_changes_no_grad(
    executor: str, bad: Any
) -> None:
    class NonReal(Op):
        name = "non_real_a"
        arity = 1

        def forward(self, x: float) -> float:
            return 2.0 * x

        def backward(self, grad: Any, out: Any, x: Any) -> Any:
            if grad == grad:  # a branch: no fast path is derived, the method runs
                return (bad,)
            return (2.0 * grad,)

    with registry.temporary(NonReal):
        x, y = Value(1.0), Value(3.0)
        x.grad, y.grad = 0.25, 0.5
        program = compile(lambda: x.non_real_a() + y * x, executor=executor)
        program.forward()
        with pytest.raises(OpContractError, match=r"non_real_a.*not a real number"):
            program.backward()
        assert (x.grad, y.grad) == (0.25, 0.5)



"""nn and optim: micrograd's signatures and initialisation, and the optimizers' update rules."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from micrograd_core import Value
from micrograd_core.nn import MLP, Layer, Module, Neuron
from micrograd_core.optim import SGD, Adam


def test_mlp_weights_follow_micrograds_initialisation_order() -> None:
    random.seed(7)
    model = MLP(2, [3, 1])
    random.seed(7)
    # micrograd: per neuron, nin draws of uniform(-1, 1) for w, then b = 0; layer by layer.
    expected = []
    for nin, nout in ((2, 3), (3, 1)):
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [p.data for p in model.parameters()] == expected
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337


def test_reprs_match_micrograd() -> None:
    model = MLP(2, [2, 1])
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )


def test_neuron_is_relu_of_weighted_sum_in_one_dot_node() -> None:
    n = Neuron(3)
    n.w = [Value(0.5), Value(-1.0), Value(2.0)]
    n.b = Value(0.25)
    x = [1.0, 2.0, 3.0]
    out = n(x)
    assert out.op == "relu" and out.parents[0].op == "dot"
    assert out.parents[0].parents[:4] == (n.b, *n.w)  # then the inputs, lifted to Values
    assert [p.data for p in out.parents[0].parents[4:]] == x
    assert out.data == 0.25 + 0.5 - 2.0 + 6.0
    out.backward()
    assert [w.grad for w in n.w] == x and n.b.grad == 1.0
    lin = Neuron(3, nonlin=False)
    lin.w, lin.b = n.w, Value(-100.0)
    assert lin(x).data == -100.0 + 4.5  # no relu on a linear neuron
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        n([1.0, 2.0])
    with pytest.raises(ValueError, match="nin"):
        Neuron(0)


def test_layer_and_mlp_shapes_and_zero_grad() -> None:
    layer = Layer(2, 3)
    assert len(layer([1.0, 2.0])) == 3
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)  # one output: a Value, as in micrograd
    model = MLP(2, [4, 1])
    out = model([0.3, -0.2])
    out.backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert Module().parameters() == []


@pytest.mark.parametrize("nouts", [[1, 1], [3, 1, 2], [1, 1, 1], [1]])
def test_hidden_layers_of_one_neuron(nouts: list[int]) -> None:
    # A layer of one neuron returns a bare Value (micrograd's API); as a hidden layer it used to
    # crash the next one (TypeError: 'Value' object is not iterable).
    random.seed(5)
    model = MLP(2, nouts)
    out = model([1.0, 2.0])
    if nouts[-1] == 1:
        assert isinstance(out, Value)  # the last layer keeps micrograd's API
    else:
        assert isinstance(out, list) and len(out) == nouts[-1]
    first = out if isinstance(out, Value) else out[0]
    first.backward()
    assert all(isinstance(p.grad, float) for p in model.parameters())
    # the same function as the layers called one by one, each hidden one as a list
    x: list[Value] | Value = [Value(1.0), Value(2.0)]
    for layer in model.layers:
        x = layer(x if isinstance(x, list) else [x])
    assert [v.data for v in (x if isinstance(x, list) else [x])] == [
        v.data for v in (out if isinstance(out, list) else [out])
    ]


def test_mlp_gradient_matches_finite_differences() -> None:
    random.seed(3)
    model = MLP(2, [4, 4, 1])
    x = [0.7, -1.1]

    def f() -> float:
        return (model(x) * model(x)).data  # some non-linear use of the output

    out = model(x)
    (out * out).backward()
    for p in model.parameters()[::5]:
        old, h = p.data, 1e-6
        p.data = old + h
        up = f()
        p.data = old - h
        down = f()
        p.data = old
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_sgd_plain_and_momentum() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.1)
    p.grad = 2.0
    opt.step()
    assert p.data == pytest.approx(0.8)
    q = Value(1.0)
    mom = SGD([q], lr=0.1, momentum=0.9)
    for expected_v in (2.0, 0.9 * 2.0 + 2.0):
        before = q.data
        q.grad = 2.0
        mom.step()
        assert q.data == pytest.approx(before - 0.1 * expected_v)
    mom.zero_grad()
    assert q.grad == 0.0
    with pytest.raises(ValueError, match="lr"):
        SGD([p], lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        SGD([p], momentum=1.0)


def test_adam_matches_the_published_update() -> None:
    p = Value(0.5)
    opt = Adam([p], lr=0.01)
    m = v = 0.0
    x = 0.5
    for t, g in enumerate((0.3, -0.1, 0.2), start=1):
        p.grad = g
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x -= 0.01 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        assert p.data == pytest.approx(x, rel=1e-12)
    with pytest.raises(ValueError, match="betas"):
        Adam([p], betas=(0.9, 1.0))


def test_optimizers_train_a_tiny_regression() -> None:
    for make in (lambda ps: SGD(ps, lr=0.05, momentum=0.5), lambda ps: Adam(ps, lr=0.05)):
        w, b = Value(0.0), Value(0.0)
        opt = make([w, b])
        data = [(x / 10, 3 * x / 10 - 1) for x in range(-10, 11)]
        for _ in range(300):
            loss = sum(((w * x + b - y) ** 2 for x, y in data), Value(0.0))
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert w.data == pytest.approx(3.0, abs=0.05) and b.data == pytest.approx(-1.0, abs=0.05)


def test_optimizers_reject_non_values() -> None:
    with pytest.raises(TypeError, match="float"):
        SGD([Value(1.0), 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="str"):
        Adam(["w"])  # type: ignore[list-item]


def test_bad_shapes_and_labels_are_errors_not_silent_answers() -> None:
    from micrograd_core.demo import demo_loss

    with pytest.raises(ValueError, match="nouts"):
        MLP(2, [])
    with pytest.raises(ValueError, match="nouts"):
        MLP(2, [0])
    model = MLP(2, [2, 1])
    X = [(0.0, 1.0), (1.0, 0.0)]
    with pytest.raises(ValueError, match="2 points but y has 1"):
        demo_loss(model, X, [1])
    with pytest.raises(ValueError, match="-1 or \\+1, got 0"):
        demo_loss(model, X, [0, 1])


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: SGD(p, lr="0.1"), TypeError, "SGD: lr must be a number, got str '0.1'"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "SGD: lr must be a positive finite number"),
        (lambda p: SGD(p, lr=math.inf), ValueError, "SGD: lr must be a positive finite number"),
        (lambda p: SGD(p, lr=0.0), ValueError, "SGD: lr must be a positive finite number"),
        (lambda p: SGD(p, lr=True), TypeError, "SGD: lr must be a number, got bool"),
        (lambda p: SGD(p, momentum=math.nan), ValueError, "SGD: momentum must be in [0, 1)"),
        (lambda p: SGD(p, momentum=-0.1), ValueError, "SGD: momentum must be in [0, 1)"),
        (lambda p: SGD(p, momentum=None), TypeError, "SGD: momentum must be a number"),
        (lambda p: Adam(p, lr="1e-3"), TypeError, "Adam: lr must be a number"),
        (lambda p: Adam(p, lr=-1.0), ValueError, "Adam: lr must be a positive finite number"),
        (lambda p: Adam(p, betas=(0.9,)), TypeError, "Adam: betas must be a pair of numbers"),
        (lambda p: Adam(p, betas=0.9), TypeError, "Adam: betas must be a pair of numbers"),
        (lambda p: Adam(p, betas="ab"), TypeError, "Adam: betas must be a pair of numbers"),
        (lambda p: Adam(p, betas=(0.9, "0.9")), TypeError, "Adam: betas[1] must be a number"),
        (lambda p: Adam(p, betas=(math.nan, 0.9)), ValueError, "Adam: betas[0] must be in"),
        (lambda p: Adam(p, eps=-1e-8), ValueError, "Adam: eps must be a finite number >= 0"),
        (lambda p: Adam(p, eps=math.nan), ValueError, "Adam: eps must be a finite number >= 0"),
        (lambda p: Adam(p, eps=math.inf), ValueError, "Adam: eps must be a finite number >= 0"),
    ],
)
def test_optimizer_arguments_are_checked_at_construction(
    make: Any, error: type[Exception], message: str
) -> None:
    # was: SGD(lr="0.1") a raw comparison TypeError, Adam(betas=(0.9,)) accepted until step()
    with pytest.raises(error) as info:
        make([Value(1.0)])
    assert message in str(info.value)


def test_optimizer_numbers_become_floats() -> None:
    from fractions import Fraction

    opt = Adam([Value(1.0)], lr=Fraction(1, 2), betas=[0.5, 0.25], eps=0)
    assert (opt.lr, opt.betas, opt.eps) == (0.5, (0.5, 0.25), 0.0)
    assert type(opt.lr) is float and type(SGD([Value(1.0)], lr=1, momentum=0).lr) is float

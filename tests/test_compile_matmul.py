"""The numpy executor runs a layer's `dot` nodes as one matrix product: the lowering is
recognised from the graph (values' identities, the derived fast path), and losses and every
gradient stay within the documented tolerance of eager's (docs/performance.md)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_core import Op, StaleProgramError, Value, apply, compile, registry
from micrograd_core._backward import topological_order
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP

np = pytest.importorskip("numpy", reason="the numpy executor needs the `fast` extra")

REL, ABS = 1e-9, 1e-12  # the documented tolerance: relative, and absolute per unit of scale


def _close(got: list[float], expected: list[float]) -> None:
    scale = max(1.0, *map(abs, expected))
    assert got == pytest.approx(expected, rel=REL, abs=ABS * scale)


def _compare(fn: Callable[[], Value], params: list[Value]) -> Any:
    """Eager's loss and gradients against the numpy program's, over three replays with the
    parameters moved in between; returns the program."""
    program = compile(fn, executor="numpy")
    for step in range(3):
        for p in params:
            p.grad = 0.0
        loss = fn()
        loss.backward()
        expected = [p.grad for p in params]
        for p in params:
            p.grad = 0.0
        value = program.forward()
        program.backward()
        _close([value], [loss.data])
        _close([p.grad for p in params], expected)
        assert any(p.grad != 0.0 for p in params)
        for p, e in zip(params, expected):
            p.data -= 0.05 * (step + 1) * e
    return program


def _layer(ws: list[list[Value]], bs: list[Value] | None, xs: list[Value], act: str) -> list[Value]:
    outs = []
    for i, row in enumerate(ws):
        z = apply("dot", bs[i], *row, *xs) if bs is not None else apply("dot", *row, *xs)
        outs.append(z if act == "linear" else getattr(z, act)())
    return outs


@pytest.mark.parametrize("seed", range(6))
def test_random_mlps_match_eager(seed: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 4)] + [rng.randint(1, 7) for _ in range(rng.randint(1, 3))] + [1]
    act = rng.choice(["relu", "tanh", "linear"])
    bias = rng.random() < 0.7
    ws = [
        [[Value(rng.uniform(-1, 1)) for _ in range(a)] for _ in range(b)]
        for a, b in itertools.pairwise(sizes)
    ]
    bs = [[Value(rng.uniform(-0.5, 0.5)) for _ in range(b)] for b in sizes[1:]] if bias else None
    data = [[rng.uniform(-2, 2) for _ in range(sizes[0])] for _ in range(rng.randint(1, 12))]
    params = [w for layer in ws for row in layer for w in row] + [b for lb in bs or [] for b in lb]

    def fn() -> Value:
        total = []
        for row in data:
            xs = [Value(x) for x in row]
            for k, layer in enumerate(ws):
                last = k == len(ws) - 1
                xs = _layer(layer, bs[k] if bs else None, xs, "linear" if last else act)
            total.append((xs[0] - 0.5) ** 2)
        return apply("sum", *total)

    program = _compare(fn, params)
    assert "matrix product" in program.source


def test_the_demo_lowers_every_layer_and_matches_eager() -> None:
    X, y = make_moons(40, 0.1, 2)
    random.seed(3)
    model = MLP(2, [8, 8, 1])
    program = _compare(lambda: demo_loss(model, X, y)[0], model.parameters())
    assert program.source.count("as a matrix product") == 3
    products = 40 * (2 * 8 + 8 * 8 + 8)  # weights times samples
    assert program.nodes < products  # a node per dot, relu, ...: no node per product
    assert len(program._runner.E) < products  # and no gradient edge per product


def test_a_value_shared_across_layers_and_inside_one_dot() -> None:
    rng = random.Random(4)
    shared = Value(0.3)
    w1 = [[shared, Value(rng.uniform(-1, 1))] for _ in range(3)]
    w2 = [[Value(rng.uniform(-1, 1)), shared, shared]]
    params = [shared, *{id(w): w for row in w1 + w2 for w in row if w is not shared}.values()]
    data = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(5)]

    def fn() -> Value:
        losses = []
        for row in data:
            xs = [Value(x) for x in row]
            h = _layer(w1, None, xs, "tanh")
            h = [h[0], shared, h[2]]  # the shared weight is also an input of layer 2
            losses.append(_layer(w2, None, h, "linear")[0] ** 2)
        return apply("sum", *losses)

    program = _compare(fn, params)
    assert "matrix product" in program.source


def test_one_value_several_times_in_one_dot() -> None:
    x, y = Value(0.7), Value(-1.3)
    _compare(lambda: apply("dot", x, y, y, x, y, x) * apply("dot", x, x, y, y), [x, y])


class Swish(Op):
    """A plugin op with no fast path between two lowered layers."""

    name = "swish_mm"
    arity = 1

    def forward(self, x: float) -> float:
        return x / (1.0 + 2.718281828459045 ** (-x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        s = 1.0 / (1.0 + 2.718281828459045 ** (-x))
        return (grad * (s + x * s * (1 - s)),)


def test_a_plugin_op_between_lowered_layers() -> None:
    rng = random.Random(8)
    w1 = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(4)]
    w2 = [[Value(rng.uniform(-1, 1)) for _ in range(4)]]
    b1 = [Value(0.1 * i) for i in range(4)]
    params = [w for row in w1 + w2 for w in row] + b1
    data = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(6)]

    def fn() -> Value:
        out = []
        for row in data:
            h = _layer(w1, b1, [Value(v) for v in row], "swish_mm")
            out.append(_layer(w2, None, h, "linear")[0])
        return apply("sum", *out)

    with registry.temporary(Swish):
        program = _compare(fn, params)
        assert program.source.count("as a matrix product") == 2


def test_a_partial_grid_runs_as_a_scattered_product() -> None:
    """Nodes that are not every (weight row, input row) pair, in no regular order, each with
    its own lead: the product is gathered and its gradient scattered."""
    rng = random.Random(9)
    rows = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
    samples = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
    leads = [Value(rng.uniform(-1, 1)) for _ in range(12)]
    pairs = [(a, z) for a in range(4) for z in range(4) if (a + z) % 4][::-1]
    params = [v for r in rows + samples for v in r] + leads

    def fn() -> Value:
        outs = [apply("dot", leads[i], *rows[a], *samples[z]) for i, (a, z) in enumerate(pairs)]
        return apply("sum", *[o * o for o in outs])

    program = _compare(fn, params)
    assert "_pa" in program.source


def test_distinct_rows_are_not_lowered_and_still_match() -> None:
    rng = random.Random(10)
    ws = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(5)]
    xs = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(5)]
    params = [v for r in ws + xs for v in r]
    program = _compare(
        lambda: apply("sum", *[apply("dot", *w, *x) for w, x in zip(ws, xs)]), params
    )
    assert "matrix product" not in program.source  # 25 products for 5 nodes: elementwise


def test_stale_program_and_guards_still_hold_when_lowered() -> None:
    X, y = make_moons(10, 0.1, 1)
    random.seed(1)
    model = MLP(2, [4, 1])
    with registry.temporary(Swish):
        w = model.parameters()[0]
        program = compile(lambda: demo_loss(model, X, y)[0] + w.swish_mm(), executor="numpy")
        program.forward()
    with pytest.raises(StaleProgramError):
        program.forward()
    guarded = compile(lambda: demo_loss(model, X, y)[0] * (2.0 if w > 0 else 3.0), executor="numpy")
    guarded.forward()
    w.data = -w.data
    with pytest.raises(Exception, match="comparison"):
        guarded.forward()


def _random_graph(rng: random.Random) -> Value:
    leaves = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    nodes = list(leaves)
    for _ in range(rng.randint(1, 25)):
        kind = rng.randrange(4)
        pick = [rng.choice(nodes) for _ in range(rng.randint(1, 6))]
        if kind == 0:
            nodes.append(pick[0] * pick[-1])
        elif kind == 1:
            nodes.append(pick[0].relu())
        elif kind == 2:
            nodes.append(apply("sum", *pick))
        else:
            nodes.append(apply("dot", *pick, *reversed(pick)))
    return apply("sum", *nodes[4:])


def engine_order(root: Value) -> list[Value]:
    """The order eager mode has always used, written plainly (a parent at a time): the DFS in
    `_backward`, which filters a wide node's seen parents in C, must give it node for node."""
    order: list[Value] = []
    seen: set[Value] = set()
    if root._op is None:
        return [root]
    stack: list[Any] = [root]
    done = object()
    while stack:
        node = stack.pop()
        if node is done:
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        stack += [node, done]
        for p in reversed(node.parents):
            if p in seen:
                continue
            if p._op is not None:
                stack.append(p)
            else:
                seen.add(p)
                order.append(p)
    return order


@pytest.mark.parametrize("seed", range(40))
def test_the_fast_order_is_the_engines(seed: int) -> None:
    root = _random_graph(random.Random(seed))
    assert topological_order(root) == engine_order(root)
    leaf = Value(1.0)
    assert topological_order(leaf) == engine_order(leaf) == [leaf]


@pytest.mark.parametrize("seed", range(10))
def test_wide_nodes_are_ordered_as_the_engine_always_did(seed: int) -> None:
    """Nodes with 48 parents or more take the filtered path: leaves and op nodes repeated,
    seen and unseen, in any mix, give the plain DFS's order."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1, 1)) for _ in range(30)]
    nodes: list[Value] = list(leaves)
    for _ in range(12):
        width = rng.randrange(48, 140)
        row = [rng.choice(nodes) for _ in range(width)]
        nodes.append(apply("sum", *row) * rng.choice(nodes))
    root = apply("sum", *nodes[-6:], *rng.sample(leaves, 5))
    assert topological_order(root) == engine_order(root)


def test_the_compiled_order_is_the_engines_one_implementation() -> None:
    from micrograd_core._compile import _plan

    assert _plan.topological_order is topological_order


def test_several_outputs_are_ordered_in_one_traversal() -> None:
    rng = random.Random(3)
    roots = [_random_graph(rng) for _ in range(3)]
    shared = roots[0] * roots[1]
    seen: set[Value] = set()
    order = [v for r in (shared, *roots) for v in topological_order(r, seen)]
    expected: list[Value] = []
    for r in (shared, *roots):
        expected += [v for v in engine_order(r) if v not in expected]
    assert order == expected and len(set(order)) == len(order)


@pytest.mark.parametrize("lead", ["per neuron", "per sample", "none"])
def test_nodes_neuron_by_neuron_with_leads_of_either_kind(lead: str) -> None:
    """The other order of a full grid (all samples of one neuron, then the next: `A @ Z.T`),
    with a lead that belongs to a weight row, to an input row, or no lead."""
    rng = random.Random(11)
    ws = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
    xs = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(5)]
    bs = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    cs = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    params = [v for r in ws + xs for v in r] + bs + cs

    def node(i: int, s: int) -> Value:
        head = {"per neuron": [bs[i]], "per sample": [cs[s]], "none": []}[lead]
        return apply("dot", *head, *ws[i], *xs[s])

    def fn() -> Value:
        return apply("sum", *[node(i, s).tanh() for i in range(4) for s in range(5)])

    program = _compare(fn, params)
    assert "_np.matmul(A, Z.T, out=M)" in program.source and "_pa" not in program.source

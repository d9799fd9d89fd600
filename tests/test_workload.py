"""The demo workload computes exactly micrograd's loss; checked against plain floats."""

from __future__ import annotations

import random

import pytest

from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP


def float_loss(weights: list[list[tuple[list[float], float]]], X, y) -> tuple[float, float]:
    """micrograd's demo loss with floats only: layers of (w, b) neurons, relu but on the last."""
    scores = []
    for row in X:
        h = list(row)
        for i, layer in enumerate(weights):
            last = i == len(weights) - 1
            h = [sum((wi * xi for wi, xi in zip(w, h)), b) for w, b in layer]
            h = h if last else [max(v, 0.0) for v in h]
        scores.append(h[0])
    losses = [max(1 + -yi * s, 0.0) for yi, s in zip(y, scores)]
    params = [v for layer in weights for w, b in layer for v in (*w, b)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    acc = sum((yi > 0) == (s > 0) for yi, s in zip(y, scores)) / len(y)
    return total, acc


def test_demo_loss_equals_plain_float_formula() -> None:
    X, y = make_moons(100, 0.1, seed=1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    weights = [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]
    loss, acc = demo_loss(model, X, y)
    ref_loss, ref_acc = float_loss(weights, X, y)
    assert loss.data == pytest.approx(ref_loss, rel=1e-12)
    assert acc == ref_acc


def test_make_moons_is_deterministic_and_balanced() -> None:
    X1, y1 = make_moons(100, 0.1, seed=5)
    X2, y2 = make_moons(100, 0.1, seed=5)
    assert X1 == X2 and y1 == y2
    assert sorted(set(y1)) == [-1, 1] and y1.count(1) == 50
    assert make_moons(100, 0.1, seed=6)[0] != X1
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(1)


def test_a_trained_graph_has_no_reference_cycles() -> None:
    # Nodes keep state in slots, not closures: dropping a graph frees it by reference counting,
    # leaving nothing for the cyclic collector (micrograd leaves every node in a cycle).
    import gc

    X, y = make_moons(20, 0.1, seed=1)
    random.seed(1)
    model = MLP(2, [8, 1])
    gc.collect()
    gc.disable()
    try:
        loss, _ = demo_loss(model, X, y)
        loss.backward()
        del loss
        assert gc.collect() == 0
    finally:
        gc.enable()

"""PyTorch's step on the demo workload, for comparison: CPU, float64, one thread, vectorised.

The same data (`make_moons`), the same initial weights (micrograd-core's `MLP` after
`random.seed(seed)`, copied into tensors), the same loss (max-margin plus `1e-4 * sum(p*p)`) and
the same SGD step, written the way a PyTorch user would: one matrix product per layer over the
whole batch. Importing this module needs torch (`pip install torch`); the runner reports the
engine as skipped, with a note, when it is absent.
"""

from __future__ import annotations

import random

import torch

from micrograd_core.datasets import make_moons
from micrograd_core.nn import MLP


class TorchDemo:
    """`step(rate)`: loss, zero_grad, backward, SGD update; returns the loss before the update."""

    def __init__(self, samples: int, hidden: tuple[int, ...], seed: int) -> None:
        torch.set_num_threads(1)
        X, y = make_moons(samples, 0.1, seed)
        random.seed(seed)
        model = MLP(2, [*hidden, 1])
        self.X = torch.tensor(X, dtype=torch.float64)
        self.y = torch.tensor(y, dtype=torch.float64)
        self.layers = []
        for layer in model.layers:
            w = [[v.data for v in n.w] for n in layer.neurons]
            b = [n.b.data for n in layer.neurons]
            W = torch.tensor(w, dtype=torch.float64, requires_grad=True)
            B = torch.tensor(b, dtype=torch.float64, requires_grad=True)
            self.layers.append((W, B))
        self.params = [p for wb in self.layers for p in wb]

    def loss(self) -> torch.Tensor:
        h = self.X
        for i, (W, B) in enumerate(self.layers):
            h = h @ W.T + B
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        scores = h[:, 0]
        data_loss = torch.relu(1 + -self.y * scores).mean()
        reg_loss = 1e-4 * sum((p * p).sum() for p in self.params)
        return data_loss + reg_loss

    def step(self, rate: float) -> float:
        total = self.loss()
        for p in self.params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in self.params:
                p -= rate * p.grad
        return float(total.item())

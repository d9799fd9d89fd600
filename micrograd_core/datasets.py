"""Toy datasets with no dependency: two interleaving half circles (scikit-learn's make_moons)."""

from __future__ import annotations

import math
import random


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int = 1337
) -> tuple[list[tuple[float, float]], list[int]]:
    """`n_samples` 2-D points on two half moons, shuffled, with Gaussian noise of std `noise`.

    Labels are -1 (upper moon) and +1 (lower moon), ready for a max-margin loss. The same seed
    always gives the same data (its own `random.Random`, so the global RNG is left alone).
    """
    if type(n_samples) is not int or n_samples < 2:
        raise ValueError(f"make_moons: n_samples must be an int >= 2, got {n_samples!r}")
    if not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"make_moons: noise must be a finite number >= 0, got {noise!r}")
    rng = random.Random(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    pts: list[tuple[float, float, int]] = []
    for i in range(n_out):
        t = math.pi * i / max(n_out - 1, 1)
        pts.append((math.cos(t), math.sin(t), -1))
    for i in range(n_in):
        t = math.pi * i / max(n_in - 1, 1)
        pts.append((1 - math.cos(t), 1 - math.sin(t) - 0.5, 1))
    rng.shuffle(pts)
    X = [(x + rng.gauss(0, noise), y + rng.gauss(0, noise)) for x, y, _ in pts]
    return X, [label for _, _, label in pts]

"""The records an `Explanation` is made of: one per value (`Node`), one per backward step
(`BackwardStep`) with a `Term` per input, and the `Contribution`s that make up a gradient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class Contribution:
    """One term of a value's gradient: `value`, sent back by backward step `step` (0 is the
    seed, d root / d root = 1)."""

    step: int
    value: float


@attrs.frozen
class Node:
    """One value of the graph: its id (`v0`, `v1`, ... in topological order), the name shown
    (a label, or the id), the op that produced it (`""` for an input), that op's parameters, the
    ids of its inputs, its data and its final gradient with the contributions that make it up."""

    id: str
    name: str
    op: str
    param: Mapping[str, Any]
    inputs: tuple[str, ...]
    data: float
    grad: float
    contributions: tuple[Contribution, ...]


@attrs.frozen
class Term:
    """What one backward step sends to one input: `product = upstream * local`, both computed
    by the op's `backward` (so `product` is bit for bit what the engine adds)."""

    input: str
    local: float
    product: float


@attrs.frozen
class BackwardStep:
    """One op node's turn in the backward pass (`step` counts from 1)."""

    step: int
    node: str
    op: str
    upstream: float
    terms: tuple[Term, ...]

"""The engine's topological order (`_backward.topological_order`), computed with the per-edge
work in C.

A layer's `dot` nodes have a hundred parents or more, nearly all of them already seen (the
weights, and the previous layer's outputs after the first sample); the engine's loop tests each
parent in Python, which was a third of the compile time of a 1,000-sample MLP. Here the seen
parents are filtered out by `itertools.filterfalse` over the set's own `__contains__` (no Python
frame per parent), and only the unseen few reach the Python loop. The order is the engine's,
node for node (tests/test_compile_matmul.py checks it on random graphs): the compiled gradient
sums follow it, and the pure-Python executor promises eager's floats.
"""

from __future__ import annotations

from itertools import filterfalse
from typing import Any

_OPEN = object()  # below it on the stack: a node whose parents are being done


def topological_order(root: Any, seen: set[Any] | None = None) -> list[Any]:
    """Every node `root` depends on, each after all of its parents (leaves included), in
    exactly the order of `micrograd_core._backward.topological_order`.

    `seen`: nodes already ordered (another output's), left out, and grown by this order's; so
    the orders of several outputs, concatenated, are one topological order of them all, and
    each node is visited once."""
    order: list[Any] = []
    seen = set() if seen is None else seen
    if root in seen:
        return order
    if root._op is None:
        seen.add(root)
        return [root]
    see, emit, contains = seen.add, order.append, seen.__contains__
    stack: list[Any] = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is _OPEN:
            emit(pop())
            continue
        if node in seen:
            continue  # pushed by two consumers before either reached it
        see(node)
        push(node)
        push(_OPEN)
        a = node._a
        if a is None:
            fresh = filterfalse(contains, reversed(node._many))
        else:
            fresh = filterfalse(contains, (a,) if node._b is None else (node._b, a))
        for p in list(fresh):
            if p in seen:
                continue  # a leaf that occurs twice among the parents: emitted once
            if p._op is not None:
                push(p)
            else:
                see(p)
                emit(p)
    return order

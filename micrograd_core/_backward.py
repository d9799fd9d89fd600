"""Reverse-mode differentiation over a graph of nodes, iterative (a 1,000,000-node chain works).

The engine knows no derivative: every node's gradient comes from its op's own `backward`,
called with the upstream gradient, the node's output and its inputs, and returning one gradient
per input. Two passes share one topological order:
- `backward_pass(root)`: `root.backward()`, floats accumulated into `.grad` (micrograd's contract);
- `gradients(root, seed, create_graph)`: a dict of gradients, no `.grad` touched; with
  `create_graph=True` each op's backward runs on the nodes themselves, so its arithmetic builds
  the graph of the gradient, which can be differentiated again.
Both add a node's contributions in the same order (consumers last to first, inputs left to
right, starting from 0.0), so they give the same floats.
"""

from __future__ import annotations

import threading
from itertools import filterfalse
from numbers import Real
from operator import attrgetter
from typing import Any

from ._errors import HigherOrderNotSupportedError, OpContractError, OpError
from ._registry import registry

_DATA = attrgetter("data")
_NONE: dict[str, Any] = {}  # the params of a node without any (never written to)
_OPEN = object()  # stack marker: the node below it has all its parents emitted once reached
_state = threading.local()  # .op: the op whose backward runs on Values in this thread, if any


def differentiating() -> Any:
    """The op whose backward is building a gradient's graph in this thread (create_graph), or
    None. A Value turned into a float there would cut that graph: `Value.__float__` refuses."""
    return getattr(_state, "op", None)


def topological_order(root: Any, seen: set[Any] | None = None) -> list[Any]:
    """Every node `root` depends on, each after all of its parents (leaves included). `seen`:
    nodes already ordered (another output's), left out and grown, so that several outputs'
    orders, concatenated, are one topological order of them all (compile uses that)."""
    order: list[Any] = []
    _order(root, order, order, seen)
    return order


def _order(root: Any, ops: list[Any], leaves: list[Any], seen: set[Any] | None = None) -> None:
    """Iterative post-order DFS: op nodes into `ops`, leaves into `leaves`, parents first.

    A visited node is pushed back with the `_OPEN` marker above it and its unvisited parents
    above that; popping the marker means the parents are done, so the node is emitted. Leaves
    are emitted as soon as they are seen. Parents are pushed last to first, so the first is
    done first, and the order is the same on every run.

    A node of 48 parents or more (a wide layer's `dot`, its parents nearly all seen already)
    has the seen ones filtered out in C (`filterfalse` over the set's `__contains__`): one by
    one they were a third of a 1,000-sample MLP's compile. Fewer: the loop is as fast."""
    seen = set() if seen is None else seen
    if root in seen:
        return
    see, emit, emit_leaf, contains = seen.add, ops.append, leaves.append, seen.__contains__
    if root._op is None:
        see(root)
        emit_leaf(root)
        return
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
            many = node._many
            wide = len(many) >= 48
            fresh: Any = list(filterfalse(contains, reversed(many))) if wide else reversed(many)
        else:
            fresh = (a,) if node._b is None else (node._b, a)
        for p in fresh:
            if p in seen:
                continue  # seen meanwhile: a leaf that occurs twice among the parents
            if p._op is not None:
                push(p)
            else:
                see(p)
                emit_leaf(p)


def backward_pass(root: Any, create_graph: bool = False) -> None:
    """`root.backward()`: see `Value.backward`."""
    if create_graph:
        seed = type(root)(1.0)
        for node, g in gradients(root, seed, create_graph=True).items():
            old = node.grad
            fresh = node._op is not None or (type(old) is float and old == 0.0)
            node.grad = g if fresh else old + g  # leaves accumulate, other nodes are this pass's
        root.grad = seed
        return
    order: list[Any] = []
    leaves: list[Any] = []
    _order(root, order, leaves)
    # Kept to undo a pass that fails halfway: a failed backward leaves every .grad as it was.
    saved = [n.grad for n in order], [leaf.grad for leaf in leaves]
    # An intermediate node's grad only means something for this pass: reset it, or a second
    # backward() would count the first pass's gradients again through every such node.
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    node = root
    try:
        for node in reversed(order):
            g = node.grad
            if type(g) is not float:
                g = node.grad = _checked(g, node, order)
            op = node._op
            a = node._a
            if a is None:  # a node with a tuple of parents (sum, dot, ...)
                prev = node._many
                gs = op.backward(g, node.data, *map(_DATA, prev), **(node._param or _NONE))
                for p, gp in zip(prev, gs, strict=True):
                    p.grad += gp
            elif node._b is None:
                (ga,) = op.backward(g, node.data, a.data, **(node._param or _NONE))
                a.grad += ga
            else:
                b = node._b
                ga, gb = op.backward(g, node.data, a.data, b.data, **(node._param or _NONE))
                a.grad += ga
                b.grad += gb
        for leaf in leaves:
            if type(leaf.grad) is not float:
                leaf.grad = _checked(leaf.grad, leaf, order)
    except BaseException as exc:  # Ctrl-C too: no gradient is left half-summed
        for nodes, grads in zip((order, leaves), saved):
            for n, old in zip(nodes, grads):
                n.grad = old
        if isinstance(exc, OpError) or not isinstance(exc, Exception):
            raise
        raise _contract_error(node, exc) from exc


def _checked(g: Any, node: Any, order: list[Any]) -> float:
    """A gradient that is not a float: a real number (an int, a numpy float) becomes one; a
    complex number, or anything else, names the op whose backward produced it."""
    if isinstance(g, Real):
        return float(g)
    for consumer in order:  # the error path only: find the backward that returned it
        prev = consumer._prev
        if node not in prev:
            continue
        gs = consumer._op.backward(
            consumer.grad, consumer.data, *map(_DATA, prev), **(consumer._param or _NONE)
        )
        for p, gp in zip(prev, gs):
            if p is node and not isinstance(gp, Real):
                msg = f"backward returned {type(gp).__name__} {gp!r}, not a real number"
                raise OpContractError(consumer._op, registry.plugin_of(consumer._op), msg)
    raise OpContractError(None, None, f"a gradient became {type(g).__name__} {g!r}")


def _contract_error(node: Any, exc: Exception) -> OpContractError:
    op = node._op
    text = str(exc)
    if "unpack" in text or "zip()" in text or "not iterable" in text:
        n = len(node._prev)
        msg = f"backward must return a sequence of one gradient per input ({n}): {exc}"
    else:
        msg = f"backward raised {exc!r}"
    return OpContractError(op, registry.plugin_of(op), msg)


def gradients(root: Any, seed: Any = 1.0, create_graph: bool = False) -> dict[Any, Any]:
    """d root / d node for every node `root` depends on, as a dict; `.grad` is left untouched.

    Each gradient starts from 0.0 and gets its contributions in `backward_pass`'s order, so the
    floats are the same (with `create_graph`, the first contribution is kept as it is rather
    than adding it to 0.0, which would only add a node)."""
    order = topological_order(root)
    acc: dict[Any, Any] = {root: seed}
    node = root
    try:
        for node in reversed(order):
            op = node._op
            g = acc.get(node)
            if op is None or g is None:
                continue
            prev = node._prev
            param = node._param or _NONE
            if create_graph:
                if not registry.spec_of(op).higher_order:
                    raise HigherOrderNotSupportedError(
                        op,
                        registry.plugin_of(op),
                        "declares higher_order = False: its backward cannot be "
                        "differentiated, so create_graph=True cannot go through it",
                    )
                outer, _state.op = differentiating(), op
                try:
                    gs = op.backward(g, node, *prev, **param)
                finally:
                    _state.op = outer
            else:
                gs = op.backward(g, node.data, *map(_DATA, prev), **param)
            for p, gp in zip(prev, gs, strict=True):
                old = acc.get(p)
                if old is not None:
                    acc[p] = old + gp
                elif create_graph:
                    acc[p] = gp
                else:  # as backward_pass adds it to a 0.0 .grad; the end checks what came out
                    acc[p] = 0.0 + gp
    except OpError:
        raise
    except Exception as exc:
        raise _contract_error(node, exc) from exc
    if not create_graph:
        for p, gp in acc.items():
            if type(gp) is not float:
                acc[p] = _checked(gp, p, order)
    return acc

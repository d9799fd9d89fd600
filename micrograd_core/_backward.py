"""Reverse-mode differentiation over a graph of `Value`s, iterative (a 1,000,000-node chain works).

Two paths share one topological order:
- `backward(root)`: the eager path, floats only, accumulating into `.grad` (micrograd's contract).
- `grad(root, inputs, create_graph=...)`: gradients collected in a dict, without touching `.grad`;
  with `create_graph=True` each op's backward runs on `Value`s, so the result is differentiable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ._apply import spec_of
from ._eagerloop import eager_loop
from ._errors import HigherOrderNotSupportedError, OpContractError
from ._registry import registry
from ._value import _DATA, Value, _lift

_OPEN = object()  # stack marker: the node below it has all its parents emitted once reached


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; iterative post-order DFS.

    A visited node is pushed back with the `_OPEN` marker above it and its unvisited parents
    above that; popping the marker means the parents are done, so the node is emitted. Leaves
    are emitted as soon as they are seen.
    """
    return _order(root, leaves=True)


def _interior_order(root: Value) -> list[Value]:
    """The op nodes `root` depends on, each after its parents: the schedule of `backward`.

    `topological_order` without the leaves: a leaf has no backward to run, and skipping it on
    sight (`_op is None`) is cheaper than tracking it in `seen`. A neuron's weights are most of
    the parents in an MLP, so this halves the cost of the sort there.
    """
    return _order(root, leaves=False)


def _order(root: Value, leaves: bool) -> list[Value]:
    order: list[Value] = []
    emit = order.append
    seen: set[Value] = set()
    see = seen.add
    stack: list[Any] = [root] if leaves or root._op is not None else []
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
        # The parents (Value._prev, inlined), pushed last to first: the first is done first.
        a = node._a
        for p in reversed(node._many) if a is None else (node._b, a):
            if p is None or p in seen:
                continue
            if p._op is not None:
                push(p)
            elif leaves:
                see(p)
                emit(p)
    return order


def _contract_error(node: Value, exc: Exception) -> OpContractError:
    op = node._op
    plugin = registry.plugin_of(op)
    if "unpack" in str(exc) or "zip()" in str(exc):
        n = len(node._prev)
        msg = f"backward must return a sequence of one gradient per input ({n}): {exc}"
    else:
        msg = f"backward raised {exc!r}"
    return OpContractError(op, plugin, msg)


def backward(root: Value, create_graph: bool = False) -> None:
    """`root.backward()`: see `Value.backward`."""
    if create_graph:
        seed = Value(1.0)
        grads = gradients(root, seed, create_graph=True)
        for node, g in grads.items():
            old = node.grad
            fresh = node._op is not None or (type(old) is float and old == 0.0)
            node.grad = g if fresh else old + g  # leaves accumulate; other nodes are this pass's
        root.grad = seed
        return
    topo = _interior_order(root)
    # Leaves accumulate across calls (micrograd's contract, until zero_grad). An intermediate
    # node's grad only means something for this pass: reset it, or a second backward() would
    # count the first pass's gradients again through every intermediate node (micrograd does).
    for node in topo:
        node.grad = 0.0
    root.grad = 1.0
    # Registered ops with a `backward_source` template run inlined in the generated loop; the
    # others (and unregistered ad-hoc ops) go through `_backward_one`, one node at a time.
    eager_loop()(topo, _backward_one, _contract_error)


def _backward_one(node: Value) -> None:
    """One node's `op.backward`, accumulated into its parents' `.grad`."""
    op = node._op
    a = node._a
    if a is None:  # a variadic node such as a neuron's dot: parents in `_many`
        prev = node._many
        gs = op.backward(node.grad, node.data, *map(_DATA, prev), **(node._param or {}))
        for p, g in zip(prev, gs, strict=True):
            p.grad += g
        return
    b = node._b
    param = node._param or {}
    if b is None:
        (ga,) = op.backward(node.grad, node.data, a.data, **param)
        a.grad += ga
        return
    ga, gb = op.backward(node.grad, node.data, a.data, b.data, **param)
    a.grad += ga
    b.grad += gb


def gradients(root: Value, seed: Any = 1.0, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node `root` depends on, as a dict; `.grad` is left untouched."""
    topo = topological_order(root)
    acc: dict[Value, Any] = {root: seed}
    node = root
    try:
        for node in reversed(topo):
            op = node._op
            g = acc.get(node)
            if op is None or g is None:
                continue
            prev = node._prev
            param = node._param or {}
            if create_graph:
                if not spec_of(op).higher_order:
                    raise HigherOrderNotSupportedError(
                        op,
                        registry.plugin_of(op),
                        "declares higher_order = False: its backward cannot be "
                        "differentiated, so create_graph=True cannot go through it",
                    )
                gs = op.backward(g, node, *prev, **param)
            else:
                gs = op.backward(g, node.data, *[p.data for p in prev], **param)
            for p, gp in zip(prev, gs, strict=True):
                old = acc.get(p)
                acc[p] = gp if old is None else old + gp
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise _contract_error(node, exc) from exc
    return acc


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d output / d input for each input, without touching any `.grad` (PyTorch's autograd.grad).

    With `create_graph=True` the results are `Value`s you can differentiate again:
    `dx, = grad(y, [x], create_graph=True); ddx, = grad(dx, [x])`. An input `output` does not
    depend on gets 0.0.
    """
    if not isinstance(output, Value):
        raise TypeError(
            f"grad(output, inputs): output must be a Value, got {type(output).__name__}"
        )
    xs: Iterable[Value] = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(
                f"grad(output, inputs): inputs[{i}] must be a Value, got {type(x).__name__}"
            )
    acc = gradients(output, 1.0, create_graph=create_graph)
    out = [acc.get(x, 0.0) for x in xs]
    if create_graph:  # constants (d(x+y)/dx = 1) become leaves, so every result is a Value
        out = [g if isinstance(g, Value) else _lift(g, "grad", i) for i, g in enumerate(out)]
    else:
        out = [g.data if isinstance(g, Value) else float(g) for g in out]
    return out

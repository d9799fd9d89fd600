"""The eager backward loop, generated for the ops registered right now.

Calling `op.backward` per node costs a method call and a tuple. Ops that declare a
`backward_source` template (see `_template`) get their gradient expressions inlined into one
loop, dispatched by identity (`op is OP3`), and so does `dot`, the node `nn` builds per neuron
(see `_dot`); every other op goes through `op.backward` as before.
The loop is regenerated (and cached) whenever the set of registered ops changes, which the
caller detects by the tuple of op objects in `registry.table`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._dot import EAGER_BRANCH, follows_the_rule
from ._registry import registry
from ._template import template_of

Loop = Callable[[list[Any], Callable[[Any], None], Callable[[Any, Exception], Exception]], None]

_cache: dict[tuple[int, ...], tuple[tuple[Any, ...], Loop]] = {}


def _branch(i: int, op: Any, namespace: dict[str, Any]) -> list[str] | None:
    """The `elif op is OPi:` body for one templated op, or None to use `op.backward`."""
    if op.name == "dot" and follows_the_rule(op):  # a neuron's node: see `_dot`
        namespace[f"OP{i}"] = op
        return [f"        elif op is OP{i}:", *EAGER_BRANCH]
    spec = registry.spec(op.name)
    tpl = template_of(op, spec, f"_o{i}_")
    if tpl is None or tpl.backward is None:
        return None
    body = [f"        elif op is OP{i}:", "            g = node.grad"]
    names = {p: f"p_{p}" for p in tpl.params}
    body += [f"            p_{p} = node._param[{p!r}]" for p in tpl.params]
    if spec.arity is None:
        expr = tpl.backward[0].format(x="a.data", g="g", out="node.data", **names)
        parents = "(node._many if node._a is None else node._prev)"
        body += [f"            for a in {parents}:", f"                a.grad += {expr}"]
    else:
        args = [f"a{k}" for k in range(spec.arity)]
        if spec.arity == 1:
            body.append("            a0 = node._a")
        elif spec.arity == 2:
            body.append("            a0 = node._a")
            body.append("            a1 = node._b")
        else:
            body.append(f"            {', '.join(args)}, = node._many")
        holes = {f"x{k}": f"a{k}.data" for k in range(spec.arity)}
        for k, expr in enumerate(tpl.backward):
            code = expr.format(g="g", out="node.data", **holes, **names)
            body.append(f"            a{k}.grad += {code}")
    namespace.update(tpl.globals)
    namespace[f"OP{i}"] = op
    return body


def _generate(ops: tuple[Any, ...]) -> Loop:
    lines = [
        "def loop(order, generic, fail):",
        "  node = None",
        "  try:",
        "    for node in reversed(order):",
        "        op = node._op",  # the order holds op nodes only (no leaves)
    ]
    namespace: dict[str, Any] = {}
    branches = [line for i, op in enumerate(ops) for line in _branch(i, op, namespace) or []]
    if branches:
        branches[0] = branches[0].replace("elif", "if", 1)
        lines += [*branches, "        else:", "            generic(node)"]
    else:
        lines += ["        generic(node)"]
    lines += [
        "  except (ValueError, TypeError, ArithmeticError) as exc:",  # name the failing node
        "    raise fail(node, exc) from exc",
    ]
    exec(compile("\n".join(lines), "<micrograd eager backward>", "exec"), namespace)
    return namespace["loop"]  # type: ignore[no-any-return]


def eager_loop() -> Loop:
    """The backward loop for the currently registered ops (cached)."""
    ops = tuple(registry.table.values())
    key = tuple(map(id, ops))  # by identity: an op class may define __eq__ and be unhashable
    cached = _cache.get(key)
    if cached is None:
        if len(_cache) > 16:  # tests register and remove ops often; keep the cache small
            _cache.clear()
        cached = _cache[key] = (ops, _generate(ops))  # holding `ops` keeps their ids unique
    return cached[1]

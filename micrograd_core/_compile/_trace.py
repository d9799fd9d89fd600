"""Tracing: `fn()` runs once, eagerly, while the engine's hooks tell this tracer which leaves
it created, which comparisons of data it made and whether data escaped into Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _value
from .._value import Value
from ._errors import TraceError


class Tracer:
    """What `fn` did while it ran under `trace`, as the engine's hooks report it."""

    def __init__(self) -> None:
        self.created: set[int] = set()
        self.keep: list[Value] = []  # keeps created leaves alive so their ids stay unique
        self.guards: list[tuple[str, Any, Any, bool]] = []
        self.escaped: str | None = None

    def leaf(self, v: Value) -> None:
        self.created.add(id(v))
        self.keep.append(v)

    def compare(self, kind: str, a: Value, b: Any, result: bool) -> None:
        self.guards.append((kind, a, b, result))

    def escape(self, v: Value, how: str) -> None:
        self.escaped = self.escaped or how


def trace(fn: Callable[[], Any]) -> tuple[Any, Tracer]:
    """`fn()`'s result and what the tracer saw while it ran."""
    tracer = Tracer()
    if _value._tracer is not None:
        raise TraceError("compile() cannot be called while another trace is running")
    _value._tracer = tracer
    try:
        result = fn()
    finally:
        _value._tracer = None
    return result, tracer

"""Compiled mode: trace a function of Values once, replay its forward and backward many times.

    program = micrograd_core.compile(lambda: demo_loss(model, X, y)[0])
    for step in range(100):
        loss = program.forward()   # reads every input leaf's current .data
        model.zero_grad()
        program.backward()         # accumulates d loss / d leaf into each input leaf's .grad

Tracing calls `fn()` once, eagerly, and keeps the graph it returns (a Value, or a sequence of
Values whose first is the one `backward` differentiates). Leaves that existed before the call
(model parameters, data you pass in) are the program's *inputs*, read afresh at every replay;
leaves `fn` created (its constants, `Value(x)` of fixed data) are baked in. Replays are valid
while `fn` would build the same graph again; the program refuses, with a typed error, whenever
that cannot be guaranteed:
- a comparison of Value data during tracing (`if x > 0:`) becomes a guard, re-checked after
  every forward; a replay whose comparison comes out differently raises `GuardFailedError`;
- `float(v)` / `v.item()` during tracing (data leaving the graph) raises `TraceError`;
- an op that was unregistered or overridden since tracing raises `StaleProgramError`.
Reading `.data` directly inside `fn` cannot be seen: do not branch on it.
"""

from __future__ import annotations

from ._errors import CompileError, GuardFailedError, StaleProgramError, TraceError
from ._program import Program, compile

__all__ = [
    "CompileError",
    "GuardFailedError",
    "Program",
    "StaleProgramError",
    "TraceError",
    "compile",
]

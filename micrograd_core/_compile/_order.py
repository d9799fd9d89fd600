"""The topological order compiled mode plans from: the engine's own
(`micrograd_core._backward.topological_order`, one implementation for both), so that the
compiled gradient sums follow eager's order and the pure-Python executor keeps eager's floats.
"""

from __future__ import annotations

from .._backward import topological_order

__all__ = ["topological_order"]

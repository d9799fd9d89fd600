"""An op plugin for micrograd-core, discovered through the `micrograd_core` entry point."""

from micrograd_core import hookimpl

from .ops import Exp, Log, Sigmoid

__all__ = ["Exp", "Log", "Sigmoid", "register_ops"]


@hookimpl
def register_ops(register):  # type: ignore[no-untyped-def]
    register(Exp)
    register(Log)
    register(Sigmoid)

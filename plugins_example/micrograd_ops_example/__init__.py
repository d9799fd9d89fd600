"""An op plugin for micrograd-core, discovered through the `micrograd_core` entry point."""

from micrograd_core import hookimpl

from .ops import Sigmoid, Softplus, Swish

__all__ = ["Sigmoid", "Softplus", "Swish", "register_ops"]

#: The version of micrograd-core's op protocol these ops are written for.
micrograd_protocol = 1


@hookimpl
def register_ops(register):  # type: ignore[no-untyped-def]
    register(Sigmoid)
    register(Softplus)
    register(Swish)

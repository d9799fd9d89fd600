"""The builtin ops, shipped as an ordinary plugin: the core finds this module only through the
`micrograd_core` entry point declared in pyproject.toml, exactly as it finds third-party ops."""

from micrograd_core import hookimpl

from .activations import Relu, Tanh
from .arithmetic import Add, Dot, Mul, Sum
from .power import Pow, PowVar

__all__ = ["Add", "Dot", "Mul", "Pow", "PowVar", "Relu", "Sum", "Tanh", "register_ops"]


@hookimpl
def register_ops(register):  # type: ignore[no-untyped-def]
    for op in (Add, Mul, Sum, Dot, Pow, PowVar, Tanh, Relu):
        register(op)

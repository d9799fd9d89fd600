"""The builtin ops, shipped as an ordinary plugin: the core finds this module only through the
`micrograd_core` entry point declared in pyproject.toml, exactly as it finds third-party ops."""

from micrograd_core import hookimpl

from .activations import Relu, Tanh
from .arithmetic import Add, Dot, Mul, Sum
from .elementary import Cos, Exp, Expm1, Log, Log1p, Sin, Sqrt
from .power import Pow, PowVar

__all__ = [
    "Add",
    "Cos",
    "Dot",
    "Exp",
    "Expm1",
    "Log",
    "Log1p",
    "Mul",
    "Pow",
    "PowVar",
    "Relu",
    "Sin",
    "Sqrt",
    "Sum",
    "Tanh",
    "register_ops",
]

#: The version of the op protocol these ops are written for (see micrograd_core.PROTOCOL).
micrograd_protocol = 1


@hookimpl
def register_ops(register):  # type: ignore[no-untyped-def]
    for op in (Add, Mul, Sum, Dot, Pow, PowVar, Tanh, Relu):
        register(op)
    for op in (Exp, Expm1, Log, Log1p, Sqrt, Sin, Cos):  # what micrograd_core.math applies
        register(op)

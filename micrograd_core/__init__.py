"""micrograd-core: a scalar autodiff engine in which every operator is a plugin.

from micrograd_core import Value
x = Value(2.0); y = (x * x + 1).tanh(); y.backward(); x.grad
"""

from ._backward import topological_order
from ._compile import (
    CompileError,
    GuardFailedError,
    Program,
    StaleProgramError,
    TraceError,
    compile,
)
from ._errors import (
    ArityError,
    DuplicateOpError,
    HigherOrderNotSupportedError,
    MicrogradError,
    OpContractError,
    OpError,
    OpValidationError,
    ParamError,
    PluginError,
    PluginWarning,
    UnknownOpError,
)
from ._fastpaths import FastPath
from ._floats import sequential_sum
from ._hooks import PROTOCOL, hookimpl
from ._op import REALS, VARIADIC, Interval, Op
from ._registry import OpInfo, Registry, registry
from ._validate import OpSpec
from ._value import Value, apply, grad
from .explanation import Explanation, explain
from .graph import Graph, GraphvizError, GraphvizNotFoundError, draw_dot, to_dot
from .serialize import ModelFileError, load_model, save_model

__version__ = "0.1.0"

__all__ = [
    "PROTOCOL",
    "REALS",
    "VARIADIC",
    "ArityError",
    "CompileError",
    "DuplicateOpError",
    "Explanation",
    "FastPath",
    "Graph",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GuardFailedError",
    "HigherOrderNotSupportedError",
    "Interval",
    "MicrogradError",
    "ModelFileError",
    "Op",
    "OpContractError",
    "OpError",
    "OpInfo",
    "OpSpec",
    "OpValidationError",
    "ParamError",
    "PluginError",
    "PluginWarning",
    "Program",
    "Registry",
    "StaleProgramError",
    "TraceError",
    "UnknownOpError",
    "Value",
    "__version__",
    "apply",
    "compile",
    "draw_dot",
    "explain",
    "grad",
    "hookimpl",
    "load_model",
    "registry",
    "save_model",
    "sequential_sum",
    "to_dot",
    "topological_order",
]

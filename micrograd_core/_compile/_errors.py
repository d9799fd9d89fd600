"""The typed errors of compiled mode."""

from __future__ import annotations

from .._errors import MicrogradError


class CompileError(MicrogradError):
    """Base class of the errors of compiled mode."""


class TraceError(CompileError, ValueError):
    """`fn` did something during tracing that a replay could not reproduce."""


class GuardFailedError(CompileError, RuntimeError):
    """A comparison made during tracing came out differently: the graph may have changed."""


class StaleProgramError(CompileError, RuntimeError):
    """An op the program uses was unregistered or overridden after tracing."""

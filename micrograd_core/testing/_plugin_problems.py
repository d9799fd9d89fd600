"""The plugins that did not make it into the registry, described for `micrograd check` and the
pytest plugin: a gate that checks "every installed op" must not pass while an installed plugin
failed to load or lost an op to a name clash. No hypothesis here."""

from __future__ import annotations

import traceback
from typing import Any

import attrs

from .._errors import DuplicateOpError, MicrogradError, OpError, PluginError
from .._registry import registry


@attrs.frozen
class PluginProblem:
    """One entry of `registry.failures`, in words."""

    kind: str  # "plugin failed to load", "op lost to a name clash", "invalid op", ...
    label: str  # a short name: the plugin, or the op that was lost
    message: str  # the registry's own message
    cause: str = ""  # the underlying exception and where it was raised, when known
    plugin: str | None = None
    distribution: str | None = None
    op: str | None = None

    def matches(self, token: str) -> bool:
        """Is this problem about the op, plugin or distribution called `token`?"""
        if token in (self.plugin, self.distribution, self.op):
            return True
        # A clash names its plugins only inside the message: "plugin 'a' (distribution d 1.0)".
        return self.kind == CLASH and (
            f"plugin {token!r}" in self.message or f"distribution {token} " in self.message
        )

    def text(self) -> str:
        return f"{self.kind}: {self.message}" + (
            f"\n    caused by {self.cause}" if self.cause else ""
        )

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


CLASH = "op lost to a name clash"


def problems() -> list[PluginProblem]:
    """Every plugin problem of the process-wide registry (loading it first)."""
    registry.ensure_loaded()
    return [describe(exc) for exc in registry.failures]


def describe(exc: MicrogradError) -> PluginProblem:
    cause = _cause(exc)
    if isinstance(exc, DuplicateOpError):
        return PluginProblem(CLASH, exc.name, str(exc), cause, op=exc.name)
    if isinstance(exc, PluginError):
        return PluginProblem(
            "plugin failed to load",
            exc.plugin,
            str(exc),
            cause,
            plugin=exc.plugin,
            distribution=exc.distribution,
        )
    if isinstance(exc, OpError):  # an invalid op skips its whole plugin
        name = getattr(exc.op, "name", None)
        op = name if isinstance(name, str) else None
        label = exc.plugin or op or type(exc).__name__
        return PluginProblem(
            "plugin skipped: invalid op",
            label,
            str(exc),
            cause,
            plugin=exc.plugin,
            distribution=getattr(exc, "distribution", None),
            op=op,
        )
    plugin = getattr(exc, "plugin", None)
    return PluginProblem(
        "plugin problem",
        plugin or type(exc).__name__,
        str(exc),
        cause,
        plugin=plugin,
        distribution=getattr(exc, "distribution", None),
    )


def _cause(exc: BaseException) -> str:
    """`ModuleNotFoundError: No module named 'x' (at plugin.py:3)`: the exception the registry
    chained as `__cause__`, and the last line of plugin code (not the import machinery) it
    passed through."""
    cause = exc.__cause__
    if cause is None:
        return ""
    where = ""
    frames = [f for f in traceback.extract_tb(cause.__traceback__) if "importlib" not in f.filename]
    if frames:
        last = frames[-1]
        where = f" (at {last.filename}:{last.lineno})"
    return f"{type(cause).__name__}: {cause}{where}"

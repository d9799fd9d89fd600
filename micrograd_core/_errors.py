"""Typed errors. Each carries the offending object so callers can act on it, not just read it."""

from __future__ import annotations

from typing import Any


class MicrogradError(Exception):
    """Base class of every error raised by micrograd-core."""


class OpError(MicrogradError):
    """Something is wrong with one op: the message names the op and the plugin that provided it."""

    def __init__(
        self, op: Any, plugin: str | None, msg: str, distribution: str | None = None
    ) -> None:
        self.op = op
        self.plugin = plugin
        self.distribution = distribution
        name = getattr(op, "name", None) or repr(op)
        where = f" (from plugin {plugin!r}" if plugin else ""
        if where:
            where += f", distribution {distribution})" if distribution else ")"
        super().__init__(f"op {name!r}{where}: {msg}")


class OpValidationError(OpError, TypeError):
    """An op does not conform to the op protocol; raised once, at registration."""


class OpContractError(OpError, RuntimeError):
    """An op broke its contract while running (e.g. backward returned the wrong number of grads)."""


class HigherOrderNotSupportedError(OpError, RuntimeError):
    """`create_graph=True` went through an op that declared `higher_order = False`."""


class ArityError(OpError, TypeError):
    """An op was applied to the wrong number of inputs."""


class ParamError(OpError, TypeError):
    """An op was applied with missing or unknown static parameters."""


class UnknownOpError(MicrogradError, LookupError, AttributeError):
    """No registered op has this name. Also an AttributeError, so `hasattr(value, name)` works."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"no op named {name!r} is registered{hint} (see `micrograd ops`)")


class PluginError(MicrogradError):
    """A plugin failed to import or to register. Carries the plugin and distribution names."""

    def __init__(
        self, plugin: str, distribution: str | None, msg: str, version: str | None = None
    ) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        dist = (
            f" (distribution {distribution} {version or ''}".rstrip() + ")" if distribution else ""
        )
        super().__init__(f"plugin {plugin!r}{dist}: {msg}")


class DuplicateOpError(MicrogradError):
    """Two plugins provide the same op name and neither declared `override=True`."""

    def __init__(self, name: str, first: str, second: str) -> None:
        self.name = name
        self.first = first  # "plugin 'x' (distribution 'd 1.0')" of the op already registered
        self.second = second  # the same for the op that tried to take the name
        super().__init__(
            f"op {name!r} is provided by both {first} and {second}; uninstall one, or register "
            f"the intended one with register(op, override=True)"
        )


class PluginWarning(UserWarning):
    """A plugin was skipped (failed to import or register); the other plugins keep working."""

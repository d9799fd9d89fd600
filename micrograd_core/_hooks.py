"""The hooks an op plugin implements, in the style of llm and datasette: `register_ops`, and
optionally `register_fastpaths` beside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

#: The entry-point group and pluggy project name shared by builtin and third-party op plugins.
PROJECT = "micrograd_core"

PROTOCOL = 1
"""The version of the op protocol (what an op and the hooks look like) this micrograd-core
speaks. A plugin states the version it was written for as a module attribute,
`micrograd_protocol = 1`; one that states none is taken to be written for version 1. A plugin
written for a version this micrograd-core does not load is skipped, with a `PluginWarning`
naming both versions."""
#: The protocol versions whose plugins this micrograd-core loads.
SUPPORTED_PROTOCOLS = range(1, PROTOCOL + 1)

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorate your plugin's `register_ops(register)` function with this.
hookimpl = pluggy.HookimplMarker(PROJECT)


class OpHookSpecs:
    @hookspec
    def register_ops(self, register: Callable[..., Any]) -> None:
        """Call `register(op)` once per op this plugin provides.

        `register(op, override=True)` replaces an op of the same name from another plugin; the
        replacement shows in `micrograd ops`. Without it, a name clash is an error naming both.
        """

    @hookspec
    def register_fastpaths(self, register: Callable[..., Any]) -> None:
        """Optional, for speed only: call `register(op, forward=..., backward=...)` to give a
        registered op (its class or instance) hand-written expressions for compiled mode.

        Not needed when the op's methods are single `return` expressions (they are read from
        the source) or plain arithmetic; see docs/writing-an-op.md, "Fast paths". Each is
        checked against the op's own methods when it is registered and dropped, with a
        warning naming the op and the plugin, if they ever disagree.
        """

"""The one hook every op plugin implements, in the style of llm and datasette."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

#: The entry-point group and pluggy project name shared by builtin and third-party op plugins.
PROJECT = "micrograd_core"

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

"""From "an op or its name" to the op object, its validated spec and where it came from."""

from __future__ import annotations

from typing import Any

import attrs

from .._registry import registry
from .._validate import OpSpec, validate_op

#: The plugin name reported for an op object that is not in the registry.
UNREGISTERED = "<unregistered>"


@attrs.frozen
class Target:
    """The op under check."""

    op: Any
    spec: OpSpec
    plugin: str
    distribution: str | None
    version: str | None

    @property
    def name(self) -> str:
        return self.spec.name

    def where(self) -> str:
        """`plugin 'example' (distribution micrograd-ops-example 0.1.0)`."""
        dist = f" (distribution {self.distribution} {self.version or ''}".rstrip() + ")"
        return f"plugin {self.plugin!r}" + (dist if self.distribution else "")


def resolve(op_or_name: Any) -> Target:
    """Look up a registered op by name, or describe an op object (registered or not).

    Raises `UnknownOpError` for an unknown name and `OpValidationError` for an object that does
    not follow the op protocol."""
    name: Any
    if isinstance(op_or_name, str):
        op = registry.get(op_or_name)
        name = op_or_name
    else:
        op = op_or_name
        name = getattr(op, "name", None)
        if isinstance(op, type):  # a class: the registered instance, or a fresh validated one
            registered = registry.table.get(name) if isinstance(name, str) else None
            op = registered if type(registered) is op else validate_op(op, None)[0]
    if isinstance(name, str) and name in registry and registry.get(name) is op:
        origin = registry.origin(name)
        return Target(op, registry.spec(name), origin.plugin, origin.distribution, origin.version)
    return Target(op, registry.spec_of(op), UNREGISTERED, None, None)

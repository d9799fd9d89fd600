"""Installed-looking plugin distributions for tests: a `*.dist-info` folder (METADATA and
entry_points.txt, which is all importlib.metadata reads) plus the plugin's module, on sys.path.

    with installed(tmp_path, broken_import("ghost-dist", "ghost")):
        ...  # micrograd_core.registry now sees plugin 'ghost', which fails to import
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

from micrograd_core import registry


@attrs.frozen
class FakeDist:
    name: str  # distribution name
    plugin: str  # entry-point name
    module: str  # the module the entry point names
    source: str | None  # its code; None: no module at all


def write(root: Path, dist: FakeDist) -> None:
    """Write `dist` under `root` (a folder that goes on sys.path / PYTHONPATH)."""
    info = root / f"{dist.name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist.name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[micrograd_core]\n{dist.plugin} = {dist.module}\n")
    if dist.source is not None:
        (root / f"{dist.module}.py").write_text(dist.source)


def broken_import(name: str, plugin: str) -> FakeDist:
    """A plugin whose module fails to import (a dependency is missing)."""
    source = "import math\nimport no_such_dependency_xyz  # noqa: F401\n"
    return FakeDist(name, plugin, f"{plugin}_plugin_mod", source)


def provides(name: str, plugin: str, op_name: str, factor: float = 1.0) -> FakeDist:
    """A working plugin with one op `op_name` (x * factor)."""
    source = f'''
from micrograd_core import Op, hookimpl

class Scaled(Op):
    """x * {factor}"""
    name = {op_name!r}
    arity = 1
    def forward(self, x):
        return {factor} * x
    def backward(self, grad, out, x):
        return ({factor} * grad,)

@hookimpl
def register_ops(register):
    register(Scaled)
'''
    return FakeDist(name, plugin, f"{plugin}_plugin_mod", source)


@contextmanager
def installed(root: Path, *dists: FakeDist) -> Iterator[Path]:
    """The registry, reloaded with `dists` installed; reloaded without them afterwards."""
    for dist in dists:
        write(root, dist)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        registry.reload()
        yield root
    finally:
        sys.path.remove(str(root))
        for dist in dists:
            sys.modules.pop(dist.module, None)
        importlib.invalidate_caches()
        registry.reload()

"""Finding and running plugins: which entry points load, and what one plugin registers.

The registry (`_registry`) calls these while it loads, under its lock. Nothing here touches the
table: a plugin's hooks run into a `Batch` of validated entries, which `_name_claims` then
settles against the other plugins' claims. Any failure of one plugin (an import error, a
broken hook, an op that breaks the protocol, even `SystemExit`) goes to the `fail` callback
and costs that plugin only.
"""

from __future__ import annotations

import inspect
import os
import re
import traceback
import warnings
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

import attrs
import pluggy

from ._errors import MicrogradError, PluginError, PluginWarning
from ._fastpaths.fastpath import FastPath
from ._hooks import PROJECT, PROTOCOL, SUPPORTED_PROTOCOLS, OpHookSpecs
from ._validate import OpSpec, validate_op

ENTRY_POINT_GROUP = PROJECT
#: Set to 1 to load only the plugins of micrograd-core itself (the builtin ops).
ENV_DISABLE_AUTOLOAD = "MICROGRAD_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated plugin or distribution names: load only these external plugins ("" = none).
ENV_PLUGINS = "MICROGRAD_PLUGINS"
#: Set to 1 to raise on a broken plugin instead of warning and skipping it.
ENV_STRICT = "MICROGRAD_STRICT_PLUGINS"
#: Comma-separated plugin or distribution names whose `override=True` of a builtin op is wanted:
#: those replace it silently (any other plugin's replacement is announced with a warning).
ENV_ALLOW_OVERRIDES = "MICROGRAD_ALLOW_OVERRIDES"
OWN_DISTRIBUTION = "micrograd-core"
IN_PROCESS = "<in-process>"

#: Where a warning points: a file and a line.
Where = tuple[str, int]
#: What the registry does with a plugin's failure: raise it (strict mode) or record and warn.
Fail = Callable[[MicrogradError, "Where | None"], None]


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@attrs.frozen
class Origin:
    """Where an op came from."""

    plugin: str
    distribution: str | None = None
    version: str | None = None
    protocol: int = PROTOCOL  # the op-protocol version the plugin was written for

    def __str__(self) -> str:
        if not self.distribution:
            return f"plugin {self.plugin!r}"
        dist = f"{self.distribution} {self.version or ''}".rstrip()
        return f"plugin {self.plugin!r} (distribution {dist})"


@attrs.define(eq=False)
class Entry:
    """One registered op: the object, its validated spec, who registered it and how."""

    op: Any
    spec: OpSpec
    origin: Origin
    override: bool
    overridden: Entry | None = None  # the op this one replaced, back on `unregister`
    fastpath: FastPath | None = None  # hand-written, and verified against the op's methods


@attrs.define(eq=False)
class Batch:
    """Ops one plugin registered, validated, not yet committed (a plugin lands whole or not),
    and the fast paths it registered for ops (its own or another plugin's)."""

    origin: Origin
    entries: list[Entry]
    fastpaths: list[tuple[Any, FastPath]] = attrs.Factory(list)


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(OpHookSpecs)
    return pm


def dist_name(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else ""


def select_entry_points(
    installed: Iterable[metadata.EntryPoint],
) -> list[metadata.EntryPoint]:
    """The entry points to load, as the environment asks: ours always, then the others
    unless autoload is off or `MICROGRAD_PLUGINS` leaves them out; ours first, then sorted."""
    chosen = os.environ.get(ENV_PLUGINS)
    wanted = None if chosen is None else {s.strip() for s in chosen.split(",") if s.strip()}
    installed = list(installed)
    seen, keep = set(), []
    for ep in installed:
        dist = dist_name(ep)
        key = (ep.name, ep.value, dist)
        if key in seen:  # the same distribution can be visible twice on sys.path
            continue
        seen.add(key)
        if dist != OWN_DISTRIBUTION:
            if env_flag(ENV_DISABLE_AUTOLOAD):
                continue
            if wanted is not None and not named_in(wanted, ep.name, dist):
                continue
        keep.append(ep)
    if wanted and not env_flag(ENV_DISABLE_AUTOLOAD):
        unknown = sorted(
            w for w in wanted if not any(named_in({w}, ep.name, dist_name(ep)) for ep in installed)
        )
        known = {ep.name for ep in installed} | {dist_name(ep) for ep in installed}
        if unknown:
            msg = (
                f"{ENV_PLUGINS} names {', '.join(unknown)}, which no installed plugin or "
                f"distribution is called (installed: {', '.join(sorted(known - {''}))})"
            )
            warnings.warn(msg, PluginWarning, stacklevel=6)
    # Our own distribution first, then alphabetical: the outcome never depends on sys.path.
    keep.sort(key=lambda ep: (dist_name(ep) != OWN_DISTRIBUTION, dist_name(ep), ep.name))
    return keep


def named_in(names: set[str], plugin: str, distribution: str | None) -> bool:
    """Whether `names` (an environment variable's list) names this plugin, or its distribution
    in any spelling pip accepts: PEP 503 compares names case-insensitively, with runs of -_.
    as one - (`micrograd_ops_example` names the distribution micrograd-ops-example)."""
    if plugin in names:
        return True
    if not distribution:
        return False
    return _canonical(distribution) in {_canonical(n) for n in names}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def origin_of(ep: metadata.EntryPoint) -> Origin:
    dist = ep.dist
    return Origin(ep.name, dist.name if dist else None, dist.version if dist else None)


def import_plugin(ep: metadata.EntryPoint, fail: Fail) -> object | None:
    """The plugin object behind an entry point; None (and `fail` told) if importing it fails."""
    try:
        return ep.load()
    except BaseException as exc:  # even SystemExit: it costs this plugin only
        if isinstance(exc, KeyboardInterrupt):
            raise
        origin = origin_of(ep)
        where = raised_at(exc)
        at = f" at {where[0]}, line {where[1]}" if where else ""
        err = PluginError(
            origin.plugin, origin.distribution, f"import failed{at}: {exc!r}", origin.version
        )
        err.__cause__ = exc  # the traceback: which file, which line
        fail(err, where)
        return None


def collect(pm: pluggy.PluginManager, plugin: object, origin: Origin, fail: Fail) -> Batch | None:
    """Run one plugin's hooks into a staging batch; tell `fail` and return None on any failure."""
    try:
        pm.register(plugin, name=f"{origin.distribution}:{origin.plugin}")
    except (pluggy.PluginValidationError, ValueError) as exc:
        msg = f"rejected by pluggy: {exc}"
        fail(PluginError(origin.plugin, origin.distribution, msg, origin.version), None)
        return None
    try:
        return _run_hooks(pm, plugin, origin, fail)
    finally:
        pm.unregister(plugin)  # its hooks ran once; registering it again runs them again


def _run_hooks(
    pm: pluggy.PluginManager, plugin: object, origin: Origin, fail: Fail
) -> Batch | None:
    declared = getattr(plugin, "micrograd_protocol", PROTOCOL)
    if type(declared) is not int or declared not in SUPPORTED_PROTOCOLS:
        msg = (
            f"is written for op protocol {declared!r}, and this micrograd-core speaks "
            f"protocol {PROTOCOL} (it loads plugins of protocol "
            f"{SUPPORTED_PROTOCOLS.start} to {SUPPORTED_PROTOCOLS.stop - 1})"
        )
        fail(PluginError(origin.plugin, origin.distribution, msg, origin.version), None)
        return None
    origin = attrs.evolve(origin, protocol=declared)
    batch = Batch(origin, [])
    impls = [i for i in pm.hook.register_ops.get_hookimpls() if i.plugin is plugin]
    fast = [i for i in pm.hook.register_fastpaths.get_hookimpls() if i.plugin is plugin]
    try:
        if not impls and not fast:
            raise PluginError(
                origin.plugin, origin.distribution, "has no register_ops hook", origin.version
            )
        for impl in impls:

            def register(op: Any, *, override: bool = False) -> None:
                op, spec = validate_op(op, origin.plugin, origin.distribution)
                batch.entries.append(Entry(op, spec, origin, bool(override)))

            impl.function(**{arg: register for arg in impl.argnames})
        for impl in fast:

            def register_fast(op: Any, **fields: Any) -> None:
                batch.fastpaths.append((op, FastPath(**fields)))

            impl.function(**{arg: register_fast for arg in impl.argnames})
    except MicrogradError as exc:
        fail(exc, raised_at(exc) or defined_at(plugin))
        return None
    except BaseException as exc:  # even SystemExit: it costs this plugin only
        if isinstance(exc, KeyboardInterrupt):
            raise
        msg = f"its hook raised {exc!r}"
        err = PluginError(origin.plugin, origin.distribution, msg, origin.version)
        err.__cause__ = exc
        fail(err, raised_at(exc) or defined_at(plugin))
        return None
    return batch


def raised_at(exc: BaseException) -> Where | None:
    """The file and line an exception was raised at (a SyntaxError: where the error is)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno or 1
    frames = traceback.extract_tb(exc.__traceback__)
    return (frames[-1].filename, frames[-1].lineno or 1) if frames else None


def defined_at(obj: Any) -> Where | None:
    """Where a plugin or op is defined: the file and line a warning about it points at."""
    target = obj if isinstance(obj, type) or inspect.ismodule(obj) else type(obj)
    try:
        filename = inspect.getsourcefile(target)
        line = 1 if inspect.ismodule(target) else inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return None
    return (filename, line) if filename else None


def warn_at(msg: str, where: Where | None, stacklevel: int) -> None:
    """A PluginWarning shown at the plugin's own file and line where it is known."""
    if where is not None:
        warnings.warn_explicit(msg, PluginWarning, where[0], where[1])
    else:
        warnings.warn(msg, PluginWarning, stacklevel=stacklevel + 1)

"""The op registry: pluggy finds and calls plugins once, lazily; the result is a plain dict.

The hot path (`Value.__add__` and friends) only ever reads `Registry.table`, a `dict` mapping op
name to op object that stays the same object for the life of the process. pluggy runs when the
first op is looked up, and again only on `reload()`. This module holds the table, its lock and
its lookups; `_plugin_loading` finds and runs the plugins, and `_name_claims` decides which of
them gets a name (and attaches the hand-written fast paths they register, once checked).
"""

from __future__ import annotations

import difflib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import attrs

from ._errors import DuplicateOpError, MicrogradError, PluginError, UnknownOpError
from ._fastpaths.fastpath import FastPath
from ._hooks import PROTOCOL
from ._name_claims import commit_all
from ._plugin_loading import (
    ENTRY_POINT_GROUP,
    ENV_ALLOW_OVERRIDES,
    ENV_DISABLE_AUTOLOAD,
    ENV_PLUGINS,
    ENV_STRICT,
    IN_PROCESS,
    OWN_DISTRIBUTION,
    Entry,
    Origin,
    Where,
    collect,
    dist_name,
    env_flag,
    import_plugin,
    new_plugin_manager,
    origin_of,
    select_entry_points,
    warn_at,
)
from ._validate import OpSpec, validate_op

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_ALLOW_OVERRIDES",
    "ENV_DISABLE_AUTOLOAD",
    "ENV_PLUGINS",
    "ENV_STRICT",
    "OpInfo",
    "Origin",
    "Registry",
    "registry",
]

_ADHOC_MAX = 256  # specs of unregistered op objects kept (an op may make a private op per call)


@attrs.frozen
class OpInfo:
    """One row of the op listing."""

    name: str
    arity: int | None
    params: tuple[str, ...]
    plugin: str
    distribution: str | None
    version: str | None
    summary: str
    higher_order: bool
    overrides: str | None  # "plugin 'x' (distribution ...)" of the op this one replaced
    protocol: int = PROTOCOL  # the op-protocol version its plugin was written for


class Registry:
    """Maps op names to ops. Use the process-wide instance, `micrograd_core.registry`.

    Thread-safe: loading happens once, under a lock, and the table is published only when
    complete; `register`, `unregister` and `temporary` change one name at a time under the
    same lock, while the engine reads the table without one.
    """

    def __init__(self, entry_points: Callable[[], Iterable[metadata.EntryPoint]] | None = None):
        #: name -> op. The same dict object forever: the engine holds a reference to it.
        self.table: dict[str, Any] = {}
        #: plugins that were skipped, with the reason (see also PluginWarning).
        self.failures: list[MicrogradError] = []
        self._entries: dict[str, Entry] = {}
        self._by_id: dict[int, Entry] = {}  # id(op) -> entry, for the ops in the table
        self._adhoc: OrderedDict[int, tuple[Any, OpSpec]] = OrderedDict()
        self._entry_points = entry_points or (
            lambda: metadata.entry_points(group=ENTRY_POINT_GROUP)
        )
        self._lock = threading.RLock()
        self._loaded = False
        self._loading = False
        self._load_error: MicrogradError | None = None  # strict mode: raised on every use
        self._own_missing = False
        self._lost: dict[str, str] = {}  # names no plugin got, and why
        self._pm = new_plugin_manager()

    # ---- loading -------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded or self._loading:
                return  # loaded meanwhile, or a plugin of this very load looking an op up
            if self._load_error is not None:
                raise self._load_error
            self._loading = True
            try:
                staged = self._autoload()
            except MicrogradError as exc:  # strict mode: the same error on every later use
                self._load_error = exc
                raise
            finally:
                self._loading = False
            self._publish(staged)
            self._loaded = True

    def reload(self) -> None:
        """Forget every op (in-process ones too) and load the installed plugins again,
        honouring the environment variables as they are now."""
        with self._lock:
            self._loaded = False
            self.table.clear()
            self._entries.clear()
            self._by_id.clear()
            self._lost.clear()
            self.failures.clear()
            self._load_error = None
            self._pm = new_plugin_manager()
            self.ensure_loaded()

    def _autoload(self) -> dict[str, Entry]:
        """Every selected plugin, staged: the name -> entry table to publish."""
        installed = list(self._entry_points())
        self._own_missing = not any(dist_name(ep) == OWN_DISTRIBUTION for ep in installed)
        batches = []
        for ep in select_entry_points(installed):
            plugin = import_plugin(ep, self._fail)
            batch = None if plugin is None else collect(self._pm, plugin, origin_of(ep), self._fail)
            if batch is not None:
                batches.append(batch)
        staged = dict(self._entries)
        commit_all(batches, staged, self._lost, self._fail)
        return staged

    def _publish(self, staged: dict[str, Entry]) -> None:
        """Make `staged` the registered ops, in one step for readers of the table."""
        self._entries = staged
        self._by_id = {id(e.op): e for e in staged.values()}
        self.table.update({name: e.op for name, e in staged.items()})  # one C call: atomic

    def register_plugin(self, plugin: object, name: str | None = None) -> None:
        """Register an object or module with a `register_ops` hookimpl, in-process, through the
        same path (and the same warn-or-raise policy) as an installed plugin."""
        self.ensure_loaded()
        origin = Origin(name or getattr(plugin, "__name__", None) or repr(plugin))
        with self._lock:
            batch = collect(self._pm, plugin, origin, self._fail)
            if batch is not None:
                staged = dict(self._entries)
                commit_all([batch], staged, self._lost, self._fail)
                self._publish(staged)

    def _fail(self, exc: MicrogradError, where: Where | None = None) -> None:
        """A plugin's failure: raised in strict mode, else kept in `failures` and warned about
        at the plugin's own file and line."""
        if env_flag(ENV_STRICT):
            raise exc
        self.failures.append(exc)
        warn_at(f"{exc} (skipped; set {ENV_STRICT}=1 to raise)", where, stacklevel=5)

    # ---- in-process registration ---------------------------------------------------------
    def register(self, op: Any, *, override: bool = False, plugin: str = IN_PROCESS) -> Any:
        """Register one op (class or instance) now; raises on any problem. Returns the op."""
        self.ensure_loaded()
        op, spec = validate_op(op, plugin)
        e = Entry(op, spec, Origin(plugin), override)
        name = spec.name
        with self._lock:
            current = self._entries.get(name)
            if current is not None and (not override or current.override):
                if not override or current.origin != e.origin:
                    raise DuplicateOpError(name, str(current.origin), str(e.origin))
            e.overridden = current
            self._entries[name] = e
            self._by_id[id(op)] = e
            self.table[name] = op
        return op

    def unregister(self, name: str) -> Any:
        """Remove an op; if it overrode another, that one comes back. Returns the removed op."""
        self.ensure_loaded()
        with self._lock:
            entry = self._entries.pop(name, None)
            if entry is None:
                raise self._unknown(name)
            self._by_id.pop(id(entry.op), None)
            back = entry.overridden
            if back is not None:
                self._entries[name] = back
                self._by_id[id(back.op)] = back
                self.table[name] = back.op
            else:
                del self.table[name]
        return entry.op

    @contextmanager
    def temporary(self, *ops: Any, override: bool = False) -> Iterator[list[Any]]:
        """Register ops for the duration of a `with` block (tests, notebooks)."""
        done: list[Any] = []
        try:
            for op in ops:
                done.append(self.register(op, override=override))
            yield done
        finally:
            for op in reversed(done):
                self.unregister(op.name)

    # ---- lookup and listing --------------------------------------------------------------
    def get(self, name: str) -> Any:
        """The op registered under `name`; `UnknownOpError` (with close matches) otherwise."""
        self.ensure_loaded()
        try:
            return self.table[name]
        except (KeyError, TypeError):
            raise self._unknown(name) from None

    def _entry(self, name: str) -> Entry:
        self.ensure_loaded()
        entry = self._entries.get(name)
        if entry is None:
            raise self._unknown(name)
        return entry

    def spec(self, name: str) -> OpSpec:
        return self._entry(name).spec

    def origin(self, name: str) -> Origin:
        return self._entry(name).origin

    def spec_of(self, op: Any) -> OpSpec:
        """The validated spec of a registered op object, or of an op applied unregistered
        (validated on first use, and kept in a bounded cache)."""
        entry = self._by_id.get(id(op))
        if entry is not None and entry.op is op:
            return entry.spec
        with self._lock:
            cached = self._adhoc.get(id(op))
            if cached is None or cached[0] is not op:
                cached = (op, validate_op(op, None)[1])
                self._adhoc[id(op)] = cached  # holding op keeps its id unique while cached
                while len(self._adhoc) > _ADHOC_MAX:
                    self._adhoc.popitem(last=False)
            return cached[1]

    def fastpath_of(self, op: Any) -> FastPath | None:
        """The hand-written fast path registered for this op object, if it passed the check."""
        entry = self._by_id.get(id(op))
        return entry.fastpath if entry is not None and entry.op is op else None

    def plugin_of(self, op: Any) -> str | None:
        """The plugin that registered this very op object; None for an op applied unregistered
        (identity, not name: an ad-hoc op may share a registered op's name)."""
        entry = self._by_id.get(id(op))
        return entry.origin.plugin if entry is not None and entry.op is op else None

    def __contains__(self, name: object) -> bool:
        self.ensure_loaded()
        return name in self.table

    def names(self) -> list[str]:
        self.ensure_loaded()
        return sorted(self.table)

    def list(self) -> list[OpInfo]:
        """Every registered op with where it came from, sorted by name."""
        self.ensure_loaded()
        with self._lock:
            entries = sorted(self._entries.items())
        return [
            OpInfo(
                name=name,
                arity=e.spec.arity,
                params=e.spec.params,
                plugin=e.origin.plugin,
                distribution=e.origin.distribution,
                version=e.origin.version,
                summary=e.spec.summary,
                higher_order=e.spec.higher_order,
                overrides=str(e.overridden.origin) if e.overridden else None,
                protocol=e.origin.protocol,
            )
            for name, e in entries
        ]

    def _unknown(self, name: object) -> UnknownOpError:
        close = difflib.get_close_matches(str(name), list(self.table), n=3, cutoff=0.6)
        err = UnknownOpError(str(name), close)
        lost = self._lost.get(str(name))
        failed = [f for f in self.failures if isinstance(f, PluginError)]
        if lost is not None:
            err.args = (f"{err.args[0]}. No plugin got that name: {lost}",)
        elif failed:
            names = ", ".join(sorted({repr(f.plugin) for f in failed}))
            err.args = (
                f"{err.args[0]}. Plugin(s) {names} failed to load and may provide it: see "
                "`micrograd ops` or registry.failures",
            )
        if self._own_missing:
            err.args = (
                f"{err.args[0]}. micrograd-core's own ops come from its entry point, which is "
                "missing: the package is not installed. Install it (`pip install -e .` in a "
                "checkout, or `pip install micrograd-core`)",
            )
        return err


#: The process-wide registry that `Value` reads.
registry = Registry()

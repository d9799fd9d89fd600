"""The op registry: pluggy finds and calls plugins once, lazily; the result is a plain dict.

The hot path (`Value.__add__` and friends) only ever reads `Registry.table`, a `dict` mapping op
name to op object that stays the same object for the life of the process. pluggy runs when the
first op is looked up, and again only on `reload()`. Besides ops, a plugin may register fast
paths for them (`register_fastpaths`): they are checked against the op's methods here, once,
and kept beside the op for compiled mode (see `_fastpaths`).
"""

from __future__ import annotations

import difflib
import inspect
import os
import threading
import traceback
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import attrs
import pluggy

from ._errors import (
    DuplicateOpError,
    MicrogradError,
    OpContractError,
    PluginError,
    PluginWarning,
    UnknownOpError,
)
from ._fastpaths.fastpath import FastPath
from ._fastpaths.verify import mismatch
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
_ADHOC_MAX = 256  # specs of unregistered op objects kept (an op may make a private op per call)


def _env_flag(name: str) -> bool:
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


@attrs.define(eq=False)
class _Entry:
    op: Any
    spec: OpSpec
    origin: Origin
    override: bool
    overridden: _Entry | None = None
    fastpath: FastPath | None = None  # hand-written, and verified against the op's methods


@attrs.define(eq=False)
class _Batch:
    """Ops one plugin registered, validated, not yet committed (a plugin lands whole or not),
    and the fast paths it registered for ops (its own or another plugin's)."""

    origin: Origin
    entries: list[_Entry]
    fastpaths: list[tuple[Any, FastPath]] = attrs.Factory(list)


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
        self._entries: dict[str, _Entry] = {}
        self._by_id: dict[int, _Entry] = {}  # id(op) -> entry, for the ops in the table
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
        self._pm = self._new_plugin_manager()

    @staticmethod
    def _new_plugin_manager() -> pluggy.PluginManager:
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(OpHookSpecs)
        return pm

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
            self._pm = self._new_plugin_manager()
            self.ensure_loaded()

    def _selected_entry_points(self) -> list[metadata.EntryPoint]:
        chosen = os.environ.get(ENV_PLUGINS)
        wanted = None if chosen is None else {s.strip() for s in chosen.split(",") if s.strip()}
        seen, keep = set(), []
        installed = list(self._entry_points())
        self._own_missing = not any(_dist_name(ep) == OWN_DISTRIBUTION for ep in installed)
        for ep in installed:
            dist = ep.dist.name if ep.dist is not None else None
            key = (ep.name, ep.value, dist)
            if key in seen:  # the same distribution can be visible twice on sys.path
                continue
            seen.add(key)
            if dist != OWN_DISTRIBUTION:
                if _env_flag(ENV_DISABLE_AUTOLOAD):
                    continue
                if wanted is not None and ep.name not in wanted and dist not in wanted:
                    continue
            keep.append(ep)
        if wanted and not _env_flag(ENV_DISABLE_AUTOLOAD):
            known = {ep.name for ep in installed} | {_dist_name(ep) for ep in installed}
            unknown = sorted(wanted - known)
            if unknown:
                msg = (
                    f"{ENV_PLUGINS} names {', '.join(unknown)}, which no installed plugin or "
                    f"distribution is called (installed: {', '.join(sorted(known - {''}))})"
                )
                warnings.warn(msg, PluginWarning, stacklevel=5)
        # Our own distribution first, then alphabetical: the outcome never depends on sys.path.
        keep.sort(key=lambda ep: (_dist_name(ep) != OWN_DISTRIBUTION, _dist_name(ep), ep.name))
        return keep

    def _autoload(self) -> dict[str, _Entry]:
        """Every selected plugin, staged: the name -> entry table to publish."""
        batches = []
        for ep in self._selected_entry_points():
            dist = ep.dist
            origin = Origin(ep.name, dist.name if dist else None, dist.version if dist else None)
            try:
                plugin = ep.load()
            except BaseException as exc:  # even SystemExit: it costs this plugin only
                if isinstance(exc, KeyboardInterrupt):
                    raise
                where = _raised_at(exc)
                at = f" at {where[0]}, line {where[1]}" if where else ""
                msg = f"import failed{at}: {exc!r}"
                err = PluginError(origin.plugin, origin.distribution, msg, origin.version)
                err.__cause__ = exc  # the traceback: which file, which line
                self._fail(err, where)
                continue
            batch = self._collect(plugin, origin)
            if batch is not None:
                batches.append(batch)
        staged = dict(self._entries)
        self._commit_all(batches, staged)
        return staged

    def _publish(self, staged: dict[str, _Entry]) -> None:
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
            batch = self._collect(plugin, origin)
            if batch is not None:
                staged = dict(self._entries)
                self._commit_all([batch], staged)
                self._publish(staged)

    def _collect(self, plugin: object, origin: Origin) -> _Batch | None:
        """Run one plugin's hooks into a staging batch; report and return None on any failure."""
        try:
            self._pm.register(plugin, name=f"{origin.distribution}:{origin.plugin}")
        except (pluggy.PluginValidationError, ValueError) as exc:
            msg = f"rejected by pluggy: {exc}"
            self._fail(PluginError(origin.plugin, origin.distribution, msg, origin.version))
            return None
        declared = getattr(plugin, "micrograd_protocol", PROTOCOL)
        if type(declared) is not int or declared not in SUPPORTED_PROTOCOLS:
            self._pm.unregister(plugin)
            msg = (
                f"is written for op protocol {declared!r}, and this micrograd-core speaks "
                f"protocol {PROTOCOL} (it loads plugins of protocol "
                f"{SUPPORTED_PROTOCOLS.start} to {SUPPORTED_PROTOCOLS.stop - 1})"
            )
            self._fail(PluginError(origin.plugin, origin.distribution, msg, origin.version))
            return None
        origin = attrs.evolve(origin, protocol=declared)
        batch = _Batch(origin, [])
        hooks = self._pm.hook
        impls = [i for i in hooks.register_ops.get_hookimpls() if i.plugin is plugin]
        fast = [i for i in hooks.register_fastpaths.get_hookimpls() if i.plugin is plugin]
        try:
            if not impls and not fast:
                raise PluginError(
                    origin.plugin, origin.distribution, "has no register_ops hook", origin.version
                )
            for impl in impls:

                def register(op: Any, *, override: bool = False) -> None:
                    op, spec = validate_op(op, origin.plugin, origin.distribution)
                    batch.entries.append(_Entry(op, spec, origin, bool(override)))

                impl.function(**{arg: register for arg in impl.argnames})
            for impl in fast:

                def register_fast(op: Any, **fields: Any) -> None:
                    batch.fastpaths.append((op, FastPath(**fields)))

                impl.function(**{arg: register_fast for arg in impl.argnames})
        except MicrogradError as exc:
            self._pm.unregister(plugin)
            self._fail(exc, _raised_at(exc) or _defined_at(plugin))
            return None
        except BaseException as exc:  # even SystemExit: it costs this plugin only
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._pm.unregister(plugin)
            msg = f"its hook raised {exc!r}"
            err = PluginError(origin.plugin, origin.distribution, msg, origin.version)
            err.__cause__ = exc
            self._fail(err, _raised_at(exc) or _defined_at(plugin))
            return None
        self._pm.unregister(plugin)  # its hooks ran once; registering it again runs them again
        return batch

    def _commit_all(self, batches: list[_Batch], staged: dict[str, _Entry]) -> None:
        # Plain names first, overrides second: an override never depends on load order.
        for want_override in (False, True):
            claims: dict[str, list[_Entry]] = {}
            for batch in batches:
                for e in batch.entries:
                    if e.override == want_override:
                        claims.setdefault(e.spec.name, []).append(e)
            for name, entries in claims.items():
                self._settle(name, entries, staged)
        for batch in batches:  # fast paths last: they attach to ops by object
            for op, fastpath in batch.fastpaths:
                self._attach(op, fastpath, batch.origin, staged)

    def _attach(
        self, op: Any, fastpath: FastPath, origin: Origin, staged: dict[str, _Entry]
    ) -> None:
        """Give the registered op `op` (the object or its class) a hand-written fast path, once
        it agrees with the op's own methods (checked here, at registration)."""
        entry = next((e for e in staged.values() if e.op is op or type(e.op) is op), None)
        name = getattr(op, "name", None) or getattr(op, "__name__", repr(op))
        if entry is None:
            msg = f"registers a fast path for {name!r}, which is not a registered op"
            self._warn(PluginError(origin.plugin, origin.distribution, msg, origin.version))
            return
        problem = mismatch(entry.op, entry.spec, fastpath)
        if problem is not None:
            msg = f"its fast path from {origin} disagrees with the op's methods: {problem}"
            err = OpContractError(entry.op, entry.origin.plugin, msg, entry.origin.distribution)
            where = _defined_at(entry.op)
            text = f"{err}; not used (the methods run)"
            if where:
                warnings.warn_explicit(text, PluginWarning, where[0], where[1])
            else:
                warnings.warn(text, PluginWarning, stacklevel=5)
            return
        entry.fastpath = fastpath

    def _settle(self, name: str, claimants: list[_Entry], staged: dict[str, _Entry]) -> None:
        """Give `name` to one claimant, or to none. A clash only costs the clashing name: the
        plugins' other ops still register. Our own distribution (the builtins) and whatever
        was registered before always keep their name; between two third parties neither gets
        it, since picking one by sort order would be a silent guess."""
        current = staged.get(name)
        keeper = current if current is not None and not claimants[0].override else None
        if keeper is None:
            own = [e for e in claimants if e.origin.distribution == OWN_DISTRIBUTION]
            keeper = own[0] if own and not claimants[0].override else None
        if keeper is None and len({e.origin for e in claimants}) == 1:
            keeper = claimants[-1]  # one plugin (possibly registering the name twice)
        if keeper is None or (keeper.override and current is not None and current.override):
            first = str((current or claimants[0]).origin)
            others = " and ".join(str(e.origin) for e in claimants if str(e.origin) != first)
            err = DuplicateOpError(name, first, others)
            if current is None:
                self._lost[name] = str(err)
            self._fail(err, _defined_at(claimants[-1].op))
            return
        for e in claimants:
            if e is not keeper and e.origin != keeper.origin:
                self._fail(
                    DuplicateOpError(name, str(keeper.origin), str(e.origin)), _defined_at(e.op)
                )
        if keeper is not current:
            if keeper.override and current is not None:
                self._announce_override(keeper, current)
            keeper.overridden = current
            staged[name] = keeper
            self._lost.pop(name, None)

    def _announce_override(self, keeper: _Entry, current: _Entry) -> None:
        """A plugin replacing a builtin op changes every use of it (the demo's training too):
        said once, unless the user named that plugin in MICROGRAD_ALLOW_OVERRIDES."""
        if current.origin.distribution != OWN_DISTRIBUTION:
            return  # replacing another third party's op shows in the listing, as asked for
        allowed = {s.strip() for s in os.environ.get(ENV_ALLOW_OVERRIDES, "").split(",")}
        if {keeper.origin.plugin, keeper.origin.distribution} & allowed:
            return
        msg = (
            f"{keeper.origin} replaces the builtin op {keeper.spec.name!r} "
            f"(register(..., override=True)): every use of it now runs that plugin's maths. "
            f"Set {ENV_ALLOW_OVERRIDES}={keeper.origin.plugin} if that is what you want"
        )
        where = _defined_at(keeper.op)
        if where:
            warnings.warn_explicit(msg, PluginWarning, where[0], where[1])
        else:
            warnings.warn(msg, PluginWarning, stacklevel=6)

    def _fail(self, exc: MicrogradError, where: tuple[str, int] | None = None) -> None:
        if _env_flag(ENV_STRICT):
            raise exc
        self.failures.append(exc)
        self._warn(exc, where)

    @staticmethod
    def _warn(exc: MicrogradError, where: tuple[str, int] | None = None) -> None:
        """A PluginWarning shown at the plugin's own file and line where it is known."""
        msg = f"{exc} (skipped; set {ENV_STRICT}=1 to raise)"
        if where is not None:
            warnings.warn_explicit(msg, PluginWarning, where[0], where[1])
        else:
            warnings.warn(msg, PluginWarning, stacklevel=5)

    # ---- in-process registration ---------------------------------------------------------
    def register(self, op: Any, *, override: bool = False, plugin: str = IN_PROCESS) -> Any:
        """Register one op (class or instance) now; raises on any problem. Returns the op."""
        self.ensure_loaded()
        op, spec = validate_op(op, plugin)
        e = _Entry(op, spec, Origin(plugin), override)
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

    def _entry(self, name: str) -> _Entry:
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


def _raised_at(exc: BaseException) -> tuple[str, int] | None:
    """The file and line an exception was raised at (a SyntaxError: where the error is)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno or 1
    frames = traceback.extract_tb(exc.__traceback__)
    return (frames[-1].filename, frames[-1].lineno or 1) if frames else None


def _defined_at(obj: Any) -> tuple[str, int] | None:
    """Where a plugin or op is defined: the file and line a warning about it points at."""
    target = obj if isinstance(obj, type) or inspect.ismodule(obj) else type(obj)
    try:
        filename = inspect.getsourcefile(target)
        line = 1 if inspect.ismodule(target) else inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return None
    return (filename, line) if filename else None


def _dist_name(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else ""


#: The process-wide registry that `Value` reads.
registry = Registry()

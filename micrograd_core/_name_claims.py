"""Which plugin gets a name: clashes, overrides, and hand-written fast paths attached to ops.

The registry hands over the batches of every plugin of one load and the table it is staging;
these functions write the winners into it. The rules never depend on load order: plain names
are settled before overrides, our own distribution (the builtins) and whatever was registered
before keep their names, and between two third parties that claim one name neither gets it,
since picking one by sort order would be a silent guess. A clash only costs the clashing name.
"""

from __future__ import annotations

import os
from typing import Any

from ._errors import DuplicateOpError, OpContractError, PluginError
from ._fastpaths.fastpath import FastPath
from ._fastpaths.verify import mismatch
from ._plugin_loading import (
    ENV_ALLOW_OVERRIDES,
    OWN_DISTRIBUTION,
    Batch,
    Entry,
    Fail,
    Origin,
    defined_at,
    named_in,
    warn_at,
)


def commit_all(
    batches: list[Batch], staged: dict[str, Entry], lost: dict[str, str], fail: Fail
) -> None:
    """Settle every name the batches claim into `staged`, then attach their fast paths.
    `lost` collects the names no plugin got, and why (for `UnknownOpError`)."""
    # Plain names first, overrides second: an override never depends on load order.
    for want_override in (False, True):
        claims: dict[str, list[Entry]] = {}
        for batch in batches:
            for e in batch.entries:
                if e.override == want_override:
                    claims.setdefault(e.spec.name, []).append(e)
        for name, entries in claims.items():
            _settle(name, entries, staged, lost, fail)
    for batch in batches:  # fast paths last: they attach to ops by object
        for op, fastpath in batch.fastpaths:
            _attach(op, fastpath, batch.origin, staged)


def _settle(
    name: str, claimants: list[Entry], staged: dict[str, Entry], lost: dict[str, str], fail: Fail
) -> None:
    """Give `name` to one claimant, or to none."""
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
            lost[name] = str(err)
        fail(err, defined_at(claimants[-1].op))
        return
    for e in claimants:
        if e is not keeper and e.origin != keeper.origin:
            fail(DuplicateOpError(name, str(keeper.origin), str(e.origin)), defined_at(e.op))
    if keeper is not current:
        if keeper.override and current is not None:
            _announce_override(keeper, current)
        keeper.overridden = current
        staged[name] = keeper
        lost.pop(name, None)


def _announce_override(keeper: Entry, current: Entry) -> None:
    """A plugin replacing a builtin op changes every use of it (the demo's training too):
    said once, unless the user named that plugin in MICROGRAD_ALLOW_OVERRIDES."""
    if current.origin.distribution != OWN_DISTRIBUTION:
        return  # replacing another third party's op shows in the listing, as asked for
    allowed = {s.strip() for s in os.environ.get(ENV_ALLOW_OVERRIDES, "").split(",")}
    if named_in(allowed, keeper.origin.plugin, keeper.origin.distribution):
        return
    msg = (
        f"{keeper.origin} replaces the builtin op {keeper.spec.name!r} "
        f"(register(..., override=True)): every use of it now runs that plugin's maths. "
        f"Set {ENV_ALLOW_OVERRIDES}={keeper.origin.plugin} if that is what you want"
    )
    warn_at(msg, defined_at(keeper.op), stacklevel=6)


def _attach(op: Any, fastpath: FastPath, origin: Origin, staged: dict[str, Entry]) -> None:
    """Give the registered op `op` (the object or its class) a hand-written fast path, once
    it agrees with the op's own methods (checked here, at registration)."""
    entry = next((e for e in staged.values() if e.op is op or type(e.op) is op), None)
    name = getattr(op, "name", None) or getattr(op, "__name__", repr(op))
    if entry is None:
        msg = f"registers a fast path for {name!r}, which is not a registered op"
        err = PluginError(origin.plugin, origin.distribution, msg, origin.version)
        warn_at(f"{err} (skipped)", None, stacklevel=6)
        return
    problem = mismatch(entry.op, entry.spec, fastpath)
    if problem is not None:
        msg = f"its fast path from {origin} disagrees with the op's methods: {problem}"
        err = OpContractError(entry.op, entry.origin.plugin, msg, entry.origin.distribution)
        warn_at(f"{err}; not used (the methods run)", defined_at(entry.op), stacklevel=6)
        return
    entry.fastpath = fastpath

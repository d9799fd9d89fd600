"""The op's fast paths, checked again, harder: what compiled mode would inline for this op (a
fast path its plugin registered, or one derived from its methods) must give the methods' floats.

Registration and compiled mode already check each fast path at `verify.SAMPLES` points before
using it; `check_op` repeats the check on many more, so that a fast path that passed there but
is wrong somewhere rarer fails the op author's tests instead of a user's replay. A derived fast
path that fails the ordinary check is no failure: compiled mode does not use it (the methods run).
"""

from __future__ import annotations

from collections.abc import Sequence

from .._fastpaths.derive import derive
from .._fastpaths.verify import SAMPLES, mismatch
from .._registry import registry
from ._resolve import Target
from ._search import Config

#: Points per (input count, params) in `check_op`'s fast-path check.
CHECK_SAMPLES = 12 * SAMPLES


def fast_path_problem(target: Target, configs: Sequence[Config]) -> str | None:
    """What is wrong with a fast path compiled mode would use for this op, or None."""
    op, spec = target.op, target.spec
    registered = registry.fastpath_of(op)
    if registered is not None:
        problem = mismatch(op, spec, registered, samples=CHECK_SAMPLES)
        if problem is not None:
            return f"its registered fast path disagrees with its methods: {problem}"
        return None
    for n, params in configs:
        derived = derive(op, spec, n, params)
        if derived is None:
            continue
        fastpath, uniform, baked, _ = derived
        count = None if uniform else n
        checked = params if baked else None
        if mismatch(op, spec, fastpath, count, checked) is not None:
            continue  # not used by compiled mode
        problem = mismatch(op, spec, fastpath, count, checked, samples=CHECK_SAMPLES)
        if problem is not None:
            return (
                f"the fast path derived from its methods for {n} input(s) "
                f"({fastpath.forward!r}, {fastpath.backward!r}) passes compiled mode's check "
                f"but disagrees with the methods: {problem}"
            )
    return None

"""The hypothesis side of `check_op`: one search per (arity, params) combination, seeded, with
hypothesis's own shrinking, and the replay of one printed example."""

from __future__ import annotations

import random
import zlib
from typing import Any

import attrs
import hypothesis
from hypothesis import HealthCheck, given
from hypothesis.errors import DidNotReproduce, Flaky, Unsatisfiable

from ._numeric import Tolerance
from ._point import Found, check_at
from ._report import CheckResult, Failure, NotReproducedError
from ._resolve import Target
from ._strategies import OpExample, op_inputs


def active_profile() -> hypothesis.settings:
    """The active hypothesis settings profile."""
    current = hypothesis.settings.default
    return current if current is not None else hypothesis.settings()


def fixed_seed(name: str) -> int:
    """The seed an op gets by default in derandomized runs, `micrograd check` and the pytest
    plugin: fixed by its name, so a run repeats."""
    return zlib.crc32(name.encode())


def default_seed(name: str) -> int:
    """Derandomized profiles (CI) get a seed fixed by the op's name; others a fresh one."""
    if active_profile().derandomize:
        return fixed_seed(name)
    return random.getrandbits(32)


Config = tuple[int, dict[str, Any]]  # (number of inputs, static params)


@attrs.frozen
class Search:
    """One hypothesis search per (arity, params) config, stopping at the first failure."""

    target: Target
    tol: Tolerance
    per_config: int
    seed: int
    magnitudes: tuple[float, float]

    def run(
        self, configs: list[Config], check2: bool, result: CheckResult, reproduce: Any = None
    ) -> tuple[Failure, Config, str] | None:
        replayed = False
        for n, p in configs:
            strategy = op_inputs(
                self.target.spec,
                arities=(n,),
                params=[p],
                min_magnitude=self.magnitudes[0],
                max_magnitude=self.magnitudes[1],
            )
            outcome = _run(
                self.target,
                strategy,
                self.tol,
                check2,
                self.per_config,
                self.seed,
                result,
                reproduce,
            )
            if outcome is _NOT_REPRODUCED:
                continue
            replayed = True
            failure, blob = outcome
            if failure is not None:
                return failure, (n, p), blob
        if reproduce is not None and not replayed:
            raise NotReproducedError(
                f"the hypothesis example {reproduce!r} does not fail op {self.target.name!r} at "
                f"any of its {len(configs)} (arity, params) combination(s): it is fixed, or the "
                "example was recorded with other arities, params or another hypothesis version. "
                "Run the complete check_op(...) call printed in the report."
            )
        return None


_NOT_REPRODUCED: Any = object()


def _run(
    target: Target,
    strategy: Any,
    tol: Tolerance,
    check2: bool,
    max_examples: int,
    seed: int,
    result: CheckResult,
    reproduce: tuple[str, bytes] | None,
) -> tuple[Failure | None, str]:
    def body(ex: OpExample) -> None:
        result.examples += 1
        outcome = check_at(target, ex, tol, check2)
        result.inconclusive += outcome.inconclusive
        if outcome.skipped:
            result.skipped += 1
        else:
            result.record(list(outcome.comparisons), tol.atol)
        # An overflowing input (exp(800)) checks nothing: have hypothesis draw another instead.
        hypothesis.assume(not outcome.skipped)

    test: Any = given(strategy)(body)
    test = hypothesis.settings(
        active_profile(),
        max_examples=max_examples,
        database=None,
        derandomize=False,
        deadline=None,
        report_multiple_bugs=False,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )(test)
    test = hypothesis.seed(seed)(test)
    if reproduce is not None:
        test = hypothesis.reproduce_failure(*reproduce)(test)
    try:
        test()
    except Found as exc:
        return exc.failure, _blob(exc)
    except DidNotReproduce:
        return _NOT_REPRODUCED  # type: ignore[no-any-return]
    except Unsatisfiable:
        return None, ""  # every input overflowed: reported as "no usable examples" by check_op
    except Flaky as exc:
        msg = f"the same input passed once and failed once: {exc}"
        return Failure("flaky", msg.splitlines()[0]), _blob(exc)
    return None, ""


def _blob(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", ()):
        start = note.find("@reproduce_failure(")
        if start >= 0:
            end = note.find(")", start)
            return str(note[start : end + 1])
    return ""

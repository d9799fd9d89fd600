"""pytest plugin: a generated gradient check per installed op, with zero test code.

Installed with micrograd-core through the `pytest11` entry point `micrograd`, and inert unless
asked: without the option below it adds no test, imports nothing heavy (not hypothesis) and
changes nothing. Turn it on with one flag or one line of configuration:

    pytest --micrograd-check-ops=all                # every installed op
    pytest --micrograd-check-ops=sigmoid,exp        # these ops
    pytest --micrograd-check-ops=micrograd-ops-example   # the ops of one distribution or plugin

or, in pyproject.toml (`[tool.pytest.ini_options]`), pytest.ini or setup.cfg:

    micrograd_check_ops = "all"
    micrograd_check_examples = 200     # optional; else the hypothesis profile's max_examples
    micrograd_check_arities = "1,2,4,9"  # optional: input counts for variadic ops
    micrograd_check_seed = "random"    # optional: default a fixed seed per op, so runs repeat

Each op becomes one test item, `micrograd_check_op[<name>]`, that runs `check_op` and, when it
fails, shows the report. Each plugin that failed to load, or lost an op to a name clash, and is
among the selected (every one, for `all`) becomes a failing item
`micrograd_plugin_problem[<plugin or op>]` saying why. `-k` selects and deselects them like any
test; `-p no:micrograd` disables the plugin entirely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._plugin_problems import PluginProblem

OPTION = "micrograd_check_ops"
EXAMPLES = "micrograd_check_examples"
ARITIES = "micrograd_check_arities"
SEED = "micrograd_check_seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("micrograd", "micrograd-core gradient checks")
    group.addoption(
        "--micrograd-check-ops",
        dest=OPTION,
        default=None,
        metavar="OPS",
        help="add a gradient check per op: 'all', or comma-separated op, plugin or distribution "
        "names (overrides the micrograd_check_ops ini option; 'none' turns it off)",
    )
    group.addoption(
        "--micrograd-check-examples",
        dest=EXAMPLES,
        type=int,
        default=None,
        metavar="N",
        help="examples per op (default: the hypothesis profile's max_examples)",
    )
    group.addoption(
        "--micrograd-check-arities",
        dest=ARITIES,
        default=None,
        metavar="N,N,...",
        help="input counts for variadic ops (default 1,2,3,4,5,7)",
    )
    group.addoption(
        "--micrograd-check-seed",
        dest=SEED,
        default=None,
        metavar="SEED",
        help="an integer, or 'random' for a fresh seed per run (default: fixed per op name)",
    )
    parser.addini(OPTION, help="ops to gradient-check: 'all' or comma-separated names", default="")
    parser.addini(EXAMPLES, help="examples per gradient-checked op", default="")
    parser.addini(ARITIES, help="input counts for variadic ops, e.g. 1,2,4,9", default="")
    parser.addini(SEED, help="seed per op: an integer, or 'random' (default: fixed)", default="")


def _requested(config: pytest.Config) -> list[str]:
    value = config.getoption(OPTION)
    if value is None:
        value = config.getini(OPTION)
    tokens = [t.strip() for t in str(value or "").split(",") if t.strip()]
    return [] if tokens in (["none"], ["off"]) else tokens


def selected_ops(tokens: list[str]) -> list[str]:
    """Op names for `all`, op names, or plugin / distribution names; UsageError otherwise."""
    return _selection(tokens)[0]


def _selection(tokens: list[str]) -> tuple[list[str], list[PluginProblem]]:
    """The ops to check and the plugin problems to report for these tokens."""
    from micrograd_core import registry

    from ._plugin_problems import problems

    rows = registry.list()
    found = problems()
    if "all" in tokens:
        return [r.name for r in rows], found
    chosen: list[str] = []
    chosen_problems: list[PluginProblem] = []
    for token in tokens:
        matches = [r.name for r in rows if token in (r.name, r.plugin, r.distribution)]
        broken = [p for p in found if p.matches(token)]
        if not matches and not broken:
            known = ", ".join(r.name for r in rows)
            raise pytest.UsageError(
                f"--micrograd-check-ops: no op, plugin or distribution named {token!r} is "
                f"installed (ops: {known})"
            )
        chosen += [m for m in matches if m not in chosen]
        chosen_problems += [p for p in broken if p not in chosen_problems]
    return chosen, chosen_problems


def _option(config: pytest.Config, name: str) -> str:
    value = config.getoption(name)
    return str(config.getini(name) or "").strip() if value is None else str(value).strip()


def _examples(config: pytest.Config) -> int | None:
    value: int | None = config.getoption(EXAMPLES)
    if value is None:
        raw = str(config.getini(EXAMPLES) or "").strip()
        if raw:
            try:
                value = int(raw)
            except ValueError:
                raise pytest.UsageError(f"{EXAMPLES} must be an integer, got {raw!r}") from None
    if value is not None and value < 1:
        raise pytest.UsageError(f"{EXAMPLES} must be >= 1, got {value}")
    return value


def _arities(config: pytest.Config) -> tuple[int, ...] | None:
    raw = _option(config, ARITIES)
    if not raw:
        return None
    try:
        counts = tuple(sorted({int(p) for p in raw.split(",")}))
    except ValueError:
        counts = ()
    if not counts or counts[0] < 1:
        raise pytest.UsageError(f"{ARITIES} must be input counts >= 1 such as 1,2,4,9, got {raw!r}")
    return counts


def _seed(config: pytest.Config) -> int | str | None:
    """None: fixed per op (the default); "random": whatever check_op's profile decides."""
    raw = _option(config, SEED)
    if not raw:
        return None
    if raw == "random":
        return raw
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"{SEED} must be an integer or 'random', got {raw!r}") from None


class OpCheckItem(pytest.Item):
    """One generated test: `check_op(name)`."""

    def __init__(
        self,
        *,
        op_name: str,
        max_examples: int | None,
        arities: tuple[int, ...] | None = None,
        seed: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.op_name = op_name
        self.max_examples = max_examples
        self.arities = arities
        self.seed = seed

    def runtest(self) -> None:
        from micrograd_core import registry
        from micrograd_core.testing import check_op

        from ._search import fixed_seed

        # A fixed seed per op unless told otherwise: a plain `pytest` run repeats exactly,
        # whatever hypothesis profile the project loads.
        seed = fixed_seed(self.op_name) if self.seed is None else self.seed
        variadic = registry.spec(self.op_name).arity is None
        check_op(
            self.op_name,
            max_examples=self.max_examples,
            seed=None if seed == "random" else int(seed),
            arities=self.arities if variadic else None,
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from micrograd_core.testing import GradientCheckError

        if isinstance(excinfo.value, GradientCheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "micrograd-check", None, f"gradient check of op {self.op_name!r}"


class PluginProblemError(AssertionError):
    """A selected plugin did not make it into the registry."""


class PluginProblemItem(pytest.Item):
    """A failing test for a plugin that failed to load or lost an op to a name clash: a run
    that checks "every installed op" must not pass without them."""

    def __init__(self, *, problem: PluginProblem, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        p = self.problem
        what = f"plugin {p.plugin!r}" if p.plugin else f"op {p.op!r}"
        if p.distribution:
            what += f" (distribution {p.distribution})"
        raise PluginProblemError(
            f"{what} is installed but did not load into micrograd-core\n  {p.text()}"
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, PluginProblemError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)  # pragma: no cover

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "micrograd-check", None, f"plugin problem: {self.problem.label}"


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection, so they apply to these items too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    tokens = _requested(config)
    if not tokens:
        return
    examples, arities, seed = _examples(config), _arities(config), _seed(config)
    names, problems = _selection(tokens)
    for name in names:
        items.append(
            OpCheckItem.from_parent(
                session,
                name=f"micrograd_check_op[{name}]",
                op_name=name,
                max_examples=examples,
                arities=arities,
                seed=seed,
            )
        )
    for problem in problems:
        items.append(
            PluginProblemItem.from_parent(
                session, name=f"micrograd_plugin_problem[{problem.label}]", problem=problem
            )
        )


def pytest_report_header(config: pytest.Config) -> str | None:
    tokens = _requested(config)
    return f"micrograd: gradient-checking ops {', '.join(tokens)}" if tokens else None

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

Each op becomes one test item, `micrograd_check_op[<name>]`, that runs `check_op` and, when it
fails, shows the report. `-k` selects and deselects them like any test; `-p no:micrograd`
disables the plugin entirely.
"""

from __future__ import annotations

from typing import Any

import pytest

OPTION = "micrograd_check_ops"
EXAMPLES = "micrograd_check_examples"


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
    parser.addini(OPTION, help="ops to gradient-check: 'all' or comma-separated names", default="")
    parser.addini(EXAMPLES, help="examples per gradient-checked op", default="")


def _requested(config: pytest.Config) -> list[str]:
    value = config.getoption(OPTION)
    if value is None:
        value = config.getini(OPTION)
    tokens = [t.strip() for t in str(value or "").split(",") if t.strip()]
    return [] if tokens in (["none"], ["off"]) else tokens


def selected_ops(tokens: list[str]) -> list[str]:
    """Op names for `all`, op names, or plugin / distribution names; UsageError otherwise."""
    from micrograd_core import registry

    rows = registry.list()
    if "all" in tokens:
        return [r.name for r in rows]
    chosen: list[str] = []
    for token in tokens:
        matches = [r.name for r in rows if token in (r.name, r.plugin, r.distribution)]
        if not matches:
            known = ", ".join(r.name for r in rows)
            raise pytest.UsageError(
                f"--micrograd-check-ops: no op, plugin or distribution named {token!r} is "
                f"installed (ops: {known})"
            )
        chosen += [m for m in matches if m not in chosen]
    return chosen


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


class OpCheckItem(pytest.Item):
    """One generated test: `check_op(name)`."""

    def __init__(self, *, op_name: str, max_examples: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.op_name = op_name
        self.max_examples = max_examples

    def runtest(self) -> None:
        from micrograd_core.testing import check_op

        check_op(self.op_name, max_examples=self.max_examples)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from micrograd_core.testing import GradientCheckError

        if isinstance(excinfo.value, GradientCheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "micrograd-check", None, f"gradient check of op {self.op_name!r}"


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection, so they apply to these items too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    tokens = _requested(config)
    if not tokens:
        return
    examples = _examples(config)
    for name in selected_ops(tokens):
        items.append(
            OpCheckItem.from_parent(
                session, name=f"micrograd_check_op[{name}]", op_name=name, max_examples=examples
            )
        )


def pytest_report_header(config: pytest.Config) -> str | None:
    tokens = _requested(config)
    return f"micrograd: gradient-checking ops {', '.join(tokens)}" if tokens else None

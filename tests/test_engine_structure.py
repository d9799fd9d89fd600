"""The engine a learner reads: two small modules, no generated code, no op known by name, no
import cycle anywhere in micrograd_core, and `x * y` then `.backward()` touching few modules."""

from __future__ import annotations

import ast
import gc
import math
import sys
from pathlib import Path
from typing import Any

import pytest

import micrograd_core
from micrograd_core import Op, Value, apply, registry
from micrograd_core._value import OPERATORS

CORE = Path(micrograd_core.__file__).parent
ENGINE = ("_value.py", "_backward.py")


def _module_name(path: Path) -> str:
    rel = path.relative_to(CORE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


_MODULES = {_module_name(p) for p in CORE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every micrograd_core module `path` imports, at the top or inside functions (its own
    parent packages aside: Python runs them first whatever the module imports)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            subs = {f"{mod}.{a.name}" for a in node.names} & _MODULES  # `from . import _value`
            found |= subs or {mod}
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return {m for m in found if m in _MODULES and m != name and m not in ancestors}


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in CORE.rglob("*.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in graph:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        if state.get(start):
            continue
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph.get(child, ())))))
                path.append(child)
    return None


def test_no_import_cycle_in_micrograd_core() -> None:
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    # and imports inside functions count: _imports sees them
    assert "micrograd_core._registry" in _imports(CORE / "_value.py")


def test_the_engine_is_two_small_modules_without_generated_code() -> None:
    total = 0
    for name in ENGINE:
        text = (CORE / name).read_text()
        total += len(text.splitlines())
        tree = ast.parse(text)
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not calls & {"exec", "eval", "compile"}, name
    assert total <= 650  # about 600 lines with their docstrings


def test_every_module_stays_small() -> None:
    """One idea per module, about 300 lines; the engine's Value module (read in one sitting
    with `_backward.py`, bounded above) is the one exception."""
    sizes = {
        str(p.relative_to(CORE.parent)): len(p.read_text().splitlines())
        for root in (CORE, CORE.parent / "micrograd_ops_builtin")
        for p in root.rglob("*.py")
    }
    assert len(sizes) > 50  # the walk found the package
    large = {name: n for name, n in sizes.items() if n > 350 and not name.endswith("_value.py")}
    assert not large


def _op_names_used(path: Path, names: set[str]) -> set[str]:
    """Op names `path` knows an op by: compared with (`op.name == "dot"`), looked up with
    (`table["dot"]`, `.get("dot")`, `apply("dot", ...)`), or bound to a name (`DOT = "dot"`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
        elif isinstance(node, ast.Subscript):
            parts = [node.slice]
        elif isinstance(node, ast.Call):
            parts = node.args[:1]
        elif isinstance(node, ast.Assign):
            parts = [node.value]
        else:
            continue
        found |= {p.value for p in parts if isinstance(p, ast.Constant) and p.value in names}
    return found


def test_no_core_module_knows_an_op_by_name_but_the_operator_table() -> None:
    builtin = set(registry.names())
    assert builtin >= {"add", "mul", "dot", "sum", "relu", "tanh", "pow", "pow_var"}
    # The engine, the registry and compiled mode: what runs ops. (Pictures and explanations may
    # write `x + y` for an add node: that is presentation, not dispatch.)
    running = [
        CORE / f
        for f in (
            *ENGINE,
            *("_registry.py", "_plugin_loading.py", "_name_claims.py"),
            *("_validate.py", "_op.py", "_hooks.py"),
        )
    ]
    for path in [*running, *(CORE / "_compile").glob("*.py"), *(CORE / "_fastpaths").glob("*.py")]:
        named = _op_names_used(path, builtin)
        assert not named, f"{path.name} names {named}"
    # the one table: every Python operator and micrograd method, each to its op
    assert set(OPERATORS.values()) <= builtin
    assert "dot" in _op_names_used(CORE / "nn.py", builtin)  # the finder does find names


def test_x_times_y_then_backward_touches_at_most_three_core_modules() -> None:
    x, y = Value(2.0), Value(3.0)
    (x * y).backward()  # the first call loads the registry
    touched: set[str] = set()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            touched.add(frame.f_code.co_filename)

    sys.setprofile(profile)
    try:
        z = x * y
        z.backward()
    finally:
        sys.setprofile(None)
    core = {Path(f).name for f in touched if Path(f).is_relative_to(CORE)}
    assert core and len(core) <= 3, core
    assert (x.grad, y.grad) == (3.0 + 3.0, 2.0 + 2.0)


def test_nodes_hold_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        x = Value(0.5)
        y = x
        for _ in range(200):
            y = (y * 1.01 + 0.1).tanh()
        y.backward()
        del x, y
        assert gc.collect() == 0  # reference counting freed everything
    finally:
        gc.enable()
    assert before >= 0


def test_a_deep_chain_differentiates_without_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 200_001.0


class _NoBackward(Op):
    """An op that forgot its backward (Op's placeholder is inherited)."""

    name = "no_backward_s"
    arity = 1

    def forward(self, x: float) -> float:
        return x


def test_an_op_that_forgets_backward_fails_at_registration() -> None:
    from micrograd_core import OpValidationError

    with pytest.raises(OpValidationError, match=r"no_backward_s.*backward.*placeholder"):
        registry.register(_NoBackward, plugin="forgetful")
    assert "no_backward_s" not in registry


def test_the_op_protocol_declares_every_optional_attribute_and_nothing_for_speed() -> None:
    declared = {k for k in vars(Op) if not k.startswith("__")} | set(Op.__annotations__)
    assert declared == {
        *("name", "arity", "forward", "backward"),  # required
        *("params", "higher_order"),  # optional
        *("domain", "kinks", "singular", "param_examples"),  # hints for the gradient checker
    }


class _Unhashable(Op):
    name = "unhashable_s"
    arity = 1
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unhashable)

    def forward(self, x: float) -> float:
        return 2.0 * x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (2.0 * grad,)


@pytest.mark.parametrize("executor", ["python", "numpy"])
def test_unhashable_ops_work_in_every_mode(executor: str) -> None:
    with registry.temporary(_Unhashable):
        x = Value(1.5)
        x.unhashable_s().backward()
        assert x.grad == 2.0
        program = micrograd_core.compile(lambda: x.unhashable_s() * x, executor=executor)
        x.grad = 0.0
        assert program.forward() == 4.5
        program.backward()
        assert x.grad == 6.0


def test_specs_of_unregistered_ops_are_cached_within_a_bound() -> None:
    from micrograd_core._registry import _ADHOC_MAX

    for i in range(_ADHOC_MAX + 50):
        op = type(f"Adhoc{i}", (_Unhashable,), {"name": f"adhoc{i}"})()
        assert apply(op, 1.0).data == 2.0
    assert len(registry._adhoc) <= _ADHOC_MAX
    assert math.isfinite(apply(op, 2.0).data)


def test_the_architecture_page_names_every_module() -> None:
    """A newcomer finds where a thing lives: each module is named on the architecture page
    (a sub-package's modules may be named through the sub-package)."""
    doc = (CORE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for p in CORE.rglob("*.py"):
        if p.name in ("__init__.py", "__main__.py"):
            continue
        package = p.parent.relative_to(CORE.parent).as_posix()
        if p.name not in doc and not (package != "micrograd_core" and f"{package}/" in doc):
            missing.append(str(p.relative_to(CORE.parent)))
    assert not missing

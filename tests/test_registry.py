"""Registry policies: discovery, broken plugins, duplicates, overrides, env vars, validation."""

from __future__ import annotations

import importlib
import math
import warnings
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

from micrograd_core import (
    VARIADIC,
    DuplicateOpError,
    Interval,
    Op,
    OpValidationError,
    PluginError,
    PluginWarning,
    Registry,
    UnknownOpError,
    Value,
    hookimpl,
    registry,
)


@attrs.define
class FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint: a name, a distribution, a load()."""

    name: str
    target: Any  # a module name to import, or the plugin object itself
    dist_name: str = "some-dist"
    version: str = "1.0"

    @property
    def value(self) -> str:
        return self.target if isinstance(self.target, str) else self.name

    @property
    def dist(self) -> SimpleNamespace:
        return SimpleNamespace(name=self.dist_name, version=self.version)

    def load(self) -> Any:
        return importlib.import_module(self.target) if isinstance(self.target, str) else self.target


BUILTIN = FakeEntryPoint("builtin", "micrograd_ops_builtin", "micrograd-core", "0.1.0")


def make_op(op_name: str, value: float = 1.0, **extra: Any) -> type:
    """An op class returning a constant; `value` tells which plugin's op is in use."""

    def forward(self, x):
        return value

    def backward(self, grad, out, x):
        return (0.0 * grad,)

    return type(
        f"Op_{op_name}",
        (Op,),
        {"name": op_name, "arity": 1, "forward": forward, "backward": backward, **extra},
    )


def plugin(*ops: type, override: bool = False, calls: list[int] | None = None) -> SimpleNamespace:
    @hookimpl
    def register_ops(register):
        if calls is not None:
            calls.append(1)
        for op in ops:
            register(op, override=override)

    return SimpleNamespace(register_ops=register_ops)


def broken_plugin() -> SimpleNamespace:
    @hookimpl
    def register_ops(register):
        register(make_op("half_done"))
        raise RuntimeError("boom in register_ops")

    return SimpleNamespace(register_ops=register_ops)


def fresh(*eps: FakeEntryPoint) -> Registry:
    return Registry(entry_points=lambda: [BUILTIN, *eps])


def test_installed_registry_lists_builtins_from_their_distribution() -> None:
    rows = {r.name: r for r in registry.list()}
    assert {"add", "mul", "pow", "pow_var", "relu", "sum", "tanh"} <= set(rows)
    tanh = rows["tanh"]
    assert (tanh.plugin, tanh.distribution, tanh.arity) == ("builtin", "micrograd-core", 1)
    assert tanh.version and tanh.summary.startswith("Hyperbolic tangent")
    assert rows["sum"].arity is VARIADIC and rows["pow"].params == ("exponent",)


def test_example_plugin_is_discovered_through_its_entry_point() -> None:
    # CI installs ./plugins_example (the README's test command); no code here imports it.
    origin = registry.origin("sigmoid")
    assert origin.distribution == "micrograd-ops-example" and origin.plugin == "example"
    assert Value(0.0).sigmoid().data == 0.5


def test_loading_is_lazy_and_runs_each_hook_once() -> None:
    calls: list[int] = []
    asked: list[int] = []

    def entry_points():
        asked.append(1)
        return [BUILTIN, FakeEntryPoint("counter", plugin(make_op("counted"), calls=calls))]

    reg = Registry(entry_points=entry_points)
    assert asked == []  # constructing a registry loads nothing
    for _ in range(3):
        reg.get("counted")
        assert "counted" in reg
    assert asked == [1] and calls == [1]


def test_broken_import_warns_names_the_plugin_and_builtins_keep_working() -> None:
    reg = fresh(FakeEntryPoint("ghost", "no_such_module_xyz", "ghost-dist"))
    with pytest.warns(
        PluginWarning, match=r"plugin 'ghost' \(distribution ghost-dist 1.0\).*import"
    ):
        reg.ensure_loaded()
    assert {"add", "tanh", "sum"} <= set(reg.names())
    assert isinstance(reg.failures[0], PluginError) and reg.failures[0].plugin == "ghost"


def test_failing_register_ops_skips_the_whole_plugin() -> None:
    reg = fresh(FakeEntryPoint("flaky", broken_plugin(), "flaky-dist"))
    with pytest.warns(PluginWarning, match="'flaky'.*boom in register_ops"):
        reg.ensure_loaded()
    assert "half_done" not in reg  # a plugin lands whole or not at all
    assert "tanh" in reg


def test_invalid_op_warns_with_op_and_plugin() -> None:
    bad = make_op("badarity", arity=0)
    reg = fresh(FakeEntryPoint("sloppy", plugin(bad), "sloppy-dist"))
    match = "op 'badarity' \\(from plugin 'sloppy', distribution sloppy-dist\\).*arity"
    with pytest.warns(PluginWarning, match=match):
        reg.ensure_loaded()
    assert "badarity" not in reg


def test_strict_mode_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_STRICT_PLUGINS", "1")
    reg = fresh(FakeEntryPoint("ghost", "no_such_module_xyz", "ghost-dist"))
    with pytest.raises(PluginError, match="ghost"):
        reg.ensure_loaded()


def test_clash_between_third_parties_names_both_and_costs_only_that_name() -> None:
    a = FakeEntryPoint("alpha", plugin(make_op("twin", 1.0), make_op("solo_a")), "alpha-dist")
    b = FakeEntryPoint("beta", plugin(make_op("twin", 2.0), make_op("solo_b")), "beta-dist")
    reg = fresh(b, a)
    with pytest.warns(PluginWarning) as record:
        reg.ensure_loaded()
    msg = str(record[0].message)
    assert "'twin'" in msg and "alpha-dist" in msg and "beta-dist" in msg
    assert isinstance(reg.failures[0], DuplicateOpError)
    # Neither gets the name (picking one by sort order would be a silent guess)...
    assert "twin" not in reg
    # ...and each plugin's other ops still work.
    assert {"solo_a", "solo_b", "tanh"} <= set(reg.names())


def test_clash_is_an_error_in_strict_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_STRICT_PLUGINS", "1")
    a = FakeEntryPoint("alpha", plugin(make_op("twin", 1.0)), "alpha-dist")
    b = FakeEntryPoint("beta", plugin(make_op("twin", 2.0)), "beta-dist")
    with pytest.raises(DuplicateOpError, match=r"'twin'.*alpha-dist.*beta-dist"):
        fresh(a, b).ensure_loaded()


def test_a_third_party_cannot_silently_replace_a_builtin() -> None:
    evil = plugin(make_op("tanh", 42.0), make_op("harmless"))
    reg = fresh(FakeEntryPoint("evil", evil, "evil-dist"))
    with pytest.warns(PluginWarning, match="'tanh'.*micrograd-core.*evil-dist"):
        reg.ensure_loaded()
    assert reg.get("tanh").forward(0.0) == 0.0
    assert "harmless" in reg


def test_override_replaces_and_shows_in_listing_whatever_the_load_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "aaa-dist" sorts before the op it overrides would be known from a third party: still works.
    over = FakeEntryPoint("fancy", plugin(make_op("tanh", 7.0), override=True), "aaa-dist")
    reg = fresh(over)
    with pytest.warns(PluginWarning, match="'fancy'.*replaces the builtin op 'tanh'"):
        reg.ensure_loaded()
    for spelling in ("aaa-dist", "AAA_Dist"):  # said so (in any PEP 503 spelling): silent
        monkeypatch.setenv("MICROGRAD_ALLOW_OVERRIDES", spelling)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reg.reload()
    assert reg.get("tanh").forward(0.0) == 7.0
    row = next(r for r in reg.list() if r.name == "tanh")
    assert row.plugin == "fancy" and row.distribution == "aaa-dist"
    assert row.overrides == "plugin 'builtin' (distribution micrograd-core 0.1.0)"
    reg.unregister("tanh")  # removing the override brings the builtin back
    assert reg.get("tanh").forward(0.0) == 0.0


def test_two_overrides_of_one_name_are_an_error() -> None:
    one = FakeEntryPoint("one", plugin(make_op("relu", 1.0), override=True), "one-dist")
    two = FakeEntryPoint("two", plugin(make_op("relu", 2.0), override=True), "two-dist")
    reg = fresh(one, two)
    with pytest.warns(PluginWarning, match="'relu'.*one-dist.*two-dist"):
        reg.ensure_loaded()


def test_disable_autoload_keeps_only_our_own_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_DISABLE_PLUGIN_AUTOLOAD", "1")
    reg = fresh(FakeEntryPoint("extra", plugin(make_op("extra_op")), "extra-dist"))
    assert "extra_op" not in reg and "tanh" in reg


def test_select_plugins_by_name_or_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [
        FakeEntryPoint("p1", plugin(make_op("op_one")), "dist-one"),
        FakeEntryPoint("p2", plugin(make_op("op_two")), "dist-two"),
        FakeEntryPoint("p3", plugin(make_op("op_three")), "dist-three"),
    ]
    monkeypatch.setenv("MICROGRAD_PLUGINS", "p1, dist-three")
    reg = fresh(*eps)
    assert {"op_one", "op_three"} <= set(reg.names()) and "op_two" not in reg
    # A distribution in any spelling pip accepts: micrograd_ops_example is micrograd-ops-example.
    monkeypatch.setenv("MICROGRAD_PLUGINS", "Dist_Three")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no "names no installed plugin" warning
        reg.reload()
    assert "op_three" in reg and not {"op_one", "op_two"} & set(reg.names())
    monkeypatch.setenv("MICROGRAD_PLUGINS", "")
    reg.reload()  # reload honours the environment as it is now
    assert not {"op_one", "op_two", "op_three"} & set(reg.names()) and "add" in reg


def test_in_process_registration_and_removal() -> None:
    op_cls = make_op("notebook_op", 3.0)
    with registry.temporary(op_cls) as (op,):
        assert registry.get("notebook_op") is op
        assert Value(1.0).notebook_op().data == 3.0
        row = next(r for r in registry.list() if r.name == "notebook_op")
        assert row.plugin == "<in-process>" and row.distribution is None
        with pytest.raises(DuplicateOpError, match="notebook_op"):
            registry.register(make_op("notebook_op"))
    assert "notebook_op" not in registry
    with pytest.raises(UnknownOpError):
        registry.unregister("notebook_op")


def test_in_process_override_restores_the_builtin() -> None:
    with registry.temporary(make_op("relu", 9.0), override=True):
        assert Value(-1.0).relu().data == 9.0
    assert Value(-1.0).relu().data == 0.0
    assert registry.origin("relu").plugin == "builtin"


def test_register_plugin_object_in_process() -> None:
    reg = fresh()
    reg.register_plugin(plugin(make_op("from_object")), name="my-notebook")
    assert reg.origin("from_object").plugin == "my-notebook"
    with pytest.warns(PluginWarning, match="'no-hooks'.*no register_ops"):
        reg.register_plugin(SimpleNamespace(), name="no-hooks")


class _Good(Op):
    name = "good"
    arity = 2

    def forward(self, a, b):
        return a

    def backward(self, grad, out, a, b):
        return grad, 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "not an identifier"}, "identifier"),
        ({"name": "grad"}, "reserved"),
        ({"name": "_hidden"}, "reserved"),
        ({"arity": 0}, "arity"),
        ({"arity": True}, "arity"),
        ({"forward": None}, "forward"),
        ({"backward": lambda self, grad, out, a: (grad,)}, r"backward.*grad, out, <2 input"),
        ({"forward": lambda self, a: a}, r"forward.*<2 input"),
        ({"params": ("k",)}, "param_examples"),
        ({"params": ("k",), "param_examples": ({"j": 1},)}, "exactly the params"),
        ({"params": "k"}, "params"),
        ({"higher_order": "yes"}, "higher_order"),
        ({"domain": (Interval(),) * 3}, "domain"),
        ({"domain": ("positive",)}, "Interval"),
        ({"kinks": "zero"}, "kinks"),
        ({"kinks": ((0.0,),) * 3}, "kinks"),
    ],
)
def test_validation_rejects_bad_ops(changes: dict[str, Any], message: str) -> None:
    bad = type("Bad", (_Good,), changes)
    with pytest.raises(OpValidationError, match=message) as info:
        registry.register(bad, plugin="unit-test")
    assert "unit-test" in str(info.value)  # every validation error names the plugin


def test_validation_accepts_variadic_domain_function_and_per_input_kinks() -> None:
    class Flexible(Op):
        name = "flexible"
        arity = VARIADIC
        params = ("scale",)
        param_examples = ({"scale": 2.0},)
        kinks = ((0.0, 1.0),)

        def domain(self, scale):
            return (Interval(-scale, scale),)

        def forward(self, *xs, scale):
            return scale * sum(xs)

        def backward(self, grad, out, *xs, scale):
            return (scale * grad,) * len(xs)

    with registry.temporary(Flexible):
        spec = registry.spec("flexible")
        assert spec.domains(3, {"scale": 2.0}) == (Interval(-2.0, 2.0),) * 3
        assert spec.kinks_of(2) == ((0.0, 1.0), (0.0, 1.0))
        assert Value(1.0).flexible(2.0, scale=3.0).data == 9.0


def test_class_that_needs_arguments_is_rejected_clearly() -> None:
    class NeedsArgs(_Good):
        name = "needsargs"

        def __init__(self, k: int) -> None:
            self.k = k

    with pytest.raises(OpValidationError, match="instantiated"):
        registry.register(NeedsArgs)
    inst = NeedsArgs(3)  # an instance is fine
    with registry.temporary(inst):
        assert registry.get("needsargs") is inst


def test_interval_contains_and_rejects_nonsense() -> None:
    pos = Interval(0.0, math.inf, low_open=True)
    assert 1e-300 in pos and 0.0 not in pos and 0.0 in Interval(0.0, 1.0)
    with pytest.raises(ValueError):
        Interval(1.0, 0.0)


def test_selecting_an_unknown_plugin_name_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_PLUGINS", "p1,typo-plugin")
    reg = fresh(FakeEntryPoint("p1", plugin(make_op("op_one")), "dist-one"))
    with pytest.warns(PluginWarning, match="names typo-plugin, which no installed plugin"):
        reg.ensure_loaded()
    assert "op_one" in reg

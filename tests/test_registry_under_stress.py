"""The registry under threads, strict mode, hostile plugins and a missing installation."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from micrograd_core import Op, PluginError, Registry, UnknownOpError, Value, registry
from micrograd_core._registry import _ADHOC_MAX, ENV_STRICT

GROUP = "micrograd_core"

START_RACE = textwrap.dedent(
    """
    import threading
    from micrograd_core import Value
    errors, barrier = [], threading.Barrier(8)
    def run():
        barrier.wait()
        try:
            x = Value(2.0)
            (x * 3 + 1).backward()
            assert x.grad == 3.0
        except BaseException as exc:
            errors.append(repr(exc))
    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(len(errors), errors[:1])
    """
)


def test_eight_threads_starting_at_once_all_see_every_op() -> None:
    failures = []
    for _ in range(12):  # each a fresh process: the lazy load races only once per process
        out = subprocess.run(
            [sys.executable, "-c", START_RACE], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        failures.append(int(out.stdout.split()[0]))
    assert failures == [0] * 12


class _Temp(Op):
    name = "temp_thread_op"
    arity = 1

    def forward(self, x: float) -> float:
        return x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad,)


def test_register_and_unregister_while_other_threads_differentiate() -> None:
    registry.get("add")  # loaded
    stop = threading.Event()
    errors: list[str] = []

    def churn() -> None:
        while not stop.is_set():
            with registry.temporary(_Temp):
                pass

    def work() -> None:
        try:
            for _ in range(300):
                x = Value(1.5)
                ((x * x + 1).tanh() + x.relu()).backward()
                assert x.grad > 0
                assert {i.name for i in registry.list()} >= {"add", "mul"}
        except BaseException as exc:
            errors.append(repr(exc))

    churner = threading.Thread(target=churn)
    workers = [threading.Thread(target=work) for _ in range(4)]
    churner.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    churner.join()
    assert errors == []
    assert "temp_thread_op" not in registry


def _plugin_module(tmp_path: Path, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))


@pytest.fixture
def plugins_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    _plugin_module(tmp_path, "mg_exits_at_import", "raise SystemExit(3)\n")
    _plugin_module(tmp_path, "mg_broken_import", "raise ImportError('no such thing')\n")
    return tmp_path


def _eps(*values: str) -> Any:
    eps = [metadata.EntryPoint("builtin", "micrograd_ops_builtin", GROUP)]
    eps += [metadata.EntryPoint(v.split(":")[0], v, GROUP) for v in values]
    return lambda: eps


def test_a_plugin_raising_system_exit_is_a_failed_plugin(plugins_dir: Path) -> None:
    reg = Registry(_eps("mg_exits_at_import"))
    with pytest.warns(Warning, match="mg_exits_at_import.*SystemExit"):
        assert reg.get("add").forward(1.0, 2.0) == 3.0
    assert [type(f) for f in reg.failures] == [PluginError]


def test_strict_mode_raises_the_same_error_on_every_use(
    plugins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_STRICT, "1")
    reg = Registry(_eps("mg_broken_import"))
    with pytest.raises(PluginError, match="mg_broken_import") as first:
        reg.get("add")
    for _ in range(3):
        with pytest.raises(PluginError, match="mg_broken_import") as again:
            reg.get("add")
        assert again.value is first.value
    monkeypatch.delenv(ENV_STRICT)
    with pytest.warns(Warning):
        reg.reload()  # the error is remembered until a reload
    assert "add" in reg


def test_a_missing_own_entry_point_says_the_package_is_not_installed() -> None:
    reg = Registry(lambda: [])
    with pytest.raises(UnknownOpError, match=r"not installed.*pip install"):
        reg.get("mul")


def test_many_temporary_ops_keep_every_cache_bounded() -> None:
    from micrograd_core import _fastpaths, compile

    for i in range(_ADHOC_MAX * 3):
        cls = type(f"Fresh{i}", (_Temp,), {"name": f"fresh_op_{i}"})
        with registry.temporary(cls):
            x = Value(float(i))
            program = compile(lambda: getattr(x, cls.name)() * 2.0)  # noqa: B023
            assert program.forward() == 2.0 * i
    assert len(_fastpaths._cache) <= _fastpaths._CACHE_MAX
    assert len(registry._adhoc) <= _ADHOC_MAX
    assert len(registry._by_id) == len(registry.table)

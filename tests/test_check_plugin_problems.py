"""How `micrograd check` and the pytest plugin describe the registry's failures."""

from __future__ import annotations

from pathlib import Path

from micrograd_core import DuplicateOpError, Op, OpValidationError, PluginError
from micrograd_core.testing._plugin_problems import CLASH, describe


def test_a_plugin_that_failed_to_import_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "acme_broken.py"
    broken.write_text("x = 1\nimport no_such_dependency_xyz\n")
    code = compile(broken.read_text(), str(broken), "exec")
    try:
        exec(code, {})
    except ImportError as exc:
        error = PluginError("acme", "acme-dist", f"import failed: {exc!r}", "0.1")
        error.__cause__ = exc  # as the registry keeps it
    problem = describe(error)
    assert (problem.kind, problem.plugin, problem.distribution) == (
        "plugin failed to load",
        "acme",
        "acme-dist",
    )
    assert problem.matches("acme") and problem.matches("acme-dist")
    assert not problem.matches("other")
    assert (
        f"caused by ModuleNotFoundError: No module named 'no_such_dependency_xyz' (at {broken}:2)"
        in (problem.text())
    )


def test_without_a_cause_there_is_no_cause_line() -> None:
    problem = describe(PluginError("ghost", None, "has no register_ops hook"))
    assert problem.cause == "" and "caused by" not in problem.text()


def test_a_clash_matches_the_op_and_both_plugins() -> None:
    first = "plugin 'alpha' (distribution alpha-dist 0.1)"
    second = "plugin 'beta' (distribution beta-dist 0.1)"
    problem = describe(DuplicateOpError("twin", first, second))
    assert problem.kind == CLASH and problem.label == "twin" and problem.op == "twin"
    for token in ("twin", "alpha", "beta", "alpha-dist", "beta-dist"):
        assert problem.matches(token), token
    assert not problem.matches("alp") and not problem.matches("gamma")


def test_an_invalid_op_names_its_plugin_and_op() -> None:
    class Bad(Op):
        name = "bad_op"
        arity = 0

    problem = describe(OpValidationError(Bad(), "sloppy", "`arity` must be an int >= 1"))
    assert problem.kind == "plugin skipped: invalid op"
    assert (problem.label, problem.plugin, problem.op) == ("sloppy", "sloppy", "bad_op")
    assert problem.matches("sloppy") and problem.matches("bad_op")
    assert problem.to_dict()["message"].startswith("op 'bad_op' (from plugin 'sloppy')")


def test_problems_compare_by_value() -> None:
    # the pytest plugin lists a problem once even when several tokens select it
    assert describe(PluginError("x", None, "m")) == describe(PluginError("x", None, "m"))
    assert describe(PluginError("x", None, "m")) != describe(PluginError("y", None, "m"))

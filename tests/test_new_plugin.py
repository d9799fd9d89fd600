"""`micrograd new-plugin NAME`: the package it writes is complete, installs with pip, and its
tests (the gradient check through the pytest plugin included) pass, and fail on a wrong op."""

from __future__ import annotations

import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_core import PROTOCOL
from micrograd_core.cli import main
from micrograd_core.cli.new_plugin import ScaffoldError, new_plugin

EXPECTED = {
    ".github/workflows/test.yml",
    ".gitignore",
    "README.md",
    "micrograd_ops_acme/__init__.py",
    "micrograd_ops_acme/ops.py",
    "micrograd_ops_acme/py.typed",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/test_ops.py",
}


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_writes_a_complete_package(tmp_path: Path) -> None:
    root = new_plugin("micrograd-ops-acme", tmp_path)
    assert root == tmp_path / "micrograd-ops-acme"
    assert files(root) == EXPECTED
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.micrograd_core]\nacme = "micrograd_ops_acme"' in pyproject
    assert 'micrograd_check_ops = "micrograd-ops-acme"' in pyproject
    assert '"micrograd-core>=0.1.0,<1"' in pyproject
    if sys.version_info >= (3, 11):
        import tomllib

        data = tomllib.loads(pyproject)
        assert data["project"]["name"] == "micrograd-ops-acme"
    ops = (root / "micrograd_ops_acme" / "ops.py").read_text()
    assert 'name = "floor_log"' in ops and "class FloorLog(Op)" in ops
    assert "domain = " in ops and "def kinks(self, floor" in ops
    # the package states the op protocol it is written for (issue 14, item 4)
    init = (root / "micrograd_ops_acme" / "__init__.py").read_text()
    assert f"micrograd_protocol = {PROTOCOL}\n" in init
    for path in root.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    workflow = (root / ".github" / "workflows" / "test.yml").read_text()
    assert "${{ matrix.python-version }}" in workflow  # `$$` escaped, not substituted
    assert "$" not in (root / "README.md").read_text().replace("${{", "")


def test_names_are_normalised_and_the_op_can_be_named(tmp_path: Path) -> None:
    root = new_plugin("Micrograd_Ops.Zeta", tmp_path, op="soft_floor")
    assert root.name == "micrograd-ops-zeta"
    assert (root / "micrograd_ops_zeta" / "ops.py").read_text().count('name = "soft_floor"') == 1
    assert 'zeta = "micrograd_ops_zeta"' in (root / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("name", "op", "message"),
    [
        ("9 lives", "floor_log", "not a valid distribution name"),
        ("-acme", "floor_log", "not a valid distribution name"),
        ("", "floor_log", "not a valid distribution name"),
        ("9lives", "floor_log", "not a Python identifier"),
        ("json", "floor_log", "a module named 'json' already exists"),
        ("micrograd-core", "floor_log", "a module named 'micrograd_core' already exists"),
        ("acme", "tanh", "op name 'tanh' is taken (plugin 'builtin'"),
        ("acme", "grad", "an attribute of Value"),
        ("acme", "2x", "must be a Python identifier"),
    ],
)
def test_bad_names_are_refused_clearly(tmp_path: Path, name: str, op: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message.replace("(", r"\(")):
        new_plugin(name, tmp_path, op=op)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "micrograd-ops-acme"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    assert main(["new-plugin", "micrograd-ops-acme", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "micrograd new-plugin: error:" in err and "already exists" in err
    assert "Traceback" not in err
    assert files(existing) == {"mine.txt"}


def test_the_command_lists_what_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new-plugin", "micrograd-ops-acme", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'micrograd-ops-acme'}/" in out
    assert all(f"  {f}" in out for f in EXPECTED)


def _pytest(project: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    """The project's tests, run from elsewhere: `python -m pytest` puts the working directory
    first on sys.path, which would import the source folder instead of the installed copy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    elsewhere = project.parent / "run"
    elsewhere.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", str(project)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_generated_plugin_installs_and_its_tests_pass_and_can_fail(tmp_path: Path) -> None:
    root = new_plugin("micrograd-ops-acme", tmp_path / "src")
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (site / "micrograd_ops_acme-0.1.0.dist-info" / "entry_points.txt").is_file()

    run = _pytest(root, [site])
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"rootdir: {root}\nconfigfile: pyproject.toml" in run.stdout  # its own settings
    assert "micrograd: gradient-checking ops micrograd-ops-acme" in run.stdout
    assert "micrograd_check_op[floor_log] PASSED" in run.stdout
    assert "7 passed" in run.stdout
    print(run.stdout)  # the closing note of issue 14 quotes this run

    # the same installed distribution with a wrong backward (shadowing the installed module)
    broken = tmp_path / "broken"
    (broken / "micrograd_ops_acme").mkdir(parents=True)
    for f in ("__init__.py", "ops.py"):
        text = (root / "micrograd_ops_acme" / f).read_text()
        text = text.replace("grad / x if", "grad / (2 * x) if")
        (broken / "micrograd_ops_acme" / f).write_text(text)
    failing = _pytest(root, [broken, site])
    assert failing.returncode == 1
    assert "gradient check FAILED for op 'floor_log' (plugin 'acme'" in failing.stdout
    assert "micrograd_check_op[floor_log] FAILED" in failing.stdout

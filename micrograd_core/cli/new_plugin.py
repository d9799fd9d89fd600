"""`micrograd new-plugin NAME`: write a plugin package ready to test and publish.

The files are packaged templates (micrograd_core/templates/plugin), filled in with
`string.Template`: a path segment `package` becomes the import package, a leading `dot-` a dot,
and a `.tmpl` file has its `$names` substituted (the rest are copied as they are)."""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from .. import __version__
from .._errors import MicrogradError
from .._registry import registry
from .._validate import RESERVED_NAMES

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# PEP 508 distribution names: letters and digits, with . _ - inside.
_DIST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
DEFAULT_OP = "floor_log"


class ScaffoldError(MicrogradError, ValueError):
    """`new-plugin` cannot write this plugin: a bad name, or the directory exists."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "new-plugin",
        help="write a new op plugin package, ready to test and publish",
        description="Write NAME/ (a distribution named NAME): pyproject.toml with the "
        "micrograd_core entry point, one op with a domain and kinks, tests that run the gradient "
        "checker through the pytest plugin with fixed seeds, a README and a CI workflow.",
    )
    p.add_argument("name", metavar="NAME", help="distribution name, e.g. micrograd-ops-acme")
    p.add_argument(
        "--op", default=DEFAULT_OP, metavar="OP", help=f"name of the example op ({DEFAULT_OP})"
    )
    p.add_argument(
        "-o", "--output", default=".", metavar="DIR", help="where to create NAME/ (default: .)"
    )


def run(args: argparse.Namespace) -> int:
    target = new_plugin(args.name, Path(args.output), op=args.op)
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    print(f"wrote {target}/")
    for f in files:
        print(f"  {f}")
    print(
        f"\nnext:\n  cd {target}\n  python -m pip install -e '.[test]'\n  python -m pytest"
        "\nthen edit the op, and publish: see docs/publishing-a-plugin.md"
    )
    return 0


def names_for(name: str, op: str = DEFAULT_OP) -> dict[str, str]:
    """The template variables for distribution `name`; `ScaffoldError` for an unusable name."""
    if not _DIST_NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid distribution name: use letters, digits and - _ . inside "
            "(e.g. micrograd-ops-acme)"
        )
    dist = re.sub(r"[-_.]+", "-", name).lower()
    package = dist.replace("-", "_")
    if not package.isidentifier() or keyword.iskeyword(package):
        raise ScaffoldError(
            f"{name!r} gives the import package {package!r}, which is not a Python identifier; "
            "start the name with a letter"
        )
    if package in sys.stdlib_module_names or find_spec(package) is not None:
        raise ScaffoldError(
            f"a module named {package!r} already exists here; pick another name (it would "
            "shadow it, or be shadowed)"
        )
    plugin = re.sub(r"^micrograd_(ops_)?", "", package) or package
    if not op.isidentifier() or keyword.iskeyword(op) or op.startswith("_"):
        raise ScaffoldError(f"--op {op!r} must be a Python identifier not starting with _")
    if op in RESERVED_NAMES or op in registry:
        where = "an attribute of Value" if op in RESERVED_NAMES else str(registry.origin(op))
        raise ScaffoldError(f"op name {op!r} is taken ({where}); choose another with --op")
    major = int(__version__.split(".")[0])
    return {
        "dist": dist,
        "package": package,
        "plugin": plugin,
        "op": op,
        "op_class": "".join(part.capitalize() for part in op.split("_") if part),
        "core_version": __version__,
        "core_next_major": str(major + 1),
    }


def new_plugin(name: str, parent: Path, *, op: str = DEFAULT_OP) -> Path:
    """Write the plugin package for distribution `name` into `parent/<name>`; return its path.
    Refuses (`ScaffoldError`) to touch a path that exists."""
    values = names_for(name, op)
    target = parent / values["dist"]
    if target.exists():
        raise ScaffoldError(f"{target} already exists; remove it or choose another name")
    template = resources.files("micrograd_core") / "templates" / "plugin"
    files = list(_walk(template, ()))
    target.mkdir(parents=True)
    for parts, source in files:
        dest = target.joinpath(*(_rename(p, values) for p in parts))
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.name.endswith(".tmpl"):
            dest = dest.with_name(dest.name[: -len(".tmpl")])
            text = Template(source.read_text(encoding="utf-8")).substitute(values)
            dest.write_text(text, encoding="utf-8")
        else:
            dest.write_bytes(source.read_bytes())
    return target


def _walk(node: Traversable, parts: tuple[str, ...]) -> Any:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            yield from _walk(child, (*parts, child.name))
        else:
            yield (*parts, child.name), child


def _rename(part: str, values: dict[str, str]) -> str:
    if part == "package":
        return values["package"]
    return "." + part[len("dot-") :] if part.startswith("dot-") else part

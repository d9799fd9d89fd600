"""Every ```python block in README.md and docs/*.md runs, in order, one namespace per file.

A block preceded by the line `<!-- no-test -->` is skipped (long benchmarks, shell-only setups).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"(?P<skip><!-- no-test -->\s*\n)?```python\n(?P<code>.*?)```", re.S)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start("code")) + 1, m.group("code"))
        for m in FENCE.finditer(text)
        if not m.group("skip")
    ]


def test_docs_exist() -> None:
    names = {p.name for p in DOCS}
    assert {"README.md", "architecture.md", "writing-an-op.md"} <= names
    # issue 14: how to test an op, and a page on publishing a plugin
    assert {"testing-ops.md", "publishing-a-plugin.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_code_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    from micrograd_core import registry

    before = set(registry.names())
    try:
        for line, code in python_blocks(path):
            # Pad with newlines so tracebacks point at the Markdown line numbers.
            exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
    finally:
        for name in set(registry.names()) - before:  # ops a doc registered in-process
            registry.unregister(name)


def test_fence_parser_sees_blocks_and_skips(tmp_path: Path) -> None:
    sample = "x\n```python\na = 1\n```\n<!-- no-test -->\n```python\nraise SystemExit\n```\n"
    doc = tmp_path / "sample.md"
    doc.write_text(sample)
    assert python_blocks(doc) == [(3, "a = 1\n")]


def test_the_concepts_page_lists_every_builtin_op() -> None:
    from micrograd_core import registry

    text = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    start = text.index("The builtin ops (")
    listed = set(re.findall(r"`(\w+)`", text[start : text.index("are registered", start)]))
    builtin = {i.name for i in registry.list() if i.distribution == "micrograd-core"}
    assert builtin and listed == builtin


def test_every_error_in_the_api_reference_is_a_micrograd_error() -> None:
    import importlib

    import micrograd_core

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## Errors") :]
    end = section.find("\n## ", 1)
    section = section if end == -1 else section[:end]
    names = re.findall(r"^::: (\S+)", section, re.M)
    assert "micrograd_core.OpContractError" in names
    for dotted in names:
        module, _, attr = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module), attr)
        if cls is micrograd_core.PluginWarning:
            assert issubclass(cls, UserWarning)
            continue
        assert issubclass(cls, micrograd_core.MicrogradError), dotted

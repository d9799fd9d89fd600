"""Programs some tests need from the operating system (Graphviz, Chromium): such a test skips
on a developer's machine without them, and fails in CI (CI=true), where `.ci/run` installs
them, so that no test is ever skipped there."""

from __future__ import annotations

import os
import shutil

import pytest

#: Browsers the real-browser tests drive, by program name; MICROGRAD_CHROMIUM overrides.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip (locally) or fail (in CI) because `what` is not installed."""
    if in_ci():
        pytest.fail(f"{what} is missing in CI; .ci/run installs it", pytrace=False)
    pytest.skip(f"{what} is not installed")


def need_graphviz() -> str:
    exe = shutil.which("dot")
    if exe is None:
        missing("Graphviz (the `dot` program)")
    return str(exe)


def chromium() -> str:
    """The path of a Chromium to drive, or skip/fail."""
    exe = os.environ.get("MICROGRAD_CHROMIUM") or next(
        (p for p in map(shutil.which, CHROMIUM_NAMES) if p), None
    )
    if not exe:
        missing("Chromium (apt-get install chromium)")
    return str(exe)

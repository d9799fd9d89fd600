"""Every op registered in this environment (builtins, the example plugin, anything else
installed) has its backward checked against central finite differences on its declared domain,
with hypothesis drawing the inputs (derandomized profile: deterministic in CI)."""

from __future__ import annotations

import pytest

from micrograd_core import registry
from micrograd_core.testing import check_op


@pytest.mark.parametrize("name", registry.names())
def test_registered_op_gradient_matches_finite_differences(name: str) -> None:
    result = check_op(name, max_examples=80)
    assert result.ok, result.report()
    assert result.examples >= 40  # the domain strategy really produced inputs

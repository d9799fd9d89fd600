"""Shared test setup: hypothesis runs derandomized by default, so every run (CI included) is
deterministic. HYPOTHESIS_PROFILE=deep runs many more examples locally, and
`--fuzz-examples N` sets how many random graphs tests/test_graph_oracle.py checks."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", deadline=None, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--fuzz-examples",
        type=int,
        default=None,
        metavar="N",
        help="random graphs the dual-number gradient fuzz checks (default 300; try 20000)",
    )

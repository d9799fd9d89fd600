"""Float sums in micrograd's order, on every Python.

micrograd adds Values one `+` at a time, left to right. Python's `sum()` of floats did the same
up to 3.11; from 3.12 it compensates rounding (Neumaier), which is more accurate but gives other
last bits. Ops and executors that promise micrograd's floats use `sequential_sum` instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import reduce
from operator import add
from typing import Any


def _reduce_sum(values: Iterable[Any], start: Any = 0) -> Any:
    """`start + v0 + v1 + ...`, left to right, one rounding per `+`."""
    return reduce(add, values, start)


#: `sequential_sum(values, start=0)`: `start + v0 + v1 + ...`, left to right, one rounding per
#: `+`, as micrograd's `sum()` of Values adds. It *is* the builtin `sum` up to Python 3.11 (its
#: fast C loop adds that way); from 3.12 a `reduce` stands in for it.
sequential_sum: Any = sum if sys.version_info < (3, 12) else _reduce_sum

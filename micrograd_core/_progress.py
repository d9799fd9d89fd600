"""A small dependency-free progress display for training loops.

On a terminal it redraws one line in place (a bar, the step, and whatever metrics are passed);
anywhere else (a pipe, a CI log, a file) it prints plain lines, about ten of them, because `\\r`
redraws turn a log into one unreadable line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

import attrs


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream is not a terminal
        return False


@attrs.define(eq=False)
class Progress:
    """`Progress(total)`; call `update(step, loss=..., accuracy=...)` per step, then `close()`.

    `step` counts from 1 to `total`. Metrics are formatted as `name value`; floats in [0, 1]
    whose name is `accuracy` show as percentages. Usable as a context manager.
    """

    total: int
    stream: TextIO = attrs.field(factory=lambda: sys.stdout)
    width: int = 30
    #: None: decide from `stream.isatty()`. Tests and `--no-progress` style options force it.
    tty: bool | None = None
    #: In plain-line mode, print every `every` steps (default: about ten lines in all).
    every: int | None = None
    _start: float = attrs.field(init=False, factory=time.perf_counter)
    _last_len: int = attrs.field(init=False, default=0)
    _last_step: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        if self.total < 1:
            raise ValueError(f"Progress: total must be >= 1, got {self.total!r}")
        if self.tty is None:
            self.tty = _is_tty(self.stream)
        if self.every is None:
            self.every = max(1, self.total // 10)

    def update(self, step: int, **metrics: float) -> None:
        self._last_step = step
        text = self._metrics(metrics)
        digits = len(str(self.total))
        counter = f"{step:>{digits}}/{self.total}"
        if self.tty:
            filled = round(self.width * step / self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"[{bar}] {counter}  {text}  {self._elapsed()}"
            # Pad with spaces so a shorter line fully covers the previous one.
            pad = " " * max(0, self._last_len - len(line))
            self.stream.write("\r" + line + pad)
            self._last_len = len(line)
            self.stream.flush()
        elif step == 1 or step % (self.every or 1) == 0 or step == self.total:
            self.stream.write(f"step {counter}  {text}\n")
            self.stream.flush()

    def close(self) -> None:
        """End the in-place line (a no-op in plain-line mode)."""
        if self.tty and self._last_len:
            self.stream.write("\n")
            self.stream.flush()
            self._last_len = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self._start:.1f}s"

    @staticmethod
    def _metrics(metrics: dict[str, float]) -> str:
        parts = []
        for name, value in metrics.items():
            if name == "accuracy" and 0.0 <= value <= 1.0:
                parts.append(f"{name} {value:6.1%}")
            else:
                parts.append(f"{name} {value:.4f}")
        return "  ".join(parts)

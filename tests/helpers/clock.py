"""Time in tests: a clock that moves only when told, and a bounded wait for a condition."""

from __future__ import annotations

import time
from typing import Callable


class ManualClock:
    """A clock for ``clock=`` parameters (it is callable) that moves only when a test sets or
    adds to ``now``, or when code calls its ``sleep``, which advances it at once and notes the
    request in ``slept``: pass ``sleep=clock.sleep`` and nothing really waits."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def wait_until(predicate: Callable[[], object], seconds: float = 10.0,
               interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true or ``seconds`` of real time pass; return whether it
    ended true, so a test says ``assert wait_until(...)`` and fails on the condition it names."""
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(interval)
    return bool(predicate())

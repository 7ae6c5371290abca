"""Client-side pacing: a token bucket shared by every thread of one client.

The Aura API allows about 125 requests per minute per client; going over earns ``429``. Pacing
on the client side keeps a notebook (or a workshop tool with many threads) under the limit in
the first place. The bucket starts full (``burst`` requests may go at once), then refills at
``rate`` requests per ``window`` seconds. ``window`` is 60 for the real API; a simulator running
``S`` times faster applies its per-minute limit over ``60 / S`` real seconds, so a client for it
uses ``window=60 / S``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Thread-safe token bucket: `acquire` blocks until one request may be sent.

    ``rate`` requests per ``window`` seconds (``rate=0`` turns pacing off); ``burst`` is the
    bucket size (default ``rate``). ``clock`` and ``sleep`` are injectable for tests.
    Waiting threads are served in order: each reserves its slot before sleeping."""

    def __init__(
        self,
        rate: int,
        window: float = 60.0,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 0 or window <= 0:
            raise ValueError("rate must be >= 0 and window > 0")
        self.rate = int(rate)
        self.window = float(window)
        self.burst = max(1, int(burst if burst is not None else rate or 1))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._stamp = clock()
        self.acquired = 0

    @property
    def enabled(self) -> bool:
        """False when pacing is off (``rate == 0``)."""
        return self.rate > 0

    @property
    def interval(self) -> float:
        """Seconds between two requests at the sustained rate (0 when off)."""
        return self.window / self.rate if self.rate else 0.0

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate / self.window)

    def delay(self) -> float:
        """Seconds until a request could go without waiting (0 when one may go now). Reserves
        nothing: schedulers use it to decide what to send once the slot comes."""
        if not self.enabled:
            return 0.0
        with self._lock:
            self._refill(self._clock())
            missing = 1.0 - self._tokens
        return max(0.0, missing * self.window / self.rate)

    def acquire(self) -> float:
        """Take one request slot, sleeping until it is available; returns the seconds waited."""
        with self._lock:
            self.acquired += 1
            if not self.enabled:
                return 0.0
            self._refill(self._clock())
            self._tokens -= 1.0
            wait = max(0.0, -self._tokens * self.window / self.rate)
        if wait > 0:
            self._sleep(wait)
        return wait

    def lower_rate(self, rate: int) -> None:
        """Pace at ``rate`` requests per window from now on, when that is lower than the
        current rate (the server said so with a 429); the bucket shrinks with it, so no burst
        above the new limit follows. Never raises the rate; pacing that is off stays off."""
        with self._lock:
            if not self.enabled or rate >= self.rate:
                return
            self.rate = max(1, int(rate))
            self.burst = min(self.burst, self.rate)
            self._tokens = min(self._tokens, float(self.burst))

    def __repr__(self) -> str:
        if not self.enabled:
            return "RateLimiter(off)"
        return f"RateLimiter({self.rate} per {self.window:g} s, burst {self.burst})"

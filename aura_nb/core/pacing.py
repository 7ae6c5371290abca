"""Client-side pacing: a token bucket shared by every thread of one client.

The Aura API allows about 125 requests per minute per client; going over earns ``429``. Pacing
on the client side keeps a notebook (or a workshop tool with many threads) under the limit in
the first place. The bucket starts full (``burst`` requests may go at once), then refills at
``rate`` requests per ``window`` seconds. ``window`` is 60 for the real API; a simulator running
``S`` times faster applies its per-minute limit over ``60 / S`` real seconds, so a client for it
uses ``window=60 / S``.

The limit is not always 125: Free and trial credentials are reported to get 25 requests per
minute. When the server answers 429, `RateLimiter.note_rejection` lowers the rate to just under
what the server demonstrably accepted in the last window, so a client set for 125 settles at the
account's real limit instead of meeting 429 after 429. It never goes below `MIN_LEARNED_RATE`,
just under the lowest documented limit: a 429 that comes sooner (a burst, another kernel or
tool on the same credentials, a gateway hiccup) says nothing about the account's limit, and
pacing at a handful of requests a minute would stall a class's teardown for the rest of the day.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

__all__ = ["RateLimiter", "MIN_LEARNED_RATE", "LEARNED_SHARE", "FREE_TIER_RATE"]

#: The share of the demonstrated limit a client paces at after a 429.
LEARNED_SHARE = 0.9
#: The lowest rate limit the API is known to apply (Free and trial credentials, per minute).
FREE_TIER_RATE = 25
#: A 429 never lowers the rate below this many requests per window: `LEARNED_SHARE` of
#: `FREE_TIER_RATE`.
MIN_LEARNED_RATE = int(FREE_TIER_RATE * LEARNED_SHARE)


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
        self._sent: deque[float] = deque()  # when each recent slot was granted
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
            now = self._clock()
            self._refill(now)
            self._tokens -= 1.0
            wait = max(0.0, -self._tokens * self.window / self.rate)
            self._sent.append(now + wait)
            while self._sent and self._sent[0] < now - self.window:
                self._sent.popleft()
        if wait > 0:
            self._sleep(wait)
        return wait

    def note_rejection(self) -> int | None:
        """The server answered 429: lower the rate to `LEARNED_SHARE` of the requests granted
        in the last window minus the one refused (at least `MIN_LEARNED_RATE`) when that is
        below the current rate. Returns the new rate, or ``None`` when it stayed. Never raises the rate."""
        with self._lock:
            if not self.enabled:
                return None
            now = self._clock()
            accepted = sum(1 for stamp in self._sent if now - self.window <= stamp <= now) - 1
            # 10% below what got through: pacing exactly at the limit meets a 429 whenever
            # the two clocks drift by a request
            learned = max(MIN_LEARNED_RATE, int(accepted * LEARNED_SHARE))
            if learned >= self.rate:
                return None
            self.rate = learned
            self.burst = min(self.burst, learned)
            self._tokens = min(self._tokens, float(self.burst))
            return learned

    def __repr__(self) -> str:
        if not self.enabled:
            return "RateLimiter(off)"
        return f"RateLimiter({self.rate} per {self.window:g} s, burst {self.burst})"

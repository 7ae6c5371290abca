"""The simulator's virtual clock, and the time formats its answers use.

The real service takes minutes to create an instance; tests and workshops cannot wait that long.
Every time-dependent rule in the simulator (lifecycle durations, token lifetime, the rate-limit
window) reads this clock instead of the wall clock:

    now = start + speed * real_seconds_elapsed + seconds_advanced

so a speed of 10 makes a 2-minute creation take 12 real seconds, and ``advance(120)`` makes it
finish at once.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime

#: Virtual time at which every seeded world starts: Monday 2 June 2025, 09:00 UTC.
EPOCH = datetime(2025, 6, 2, 9, 0, 0, tzinfo=timezone.utc).timestamp()


class VirtualClock:
    """A clock that runs ``speed`` times faster than real time and can be moved forward.

    ``now()`` returns virtual POSIX seconds (float). Thread-safe.
    Raises ValueError if ``speed`` is not a positive number.
    """

    def __init__(self, speed: float = 1.0, start: float = EPOCH):
        if not speed > 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        self.speed = float(speed)
        self._lock = threading.Lock()
        self._start = float(start)
        self._real_start = time.monotonic()
        self._advanced = 0.0

    def now(self) -> float:
        """Current virtual time in POSIX seconds."""
        elapsed = time.monotonic() - self._real_start
        return self._start + self.speed * elapsed + self._advanced

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` virtual seconds and return the new time.

        Raises ValueError for a negative amount (the clock never goes back).
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward; give a positive number of seconds")
        with self._lock:
            self._advanced += float(seconds)
        return self.now()

    def reset(self, start: float = EPOCH) -> None:
        """Restart the clock at virtual time ``start``."""
        with self._lock:
            self._start = float(start)
            self._real_start = time.monotonic()
            self._advanced = 0.0

    def to_real(self, virtual_seconds: float) -> float:
        """Convert a virtual duration to the real seconds it takes at this speed."""
        return virtual_seconds / self.speed


def rfc3339(ts: float) -> str:
    """Format POSIX seconds as an RFC 3339 UTC timestamp, e.g. ``2025-06-02T09:00:00Z``."""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def spaced_utc(ts: float) -> str:
    """Format POSIX seconds the way the graph-analytics endpoints do: ``2025-06-02 09:00:00+00:00``."""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).isoformat(sep=" ")


def http_date(ts: float) -> str:
    """Format POSIX seconds as an HTTP ``Date`` header value (RFC 9110 IMF-fixdate)."""
    return format_datetime(datetime.fromtimestamp(ts, tz=timezone.utc), usegmt=True)


def day_of(ts: float) -> str:
    """The UTC calendar day of POSIX seconds as ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")

"""When to ask next how one operation is doing: sparsely before it is likely done, densely around.

Pure arithmetic on server seconds, no I/O. A `PollPlan` turns what history says about a kind of
operation (`expectation`) into the age (seconds since the operation began) of each status
request:

* Before ``earliest`` (the shortest duration history makes plausible) the operation is unlikely
  to be done: polls are spread out, at most ``sparse`` apart, the last one at ``earliest``.
* From ``earliest`` on, with history, the gap grows with the age (`DENSE_FRACTION` of it, at
  least `MIN_GAP`): polls are dense where the end is likely and the delay after the change stays
  a small fraction of the operation's length. Up to ``latest`` (the longest plausible duration)
  gaps stay under `DENSE_CAP_SHARE` of ``cap``; slower than that, they reach ``cap`` and stay
  there: never worse than polling every ``cap``.
* Without history, polls go every ``cap`` from the start (after `PRIOR_EARLIEST` for a create).

When the caller promised a longest gap (an explicit ``poll_interval``), ``sparse`` is ``cap``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

__all__ = ["PollPlan", "expectation", "PRIOR_EARLIEST", "DENSE_FRACTION", "DENSE_CAP_SHARE",
           "MIN_GAP", "SPARSE_FACTOR"]

#: Where an operation is unlikely to be done, before anything was learned (server seconds).
#: Public facts only: Aura documents no durations; creating "takes minutes" (clients budget
#: 5-20 minutes for it), so half a minute is a safe first silence. Nothing for the others.
PRIOR_EARLIEST = {"create": 30.0}
#: Near the expected end, the gap between polls is this fraction of the operation's age.
DENSE_FRACTION = 0.2
#: Where history expects the end, gaps stay under this share of the longest gap.
DENSE_CAP_SHARE = 0.75
#: Shortest gap between two polls of one operation (server seconds).
MIN_GAP = 2.0
#: Before the expected end, gaps may reach this many times the longest dense gap.
SPARSE_FACTOR = 4.0


def expectation(durations: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The shortest and longest plausible durations (server seconds) given earlier ones
    (``(lo, hi)``: ended between lo and hi seconds after it began); ``None`` without any. The
    smallest and largest ``hi`` (what was seen for sure), widened by a margin that shrinks as
    observations accumulate (35% for one, 25% for nine): an operation faster than all before it
    brings the shortest down by a third."""
    if not durations:
        return None
    margin = 0.2 + 0.15 / math.sqrt(len(durations))
    ends = [hi for _, hi in durations]
    return (1.0 - margin) * min(ends), (1.0 + margin) * max(ends)


@dataclass(frozen=True)
class PollPlan:
    """The poll schedule of one operation; see the module docstring. ``learned`` is True when
    ``earliest`` comes from history (gaps then grow with the age)."""

    earliest: float
    cap: float
    sparse: float
    learned: bool = False
    latest: float = 0.0

    @classmethod
    def make(cls, kind: str | None, durations: Sequence[tuple[float, float]], cap: float,
             promised: bool = False) -> "PollPlan":
        """The plan for an operation of ``kind`` with these earlier ``durations``; ``cap`` is the
        longest dense gap, also the longest gap at all when ``promised``."""
        sparse = cap if promised else cap * SPARSE_FACTOR
        learned = expectation(durations)
        if learned is None:
            return cls(PRIOR_EARLIEST.get(kind or "", 0.0), cap, sparse)
        return cls(learned[0], cap, sparse, True, learned[1])

    def next_age(self, last: float | None) -> float:
        """The age at which to poll next, after a poll at age ``last`` (``None``: none yet)."""
        age = max(0.0, last or 0.0)
        if age < self.earliest:
            steps = (self.earliest - age) / self.sparse
            count = math.ceil(steps) if self.sparse <= self.cap else max(1, round(steps))
            return age + (self.earliest - age) / max(1, count)
        if not self.learned:
            return age + self.cap
        longest = self.cap * DENSE_CAP_SHARE if age < self.latest else self.cap
        return age + min(longest, max(MIN_GAP, DENSE_FRACTION * age))

"""Waiting for many instances under one request budget: the scheduler `Fleet` and its loop.

`wait_for_instances` spends status requests (``GET /v1/instances/{id}``, one per status: the
list has none) where they are likely to pay off, never faster than the client's pacing allows.
Learned durations (`DurationStore`) stand in for scouting when this kind of operation was seen
before, and every instance seen turning ready adds to them.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Protocol

from ..errors import (
    AuraError,
    InstanceStatusUnreachable,
    InstanceWaitError,
    InstanceWaitTimeout,
    WaitIncomplete,
)
from ..lifecycle import CREATING, RUNNING
from ..models import InstanceSummary
from .common import (
    DEFAULT_POLL_INTERVAL,
    JITTER_SAFETY,
    STALE_START,
    TRANSIENT,
    Pause,
    WaitClient,
    WaitProgress,
    fetch_instance,
    fresh_creation,
    judge,
    log,
    notify,
    sent_action,
)
from .learning import DurationStore
from .plan import expectation

__all__ = ["wait_for_instances", "Fleet", "Tracked"]


@dataclass
class Tracked:
    """What the scheduler knows about one instance (times in server seconds)."""

    id: str
    start: float | None
    kind: str | None = None  # the operation being waited for, when known (learned from)
    prompt: bool = False  # its start was just before the wait: "not yet" known at age 0
    polls: int = 0
    errors: int = 0
    last_poll: float | None = None
    last_not_ready: float | None = None
    status: str | None = None
    in_flight: bool = False


class Fleet:
    """The rule `wait_for_instances` follows (pure: no I/O, unit-testable).

    Each instance's transition ``start`` is its creation time when waiting for a create, else
    when this client sent the action (or when the wait began); its "age" is the time since then.
    A ready instance shows that its transition took at least its age at its last "not yet"
    answer (or, if its first answer was "ready", that age minus one interval); ``floor``, the
    smallest of these bounds, is the shortest transition seen: no instance is expected to be
    ready younger than that.

    1. Scout: until some instance is ready (and without ``expected_duration``, given or
       learned) only the oldest pending instance is polled: at once, then with gaps growing from 1 s (half its age) up to
       half the interval (``goal="all"``: every interval).
    2. Every other instance is polled first one interval after its age reaches ``floor`` (half
       an interval sooner while only one instance was seen ready: others may have turned ready
       before it), then every interval until it is ready.
    3. ``goal="each"``: all pending instances follow rule 2 at once, so each is reported within
       one interval of turning ready, unless it was quicker than every instance seen before it.
       ``goal="all"`` (provisioning a class: only the last report matters): at most
       ``concurrency`` instances are *watched* at a time (being polled, or not ready when last
       polled); the others wait their turn, oldest first. By then most of them are ready, so
       their one request finds them running, and once the slowest is ready the rest follow back to back:
       the wait ends about one interval after the last instance is ready.
    4. Polls go out earliest due first (ties: the oldest), at most ``concurrency`` at a time and
       never faster than the client's pacing. Intervals are ``JITTER_SAFETY`` times the promised
       one, to absorb timing noise.
    5. ``promised_since`` (the server time the wait began, given when the caller named the
       interval, as ``AURA_POLL_INTERVAL`` does): as a single wait does, the wait never stays
       silent longer than one interval, however long history or ``expected_duration`` says the
       operations take: when rules 1-4 would send nothing for longer, the instance they would
       poll next (if any may be polled) is polled one interval after the last answer. Each
       answer also tells the server's clock anew.
    """

    def __init__(self, tracked: Iterable[Tracked], interval: float,
                 expected_duration: float | None = None, goal: str = "each",
                 concurrency: int = 4, promised_since: float | None = None) -> None:
        if goal not in ("each", "all"):
            raise ValueError("goal must be 'each' or 'all'")
        self.goal = goal
        #: rule 5: server time of the last answer (at first, of the start); ``None``: no promise
        self.heard = promised_since
        self.concurrency = max(1, int(concurrency))
        self.pending: dict[str, Tracked] = {t.id: t for t in tracked}
        # Aim a little under the promised interval: the Date header has whole seconds and a poll
        # leaves a moment after it is due.
        self.interval = interval * JITTER_SAFETY
        self.lower_bounds: list[float] = []
        #: ``(kind, lo, hi)``: an operation ended between lo and hi seconds after it began.
        self.observed: list[tuple[str, float, float]] = []
        self.seen_ready = 0
        if expected_duration is not None:
            self.lower_bounds.append(max(0.0, expected_duration - interval))

    @property
    def floor(self) -> float | None:
        """Shortest transition time considered possible, or ``None`` while still scouting."""
        return min(self.lower_bounds) if self.lower_bounds else None

    def scout(self) -> Tracked | None:
        known = [t for t in self.pending.values() if t.start is not None]
        if not known:
            return None
        return min(known, key=lambda t: (t.start, t.id))

    def watched(self) -> int:
        """Pending instances already polled (or being polled) that are not ready yet."""
        return sum(1 for t in self.pending.values() if t.in_flight or t.last_poll is not None)

    def due(self, item: Tracked, now: float, watched: int = 0) -> float:
        """Server time at which ``item`` should be polled next (``inf``: not yet its turn)."""
        if item.start is None:
            return now if item.last_poll is None else item.last_poll + self.interval
        floor = self.floor
        if floor is None:  # rule 1
            if item is not self.scout():
                return float("inf")
            if item.last_poll is None:
                return now
            if self.goal == "all":
                return item.last_poll + self.interval
            age = item.last_poll - item.start
            return item.last_poll + min(self.interval / 2, max(1.0, 0.5 * age))
        if item.last_poll is None and self.goal == "all" and watched >= self.concurrency:
            return float("inf")  # rule 3: wait for a watched instance to be ready
        first = item.start + floor + self.interval  # rule 2
        if self.seen_ready == 1:
            first -= self.interval / 2
        return first if item.last_poll is None else max(first, item.last_poll + self.interval)

    def next(self, now: float) -> tuple[Tracked, float] | None:
        """The pending instance (not being polled already) to poll next, and when (server
        time); ``None`` when every pending instance is being polled."""
        watched = self.watched()
        best: tuple[float, float, str] | None = None
        chosen = None
        for item in self.pending.values():
            if item.in_flight:
                continue
            rank = (self.due(item, now, watched),
                    item.start if item.start is not None else now, item.id)
            if best is None or rank < best:
                best, chosen = rank, item
        if chosen is None:
            return None
        due = best[0]  # type: ignore[index]
        if self.heard is not None and due != float("inf"):  # rule 5
            due = min(due, self.heard + self.interval)
        return chosen, due

    def observe(self, item: Tracked, now: float, status: str | None, ready: bool) -> None:
        """Record an answer (``status`` ``None``: the poll failed) for ``item`` at ``now``."""
        item.in_flight = False
        if self.heard is not None:
            self.heard = max(self.heard, now)
        item.polls += 1
        item.last_poll = now
        item.status = status
        if ready:
            self.seen_ready += 1
            if item.start is not None:
                if item.last_not_ready is not None:
                    bound = item.last_not_ready - item.start
                else:
                    bound = now - item.start - self.interval
                self.lower_bounds.append(max(0.0, bound))
                if item.kind is not None and (item.last_not_ready is not None or item.prompt):
                    lo = 0.0 if item.last_not_ready is None else item.last_not_ready - item.start
                    self.observed.append((item.kind, max(0.0, lo), now - item.start))
        elif status is not None:
            item.last_not_ready = now


def _list_or_none(client: WaitClient) -> list[InstanceSummary] | None:
    try:
        return client.list_instances()
    except AuraError as exc:  # the polls will fill in what the list would have told
        log.info("could not list instances for their creation times (%s)", exc)
        return None


class Identified(Protocol):
    """An instance as `wait_for_instances` accepts it besides its id (`CreatedInstance`,
    `InstanceSummary`, `Instance`)."""

    id: str
    created_at: str | None


def _tracked(client: WaitClient, ids: list[str | Identified], created_at: Mapping[str, Any] | None,
             target: str, interval: float) -> list[Tracked]:
    """Each instance with when and how its transition began (server time), where known."""
    listed = None
    if not client.server_clock_known:
        # Server time is read from answers: a client that has not had one yet asks once.
        listed = _list_or_none(client)
    now = client.server_now()
    items: dict[str, Tracked] = {}
    for entry in ids:
        key = entry if isinstance(entry, str) else entry.id
        sent = sent_action(client, key, target)
        if sent is not None:
            items[key] = Tracked(key, sent[1], sent[0], now - sent[1] <= 2 * interval)
        elif target != RUNNING:
            items[key] = Tracked(key, now)
        else:
            stamp = (created_at or {}).get(key)
            if stamp is None and not isinstance(entry, str):
                stamp = entry.created_at
            start = fresh_creation(stamp, now)
            items[key] = Tracked(key, start, "create" if start is not None else None)
    if any(t.start is None for t in items.values()):
        for summary in (listed if listed is not None else _list_or_none(client)) or ():
            item = items.get(summary.id)
            if item is not None and item.start is None:
                item.start = fresh_creation(summary.created_at, now)
                item.kind = "create" if item.start is not None else None
    for item in items.values():
        if item.start is not None and now - item.start > STALE_START:
            item.start, item.kind = now, None
    return list(items.values())


def wait_for_instances(
    client: WaitClient,
    ids: Iterable[str | Identified],
    status: str = "running",
    timeout: float = 1800,
    on_progress: Callable[[WaitProgress], None] | None = None,
    *,
    poll_interval: float | None = None,
    created_at: Mapping[str, Any] | None = None,
    expected_duration: float | None = None,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    max_errors: int = 3,
    raise_on_failure: bool = True,
    goal: str = "each",
    concurrency: int = 4,
    durations: DurationStore | None = None,
) -> dict[str, Any]:
    """Wait until every instance has ``status`` and return ``{id: Instance}`` (``None`` values
    for ``status="deleted"``), spending status requests (``GET /v1/instances/{instanceId}``, one
    per status: the list has none) where they are likely to pay off, never faster than the
    client's pacing allows.

    ``ids``: instance ids, or objects with ``id`` and ``created_at`` (``CreatedInstance``,
    ``InstanceSummary``). For a create, creation times come from those, from ``created_at``
    (id -> RFC 3339 string or datetime), else from one ``GET /v1/instances``.
    ``expected_duration``: the shortest transition time you expect, in server seconds; it
    replaces scouting. By default it comes from how long this kind of operation took before for
    this API (``durations``, default `DurationStore` of the client's base URL), when all the
    instances are in the same kind of operation and it was seen before; what this wait sees is
    added to that history. ``poll_interval`` (real seconds; default 10 server seconds;
    `AuraClient.wait_for_instances` passes the client's ``poll_interval``, i.e.
    ``AURA_POLL_INTERVAL``, when none is named); once named, the wait is never silent longer
    than that, as a single wait is not (`Fleet` rule 5). With ``goal="each"`` every instance is
    reported at most this long after it turned ready, provided it did not turn ready faster than every instance seen before it;
    with ``goal="all"`` only the last one is, and far fewer requests are spent (provisioning a
    class). ``concurrency``: status requests in flight at once (and, with ``goal="all"``,
    instances watched at once). Choose an interval of at least ``len(ids) * 60 / rate_limit``
    server seconds so the budget keeps up. ``on_progress``, ``cancel``, ``sleep``, ``clock``,
    ``max_errors`` as in `wait_for_instance`. The rule is described in `Fleet`;
    ``benchmarks/waiting.py`` measures it.

    Raises `WaitIncomplete` (with ``ready`` and ``failures``) when some instances failed or
    timed out (unless ``raise_on_failure=False``: then they are left out of the result),
    `WaitCancelled` (its ``ready`` attribute holds what was ready) when cancelled, ``ValueError``
    for an unknown ``goal``."""
    entries = list(ids)
    if not entries:
        return {}
    speed = client.speed
    interval = (poll_interval * speed) if poll_interval is not None else DEFAULT_POLL_INTERVAL
    tracked = _tracked(client, entries, created_at, status, interval)
    store = durations if durations is not None else DurationStore(client.base_url)
    kinds = {t.kind for t in tracked}
    kind = kinds.pop() if len(kinds) == 1 else None
    if expected_duration is None and kind is not None:
        learned = expectation(store.durations(kind))
        # expected_duration is "shortest expected"; Fleet takes one interval off it
        expected_duration = None if learned is None else learned[0] + interval
    fleet = Fleet(tracked, interval, expected_duration, goal, concurrency,
                  promised_since=None if poll_interval is None else client.server_now())
    results: dict[str, Any] = {}
    failures: dict[str, InstanceWaitError] = {}
    pause = Pause(cancel, sleep, "", status, results)
    start = clock()

    def finish(item: Tracked, error: InstanceWaitError | None, value: Any, elapsed: float,
               message: str = "") -> None:
        fleet.pending.pop(item.id, None)
        if error is None:
            results[item.id] = value
        else:
            failures[item.id] = error
        notify(on_progress, WaitProgress(item.id, item.status, elapsed, item.polls, True,
                                          status, message))

    flying: dict[Future, Tracked] = {}  # polls sent from the pool, not answered yet
    pool = ThreadPoolExecutor(max_workers=fleet.concurrency, thread_name_prefix="aura_nb-wait")
    try:
        while fleet.pending:
            pause.check()
            elapsed = clock() - start
            if elapsed >= timeout:
                for item in list(fleet.pending.values()):
                    message = (f"gave up waiting for instance {item.id} to be {status!r} after "
                               f"{elapsed:.0f} s ({item.polls} status requests); last status "
                               f"{item.status!r}")
                    finish(item, InstanceWaitTimeout(message, instance_id=item.id,
                                                     status=item.status, target=status),
                           None, elapsed, message)
                break
            now = client.server_now()
            choice = fleet.next(now)
            rest = timeout - elapsed  # real seconds until the next thing to do
            if choice is not None and len(flying) < fleet.concurrency:
                item, due = choice
                rest = min(rest, (due - now) / speed)
                if rest <= 0:
                    rest = client.pacer.delay()
                    if rest <= 0:  # else wait for the slot, then pick again: another may be riper
                        item.in_flight = True
                        flying[pool.submit(fetch_instance, client, item.id)] = item
                        continue
            if not flying:
                pause(rest)
                continue
            # Wait for the next thing to do, or an answer (it may change the plan).
            answered, _ = futures_wait(flying, timeout=rest, return_when=FIRST_COMPLETED)
            for future in answered:
                _record(client, fleet, flying.pop(future), future, status, finish,
                        clock() - start, max_errors, on_progress)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        _learn(store, fleet, client.server_now())

    if failures and raise_on_failure:
        shown = "; ".join(str(e) for e in list(failures.values())[:3])
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise WaitIncomplete(
            f"{len(failures)} of {len(entries)} instances did not reach {status!r}: {shown}{more}",
            ready=results, failures=failures, target=status)
    return results


def _learn(store: DurationStore, fleet: Fleet, now: float) -> None:
    """Add the durations the fleet saw closely enough to the history, per kind."""
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for kind, lo, hi in fleet.observed:
        by_kind.setdefault(kind, []).append((lo, hi))
    for kind, observed in by_kind.items():
        store.record(kind, observed, now)


def _record(client: WaitClient, fleet: Fleet, item: Tracked, future: Future, target: str,
            finish: Callable[..., None], elapsed: float, max_errors: int,
            on_progress: Callable[[WaitProgress], None] | None) -> None:
    """Take in the answer to one poll sent by `wait_for_instances`."""
    try:
        seen, value = future.result()
    except TRANSIENT as exc:
        item.errors += 1
        fleet.observe(item, client.server_now(), None, False)
        if item.errors > max_errors:
            finish(item, InstanceWaitError(
                f"polling instance {item.id} failed {item.errors} times in a row: {exc}",
                instance_id=item.id, status=item.status, target=target), None, elapsed)
        return
    except AuraError as exc:  # refused (403...): asking again will not help; the rest go on
        fleet.observe(item, client.server_now(), None, False)
        finish(item, InstanceWaitError(f"polling instance {item.id} failed: {exc}",
                                       instance_id=item.id, status=item.status, target=target),
               None, elapsed)
        return
    item.errors = 0
    now = client.server_now()
    if item.start is None and value is not None:
        item.start = fresh_creation(value.created_at, now)
        item.kind = "create" if item.start is not None and seen == CREATING else None
        item.start = now if item.start is None else item.start
    fleet.observe(item, now, seen, seen == target)
    if seen == target:
        finish(item, None, value, elapsed)
        return
    why = judge(client, item.id, seen, target)
    if why:
        finish(item, InstanceStatusUnreachable(why, instance_id=item.id, status=seen,
                                               target=target), None, elapsed, why)
        return
    notify(on_progress, WaitProgress(item.id, seen, elapsed, item.polls, False, target))

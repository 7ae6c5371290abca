"""Waiting for instances and snapshots: polling with capped backoff, and a scheduler for many.

Aura's lifecycle calls are asynchronous: they answer at once with a transitional status
(``creating``, ``pausing``...) and the client polls ``GET /v1/instances/{id}`` until the status
it wants. Everything here goes through the client, so polls are paced and counted like any
other request.

Times: ``timeout`` and ``poll_interval`` are *real* seconds (what you wait in front of the
screen). Instance timestamps and learned durations are *server* seconds, read from the API's
``created_at`` and ``Date``; the client's ``speed`` converts between the two (1 for the real API,
the speed factor of a simulator).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .errors import (
    AuraError,
    InstanceStatusUnreachable,
    InstanceWaitError,
    InstanceWaitTimeout,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    WaitCancelled,
    WaitIncomplete,
)
from .lifecycle import ACTIONS, can_reach
from .models import parse_timestamp

__all__ = [
    "WaitProgress",
    "wait_for_instance",
    "wait_for_instances",
    "wait_for_snapshot",
    "DEFAULT_POLL_INTERVAL",
]

log = logging.getLogger("aura_nb")

#: Default longest gap between two status requests for one instance, in server seconds.
DEFAULT_POLL_INTERVAL = 10.0
#: `wait_for_instances` schedules polls this fraction of the interval apart, to keep its promise.
JITTER_SAFETY = 0.9

#: The word waiting uses for "gone" (``GET`` answers 404); the API has no such status.
GONE = "deleted"
_TRANSIENT = (TransportError, ServerError, RateLimited)


@dataclass(frozen=True)
class WaitProgress:
    """One progress event: ``instance_id``, the ``status`` just seen (``None`` if the poll
    failed), real seconds ``elapsed`` since the wait began, status requests (``polls``) spent on
    this instance, and ``done`` (True on the last event for that instance)."""

    instance_id: str
    status: str | None
    elapsed: float
    polls: int
    done: bool
    target: str = "running"
    message: str = ""


def _api(status: str | None) -> str | None:
    """Waiting's status word as `aura_nb.lifecycle` writes it (gone is ``None`` there)."""
    return None if status == GONE else status


def _unreachable_message(instance_id: str, status: str, target: str) -> str:
    if status == "deleted":
        return f"instance {instance_id} no longer exists (404), so it will never be {target}"
    hint = {
        ("paused", "running"): "; resume it with client.resume_instance()",
        ("suspended", "running"): "; resume it with client.resume_instance()",
        ("pausing", "running"): "; wait for paused, then resume it",
        ("running", "paused"): "; pause it with client.pause_instance()",
        ("loading failed", "running"): "; check the data load in the Aura console",
    }.get((status, target), "")
    return f"instance {instance_id} is {status!r} and cannot become {target!r} on its own{hint}"


class _Pause:
    """Sleeps that wake up early when ``cancel`` is set, and raise `WaitCancelled` then."""

    def __init__(self, cancel: threading.Event | None, sleep: Callable[[float], None] | None,
                 instance_id: str = "", target: str = "",
                 ready: Mapping[str, Any] | None = None) -> None:
        self.cancel = cancel
        self.sleep = sleep
        self.instance_id = instance_id
        self.target = target
        self.ready = ready  # what a many-instance wait has seen ready so far (read when raising)

    def check(self, status: str | None = None) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise WaitCancelled(
                f"waiting for {self.instance_id or 'the instances'} to be {self.target} was "
                "cancelled", instance_id=self.instance_id, status=status, target=self.target,
                ready=self.ready)

    def __call__(self, seconds: float, status: str | None = None) -> None:
        if seconds > 0:
            if self.sleep is not None:
                self.sleep(seconds)
            elif self.cancel is not None:
                self.cancel.wait(seconds)
            else:
                time.sleep(seconds)
        self.check(status)


def _judge(client: Any, instance_id: str, status: str, target: str) -> str | None:
    """``None`` to keep waiting, else why the target cannot come."""
    if status == target or can_reach(_api(status), _api(target)):
        return None
    action = client.actions.recent(instance_id)
    if action and _api(ACTIONS[action].target) == _api(target) and status != GONE:
        return None  # the action we sent may not show in GET yet
    return _unreachable_message(instance_id, status, target)


def _notify(on_progress: Callable[[WaitProgress], None] | None, event: WaitProgress) -> None:
    if on_progress is None:
        return
    try:
        on_progress(event)
    except Exception:  # a broken progress display must not break the wait
        log.exception("on_progress callback failed")


def _poll_until(fetch: Callable[[], tuple[str, Any]], *, label: str, key: str, target: str,
                judge: Callable[[str], str | None], timeout: float,
                on_progress: Callable[[WaitProgress], None] | None, cap: float, first: float,
                cancel: threading.Event | None, sleep: Callable[[float], None] | None,
                clock: Callable[[], float], max_errors: int) -> Any:
    """Poll ``fetch`` with capped exponential backoff until ``judge`` says done or never."""
    pause = _Pause(cancel, sleep, key, target)
    start = clock()
    interval = first
    polls = errors = 0
    status: str | None = None
    while True:
        pause.check(status)
        try:
            status, value = fetch()
            polls += 1
            errors = 0
        except _TRANSIENT as exc:
            polls += 1
            errors += 1
            if errors > max_errors:
                raise
            log.info("polling %s failed (%s); trying again", label, type(exc).__name__)
            value = None
        elapsed = clock() - start
        if value is not None or status == "deleted":
            if status == target:
                _notify(on_progress, WaitProgress(key, status, elapsed, polls, True, target))
                return value
            why = judge(status)  # type: ignore[arg-type]
            if why:
                _notify(on_progress, WaitProgress(key, status, elapsed, polls, True, target, why))
                raise InstanceStatusUnreachable(why, instance_id=key, status=status,
                                                target=target)
        _notify(on_progress, WaitProgress(key, status, elapsed, polls, False, target))
        if elapsed >= timeout:
            message = (f"gave up waiting for {label} to be {target!r} after {elapsed:.0f} s "
                       f"({polls} status requests); last status {status!r}")
            _notify(on_progress, WaitProgress(key, status, elapsed, polls, True, target, message))
            raise InstanceWaitTimeout(message, instance_id=key, status=status, target=target)
        pause(min(interval, max(0.0, timeout - elapsed)), status)
        interval = min(cap, interval * 1.5)


def _fetch_instance(client: Any, instance_id: str) -> tuple[str, Any]:
    """``(status, Instance)`` from ``GET /v1/instances/{instanceId}``; ``("deleted", None)``
    once the instance is gone (404)."""
    try:
        instance = client.get_instance(instance_id)
    except NotFound:
        return "deleted", None
    return instance.status, instance


def wait_for_instance(
    client: Any,
    instance_id: str,
    status: str = "running",
    timeout: float = 1200,
    on_progress: Callable[[WaitProgress], None] | None = None,
    *,
    poll_interval: float | None = None,
    first_interval: float | None = None,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    max_errors: int = 3,
) -> Any:
    """Poll ``GET /v1/instances/{instanceId}`` until the instance is ``status`` and return it.

    Intervals start at ``first_interval`` (default 1 server second) and grow by 1.5x up to
    ``poll_interval`` (default 10 server seconds), in real seconds. ``status="deleted"`` waits
    until the instance is gone and returns ``None``. ``on_progress`` gets a `WaitProgress` after
    every poll; setting ``cancel`` (a ``threading.Event``) stops the wait. Up to ``max_errors``
    failed polls in a row (connection problems, 5xx, 429) are tolerated.

    Raises `InstanceStatusUnreachable` at once when the status cannot come (``loading failed``;
    ``destroying`` or gone when waiting for running; ``paused`` without a resume sent by this
    client...), `InstanceWaitTimeout` with the last status after ``timeout`` real seconds,
    `WaitCancelled`."""
    speed = getattr(client, "speed", 1.0)
    cap = poll_interval if poll_interval is not None else DEFAULT_POLL_INTERVAL / speed
    cap *= JITTER_SAFETY  # aim under the promised gap: a poll leaves a moment after it is due
    first = min(cap, first_interval if first_interval is not None else 1.0 / speed)

    return _poll_until(
        lambda: _fetch_instance(client, instance_id), label=f"instance {instance_id}",
        key=instance_id, target=status,
        judge=lambda seen: _judge(client, instance_id, seen, status), timeout=timeout,
        on_progress=on_progress, cap=cap, first=first, cancel=cancel, sleep=sleep, clock=clock,
        max_errors=max_errors)


def wait_for_snapshot(
    client: Any,
    instance_id: str,
    snapshot_id: str,
    timeout: float = 600,
    on_progress: Callable[[WaitProgress], None] | None = None,
    *,
    poll_interval: float | None = None,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    max_errors: int = 3,
) -> Any:
    """Poll ``GET /v1/instances/{instanceId}/snapshots/{snapshotId}`` until ``Completed`` and
    return the `Snapshot`. Options as for `wait_for_instance` (progress events carry the
    snapshot id). Raises `InstanceStatusUnreachable` for ``Failed``/``Cancelled``, `NotFound`
    for an unknown snapshot, `InstanceWaitTimeout`, `WaitCancelled`."""
    speed = getattr(client, "speed", 1.0)
    cap = poll_interval if poll_interval is not None else DEFAULT_POLL_INTERVAL / speed

    def fetch() -> tuple[str, Any]:
        snapshot = client.get_snapshot(instance_id, snapshot_id)
        return snapshot.status, snapshot

    def judge(seen: str) -> str | None:
        if seen in ("Failed", "Cancelled"):
            return f"snapshot {snapshot_id} of instance {instance_id} is {seen}; take a new one"
        return None

    return _poll_until(
        fetch, label=f"snapshot {snapshot_id}", key=snapshot_id, target="Completed", judge=judge,
        timeout=timeout, on_progress=on_progress, cap=cap, first=min(cap, 1.0 / speed),
        cancel=cancel, sleep=sleep, clock=clock, max_errors=max_errors)


# --- many instances under one budget ---------------------------------------------------------

@dataclass
class _Tracked:
    """What the scheduler knows about one instance (times in server seconds)."""

    id: str
    start: float | None
    polls: int = 0
    errors: int = 0
    last_poll: float | None = None
    last_not_ready: float | None = None
    status: str | None = None
    in_flight: bool = False


class _Fleet:
    """The rule `wait_for_instances` follows (pure: no I/O, unit-testable).

    Each instance's transition ``start`` is its creation time when waiting for a create, else
    when this client sent the action (or when the wait began); its "age" is the time since then.
    A ready instance shows that its transition took at least its age at its last "not yet"
    answer (or, if its first answer was "ready", that age minus one interval); ``floor``, the
    smallest of these bounds, is the shortest transition seen: no instance is expected to be
    ready younger than that.

    1. Scout: until some instance is ready (and without ``expected_duration``) only the oldest
       pending instance is polled: at once, then with gaps growing from 1 s (half its age) up to
       half the interval (``goal="all"``: every interval).
    2. Every other instance is polled first one interval after its age reaches ``floor`` (half
       an interval sooner while only one instance was seen ready: others may have turned ready
       before it), then every interval until it is ready.
    3. ``goal="each"``: all pending instances follow rule 2 at once, so each is reported within
       one interval of turning ready, unless it was quicker than every instance seen before it.
       ``goal="all"`` (provisioning a class: only the last report matters): at most
       ``concurrency`` instances are *watched* at a time (being polled, or not ready when last
       polled); the others wait their turn, oldest first. By then most of them are ready, so their one
       request finds them running, and once the slowest is ready the rest follow back to back:
       the wait ends about one interval after the last instance is ready.
    4. Polls go out earliest due first (ties: the oldest), at most ``concurrency`` at a time and
       never faster than the client's pacing. Intervals are ``JITTER_SAFETY`` times the promised
       one, to absorb timing noise.
    """

    def __init__(self, tracked: Iterable[_Tracked], interval: float,
                 expected_duration: float | None = None, goal: str = "each",
                 concurrency: int = 4) -> None:
        if goal not in ("each", "all"):
            raise ValueError("goal must be 'each' or 'all'")
        self.goal = goal
        self.concurrency = max(1, int(concurrency))
        self.pending: dict[str, _Tracked] = {t.id: t for t in tracked}
        # Aim a little under the promised interval: the Date header has whole seconds and a poll
        # leaves a moment after it is due.
        self.interval = interval * JITTER_SAFETY
        self.lower_bounds: list[float] = []
        self.seen_ready = 0
        if expected_duration is not None:
            self.lower_bounds.append(max(0.0, expected_duration - interval))

    @property
    def floor(self) -> float | None:
        """Shortest transition time considered possible, or ``None`` while still scouting."""
        return min(self.lower_bounds) if self.lower_bounds else None

    def scout(self) -> _Tracked | None:
        known = [t for t in self.pending.values() if t.start is not None]
        if not known:
            return None
        return min(known, key=lambda t: (t.start, t.id))

    def watched(self) -> int:
        """Pending instances already polled (or being polled) that are not ready yet."""
        return sum(1 for t in self.pending.values() if t.in_flight or t.last_poll is not None)

    def due(self, item: _Tracked, now: float, watched: int = 0) -> float:
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

    def next(self, now: float) -> tuple[_Tracked, float] | None:
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
        return None if chosen is None else (chosen, best[0])  # type: ignore[index]

    def observe(self, item: _Tracked, now: float, status: str | None, ready: bool) -> None:
        """Record an answer (``status`` ``None``: the poll failed) for ``item`` at ``now``."""
        item.in_flight = False
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
        elif status is not None:
            item.last_not_ready = now


#: A "running" wait treats instances created longer ago than this (server seconds) as being
#: resumed or updated, not created: their transition is timed from the start of the wait.
STALE_CREATION = 1800.0


def _list_or_none(client: Any) -> list[Any] | None:
    try:
        return client.list_instances()
    except AuraError as exc:  # the polls will fill in what the list would have told
        log.info("could not list instances for their creation times (%s)", exc)
        return None


def _start_times(client: Any, ids: list[Any], created_at: Mapping[str, Any] | None,
                 target: str) -> dict[str, float | None]:
    """When each instance's transition began (server time), ``None`` where unknown yet."""
    listed = None
    if not getattr(client, "server_clock_known", True):
        # Server time is read from answers: a client that has not had one yet asks once.
        listed = _list_or_none(client)
    now = client.server_now()
    starts: dict[str, float | None] = {}
    for entry in ids:
        key = entry if isinstance(entry, str) else getattr(entry, "id", str(entry))
        action = client.actions.last(key)
        if action and _api(ACTIONS[action[0]].target) == _api(target) and action[1]:
            starts[key] = action[1]
            continue
        if target != "running":
            starts[key] = now
            continue
        stamp = parse_timestamp((created_at or {}).get(key))
        if stamp is None and not isinstance(entry, str):
            stamp = parse_timestamp(getattr(entry, "created_at", None))
        starts[key] = stamp.timestamp() if stamp else None
    if any(v is None for v in starts.values()):
        for summary in (listed if listed is not None else _list_or_none(client)) or ():
            if summary.id in starts and starts[summary.id] is None:
                stamp = parse_timestamp(summary.created_at)
                starts[summary.id] = stamp.timestamp() if stamp else None
    for key, start in starts.items():
        if start is not None and now - start > STALE_CREATION:
            starts[key] = now
    return starts


def wait_for_instances(
    client: Any,
    ids: Iterable[Any],
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
) -> dict[str, Any]:
    """Wait until every instance has ``status`` and return ``{id: Instance}`` (``None`` values
    for ``status="deleted"``), spending status requests (``GET /v1/instances/{instanceId}``, one
    per status: the list has none) where they are likely to pay off, never faster than the
    client's pacing allows.

    ``ids``: instance ids, or objects with ``id`` and ``created_at`` (``CreatedInstance``,
    ``InstanceSummary``). For a create, creation times come from those, from ``created_at``
    (id -> RFC 3339 string or datetime), else from one ``GET /v1/instances``.
    ``expected_duration``: the shortest transition time you expect, in server seconds (for
    example from an earlier run); it replaces scouting. ``poll_interval`` (real seconds; default
    10 server seconds): with ``goal="each"`` every instance is reported at most this long after
    it turned ready, provided it did not turn ready faster than every instance seen before it;
    with ``goal="all"`` only the last one is, and far fewer requests are spent (provisioning a
    class). ``concurrency``: status requests in flight at once (and, with ``goal="all"``,
    instances watched at once). Choose an interval of at least ``len(ids) * 60 / rate_limit``
    server seconds so the budget keeps up. ``on_progress``, ``cancel``, ``sleep``, ``clock``,
    ``max_errors`` as in `wait_for_instance`. The rule is described in `_Fleet`;
    ``benchmarks/waiting.py`` measures it.

    Raises `WaitIncomplete` (with ``ready`` and ``failures``) when some instances failed or
    timed out (unless ``raise_on_failure=False``: then they are left out of the result),
    `WaitCancelled` (its ``ready`` attribute holds what was ready) when cancelled, ``ValueError``
    for an unknown ``goal``."""
    entries = list(ids)
    if not entries:
        return {}
    speed = float(getattr(client, "speed", 1.0))
    interval = (poll_interval * speed) if poll_interval is not None else DEFAULT_POLL_INTERVAL
    starts = _start_times(client, entries, created_at, status)
    fleet = _Fleet((_Tracked(i, c) for i, c in starts.items()), interval, expected_duration,
                   goal, concurrency)
    results: dict[str, Any] = {}
    failures: dict[str, InstanceWaitError] = {}
    pause = _Pause(cancel, sleep, "", status, results)
    start = clock()

    def finish(item: _Tracked, error: InstanceWaitError | None, value: Any, elapsed: float,
               message: str = "") -> None:
        fleet.pending.pop(item.id, None)
        if error is None:
            results[item.id] = value
        else:
            failures[item.id] = error
        _notify(on_progress, WaitProgress(item.id, item.status, elapsed, item.polls, True,
                                          status, message))

    flying: dict[Future, _Tracked] = {}  # polls sent from the pool, not answered yet
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
                    rest = client.pacer.delay() if hasattr(client, "pacer") else 0.0
                    if rest <= 0:  # else wait for the slot, then pick again: another may be riper
                        item.in_flight = True
                        flying[pool.submit(_fetch_instance, client, item.id)] = item
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

    if failures and raise_on_failure:
        shown = "; ".join(str(e) for e in list(failures.values())[:3])
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise WaitIncomplete(
            f"{len(failures)} of {len(entries)} instances did not reach {status!r}: {shown}{more}",
            ready=results, failures=failures, target=status)
    return results


def _record(client: Any, fleet: _Fleet, item: _Tracked, future: Future, target: str,
            finish: Callable[..., None], elapsed: float, max_errors: int,
            on_progress: Callable[[WaitProgress], None] | None) -> None:
    """Take in the answer to one poll sent by `wait_for_instances`."""
    try:
        seen, value = future.result()
    except _TRANSIENT as exc:
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
        stamp = parse_timestamp(value.created_at)
        fresh = stamp is not None and now - stamp.timestamp() < STALE_CREATION
        item.start = stamp.timestamp() if fresh else now
    fleet.observe(item, now, seen, seen == target)
    if seen == target:
        finish(item, None, value, elapsed)
        return
    why = _judge(client, item.id, seen, target)
    if why:
        finish(item, InstanceStatusUnreachable(why, instance_id=item.id, status=seen,
                                               target=target), None, elapsed, why)
        return
    _notify(on_progress, WaitProgress(item.id, seen, elapsed, item.polls, False, target))

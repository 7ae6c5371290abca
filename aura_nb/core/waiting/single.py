"""Waiting for one instance or one snapshot: poll on a learned schedule until it is there.

Aura's lifecycle calls are asynchronous: they answer at once with a transitional status
(``creating``, ``pausing``...) and the client polls ``GET /v1/instances/{id}`` until the status
it wants. Every poll goes through the client, so it is paced and counted like any other request.
When this client sent the action (or the instance was just created), the wait knows when the
operation began and what kind it is: it polls on a `PollPlan` built from how long that kind took
before (`DurationStore`), and adds what it saw to that history.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import InstanceStatusUnreachable, InstanceWaitTimeout
from ..lifecycle import CREATING, RUNNING
from ..models import Instance, Snapshot
from .common import (
    DEFAULT_GAP,
    GONE,
    JITTER_SAFETY,
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
from .plan import PollPlan

__all__ = ["wait_for_instance", "wait_for_snapshot"]


@dataclass
class Operation:
    """What one wait knows of the operation it waits for (server seconds): its ``kind``
    (``None``: unknown, nothing is learned), when it ``began``, the age of the last poll
    (``last_age``; the first "done" answer once it came) and of the last "not yet" answer
    (``not_yet``; ``None`` when unknown, as for a wait begun long after its action)."""

    kind: str | None
    began: float
    plan: PollPlan
    last_age: float | None = None
    not_yet: float | None = None

    @classmethod
    def unknown(cls, began: float, cap: float, promised: bool) -> "Operation":
        """An operation of unknown kind, seen from ``began``: polled on the unlearned plan."""
        return cls(None, began, PollPlan.make(None, [], cap, promised))

    def observed(self) -> tuple[float, float] | None:
        """``(lo, hi)`` when the operation's end was seen closely enough to learn from."""
        if self.kind is None or self.last_age is None or self.not_yet is None:
            return None
        return self.not_yet, self.last_age


def _cap(client: WaitClient, poll_interval: float | None) -> tuple[float, bool]:
    """The longest gap in server seconds, and whether the caller promised it."""
    if poll_interval is None:
        return DEFAULT_GAP, False
    return poll_interval * client.speed * JITTER_SAFETY, True


def _poll_until(client: WaitClient, fetch: Callable[[], tuple[str, Any]], operation: Operation,
                *, poll_now: bool, label: str, key: str, target: str,
                verdict: Callable[[str], str | None], timeout: float,
                on_progress: Callable[[WaitProgress], None] | None,
                cancel: threading.Event | None, sleep: Callable[[float], None] | None,
                clock: Callable[[], float], max_errors: int,
                learn: Callable[[Operation], None] | None = None) -> Any:
    """Poll ``fetch`` on ``operation``'s plan until ``verdict`` says done or never; at once
    first when ``poll_now`` (the status is not known yet)."""
    pause = Pause(cancel, sleep, key, target)
    start = clock()
    polls = errors = 0
    status: str | None = None
    planned = 0.0
    while True:
        if not poll_now:
            planned = operation.plan.next_age(operation.last_age)
            wait = (operation.began + planned - client.server_now()) / client.speed
            pause(min(wait, max(0.0, timeout - (clock() - start))), status)
        poll_now = False
        pause.check(status)
        try:
            status, value = fetch()
            errors = 0
        except TRANSIENT as exc:
            errors += 1
            if errors > max_errors:
                raise
            log.info("polling %s failed (%s); trying again", label, type(exc).__name__)
            value = None
        polls += 1
        elapsed = clock() - start
        # The age this poll was planned for, unless it went late: the server clock is an
        # estimate (whole-second Date headers), and a poll a moment early must not be redone.
        operation.last_age = max(planned, client.server_now() - operation.began)
        if value is not None or status == GONE:
            if status == target:
                if learn is not None:
                    learn(operation)
                notify(on_progress, WaitProgress(key, status, elapsed, polls, True, target))
                return value
            operation.not_yet = operation.last_age
            why = verdict(status)  # type: ignore[arg-type]
            if why:
                notify(on_progress, WaitProgress(key, status, elapsed, polls, True, target, why))
                raise InstanceStatusUnreachable(why, instance_id=key, status=status,
                                                target=target)
        notify(on_progress, WaitProgress(key, status, elapsed, polls, False, target))
        if elapsed >= timeout:
            message = (f"gave up waiting for {label} to be {target!r} after {elapsed:.0f} s "
                       f"({polls} status requests); last status {status!r}")
            notify(on_progress, WaitProgress(key, status, elapsed, polls, True, target, message))
            raise InstanceWaitTimeout(message, instance_id=key, status=status, target=target)


def wait_for_instance(
    client: WaitClient,
    instance_id: str,
    status: str = "running",
    timeout: float = 1200,
    on_progress: Callable[[WaitProgress], None] | None = None,
    *,
    poll_interval: float | None = None,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    max_errors: int = 3,
    durations: DurationStore | None = None,
) -> Instance | None:
    """Poll ``GET /v1/instances/{instanceId}`` until the instance is ``status`` and return it.

    When this client just sent the action (or the instance was just created) the first poll
    waits until the operation could plausibly be done, judged from how long that kind of
    operation took before for this API (``durations``, default `DurationStore` of the client's
    base URL in ``$AURA_NB_HOME``), and polls densely around that; otherwise it polls at once,
    then every 8 server seconds. ``poll_interval`` (real seconds) promises a longest gap between
    polls instead. ``status="deleted"`` waits until the instance is gone and returns ``None``.
    ``on_progress`` gets a `WaitProgress` after every poll; setting ``cancel`` (a
    ``threading.Event``) stops the wait. Up to ``max_errors`` failed polls in a row (connection
    problems, 5xx, 429) are tolerated.

    Raises `InstanceStatusUnreachable` at once when the status cannot come (``loading failed``;
    ``destroying`` or gone when waiting for running; ``paused`` without a resume sent by this
    client...), `InstanceWaitTimeout` with the last status after ``timeout`` real seconds,
    `WaitCancelled`."""
    cap, promised = _cap(client, poll_interval)
    store = durations if durations is not None else DurationStore(client.base_url)
    sent = sent_action(client, instance_id, status)
    if sent is not None:
        kind, began = sent
        # The action's answer said "not yet" as it began; a wait begun much later cannot tell.
        prompt = client.server_now() - began <= 2 * cap
        plan = PollPlan.make(kind, store.durations(kind), cap, promised)
        operation = Operation(kind, began, plan, not_yet=0.0 if prompt else None)
    else:
        operation = Operation.unknown(client.server_now(), cap, promised)

    def fetch() -> tuple[str, Any]:
        seen, instance = fetch_instance(client, instance_id)
        if operation.last_age is None and sent is None and status == RUNNING \
                and seen == CREATING and instance is not None:
            created = fresh_creation(instance.created_at, client.server_now())
            if created is not None:  # created moments ago, by someone: time it as a create
                operation.kind, operation.began = "create", created
                operation.plan = PollPlan.make("create", store.durations("create"), cap,
                                               promised)
        return seen, instance

    def learn(done: Operation) -> None:
        observed = done.observed()
        if observed is not None and done.kind is not None:
            store.record(done.kind, [observed], client.server_now())

    return _poll_until(
        client, fetch, operation, poll_now=sent is None, label=f"instance {instance_id}",
        key=instance_id, target=status,
        verdict=lambda seen: judge(client, instance_id, seen, status), timeout=timeout,
        on_progress=on_progress, cancel=cancel, sleep=sleep, clock=clock,
        max_errors=max_errors, learn=learn)


def wait_for_snapshot(
    client: WaitClient,
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
) -> Snapshot:
    """Poll ``GET /v1/instances/{instanceId}/snapshots/{snapshotId}`` until ``Completed`` and
    return the `Snapshot`: at once, then every 8 server seconds (or ``poll_interval`` real
    seconds). Options as for `wait_for_instance` (progress events carry the snapshot id).
    Raises `InstanceStatusUnreachable` for ``Failed``/``Cancelled``, `NotFound` for an unknown
    snapshot, `InstanceWaitTimeout`, `WaitCancelled`."""
    cap, promised = _cap(client, poll_interval)

    def fetch() -> tuple[str, Any]:
        snapshot = client.get_snapshot(instance_id, snapshot_id)
        return snapshot.status, snapshot

    def verdict(seen: str) -> str | None:
        if seen in ("Failed", "Cancelled"):
            return f"snapshot {snapshot_id} of instance {instance_id} is {seen}; take a new one"
        return None

    operation = Operation.unknown(client.server_now(), cap, promised)
    return _poll_until(
        client, fetch, operation, poll_now=True, label=f"snapshot {snapshot_id}",
        key=snapshot_id, target="Completed", verdict=verdict, timeout=timeout,
        on_progress=on_progress, cancel=cancel, sleep=sleep, clock=clock, max_errors=max_errors)

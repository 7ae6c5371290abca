"""What every wait shares: the client seam, progress events, cancellable pauses, verdicts.

Times: ``timeout`` and ``poll_interval`` are *real* seconds (what you wait in front of the
screen). Transition ages, schedules and learned durations are *server* seconds, read from the
API's ``created_at`` and ``Date``; the client's ``speed`` converts between the two (1 for the real
API, the speed factor of a simulator).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from ..errors import NotFound, RateLimited, ServerError, TransportError, WaitCancelled
from ..lifecycle import ACTIONS, can_reach, way_on
from ..models import Instance, parse_timestamp
from ..protocols import StatusSource

__all__ = ["WaitClient", "WaitProgress", "DEFAULT_POLL_INTERVAL", "DEFAULT_GAP", "JITTER_SAFETY",
           "GONE"]

log = logging.getLogger("aura_nb")

#: Default longest gap between two status requests for one instance, in server seconds.
DEFAULT_POLL_INTERVAL = 10.0
#: Default longest gap between two polls of one operation (server seconds): under the promised
#: interval, and dense enough that a first-ever wait hears of a change sooner than a client
#: polling every 10 s (it skips that client's poll at once instead: the action's answer told).
DEFAULT_GAP = 8.0
#: Schedules aim this fraction of the promised gap: a poll leaves a moment after it is due.
JITTER_SAFETY = 0.9
#: The word waiting uses for "gone" (``GET`` answers 404); the API has no such status.
GONE = "deleted"
#: A transition that began longer ago than this (server seconds) is timed from the wait's start:
#: an instance created long ago and now ``resuming`` is not being created.
STALE_START = 1800.0
TRANSIENT = (TransportError, ServerError, RateLimited)


class WaitClient(StatusSource, Protocol):
    """What waiting needs from a client (`aura_nb.AuraClient` is one): `StatusSource`, plus
    the API's ``base_url`` (learned durations are kept per API) and whether the server's clock
    is known yet."""

    base_url: str

    @property
    def server_clock_known(self) -> bool: ...


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


def api_status(status: str | None) -> str | None:
    """Waiting's status word as `aura_nb.core.lifecycle` writes it (gone is ``None`` there)."""
    return None if status == GONE else status


def unreachable_message(instance_id: str, status: str, target: str) -> str:
    if status == GONE:
        return f"instance {instance_id} no longer exists (404), so it will never be {target}"
    hint = way_on(status, target)
    hint = f"; {hint}" if hint else ""
    return f"instance {instance_id} is {status!r} and cannot become {target!r} on its own{hint}"


def judge(client: WaitClient, instance_id: str, status: str, target: str) -> str | None:
    """``None`` to keep waiting, else why the target cannot come."""
    if status == target or can_reach(api_status(status), api_status(target)):
        return None
    action = client.recent_action(instance_id)
    if action and ACTIONS[action].target == api_status(target) and status != GONE:
        return None  # the action we sent may not show in GET yet
    return unreachable_message(instance_id, status, target)


def sent_action(client: WaitClient, instance_id: str, target: str) -> tuple[str, float] | None:
    """``(action, server time sent)`` when this client's last action for the instance leads to
    ``target`` and is recent enough to be the transition being waited for."""
    action = client.last_action(instance_id)
    if action and ACTIONS[action[0]].target == api_status(target) \
            and client.server_now() - action[1] <= STALE_START:
        return action
    return None


def fresh_creation(created_at: Any, now: float) -> float | None:
    """Server time of ``created_at`` if the instance was created recently, else ``None``."""
    stamp = parse_timestamp(created_at)
    if stamp is None or now - stamp.timestamp() > STALE_START:
        return None
    return stamp.timestamp()


def notify(on_progress: Callable[[WaitProgress], None] | None, event: WaitProgress) -> None:
    if on_progress is None:
        return
    try:
        on_progress(event)
    except Exception:  # a broken progress display must not break the wait
        log.exception("on_progress callback failed")


def fetch_instance(client: WaitClient, instance_id: str) -> tuple[str, Instance | None]:
    """``(status, Instance)`` from ``GET /v1/instances/{instanceId}``; ``(GONE, None)`` once the
    instance is gone (404)."""
    try:
        instance = client.get_instance(instance_id)
    except NotFound:
        return GONE, None
    return instance.status, instance


class Pause:
    """Sleeps that wake up early when ``cancel`` is set, and raise `WaitCancelled` then (with
    ``ready``, what a many-instance wait has seen ready so far)."""

    def __init__(self, cancel: threading.Event | None, sleep: Callable[[float], None] | None,
                 instance_id: str = "", target: str = "",
                 ready: Mapping[str, Any] | None = None) -> None:
        self.cancel = cancel
        self.sleep = sleep
        self.instance_id = instance_id
        self.target = target
        self.ready = ready

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

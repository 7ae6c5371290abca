"""The instance status graph (what settles into what) and the log of lifecycle actions sent.

Statuses are the API's (`/work/shared/reference/aura-api.md`, section 6). "Gone" is not a status:
``GET /v1/instances/{id}`` answers 404 once a ``destroying`` instance has been removed, and this
module writes that as ``None`` everywhere (`SETTLES_TO["destroying"]`, `can_reach(None, ...)`,
`action_taken_effect("delete", None)`).

This is the one home of these rules and of the status names: waiting, the workshop, the tutorial
helpers and the front-ends ask here (`RUNNING`, `is_transitional`...) and never spell a status
themselves, except as the goal of a wait (``status="running"``); a test keeps it so.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

__all__ = [
    "CREATING",
    "RUNNING",
    "PAUSED",
    "PAUSING",
    "DESTROYING",
    "STATUSES",
    "SETTLES_TO",
    "SETTLED",
    "ACTIONS",
    "Action",
    "ActionLog",
    "can_reach",
    "is_transitional",
    "way_on",
    "action_taken_effect",
]

#: The statuses other modules name (the rest are only in the tables below).
CREATING = "creating"
RUNNING = "running"
PAUSED = "paused"
PAUSING = "pausing"
DESTROYING = "destroying"

#: Where each transitional status leads when nobody acts (``None``: the instance is gone, 404).
SETTLES_TO: dict[str, str | None] = {
    "creating": "running",
    "resuming": "running",
    "updating": "running",
    "overwriting": "running",
    "restoring": "running",
    "loading": "running",
    "pausing": "paused",
    "suspending": "suspended",
    "destroying": None,
}
#: Statuses that stay as they are until someone acts (Aura's own ``suspended`` included).
SETTLED = frozenset({"running", "paused", "suspended", "loading failed"})
#: Every instance status the API documents.
STATUSES = SETTLED | frozenset(SETTLES_TO)


@dataclass(frozen=True)
class Action:
    """One lifecycle action the client can send: the status it shows while in flight
    (``in_flight``), where it ends (``target``; ``None`` = gone) and the statuses it may be sent
    from (``starts_from``; empty = any settled status)."""

    name: str
    in_flight: str
    target: str | None
    starts_from: frozenset[str] = frozenset()


#: Every lifecycle action, by the name the client's `ActionLog` records.
ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("create", "creating", "running"),
    Action("pause", "pausing", "paused", frozenset({"running"})),
    Action("resume", "resuming", "running", frozenset({"paused"})),
    Action("resize", "updating", "running", frozenset({"running"})),
    Action("overwrite", "overwriting", "running", frozenset({"running"})),
    Action("restore", "restoring", "running", frozenset({"running"})),
    Action("delete", "destroying", None),
)}


def can_reach(status: str | None, target: str | None) -> bool:
    """True when ``status`` leads to ``target`` without anyone acting (``creating`` reaches
    ``running``; ``destroying`` reaches ``None``, gone; ``paused`` reaches nothing else).
    ``None`` for either means gone (404). Unknown statuses count as transitional (True) so that
    a status the API adds later never fails a wait."""
    seen: set[str] = set()
    current = status
    while True:
        if current == target:
            return True
        if current is None or current in seen or current in SETTLED:
            return False
        if current not in SETTLES_TO:
            return True
        seen.add(current)
        current = SETTLES_TO[current]


def is_transitional(status: str | None) -> bool:
    """True for a status that settles by itself (``creating``, ``pausing``, ``destroying``...):
    other lifecycle calls answer 409 until it has. ``None`` (gone) and unknown statuses: False."""
    return status in SETTLES_TO


#: What a person can do when a status will not become a target by itself.
_WAYS_ON: dict[tuple[str, str], str] = {
    ("paused", "running"): "resume it with client.resume_instance()",
    ("suspended", "running"): "resume it with client.resume_instance()",
    ("pausing", "running"): "wait for paused, then resume it",
    ("running", "paused"): "pause it with client.pause_instance()",
    ("loading failed", "running"): "check the data load in the Aura console",
}


def way_on(status: str, target: str) -> str:
    """What to do when ``status`` cannot become ``target`` on its own (``""``: nothing to say)."""
    return _WAYS_ON.get((status, target), "")


def action_taken_effect(action: str, status: str | None) -> bool:
    """True when an instance read back as ``status`` (``None``: GET answered 404) shows that
    ``action`` (``pause``, ``resume``, ``delete``, or another of `ACTIONS`) was carried out: it is
    in the action's in-flight status or past it. After a POST/DELETE whose answer was lost, resend
    only when this is False. Raises ``ValueError`` for an unknown action."""
    try:
        rule = ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}") from None
    if status is None:
        return rule.target is None  # gone: a delete is done; anything else cannot be
    return status == rule.in_flight or status == rule.target


class ActionLog:
    """The last lifecycle action a client sent for each instance, thread-safe.

    Waiting reads it to tell "resume sent, GET does not show it yet" from "stuck paused", and to
    time a transition from when its action was sent. ``speed`` is server seconds per real second;
    ``clock`` a monotonic real-seconds clock (injectable for tests)."""

    def __init__(self, speed: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.speed = float(speed)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, float, float]] = {}  # action, real time, server time

    def note(self, instance_id: str, action: str, server_time: float) -> None:
        """Record that ``action`` was sent for the instance at ``server_time`` (POSIX seconds)."""
        with self._lock:
            self._entries[instance_id] = (action, self._clock(), server_time)

    def recent(self, instance_id: str, within: float | None = None) -> str | None:
        """The last action sent for the instance if it was less than ``within`` real seconds
        ago (default: 60 server seconds), else ``None``."""
        within = 60.0 / self.speed if within is None else within
        with self._lock:
            entry = self._entries.get(instance_id)
        if entry and self._clock() - entry[1] <= within:
            return entry[0]
        return None

    def last(self, instance_id: str) -> tuple[str, float] | None:
        """``(action, server time it was sent)`` for the last action sent for the instance."""
        with self._lock:
            entry = self._entries.get(instance_id)
        return (entry[0], entry[2]) if entry else None

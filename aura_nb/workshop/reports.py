"""What a workshop operation did, per attendee: progress events and the reports front-ends print.

Every report says whether the whole class reached the operation's goal (``ok``) and, for
provisioning, which attendees are in the "unknown whether created" state that must be checked
(a re-run adopts what exists) before anything is created for them again. No report holds a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from aura_nb.core.display import duration_text
from .handouts import Handouts

__all__ = [
    "WorkshopEvent",
    "ProgressCallback",
    "ProvisionReport",
    "BulkReport",
    "TeardownReport",
    "StatusRow",
    "UNKNOWN_ADVICE",
    "Interrupted",
]

UNKNOWN_ADVICE = "unknown: check before re-running (the next provision adopts what exists)"


@dataclass(frozen=True)
class WorkshopEvent:
    """One step of a workshop operation, for progress displays. ``kind`` is one of ``adopted``,
    ``created``, ``password-lost``, ``unknown``, ``retry``, ``failed``, ``waiting``, ``ready``,
    ``changed``, ``skipped``, ``deleted``, ``gone``, ``status``, ``cancelled`` (nothing was sent for
this attendee: the operation's ``cancel`` was set before its turn), ``not-sent`` (a create that
provably never left this machine, the cause in the message), ``disk`` (created, but the manifest
could not be saved: the message names the file and filesystem). ``message`` is one
secret-free line."""

    kind: str
    attendee: str = ""
    instance_id: str = ""
    status: str = ""
    message: str = ""
    done: int = 0
    total: int = 0

    def __str__(self) -> str:
        counter = f"[{self.done}/{self.total}] " if self.total else ""
        return counter + self.message


ProgressCallback = Callable[[WorkshopEvent], None]


class Interrupted(KeyboardInterrupt):
    """A ``KeyboardInterrupt`` (Ctrl-C) that stopped a bulk operation. ``events`` are the
    per-attendee outcomes finished before it (work already started is finished first); ``report``
    is the operation's report built from them (``None`` until the operation adds it), so a
    front-end shows the per-attendee report whatever stopped the run."""

    def __init__(self, events: list["WorkshopEvent"], report: Any = None) -> None:
        super().__init__(report.summary() if report is not None else "interrupted")
        self.events = events
        self.report = report


def _cause(event: WorkshopEvent) -> str:
    """An event's message without the leading ``<attendee>: ``."""
    head = f"{event.attendee}: "
    return event.message[len(head):] if event.message.startswith(head) else event.message


def tally(events: Iterable[WorkshopEvent], lists: dict[str, list[str]], failed: dict[str, str],
          unknown: dict[str, str] | None = None, not_sent: dict[str, str] | None = None) -> None:
    """Sort per-attendee outcomes: attendees of the kinds in ``lists`` go to that list, ``unknown``
    and ``not-sent`` events to ``unknown`` and ``not_sent`` (when given) with the cause after the
    attendee's name, the rest (failures) to ``failed`` with their message."""
    for event in events:
        if event.kind in lists:
            lists[event.kind].append(event.attendee)
        elif event.kind == "unknown" and unknown is not None:
            unknown[event.attendee] = _cause(event)
        elif event.kind in ("not-sent", "cancelled") and not_sent is not None:
            not_sent[event.attendee] = _cause(event)
        else:
            failed[event.attendee] = event.message


@dataclass
class ProvisionReport:
    """What :meth:`Workshop.provision` did, per attendee, whatever stopped it. Lists hold
    attendee names; the dicts map attendee -> one-line reason. Four cases need the instructor:

    * ``unknown``: a create was **sent and its outcome is unknown** (its answer was lost and no
      listing answered since, or the run stopped while it was in flight): check before re-running;
      the next run adopts what exists;
    * ``not_sent``: **never sent**, with the cause (e.g. the token endpoint answering 503, the
      manifest's disk full, interrupted before its turn): run provision again;
    * ``rescued``: the **password is in a rescue file** (named) or was shown once, because the
      vault could not take it (said again by later runs: the manifest keeps the path);
    * ``lost_passwords``: the **password was never delivered by the API** (a lost create answer).

    ``stopped`` is the one line that says what ended the run early ("" when it ran to the end),
    naming what was already created."""

    prefix: str
    total: int = 0
    created: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    lost_passwords: list[str] = field(default_factory=list)
    rescued: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    not_sent: dict[str, str] = field(default_factory=dict)
    ready: list[str] = field(default_factory=list)
    not_ready: dict[str, str] = field(default_factory=dict)
    handouts: Handouts | None = None
    stopped: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every attendee has a running instance."""
        return (not self.failed and not self.unknown and not self.not_sent and not self.not_ready
                and not self.stopped and len(self.ready) == self.total)

    def summary(self) -> str:
        """One line: counts of what happened."""
        parts = [
            f"workshop {self.prefix}: {len(self.ready)}/{self.total} running",
            f"{len(self.created)} created",
            f"{len(self.adopted)} adopted",
        ]
        if self.lost_passwords:
            parts.append("password never delivered for " + ", ".join(self.lost_passwords))
        if self.rescued:
            parts.append("password outside the vault for " + ", ".join(self.rescued))
        if self.unknown:
            parts.append(f"{len(self.unknown)} unknown whether created")
        if self.not_sent:
            parts.append(f"{len(self.not_sent)} never sent")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.not_ready:
            parts.append(f"{len(self.not_ready)} not ready")
        return "; ".join(parts) + f" ({self.seconds:.1f} s)"

    def lines(self) -> list[str]:
        """The summary, what stopped the run (if anything), then one line per attendee that
        needs attention."""
        out = [self.summary()]
        if self.stopped:
            out.append(f"stopped early: {self.stopped}")
        out += [f"  {a}: sent and {UNKNOWN_ADVICE} ({why})" for a, why in self.unknown.items()]
        out += [f"  {a}: never sent: {why}; run provision again" for a, why in self.not_sent.items()]
        out += [f"  {a}: {why}" for a, why in {**self.failed, **self.not_ready}.items()]
        out += [f"  {a}: password never delivered by the API: reset it in the Aura console"
                for a in self.lost_passwords]
        out += [f"  {a}: password not in the vault: {where}" for a, where in self.rescued.items()]
        return out

    def __repr__(self) -> str:
        return f"ProvisionReport({self.summary()!r})"


@dataclass
class BulkReport:
    """What a bulk pause or resume did: attendees ``changed`` (request sent and taken effect),
    ``skipped`` (already there or on the way), ``failed`` (attendee -> reason), ``cancelled``
    (nothing sent: cancelled before their turn), and ``statuses`` (attendee -> last status)."""

    action: str
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no attendee failed or was left out by a cancel."""
        return not self.failed and not self.cancelled

    @property
    def empty(self) -> bool:
        """True when no attendee had an instance to act on (none provisioned, or torn down)."""
        return not (self.changed or self.skipped or self.failed or self.cancelled)

    def summary(self) -> str:
        """One line: counts of what happened."""
        if self.empty:
            return f"{self.action}: nothing to {self.action}: no attendee has an instance"
        line = f"{self.action}: {len(self.changed)} sent, {len(self.skipped)} already there"
        line += f", {len(self.failed)} failed" if self.failed else ""
        return line + (f", {len(self.cancelled)} not sent (cancelled)" if self.cancelled else "")

    def lines(self) -> list[str]:
        """The summary, then one line per failed or cancelled attendee."""
        return ([self.summary()] + [f"  {a}: {why}" for a, why in self.failed.items()]
                + [f"  {a}: nothing sent (cancelled)" for a in self.cancelled])

    def __repr__(self) -> str:
        return f"BulkReport({self.summary()!r})"


@dataclass
class TeardownReport:
    """What :meth:`Workshop.teardown` found or did. ``planned``: the manifest's instances as
    ``(attendee, instance name, instance id)``; with ``dry_run`` nothing was deleted. ``orphans``:
    instances whose name has the workshop prefix but that the manifest does not know (never deleted
    here: check them in the console). ``cancelled``: attendees whose DELETE was never sent because
    the teardown was cancelled before their turn (run it again to finish)."""

    prefix: str
    dry_run: bool
    planned: list[tuple[str, str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    orphans: list[Any] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every planned instance is deleted or gone (always True for a dry run)."""
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        """One line: counts of what happened (or would happen)."""
        if self.dry_run:
            line = f"dry run: would delete {len(self.planned)} instances of workshop {self.prefix}"
        else:
            line = f"deleted {len(self.deleted)}, already gone {len(self.already_gone)}"
            line += f", failed {len(self.failed)}" if self.failed else ""
            line += f", not sent {len(self.cancelled)} (cancelled)" if self.cancelled else ""
        return line + f"; {len(self.orphans)} orphans"

    def lines(self) -> list[str]:
        """Human-readable lines: the plan or outcome, then every orphan."""
        out = [self.summary()]
        if self.dry_run:
            out += [f"  would delete {iid}  {name}  ({attendee})" for attendee, name, iid in self.planned]
        out += [f"  failed {attendee}: {reason}" for attendee, reason in self.failed.items()]
        out += [f"  not sent {attendee}: cancelled before its turn" for attendee in self.cancelled]
        out += [
            f"  orphan {s.id}  {s.name}  (has the prefix but is not in the manifest; not deleted)"
            for s in self.orphans
        ]
        return out

    def __repr__(self) -> str:
        return f"TeardownReport({self.summary()!r})"


@dataclass(frozen=True)
class StatusRow:
    """One attendee in the class table: ``age`` is seconds since the instance was created (server
    time), or ``None`` without an instance."""

    attendee: str
    instance_name: str
    instance_id: str
    status: str
    age: float | None
    notes: tuple[str, ...] = ()

    @property
    def age_text(self) -> str:
        """Age for people (``display.duration_text``: ``3 min 05 s``, ``2 h 04 min``), ``-`` when unknown."""
        return "-" if self.age is None else duration_text(self.age)

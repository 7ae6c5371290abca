"""Run a class on Aura: provision one instance per attendee, hand-outs, day-to-day, teardown.

Everything goes through an `AuraClient`: its pacing is the request budget shared by the worker
threads here, it honours ``Retry-After``, writes every one-time password to the vault before a
create returns, and waits for many instances at once (``wait_for_instances``). This module adds
what a class needs on top: get-or-create by name (never a duplicate, also when re-run or after a
lost create response), guardrails checked before any request, a manifest saved after every change,
hand-outs, bulk pause/resume, reset from a seed instance and a teardown that can be re-run.
No widget code here: ``aura_nb.widgets.classroom.ClassTable`` and the CLI are thin front-ends.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import (
    ApiError,
    AuraError,
    BadRequest,
    Conflict,
    CreateResponseLost,
    InstanceWaitError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    VaultError,
    WaitIncomplete,
)
from ..models import InstanceSpec, allowed_choices, check_spec, memory_gb, parse_timestamp
from .handouts import Handouts, write_handouts
from .manifest import DELETED, FAILED, PLANNED, AttendeeRecord, Manifest, workshop_dir
from .roster import Attendee, check_prefix, instance_names, read_roster

__all__ = [
    "ClassSpec",
    "Guardrails",
    "GuardrailViolation",
    "WorkshopError",
    "WorkshopEvent",
    "ProvisionReport",
    "BulkReport",
    "TeardownReport",
    "StatusRow",
    "Workshop",
    "LOST_PASSWORD_NOTE",
]

log = logging.getLogger("aura_nb")

LOST_PASSWORD_NOTE = "create response lost: password not captured, reset it in the console"
ADOPTED_NOTE = "adopted an existing instance with this name: password not in the vault, reset it in the console"

# Where an instance in a transitional status will settle (used after a 409 "busy" answer).
_SETTLES_TO = {
    "creating": "running",
    "resuming": "running",
    "updating": "running",
    "overwriting": "running",
    "restoring": "running",
    "loading": "running",
    "pausing": "paused",
    "suspending": "suspended",
}
# action -> (target status, status while in flight, status it must start from)
_LIFECYCLE = {"pause": ("paused", "pausing", "running"), "resume": ("running", "resuming", "paused")}


class WorkshopError(AuraError):
    """Raised when a workshop step cannot go ahead (no seed instance to reset from, an attendee
    without an instance, settings that differ from the manifest's). Nothing was changed."""


class GuardrailViolation(WorkshopError, ValueError):
    """Raised before any request is sent when provisioning would break the instructor's limits
    (maximum instances, allowed instance types, maximum memory)."""


@dataclass(frozen=True)
class ClassSpec:
    """The instance settings every attendee gets. ``None`` fields are chosen from what the tenant
    offers when provisioning: the first cloud provider and region listed, the smallest memory."""

    type: str = "professional-db"
    cloud_provider: str | None = None
    region: str | None = None
    memory: str | None = None
    version: str = "5"
    storage: str | None = None

    def resolve(self, tenant: Any, max_memory: str | None = None) -> "ClassSpec":
        """Fill the ``None`` fields from the tenant's configurations (no request is sent).

        Raises :class:`GuardrailViolation` when no memory size within ``max_memory`` is offered."""
        chosen = asdict(self)
        for key in ("cloud_provider", "region", "memory"):
            if chosen[key] is not None:
                continue
            offered = allowed_choices(
                tenant, **{k: chosen[k] for k in ("type", "cloud_provider", "region") if chosen[k]}
            )[key]
            if key == "memory" and max_memory and offered:  # (nothing offered: the spec check says why)
                offered = tuple(m for m in offered if memory_gb(m) <= memory_gb(max_memory))
                if not offered:
                    raise GuardrailViolation(
                        f"tenant {tenant.name!r} offers no memory size up to {max_memory} for "
                        f"{chosen['type']} in {chosen['region']}; raise max_memory or pick another region"
                    )
            if offered:
                chosen[key] = offered[0]
        return ClassSpec(**chosen)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (what the manifest stores)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Guardrails:
    """Limits the instructor sets; checked before any request is sent.

    ``max_instances``: instances the workshop may own in total; ``allowed_types``: instance types
    that may be created (empty = any); ``max_memory``: largest memory size per instance (``None``
    = any). ``free-db`` is refused for more than one attendee (the API allows one per account)."""

    max_instances: int = 50
    allowed_types: tuple[str, ...] = ("professional-db",)
    max_memory: str | None = "8GB"

    def check(self, spec: ClassSpec, count: int) -> None:
        """Raise :class:`GuardrailViolation` (one line) when ``count`` instances of ``spec`` break a limit."""
        if count > self.max_instances:
            raise GuardrailViolation(
                f"{count} attendees need {count} instances but the limit is {self.max_instances}; "
                "raise max_instances or shorten the roster"
            )
        if self.allowed_types and spec.type not in self.allowed_types:
            raise GuardrailViolation(
                f"instance type {spec.type!r} is not allowed for this workshop (allowed: "
                f"{', '.join(self.allowed_types)}); choose an allowed type or allow it"
            )
        if spec.type == "free-db" and count > 1:
            raise GuardrailViolation(
                "free-db allows one instance per account, so it cannot serve a class; use professional-db"
            )
        if self.max_memory and spec.memory and memory_gb(spec.memory) > memory_gb(self.max_memory):
            raise GuardrailViolation(
                f"memory {spec.memory} is above this workshop's limit of {self.max_memory}; "
                "choose a smaller size or raise max_memory"
            )


@dataclass(frozen=True)
class WorkshopEvent:
    """One step of a workshop operation, for progress displays. ``kind`` is one of ``adopted``,
    ``created``, ``password-lost``, ``retry``, ``failed``, ``waiting``, ``ready``, ``changed``,
    ``skipped``, ``deleted``, ``gone``, ``status``. ``message`` is one secret-free line."""

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


@dataclass
class ProvisionReport:
    """What :meth:`Workshop.provision` did. Lists hold attendee names; ``failed`` and ``not_ready``
    map attendee -> one-line reason; ``lost_passwords`` names attendees whose one-time password
    the API lost (their hand-out says so)."""

    prefix: str
    total: int = 0
    created: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    lost_passwords: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    ready: list[str] = field(default_factory=list)
    not_ready: dict[str, str] = field(default_factory=dict)
    handouts: Handouts | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every attendee has a running instance."""
        return not self.failed and not self.not_ready and len(self.ready) == self.total

    def summary(self) -> str:
        """One line: counts of what happened."""
        parts = [
            f"workshop {self.prefix}: {len(self.ready)}/{self.total} running",
            f"{len(self.created)} created",
            f"{len(self.adopted)} adopted",
        ]
        if self.lost_passwords:
            parts.append("password lost for " + ", ".join(self.lost_passwords))
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.not_ready:
            parts.append(f"{len(self.not_ready)} not ready")
        return "; ".join(parts) + f" ({self.seconds:.1f} s)"

    def __repr__(self) -> str:
        return f"ProvisionReport({self.summary()!r})"


@dataclass
class BulkReport:
    """What a bulk pause or resume did: attendees ``changed`` (request sent), ``skipped`` (already
    there or on the way), ``failed`` (attendee -> reason), and ``statuses`` (attendee -> last status)."""

    action: str
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: counts of what happened."""
        line = f"{self.action}: {len(self.changed)} sent, {len(self.skipped)} already there"
        return line + (f", {len(self.failed)} failed" if self.failed else "")

    def __repr__(self) -> str:
        return f"BulkReport({self.summary()!r})"


@dataclass
class TeardownReport:
    """What :meth:`Workshop.teardown` found or did. ``planned``: the manifest's instances as
    ``(attendee, instance name, instance id)``; with ``dry_run`` nothing was deleted. ``orphans``:
    instances whose name has the workshop prefix but that the manifest does not know (never deleted
    here: check them in the console)."""

    prefix: str
    dry_run: bool
    planned: list[tuple[str, str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    orphans: list[Any] = field(default_factory=list)

    def summary(self) -> str:
        """One line: counts of what happened (or would happen)."""
        if self.dry_run:
            line = f"dry run: would delete {len(self.planned)} instances of workshop {self.prefix}"
        else:
            line = f"deleted {len(self.deleted)}, already gone {len(self.already_gone)}"
            line += f", failed {len(self.failed)}" if self.failed else ""
        return line + f"; {len(self.orphans)} orphans"

    def lines(self) -> list[str]:
        """Human-readable lines: the plan or outcome, then every orphan."""
        out = [self.summary()]
        if self.dry_run:
            out += [f"  would delete {iid}  {name}  ({attendee})" for attendee, name, iid in self.planned]
        out += [f"  failed {attendee}: {reason}" for attendee, reason in self.failed.items()]
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
        """Age as ``3m``, ``2h05m``, ``1d04h`` (``-`` when unknown)."""
        if self.age is None:
            return "-"
        minutes = int(max(self.age, 0) // 60)
        if minutes < 60:
            return f"{minutes}m"
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return f"{hours}h{minutes:02d}m"
        days, hours = divmod(hours, 24)
        return f"{days}d{hours:02d}h"


def _one_line(exc: BaseException) -> str:
    return str(exc) or exc.__class__.__name__


def _tally(events: Iterable[WorkshopEvent], lists: dict[str, list[str]], failed: dict[str, str]) -> None:
    """Sort per-attendee outcomes: attendees of the kinds in ``lists`` go to that list, the rest
    (failures) to ``failed`` with their one-line message."""
    for event in events:
        if event.kind in lists:
            lists[event.kind].append(event.attendee)
        else:
            failed[event.attendee] = event.message


class Workshop:
    """One class's instances, tracked in a manifest.

    ``Workshop(client, prefix)`` opens (or starts) the manifest in
    ``$AURA_NB_HOME/workshops/<prefix>/manifest.json`` (``home`` or ``manifest_path`` override
    that). ``concurrency`` bounds the worker threads and the instances watched at once while
    waiting (the client's pacing is their shared request budget); ``poll_interval`` is the
    longest gap, in server seconds, between two status requests for an instance being waited
    for (default 10); ``retry_delay`` is the pause in seconds before retrying after a ``409``
    busy answer.
    Raises :class:`RosterError` for a bad prefix and :class:`ManifestError` for an unreadable
    manifest or one of another prefix.
    """

    def __init__(
        self,
        client: Any,
        prefix: str,
        *,
        home: str | os.PathLike | None = None,
        manifest_path: str | os.PathLike | None = None,
        concurrency: int = 4,
        retry_delay: float = 10.0,
        max_attempts: int = 4,
        poll_interval: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.prefix = check_prefix(prefix)
        if manifest_path is None:
            self.folder = workshop_dir(prefix, home)
            path = self.folder / "manifest.json"
        else:
            path = Path(manifest_path)
            self.folder = path.parent
        self.manifest = Manifest.load(path, prefix) if path.exists() else Manifest(path, prefix)
        self.concurrency = max(1, int(concurrency))
        self.retry_delay = float(retry_delay)
        self.max_attempts = max(1, int(max_attempts))
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Workshop(prefix={self.prefix!r}, attendees={len(self.manifest)})"

    # ------------------------------------------------------------------ helpers
    @property
    def handouts_folder(self) -> Path:
        """Where hand-outs are written: ``<workshop folder>/handouts``."""
        return self.folder / "handouts"

    def _emit(self, on_progress: ProgressCallback | None, event: WorkshopEvent) -> None:
        log.info("workshop %s: %s", self.prefix, event.message)
        if on_progress is not None:
            on_progress(event)

    def _parallel(
        self,
        items: Sequence[Any],
        work: Callable[[Any], WorkshopEvent],
        on_progress: ProgressCallback | None,
    ) -> list[WorkshopEvent]:
        """Run ``work(item)`` on a bounded pool; progress is reported from the calling thread.

        If anything raises (a worker's unexpected error, or the progress callback itself), work
        not yet started is cancelled, running work finishes (and records itself in the manifest),
        and the error propagates: re-running the operation picks up from the manifest.
        """
        events: list[WorkshopEvent] = []
        if not items:
            return events
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(items)),
                                  thread_name_prefix=f"workshop-{self.prefix}")
        try:
            futures = [pool.submit(work, item) for item in items]
            for done, future in enumerate(as_completed(futures), start=1):
                event = replace(future.result(), done=done, total=len(items))
                events.append(event)
                self._emit(on_progress, event)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return events

    def _tenant(self, tenant: str | None) -> Any:
        """The workshop's tenant: ``tenant`` (name or id), else the manifest's, else the default."""
        wanted = tenant or self.manifest.tenant_id or None
        found = self.client.find_tenant(wanted)
        if self.manifest.tenant_id and found.id != self.manifest.tenant_id:
            raise WorkshopError(
                f"workshop {self.prefix} lives in tenant {self.manifest.tenant_name or self.manifest.tenant_id!r}, "
                f"not {found.name!r}; leave out the tenant or use another prefix"
            )
        return found

    def _tenant_id(self) -> str | None:
        return self.manifest.tenant_id or None

    def _server_now(self) -> datetime:
        """The API's idea of "now" (its ``Date`` header), so ages are right against a simulator
        whose clock runs fast; the local clock when the client cannot tell."""
        getter = getattr(self.client, "server_time", None)
        value = getter() if callable(getter) else None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc)

    def _wait_until_idle(self, instance_id: str, status: str, timeout: float) -> None:
        """After a 409 busy answer: wait for the operation in flight to finish when its end state
        is known, else pause ``retry_delay`` seconds."""
        target = _SETTLES_TO.get(status)
        if target is None:
            self._sleep(self.retry_delay)
            return
        self.client.wait_for_instance(instance_id, status=target, timeout=timeout)

    # ------------------------------------------------------------------ provision
    def provision(
        self,
        roster: str | os.PathLike | Iterable[Attendee],
        spec: ClassSpec | None = None,
        *,
        tenant: str | None = None,
        guardrails: Guardrails | None = None,
        seed_instance_id: str | None = None,
        wait: bool = True,
        timeout: float = 1800,
        handouts: bool = True,
        on_progress: ProgressCallback | None = None,
    ) -> ProvisionReport:
        """Make sure every attendee on ``roster`` has exactly one instance, then wait for them.

        ``roster`` is a CSV path or attendees from :func:`read_roster`. ``spec`` defaults to the
        manifest's settings (or ``ClassSpec()`` for a new workshop); ``seed_instance_id`` clones
        each new instance from a prepared instance. Steps: guardrails (before any request); the
        tenant (``GET /v1/tenants``, ``GET /v1/tenants/{id}``) and a local check of the settings
        against its configurations; one ``GET /v1/instances`` to adopt instances that already carry
        an attendee's name (``GET /v1/instances/{id}`` for each such match: never one being
        deleted, e.g. after a teardown); ``POST /v1/instances`` for the rest on a bounded pool
        (each password is in the vault when the create returns); ``client.wait_for_instances``
        for all; hand-outs.
        The manifest is saved after every create. Re-running is safe and creates only what is
        missing. Raises :class:`RosterError`, :class:`GuardrailViolation`, ``InvalidInstanceSpec``
        or :class:`WorkshopError` before any instance is created; API errors on single attendees
        are reported in the result, not raised.
        """
        started = time.monotonic()
        attendees = read_roster(roster) if isinstance(roster, (str, os.PathLike)) else list(roster)
        manifest = self.manifest
        if spec is None:
            spec = ClassSpec(**manifest.spec) if manifest.spec else ClassSpec()
        guardrails = guardrails or Guardrails()
        if seed_instance_id and manifest.seed_instance_id and seed_instance_id != manifest.seed_instance_id:
            raise WorkshopError(
                f"workshop {self.prefix} was seeded from {manifest.seed_instance_id}; "
                "leave out the seed instance or use another prefix"
            )
        wanted = [a.name for a in attendees]
        count = len({*wanted, *(r.attendee for r in manifest if r.has_instance)})
        guardrails.check(spec, count)  # nothing has been sent yet

        tenant_obj = self._tenant(tenant)
        resolved = spec.resolve(tenant_obj, guardrails.max_memory)
        guardrails.check(resolved, count)
        if manifest.spec and ClassSpec(**manifest.spec) != resolved:
            raise WorkshopError(
                f"workshop {self.prefix} was provisioned with {manifest.spec}; "
                "use the same settings or another prefix"
            )
        names = instance_names(self.prefix, wanted, taken={r.attendee: r.name for r in manifest})
        seed = seed_instance_id or manifest.seed_instance_id or None
        probe = self._instance_spec(resolved, tenant_obj.id, names[wanted[0]] if wanted else f"{self.prefix}-x", seed)
        check_spec(probe, tenant_obj)  # InvalidInstanceSpec lists the valid choices
        if seed:
            self._check_seed(seed, tenant_obj.id, resolved)

        manifest.tenant_id, manifest.tenant_name = tenant_obj.id, tenant_obj.name
        manifest.spec = resolved.as_dict()
        manifest.seed_instance_id = seed or ""
        for attendee in attendees:
            record = manifest.add(AttendeeRecord(attendee=attendee.name, name=names[attendee.name]))
            if attendee.email and not record.email:
                record.email = attendee.email
        manifest.save()

        report = ProvisionReport(prefix=self.prefix, total=len(wanted))
        records = [manifest.records[name] for name in wanted]
        self._adopt(records, report, on_progress)
        missing = [r for r in records if not r.has_instance]
        events = self._parallel(
            missing, lambda r: self._create_one(r, resolved, tenant_obj.id, seed), on_progress
        )
        _tally(events, {"created": report.created, "password-lost": report.adopted}, report.failed)
        report.lost_passwords = [r.attendee for r in records if r.has_instance and not r.password_captured]

        if wait:
            self._wait_running([r for r in records if r.has_instance], report, timeout, on_progress)
        report.ready = [r.attendee for r in records if r.has_instance and r.status == "running"]
        if handouts:
            report.handouts = self.write_handouts()
        report.seconds = time.monotonic() - started
        return report

    @staticmethod
    def _instance_spec(spec: ClassSpec, tenant_id: str, name: str, seed: str | None) -> InstanceSpec:
        return InstanceSpec(
            name=name,
            tenant_id=tenant_id,
            type=spec.type,
            cloud_provider=spec.cloud_provider or "",
            region=spec.region or "",
            memory=spec.memory or "",
            version=spec.version,
            storage=spec.storage,
            source_instance_id=seed,
        )

    def _check_seed(self, seed: str, tenant_id: str, spec: ClassSpec) -> None:
        """The seed must be a running instance of the same tenant, not larger than the clones."""
        try:
            instance = self.client.get_instance(seed)
        except NotFound:
            raise WorkshopError(f"seed instance {seed} does not exist; check its id with list_instances()") from None
        if instance.tenant_id != tenant_id:
            raise WorkshopError(f"seed instance {seed} is in another tenant; use one of tenant {tenant_id}")
        if instance.status != "running":
            raise WorkshopError(f"seed instance {seed} is {instance.status}; it must be running to be cloned")
        if instance.memory and spec.memory and memory_gb(instance.memory) > memory_gb(spec.memory):
            raise WorkshopError(
                f"seed instance {seed} has {instance.memory}, more than the {spec.memory} of each clone; "
                "choose at least its memory"
            )

    def _adopt(self, records: list[AttendeeRecord], report: ProvisionReport,
               on_progress: ProgressCallback | None) -> None:
        """One ``GET /v1/instances``: keep the manifest's instances that still exist, start afresh
        for attendees whose instance was torn down or vanished, and adopt instances that already
        carry an attendee's instance name (see :meth:`_first_live`: never one being deleted, nor
        one this workshop deleted or holds)."""
        summaries = self.client.list_instances(self.manifest.tenant_id)
        live = {s.id for s in summaries}
        by_name: dict[str, list[Any]] = {}
        for summary in sorted(summaries, key=lambda s: s.created_at or ""):
            by_name.setdefault(summary.name, []).append(summary)
        skip = set(self.manifest.by_instance_id())  # ours: in use, or deleted by teardown
        for record in records:
            if record.instance_id and record.status != FAILED:
                if record.has_instance and record.instance_id in live:
                    continue
                vanished = (f"instance {record.instance_id} vanished (deleted outside this workshop); "
                            "created a new one") if record.has_instance else None
                self.manifest.update(
                    record.attendee, instance_id="", status=PLANNED, created_at="", connection_url="",
                    vault_path="", password_captured=False, handout_path="", notes=[], note=vanished,
                )
            found = self._first_live(by_name.get(record.name, ()), skip)
            if found is None:
                continue
            skip.add(found.id)
            vault_path = self._vault_path(found.id)
            self.manifest.update(
                record.attendee, instance_id=found.id, status=found.status,
                created_at=found.created_at or "", connection_url=found.connection_url or "",
                vault_path=vault_path, password_captured=bool(vault_path),
                note=None if vault_path else ADOPTED_NOTE,
            )
            report.adopted.append(record.attendee)
            self._emit(on_progress, WorkshopEvent(
                "adopted", record.attendee, found.id, found.status,
                f"{record.attendee}: adopted existing instance {found.id} ({record.name}, {found.status})"))

    def _first_live(self, candidates: Iterable[Any], skip: set[str]) -> Any | None:
        """The first of ``candidates`` (instance summaries, oldest first) that may be adopted, as an
        ``Instance``, or ``None``: its id is not in ``skip`` and ``GET /v1/instances/{instanceId}``
        shows it is neither gone nor ``destroying`` (a torn-down class's instances keep their
        names while they are being deleted)."""
        for summary in candidates:
            if summary.id in skip:
                continue
            try:
                instance = self.client.get_instance(summary.id)
            except NotFound:
                continue
            if instance.status != "destroying":
                return replace(instance, created_at=instance.created_at or summary.created_at)
        return None

    def _vault_path(self, instance_id: str) -> str:
        """The vault file holding an instance's password, or ``""``."""
        try:
            return str(self.client.vault.path_for(instance_id))
        except VaultError:
            return ""

    def _find_by_name(self, name: str) -> Any | None:
        """The oldest adoptable instance of the tenant with exactly this name (``GET /v1/instances``,
        then :meth:`_first_live`), or ``None``."""
        matches = [s for s in self.client.list_instances(self.manifest.tenant_id) if s.name == name]
        return self._first_live(sorted(matches, key=lambda s: s.created_at or ""),
                                set(self.manifest.by_instance_id()))

    def _create_one(self, record: AttendeeRecord, spec: ClassSpec, tenant_id: str,
                    seed: str | None) -> WorkshopEvent:
        """Create one attendee's instance, never two: before any second attempt, make sure by
        name that the first did not happen."""
        body = self._instance_spec(spec, tenant_id, record.name, seed)
        attendee = record.attendee
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                created = self.client.create_instance(body)
            except CreateResponseLost as exc:
                # The core looked by name; an instance being deleted is not the one just made.
                found = exc.instance and self._first_live([exc.instance], set(self.manifest.by_instance_id()))
                if not found:
                    last_error = "create response lost and no instance found"
                    continue
                return self._adopt_lost(record, found)
            except (ServerError, TransportError) as exc:
                # The API may have acted before failing: look before asking again.
                last_error = _one_line(exc)
                found = self._find_by_name(record.name)
                if found is not None:
                    return self._adopt_lost(record, found)
                continue
            except RateLimited as exc:  # refused before doing anything: safe to ask again later
                last_error = _one_line(exc)
                self._sleep(exc.retry_after or self.retry_delay)
                continue
            except ApiError as exc:  # 4xx: the request itself is wrong; resending cannot help
                self.manifest.update(attendee, status=FAILED, note=_one_line(exc))
                return WorkshopEvent("failed", attendee, "", FAILED, f"{attendee}: create refused: {exc}")
            self.manifest.update(
                attendee,
                instance_id=created.id,
                status="creating",
                created_at=created.created_at or "",
                connection_url=created.connection_url or "",
                vault_path=str(created.vault_path or ""),
                password_captured=created.vault_path is not None,
            )
            return WorkshopEvent("created", attendee, created.id, "creating",
                                 f"{attendee}: created {created.id} ({record.name})")
        self.manifest.update(attendee, status=FAILED, note=f"gave up after {self.max_attempts} attempts: {last_error}")
        return WorkshopEvent("failed", attendee, "", FAILED,
                             f"{attendee}: no instance after {self.max_attempts} attempts ({last_error}); run provision again")

    def _adopt_lost(self, record: AttendeeRecord, found: Any) -> WorkshopEvent:
        vault_path = self._vault_path(found.id)
        self.manifest.update(
            record.attendee, instance_id=found.id, status=found.status, created_at=found.created_at or "",
            connection_url=found.connection_url or "", vault_path=vault_path,
            password_captured=bool(vault_path), note=None if vault_path else LOST_PASSWORD_NOTE,
        )
        return WorkshopEvent(
            "password-lost", record.attendee, found.id, found.status,
            f"{record.attendee}: {LOST_PASSWORD_NOTE} (instance {found.id})",
        )

    def _wait_running(self, records: list[AttendeeRecord], report: ProvisionReport, timeout: float,
                      on_progress: ProgressCallback | None) -> None:
        """Wait for every record not known to be running with the client's shared-budget waiting."""
        pending = {r.instance_id: r for r in records if r.status not in ("running", "paused")}
        for record in records:
            if record.status == "paused":
                report.not_ready[record.attendee] = "paused: resume it with resume_all()"
        if not pending:
            return
        started = {i: r.created_at for i, r in pending.items() if r.created_at}
        ready, failures = self._wait_many(list(pending), "running", timeout, pending, on_progress, started)
        for instance_id, instance in ready.items():
            record = pending[instance_id]
            self.manifest.update(record.attendee, save=False, status=instance.status,
                                 connection_url=instance.connection_url or record.connection_url)
        for instance_id, error in failures.items():
            record = pending[instance_id]
            self.manifest.update(record.attendee, save=False,
                                 status=getattr(error, "status", None) or record.status)
            report.not_ready[record.attendee] = _one_line(error)
        self.manifest.save()

    def _wait_many(self, ids: list[str], target: str, timeout: float, records: dict[str, AttendeeRecord],
                   on_progress: ProgressCallback | None, started: dict[str, Any]
                   ) -> tuple[dict[str, Any], dict[str, Exception]]:
        """Wait until every instance in ``ids`` has ``target``; returns ``(ready, failures)``.

        ``client.wait_for_instances(goal="all")`` does the waiting (the rule is described in
        ``aura_nb.waiting``): it watches ``concurrency`` instances at a time and sweeps through the
        rest once those are ready, so nearly every status request finds a ready instance and the
        last one is seen about one poll interval after it is ready. ``started`` maps id -> when
        its operation began (creation time, or when the pause or resume was sent)."""
        total = len(ids)
        finished: dict[str, str] = {}

        def progress(update: Any) -> None:
            record = records.get(update.instance_id)
            if record is None:
                return
            if update.done and update.instance_id not in finished:
                finished[update.instance_id] = update.status
                kind = "ready" if update.status == target else "failed"
                self._emit(on_progress, WorkshopEvent(
                    kind, record.attendee, update.instance_id, update.status or "",
                    f"{record.attendee}: {update.status}", len(finished), total))
            elif on_progress is not None:
                on_progress(WorkshopEvent("waiting", record.attendee, update.instance_id, update.status or "",
                                          f"{record.attendee}: {update.status}", len(finished), total))

        speed = float(getattr(self.client, "speed", 1.0))
        interval = None if self.poll_interval is None else self.poll_interval / speed  # real s
        try:
            ready = self.client.wait_for_instances(
                ids, status=target, timeout=timeout, on_progress=progress, created_at=started,
                poll_interval=interval, goal="all", concurrency=self.concurrency)
        except WaitIncomplete as exc:
            return exc.ready, exc.failures
        return ready, {}

    # ------------------------------------------------------------------ hand-outs
    def write_handouts(self) -> Handouts:
        """Write one console-format credentials file per attendee with an instance, plus
        ``summary.csv`` and ``summary.md`` for the instructor (mode 0600, git-ignored folder).
        Passwords come from the vault; a lost one is explained in that attendee's file."""

        def read_secret(record: AttendeeRecord) -> tuple[str, str] | None:
            try:
                entry = self.client.vault.load(record.instance_id)
            except VaultError:
                return None
            return entry.username or "neo4j", entry.password

        result = write_handouts(self.handouts_folder, self.prefix, list(self.manifest), read_secret)
        for attendee, path in result.files.items():
            self.manifest.records[attendee].handout_path = str(path)
        self.manifest.save()
        return result

    # ------------------------------------------------------------------ day-to-day
    def status(self, *, refresh: bool = True, on_progress: ProgressCallback | None = None) -> list[StatusRow]:
        """The class table: one row per attendee. With ``refresh`` each instance's status is
        fetched (``GET /v1/instances/{id}``, one per instance, bounded concurrency) and saved in
        the manifest; without it the manifest's last known status is shown."""
        records = [r for r in self.manifest if r.has_instance]
        if refresh:
            try:
                self._parallel(records, self._refresh_one, on_progress)
            finally:
                self.manifest.save()
        now = self._server_now()
        rows = []
        for record in self.manifest:
            created = parse_timestamp(record.created_at) if record.has_instance else None
            rows.append(StatusRow(
                attendee=record.attendee,
                instance_name=record.name,
                instance_id=record.instance_id if record.has_instance else "",
                status=record.status or "unknown",
                age=(now - created).total_seconds() if created else None,
                notes=tuple(record.notes),
            ))
        return rows

    def _refresh_one(self, record: AttendeeRecord) -> WorkshopEvent:
        try:
            instance = self.client.get_instance(record.instance_id)
        except NotFound:
            self.manifest.update(record.attendee, save=False, status="missing",
                                 note=f"instance {record.instance_id} not found: deleted outside this workshop?")
            return WorkshopEvent("status", record.attendee, record.instance_id, "missing",
                                 f"{record.attendee}: instance {record.instance_id} not found")
        changes: dict[str, Any] = {"status": instance.status}
        if instance.connection_url:
            changes["connection_url"] = instance.connection_url
        self.manifest.update(record.attendee, save=False, **changes)
        return WorkshopEvent("status", record.attendee, record.instance_id, instance.status,
                             f"{record.attendee}: {instance.status}")

    def pause_all(self, *, wait: bool = True, timeout: float = 1800,
                  on_progress: ProgressCallback | None = None) -> BulkReport:
        """Pause every instance of the manifest (overnight); see :meth:`_bulk`."""
        return self._bulk("pause", wait, timeout, on_progress)

    def resume_all(self, *, wait: bool = True, timeout: float = 1800,
                   on_progress: ProgressCallback | None = None) -> BulkReport:
        """Resume every instance of the manifest (morning); see :meth:`_bulk`."""
        return self._bulk("resume", wait, timeout, on_progress)

    def _bulk(self, action: str, wait: bool, timeout: float,
              on_progress: ProgressCallback | None) -> BulkReport:
        """Pause or resume every manifest instance: ``GET /v1/instances/{id}`` first, skip those
        already in (or on the way to) the target, ``POST /v1/instances/{id}/pause|resume`` for the
        rest (after a ``409`` busy answer: wait for the operation in flight, then again), then
        ``client.wait_for_instances`` until all are there when ``wait``. API errors on single
        instances are reported in the result."""
        target = _LIFECYCLE[action][0]
        report = BulkReport(action=action)
        records = [r for r in self.manifest if r.has_instance]
        sent_at: dict[str, datetime] = {}  # server time each request was sent: when waiting starts
        events = self._parallel(records, lambda r: self._lifecycle_one(action, r, timeout, sent_at), on_progress)
        now = self._server_now()
        _tally(events, {"changed": report.changed, "skipped": report.skipped}, report.failed)
        if wait:
            by_id = {r.instance_id: r for r in records
                     if r.attendee not in report.failed and r.status != target}
            if by_id:
                started = {i: sent_at.get(i, now) for i in by_id}
                ready, failures = self._wait_many(list(by_id), target, timeout, by_id, on_progress, started)
                for instance_id, instance in ready.items():
                    self.manifest.update(by_id[instance_id].attendee, save=False, status=instance.status)
                for instance_id, error in failures.items():
                    report.failed[by_id[instance_id].attendee] = _one_line(error)
                self.manifest.save()
        report.statuses = {r.attendee: r.status for r in records}
        return report

    def _lifecycle_one(self, action: str, record: AttendeeRecord, timeout: float,
                       sent_at: dict[str, datetime]) -> WorkshopEvent:
        target, in_flight, start = _LIFECYCLE[action]
        call = self.client.pause_instance if action == "pause" else self.client.resume_instance
        attendee, instance_id = record.attendee, record.instance_id
        status = ""
        for _ in range(self.max_attempts):
            try:
                status = self.client.get_instance(instance_id).status
                self.manifest.update(attendee, status=status)
                if status in (target, in_flight):
                    return WorkshopEvent("skipped", attendee, instance_id, status, f"{attendee}: already {status}")
                if status == start:
                    sent_at[instance_id] = self._server_now()
                    result = call(instance_id)
                    self.manifest.update(attendee, status=getattr(result, "status", None) or in_flight)
                    return WorkshopEvent("changed", attendee, instance_id, in_flight,
                                         f"{attendee}: {action} sent ({instance_id})")
                if status not in _SETTLES_TO:
                    break  # e.g. "loading failed": no amount of waiting helps
                self._wait_until_idle(instance_id, status, timeout)
            except (Conflict, BadRequest):
                # Busy with another operation, or its status changed since the GET: look again.
                self._sleep(self.retry_delay)
            except NotFound:
                self.manifest.update(attendee, status="missing")
                return WorkshopEvent("failed", attendee, instance_id, "missing",
                                     f"{attendee}: instance {instance_id} not found")
            except (ApiError, InstanceWaitError) as exc:
                return WorkshopEvent("failed", attendee, instance_id, status, f"{attendee}: {exc}")
        return WorkshopEvent("failed", attendee, instance_id, status,
                             f"{attendee}: could not {action} instance {instance_id} (status {status or 'unknown'})")

    def reset(self, attendee: str, *, source_instance_id: str | None = None, wait: bool = True,
              timeout: float = 1200, on_progress: ProgressCallback | None = None) -> AttendeeRecord:
        """Overwrite one attendee's instance with the seed instance's data
        (``POST /v1/instances/{id}/overwrite``; the password does not change), then wait until it
        runs again when ``wait``. After a ``409`` busy answer, waits for the operation in flight
        and tries again. Raises :class:`WorkshopError` without a seed instance or an instance,
        ``ManifestError`` for an unknown attendee, and the API's errors."""
        source = source_instance_id or self.manifest.seed_instance_id
        if not source:
            raise WorkshopError(
                f"workshop {self.prefix} has no seed instance to reset from; pass source_instance_id"
            )
        record = self.manifest.get(attendee)
        if not record.has_instance:
            raise WorkshopError(f"{record.attendee} has no instance to reset; run provision first")
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.client.overwrite_instance(record.instance_id, source_instance_id=source)
                break
            except Conflict:
                if attempt == self.max_attempts:
                    raise
                status = self.client.get_instance(record.instance_id).status
                self._wait_until_idle(record.instance_id, status, timeout)
        self.manifest.update(record.attendee, status="overwriting", note=None)
        self._emit(on_progress, WorkshopEvent("changed", record.attendee, record.instance_id, "overwriting",
                                              f"{record.attendee}: overwriting from {source}"))
        if wait:
            instance = self.client.wait_for_instance(record.instance_id, status="running", timeout=timeout)
            self.manifest.update(record.attendee, status=instance.status)
            self._emit(on_progress, WorkshopEvent("ready", record.attendee, record.instance_id,
                                                  instance.status, f"{record.attendee}: {instance.status}"))
        return record

    # ------------------------------------------------------------------ teardown
    def orphans(self, summaries: Iterable[Any] | None = None) -> list[Any]:
        """Instances whose name starts with ``<prefix>-`` but that the manifest does not know
        (``GET /v1/instances`` unless ``summaries`` is given)."""
        if summaries is None:
            summaries = self.client.list_instances(self._tenant_id())
        known = self.manifest.by_instance_id()
        return [s for s in summaries if s.name.startswith(self.prefix + "-") and s.id not in known]

    def teardown(self, *, yes: bool = False, on_progress: ProgressCallback | None = None) -> TeardownReport:
        """Delete exactly the manifest's instances; without ``yes`` only list them (dry run).

        One ``GET /v1/instances`` finds which still exist and the orphans (prefixed instances the
        manifest does not know; reported, never deleted). With ``yes``: ``DELETE
        /v1/instances/{id}`` for each (404 counts as already gone; after a 409 busy answer it waits
        for the operation in flight and tries again); each deletion is recorded in the manifest at
        once, so an interrupted teardown re-run finishes the job."""
        summaries = self.client.list_instances(self._tenant_id())
        live = {s.id for s in summaries}
        records = [r for r in self.manifest if r.has_instance]
        report = TeardownReport(
            prefix=self.prefix, dry_run=not yes,
            planned=[(r.attendee, r.name, r.instance_id) for r in records],
            orphans=self.orphans(summaries),
        )
        if not yes:
            return report
        for record in records:
            if record.instance_id not in live:
                self.manifest.update(record.attendee, status=DELETED)
                report.already_gone.append(record.attendee)
        events = self._parallel([r for r in records if r.instance_id in live], self._delete_one, on_progress)
        _tally(events, {"deleted": report.deleted, "gone": report.already_gone}, report.failed)
        return report

    def _delete_one(self, record: AttendeeRecord) -> WorkshopEvent:
        attendee, instance_id = record.attendee, record.instance_id
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.client.delete_instance(instance_id)
            except NotFound:
                self.manifest.update(attendee, status=DELETED)
                return WorkshopEvent("gone", attendee, instance_id, DELETED, f"{attendee}: {instance_id} already gone")
            except Conflict:
                if attempt < self.max_attempts:
                    try:
                        status = self.client.get_instance(instance_id).status
                        self._wait_until_idle(instance_id, status, 1800)
                    except NotFound:
                        continue
                    except (ApiError, InstanceWaitError):
                        self._sleep(self.retry_delay)
                continue
            except ApiError as exc:
                return WorkshopEvent("failed", attendee, instance_id, record.status, f"{attendee}: {exc}")
            self.manifest.update(attendee, status=DELETED)
            return WorkshopEvent("deleted", attendee, instance_id, DELETED, f"{attendee}: deleted {instance_id}")
        return WorkshopEvent("failed", attendee, instance_id, record.status,
                             f"{attendee}: {instance_id} stayed busy; run teardown again later")

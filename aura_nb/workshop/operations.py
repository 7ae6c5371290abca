"""The workshop facade: one class's instances provisioned, watched, paused, reset, torn down.

Each class is tracked in a manifest; this module holds `Workshop`, the one entry point the
front-ends use.

Everything goes through an `AuraClient` (its pacing is the request budget shared by the worker
threads). Bulk operations go on past a per-attendee failure and end with a per-attendee report;
pause, resume, delete and overwrite are sent through the one read-before-you-resend rule
(:func:`aura_nb.workshop.retry.send_until_taken`): after a failed answer the status is read again
and the action resent only when it has not taken effect. `Workshop` holds the shared state and
machinery (a `aura_nb.workshop.runner.Runner`) and hands it to provisioning
(`aura_nb.workshop.provisioning`); the day-to-day operations are its own methods. No widget code here:
``aura_nb.widgets.classroom.ClassTable`` and the CLI are thin front-ends.
"""

from __future__ import annotations

import functools
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from aura_nb.core.errors import ApiError, BadRequest, Conflict, InstanceWaitError, NotFound, TransportError, error_line
from aura_nb.core.lifecycle import ACTIONS, action_taken_effect, can_reach
from aura_nb.core.models import parse_timestamp
from .manifest import DELETED, UNKNOWN, AttendeeRecord
from .handouts import Handouts
from .lock import WorkshopLocked
from .provisioning import LOST_PASSWORD_NOTE, first_live, provision
from .reports import BulkReport, Interrupted, ProgressCallback, ProvisionReport, StatusRow, TeardownReport, WorkshopEvent, tally
from .retry import OutcomeUnknown
from .roster import Attendee, read_roster
from .runner import Runner, status_or_none
from .spec import ClassSpec, Guardrails, WorkshopError

if TYPE_CHECKING:
    from aura_nb.core.client import AuraClient
    from .hub import Hub, HubReport

__all__ = ["Workshop"]

F = TypeVar("F", bound=Callable[..., Any])


def _locked(command: str) -> Callable[[F], F]:
    """Run the method holding the workshop's lock (`Runner.locked`): one process at a time."""
    def wrap(method: F) -> F:
        @functools.wraps(method)
        def locked(self: "Workshop", *args: Any, **kwargs: Any) -> Any:
            with self._run.locked(command):
                return method(self, *args, **kwargs)
        return locked  # type: ignore[return-value]
    return wrap


def _tally_interrupted(stopped: Interrupted, records: list[AttendeeRecord], lists: dict[str, list[str]],
                      failed: dict[str, str], cancelled: list[str]) -> None:
    """Sort the outcomes finished before Ctrl-C; the attendees not reached go to ``cancelled``
    (nothing was sent for them)."""
    tally(stopped.events, lists, failed)
    reached = {e.attendee for e in stopped.events}
    cancelled += [r.attendee for r in records if r.attendee not in reached and r.attendee not in cancelled]


class Workshop:
    """One class's instances, tracked in a manifest.

    ``Workshop(client, prefix, **options)`` opens (or starts) the manifest in
    ``$AURA_NB_HOME/workshops/<prefix>/manifest.json`` (``home`` or ``manifest_path`` override
    that; nothing is written until something changes). ``concurrency`` bounds the worker threads
    and the instances watched at once while waiting; ``poll_interval`` is the longest gap, in
    server seconds, between two status requests for an instance being waited for (default: the
    client's ``poll_interval``, i.e. ``AURA_POLL_INTERVAL``, else the waits' own schedule);
    ``retry_delay`` is the pause in server seconds before trying again after a busy answer whose
    operation cannot be waited for; ``max_attempts`` bounds the sends of each action (transient
    failures are retried by the client's transport, not here); ``show_password(attendee,
    instance_id, password)`` receives a password that neither the vault nor a rescue file could
    take (the one documented exception to "no secret is shown"; default: once on stderr).
    Raises :class:`RosterError` for a bad prefix and :class:`ManifestError` for an unreadable
    manifest or one of another prefix.
    """

    def __init__(self, client: "AuraClient", prefix: str, **options: Any) -> None:
        run = Runner(client, prefix, **options)  # the keyword options, typed, are Runner's
        self._run = run
        self.client, self.prefix, self.manifest, self.folder = run.client, run.prefix, run.manifest, run.folder

    def __repr__(self) -> str:
        return f"Workshop(prefix={self.prefix!r}, attendees={len(self.manifest)})"

    @property
    def handouts_folder(self) -> Path:
        """Where hand-outs are written: ``<workshop folder>/handouts``."""
        return self._run.handouts_folder

    @_locked("handouts")
    def write_handouts(self) -> Handouts:
        """Write one console-format credentials file per attendee with an instance, plus
        ``summary.csv`` and ``summary.md`` for the instructor (mode 0600, git-ignored folder).
        Passwords come from the vault; a lost one is explained in that attendee's file."""
        return self._run.write_handouts()

    # ------------------------------------------------------------------ a class on a JupyterHub
    @_locked("provision --hub")
    def deliver_to_hub(self, hub: "Hub", hub_users: dict[str, str], *, folder: str | None = None,
                       settings: dict[str, str] | None = None, timeout: float = 120,
                       on_progress: ProgressCallback | None = None) -> "HubReport":
        """Put each attendee's hand-out (the notebooks, a README and their 0600 ``.env``) into
        ``folder`` (default ``aura-<prefix>``) of their home on ``hub``, starting servers as
        needed; ``hub_users`` maps attendee -> hub user, ``settings`` are the API settings every
        ``.env`` carries (`aura_nb.workshop.hub.attendee_settings`). A second run writes
        nothing; a file an attendee changed is kept. See `aura_nb.workshop.hub`."""
        from .hub import deliver

        return deliver(self._run, hub, hub_users, folder or f"aura-{self.prefix}", settings or {},
                       timeout=timeout, on_progress=on_progress)

    @_locked("teardown --hub")
    def remove_from_hub(self, hub: "Hub", *, yes: bool = False, timeout: float = 120,
                        on_progress: ProgressCallback | None = None) -> "HubReport":
        """Remove from the attendees' homes exactly the hand-out files `deliver_to_hub` wrote
        that are still as written (a dry run without ``yes``)."""
        from .hub import remove

        return remove(self._run, hub, yes=yes, timeout=timeout, on_progress=on_progress)

    # ------------------------------------------------------------------ provisioning
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
        deleted, e.g. after a teardown); a check that the vault can be written; ``POST
        /v1/instances`` for the rest on a bounded pool (each password is in the vault when the
        create returns); ``client.wait_for_instances`` for all; hand-outs.
        The manifest is saved after every create. Re-running is safe and creates only what is
        missing. Raises :class:`RosterError`, :class:`GuardrailViolation`, ``InvalidInstanceSpec``,
        ``VaultError`` (vault not writable) or :class:`WorkshopError` before any instance is
        created; what happens to single attendees (failed, unknown whether created, not ready) is
        reported in the result, not raised.
        """
        attendees = read_roster(roster) if isinstance(roster, (str, os.PathLike)) else list(roster)
        with self._run.locked("provision"):  # a bad roster is refused before anything is written
            return provision(self._run, attendees, spec, tenant=tenant, guardrails=guardrails,
                             seed_instance_id=seed_instance_id, wait=wait, timeout=timeout,
                             handouts=handouts, on_progress=on_progress)

    # ------------------------------------------------------------------ status
    def status(self, *, refresh: bool = True, on_progress: ProgressCallback | None = None,
               cancel: threading.Event | None = None) -> list[StatusRow]:
        """The class table: one row per attendee. With ``refresh`` each instance's status is
        fetched (``GET /v1/instances/{id}``, one per instance, bounded concurrency) and saved in
        the manifest; without it the manifest's last known status is shown. Setting ``cancel``
        stops fetching (the rest keep their last known status). Raises the API's error when a
        status cannot be read (what was read is saved). While another process (or thread) holds the workshop's lock
        (`aura_nb.workshop.lock`: a provision running), the statuses are fetched and shown but
        the manifest is left to that holder."""
        try:
            with self._run.locked("status"):
                return self._status(refresh, on_progress, cancel, save=True)
        except WorkshopLocked:
            return self._status(refresh, on_progress, cancel, save=False)

    def _status(self, refresh: bool, on_progress: ProgressCallback | None,
                cancel: threading.Event | None, save: bool) -> list[StatusRow]:
        records = [r for r in self.manifest if r.has_instance]
        if refresh:
            try:
                self._run.parallel(records, self._refresh_one, on_progress, cancel)
            finally:
                if save:
                    self.manifest.save()
        now = self._run.server_now()
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

    # ------------------------------------------------------------------ pause / resume
    @_locked("pause")
    def pause_all(self, *, wait: bool = True, timeout: float = 1800,
                  on_progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None) -> BulkReport:
        """Pause every instance of the manifest (overnight); see :meth:`_bulk`."""
        return self._bulk("pause", wait, timeout, on_progress, cancel)

    @_locked("resume")
    def resume_all(self, *, wait: bool = True, timeout: float = 1800,
                   on_progress: ProgressCallback | None = None,
                   cancel: threading.Event | None = None) -> BulkReport:
        """Resume every instance of the manifest (morning); see :meth:`_bulk`."""
        return self._bulk("resume", wait, timeout, on_progress, cancel)

    def _bulk(self, action: str, wait: bool, timeout: float,
              on_progress: ProgressCallback | None, cancel: threading.Event | None) -> BulkReport:
        """Pause or resume every manifest instance: ``GET /v1/instances/{id}`` first, skip those
        already in (or on the way to) the target, ``POST /v1/instances/{id}/pause|resume`` for the
        rest through the busy-retry rule, then ``client.wait_for_instances`` until all are there
        when ``wait``. A failure on one instance is reported for its attendee; the rest go on.
        Once ``cancel`` is set no further request is sent for an attendee not yet started (they
        are reported as ``cancelled``) and waiting stops; what was sent is reported."""
        target = ACTIONS[action].target
        report = BulkReport(action=action)
        records = [r for r in self.manifest if r.has_instance]
        sent_at: dict[str, datetime] = {}  # server time each request was sent: when waiting starts
        try:
            events = self._run.parallel(records, lambda r: self._lifecycle_one(action, r, timeout, sent_at),
                                        on_progress, cancel)
        except Interrupted as stopped:
            _tally_interrupted(stopped, records, {"changed": report.changed, "skipped": report.skipped,
                                                  "cancelled": report.cancelled}, report.failed, report.cancelled)
            report.statuses = {r.attendee: r.status for r in records}
            raise Interrupted(stopped.events, report) from None
        now = self._run.server_now()
        tally(events, {"changed": report.changed, "skipped": report.skipped, "cancelled": report.cancelled},
              report.failed)
        if wait and not (cancel is not None and cancel.is_set()):
            by_id = {r.instance_id: r for r in records
                     if r.attendee not in report.failed and r.status != target}
            if by_id:
                started = {i: sent_at.get(i, now) for i in by_id}
                try:
                    ready, failures = self._run.wait_many(list(by_id), target, timeout, by_id, on_progress,
                                                          started, cancel)
                except KeyboardInterrupt:  # every request was sent: the report says which
                    report.statuses = {r.attendee: r.status for r in records}
                    raise Interrupted(events, report) from None
                for instance_id, instance in ready.items():
                    self.manifest.update(by_id[instance_id].attendee, save=False, status=instance.status)
                for instance_id, error in failures.items():
                    report.failed[by_id[instance_id].attendee] = error_line(error)
                self.manifest.save()
        report.statuses = {r.attendee: r.status for r in records}
        return report

    def _lifecycle_one(self, action: str, record: AttendeeRecord, timeout: float,
                       sent_at: dict[str, datetime]) -> WorkshopEvent:
        rule = ACTIONS[action]
        target, in_flight = rule.target, rule.in_flight
        call = self.client.pause_instance if action == "pause" else self.client.resume_instance
        attendee, instance_id = record.attendee, record.instance_id
        seen: dict[str, str | None] = {"status": record.status}

        def taken_effect() -> bool:
            seen["status"] = status_or_none(self.client, instance_id)
            return action_taken_effect(action, seen["status"])

        def send() -> Any:
            sent_at[instance_id] = self._run.server_now()
            return call(instance_id)

        try:
            taken = taken_effect()
            if not taken and seen["status"] not in rule.starts_from:
                if not any(can_reach(seen["status"], start) for start in rule.starts_from):
                    raise WorkshopError(f"status {seen['status'] or 'gone'} cannot become {target}")
                self._run.wait_idle(instance_id, seen["status"], timeout)  # busy: let it settle first
                taken = taken_effect()
            if taken:
                self.manifest.update(attendee, status=seen["status"])
                return WorkshopEvent("skipped", attendee, instance_id, seen["status"] or "",
                                     f"{attendee}: already {seen['status']}")
            done = self._run.act(send, taken_effect,
                             lambda: self._run.wait_idle(instance_id, seen["status"], timeout),
                             busy=(Conflict, BadRequest))  # 400: its status changed since the GET
        except OutcomeUnknown as exc:
            return WorkshopEvent("failed", attendee, instance_id, record.status,
                                 f"{attendee}: unknown whether the {action} took effect ({exc.reason}); run it again")
        except (WorkshopError, ApiError, TransportError) as exc:
            status = "missing" if isinstance(exc, NotFound) else record.status
            self.manifest.update(attendee, status=status)
            return WorkshopEvent("failed", attendee, instance_id, status,
                                 f"{attendee}: could not {action} instance {instance_id}: {error_line(exc)}")
        status = (getattr(done.answer, "status", None) or in_flight) if done.answered else seen["status"]
        self.manifest.update(attendee, status=status)
        return WorkshopEvent("changed", attendee, instance_id, status or in_flight,
                             f"{attendee}: {action} sent ({instance_id})")

    # ------------------------------------------------------------------ reset
    @_locked("reset")
    def reset(self, attendee: str, *, source_instance_id: str | None = None, wait: bool = True,
              timeout: float = 1200, on_progress: ProgressCallback | None = None) -> AttendeeRecord:
        """Overwrite one attendee's instance with the seed instance's data
        (``POST /v1/instances/{id}/overwrite``; the password does not change), then wait until it
        runs again when ``wait``. Sent through the busy-retry rule (a busy instance is waited
        for). Raises :class:`WorkshopError` without a seed instance or an instance, or when the
        overwrite could not be confirmed, ``ManifestError`` for an unknown attendee, and the
        API's errors."""
        source = source_instance_id or self.manifest.seed_instance_id
        if not source:
            raise WorkshopError(
                f"workshop {self.prefix} has no seed instance to reset from; pass source_instance_id"
            )
        record = self.manifest.get(attendee)
        if not record.has_instance:
            raise WorkshopError(f"{record.attendee} has no instance to reset; run provision first")
        seen: dict[str, str | None] = {"status": record.status}

        def taken_effect() -> bool:
            seen["status"] = status_or_none(self.client, record.instance_id)
            return seen["status"] == ACTIONS["overwrite"].in_flight

        self._run.act(lambda: self.client.overwrite_instance(record.instance_id, source_instance_id=source),
                  taken_effect, lambda: self._run.wait_idle(record.instance_id, seen["status"], timeout))
        self.manifest.update(record.attendee, status="overwriting", note=None)
        self._run.emit(on_progress, WorkshopEvent("changed", record.attendee, record.instance_id, ACTIONS["overwrite"].in_flight,
                                              f"{record.attendee}: overwriting from {source}"))
        if wait:
            instance = self.client.wait_for_instance(record.instance_id, status="running", timeout=timeout)
            self.manifest.update(record.attendee, status=instance.status)
            self._run.emit(on_progress, WorkshopEvent("ready", record.attendee, record.instance_id,
                                                  instance.status, f"{record.attendee}: {instance.status}"))
        return record

    # ------------------------------------------------------------------ teardown
    def orphans(self, summaries: Iterable[Any] | None = None) -> list[Any]:
        """Instances whose name starts with ``<prefix>-`` but that the manifest does not know
        (``GET /v1/instances`` unless ``summaries`` is given)."""
        if summaries is None:
            summaries = self.client.list_instances(self._run.tenant_id())
        known = self.manifest.by_instance_id()
        return [s for s in summaries if s.name.startswith(self.prefix + "-") and s.id not in known]

    @_locked("teardown")
    def teardown(self, *, yes: bool = False, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> TeardownReport:
        """Delete exactly the manifest's instances; without ``yes`` only list them (dry run).

        One ``GET /v1/instances`` finds which still exist and the orphans (prefixed instances the
        manifest does not know; reported, never deleted). An attendee whose create was left
        "unknown" gets the live instance carrying their instance name, if the listing shows one.
        With ``yes``: ``DELETE /v1/instances/{id}`` for each through the busy-retry rule (404
        counts as already gone; after a failed answer the status is read and the DELETE resent
        only if it did not take effect); each deletion is recorded in the manifest at once, so an
        interrupted teardown re-run finishes the job. A failure on one instance is reported for
        its attendee; the rest go on. Once ``cancel`` is set no further DELETE is sent (those
        attendees are reported as ``cancelled``); the DELETEs already sent are reported."""
        summaries = self.client.list_instances(self._run.tenant_id())
        self._claim_unknown(summaries)
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
        lists = {"deleted": report.deleted, "gone": report.already_gone, "cancelled": report.cancelled}
        doomed = [r for r in records if r.instance_id in live]
        try:
            events = self._run.parallel(doomed, self._delete_one, on_progress, cancel)
        except Interrupted as stopped:
            _tally_interrupted(stopped, doomed, lists, report.failed, report.cancelled)
            raise Interrupted(stopped.events, report) from None
        tally(events, lists, report.failed)
        return report

    def _claim_unknown(self, summaries: list[Any]) -> None:
        """Give each "unknown whether created" attendee the live instance carrying their name."""
        skip = set(self.manifest.by_instance_id())
        for record in self.manifest:
            if record.status != UNKNOWN or record.instance_id:
                continue
            matches = sorted((s for s in summaries if s.name == record.name), key=lambda s: s.created_at or "")
            found = first_live(self._run, matches, skip)
            if found is not None:
                skip.add(found.id)
                self.manifest.update(record.attendee, instance_id=found.id, status=found.status,
                                     created_at=found.created_at or "", notes=[], note=LOST_PASSWORD_NOTE)

    def _delete_one(self, record: AttendeeRecord) -> WorkshopEvent:
        attendee, instance_id = record.attendee, record.instance_id
        seen: dict[str, str | None] = {"status": record.status}

        def taken_effect() -> bool:
            seen["status"] = status_or_none(self.client, instance_id)
            return action_taken_effect("delete", seen["status"])

        try:
            self._run.act(lambda: self.client.delete_instance(instance_id), taken_effect,
                      lambda: self._run.wait_idle(instance_id, seen["status"], 1800))
        except NotFound:
            self.manifest.update(attendee, status=DELETED)
            return WorkshopEvent("gone", attendee, instance_id, DELETED, f"{attendee}: {instance_id} already gone")
        except OutcomeUnknown as exc:
            return WorkshopEvent("failed", attendee, instance_id, record.status,
                                 f"{attendee}: unknown whether {instance_id} was deleted ({exc.reason}); "
                                 "run teardown again")
        except (WorkshopError, ApiError, TransportError, InstanceWaitError) as exc:
            return WorkshopEvent("failed", attendee, instance_id, record.status,
                                 f"{attendee}: {instance_id} not deleted ({error_line(exc)}); run teardown again")
        self.manifest.update(attendee, status=DELETED)
        return WorkshopEvent("deleted", attendee, instance_id, DELETED, f"{attendee}: deleted {instance_id}")

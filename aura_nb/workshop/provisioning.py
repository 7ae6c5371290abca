"""Provisioning a class: exactly one instance per attendee, never a duplicate, no password lost.

Every password received is kept (vault, rescue file) or shown once.

Get-or-create by name: one listing adopts instances that already carry an attendee's name; the rest
are created on a bounded pool. A create whose answer was lost or failed is never resent until a
listing has answered and shown that it did not happen; when no listing answers, the attendee is in
the "unknown whether created" state (saved in the manifest; the next run adopts what exists).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any, Iterable

from aura_nb.core.errors import ApiError, NotFound, VaultError, VaultWriteFailed
from aura_nb.core.rules import InstanceSpec, parse_size
from .manifest import FAILED, PLANNED, UNKNOWN, AttendeeRecord
from .reports import UNKNOWN_ADVICE, ProgressCallback, ProvisionReport, WorkshopEvent, tally
from .retry import GaveUp, OutcomeUnknown, one_line
from .roster import Attendee, instance_names, read_roster
from .runner import Runner
from .spec import ClassSpec, Guardrails, WorkshopError

__all__ = ["Provisioner", "LOST_PASSWORD_NOTE", "ADOPTED_NOTE"]

LOST_PASSWORD_NOTE = "create response lost: password not captured, reset it in the console"
ADOPTED_NOTE = "adopted an existing instance with this name: password not in the vault, reset it in the console"


class Provisioner(Runner):
    """The provisioning half of :class:`aura_nb.workshop.Workshop`."""

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
        names = instance_names(self.prefix, wanted, taken={r.attendee: r.name for r in manifest})
        seed = seed_instance_id or manifest.seed_instance_id or None
        # InvalidInstanceSpec (listing the valid choices) when the tenant lacks a setting
        resolved = ClassSpec.of(spec.complete(tenant_obj, names[wanted[0]] if wanted else f"{self.prefix}-x", seed))
        guardrails.check(resolved, count)
        if manifest.spec and ClassSpec(**manifest.spec) != resolved:
            raise WorkshopError(
                f"workshop {self.prefix} was provisioned with {manifest.spec}; "
                "use the same settings or another prefix"
            )
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
        if missing:
            self.client.vault.check_writable()  # refuse before any create: passwords need a home
        events = self._parallel(
            missing, lambda r: self._create_one(r, resolved.complete(tenant_obj, r.name, seed), report.rescued),
            on_progress
        )
        tally(events, {"created": report.created, "password-lost": report.adopted}, report.failed, report.unknown)
        report.lost_passwords = [r.attendee for r in records
                                 if r.has_instance and not r.password_captured and r.attendee not in report.rescued]

        if wait:
            self._wait_running([r for r in records if r.has_instance], report, timeout, on_progress)
        report.ready = [r.attendee for r in records if r.has_instance and r.status == "running"]
        if handouts:
            report.handouts = self.write_handouts()
        report.seconds = time.monotonic() - started
        return report

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
        if instance.memory and spec.memory and parse_size(instance.memory) > parse_size(spec.memory):
            raise WorkshopError(
                f"seed instance {seed} has {instance.memory}, more than the {spec.memory} of each clone; "
                "choose at least its memory"
            )

    def _adopt(self, records: list[AttendeeRecord], report: ProvisionReport,
               on_progress: ProgressCallback | None) -> None:
        """One ``GET /v1/instances``: keep the manifest's instances that still exist, start afresh
        for attendees whose instance was torn down or vanished, and adopt instances that already
        carry an attendee's instance name, among them the creates a previous run could not confirm
        (see :meth:`_first_live`: never one being deleted, nor one this workshop deleted or holds)."""
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
            was_unknown = record.status == UNKNOWN
            found = self._first_live(by_name.get(record.name, ()), skip)
            if found is None:
                if was_unknown:  # the listing answered: that create did not happen
                    self.manifest.update(record.attendee, status=PLANNED, notes=[])
                continue
            skip.add(found.id)
            vault_path = self._vault_path(found.id)
            self.manifest.update(
                record.attendee, instance_id=found.id, status=found.status,
                created_at=found.created_at or "", connection_url=found.connection_url or "",
                vault_path=vault_path, password_captured=bool(vault_path),
                notes=[] if was_unknown else record.notes,
                note=None if vault_path else (LOST_PASSWORD_NOTE if was_unknown else ADOPTED_NOTE),
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
        """The oldest live instance of the tenant with exactly this name that this workshop does
        not already hold (``client.find_live_instances``), or ``None``. Raises the listing's error
        when it fails."""
        skip = set(self.manifest.by_instance_id())
        return next((i for i in self.client.find_live_instances(name, self.manifest.tenant_id)
                     if i.id not in skip), None)

    def _create_one(self, record: AttendeeRecord, body: InstanceSpec, rescued: dict[str, str]) -> WorkshopEvent:
        """Create one attendee's instance, never two: after a failure that may hide a create, a
        listing must answer (and show no such instance) before the create is sent again."""
        attendee = record.attendee
        try:
            done = self._act(lambda: self.client.create_instance(body),
                             taken_effect=lambda: self._find_by_name(record.name),
                             wait_idle=lambda: self._pause(self.retry_delay))
        except OutcomeUnknown as exc:
            self.manifest.update(attendee, status=UNKNOWN, note=f"{UNKNOWN_ADVICE}: {exc.reason}")
            return WorkshopEvent("unknown", attendee, "", UNKNOWN, f"{attendee}: {UNKNOWN_ADVICE}")
        except GaveUp as exc:
            self.manifest.update(attendee, status=FAILED, note=one_line(exc))
            return WorkshopEvent("failed", attendee, "", FAILED, f"{attendee}: {exc}; run provision again")
        except VaultWriteFailed as exc:
            return self._rescue(record, exc, rescued)
        except ApiError as exc:  # 4xx: the request itself is wrong; resending cannot help
            self.manifest.update(attendee, status=FAILED, note=one_line(exc))
            return WorkshopEvent("failed", attendee, "", FAILED, f"{attendee}: create refused: {one_line(exc)}")
        if not done.answered:
            return self._adopt_lost(record, done.effect)
        created = done.answer
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

    def _rescue(self, record: AttendeeRecord, error: VaultWriteFailed, rescued: dict[str, str]) -> WorkshopEvent:
        """A create succeeded but the vault write failed: the password is in the rescue file, or
        else shown once through ``show_password``; either way the instance is recorded."""
        created = error.created
        rescue_path = error.rescue_path
        if rescue_path:
            where = f"in the rescue file {rescue_path}"
        else:
            self.show_password(record.attendee, created.id, created.password)
            where = "shown once on stderr"
        rescued[record.attendee] = where
        self.manifest.update(
            record.attendee, instance_id=created.id, status="creating", created_at=created.created_at or "",
            connection_url=created.connection_url or "", vault_path=str(rescue_path or ""),
            password_captured=False, note=f"password not in the vault: {where}",
        )
        return WorkshopEvent("created", record.attendee, created.id, "creating",
                             f"{record.attendee}: created {created.id} ({record.name}); password {where}")

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
            report.not_ready[record.attendee] = one_line(error)
        self.manifest.save()

"""Provisioning a class: exactly one instance per attendee, never a duplicate, no password lost.

Every password received is kept (vault, rescue file) or shown once.

The functions here take the workshop's `Runner` as their first argument.
Get-or-create by name: one listing adopts instances that already carry an attendee's name; the rest
are created on a bounded pool. A create whose answer was lost or failed is never resent until a
listing has answered and shown that it did not happen; when no listing answers, the attendee is in
the "unknown whether created" state (saved in the manifest; the next run adopts what exists).
"""

from __future__ import annotations

import os
import time
from typing import Any, Iterable

from aura_nb.core.errors import ApiError, EarlierCreateUnresolved, NotFound, VaultError, VaultWriteFailed, error_line
from aura_nb.core.lifecycle import CREATING, PAUSED, RUNNING
from aura_nb.core.lookup import live_instances
from aura_nb.core.rules import InstanceSpec, parse_size
from .manifest import FAILED, PLANNED, UNKNOWN, AttendeeRecord
from .reports import UNKNOWN_ADVICE, ProgressCallback, ProvisionReport, WorkshopEvent, tally
from .retry import GaveUp, OutcomeUnknown
from .roster import Attendee, instance_names, read_roster
from .runner import Runner
from .spec import ClassSpec, Guardrails, WorkshopError

__all__ = ["provision", "first_live", "LOST_PASSWORD_NOTE", "ADOPTED_NOTE"]


LOST_PASSWORD_NOTE = "create response lost: password not captured, reset it in the console"
ADOPTED_NOTE = "adopted an existing instance with this name: password not in the vault, reset it in the console"


def provision(run: Runner, roster: str | os.PathLike | Iterable[Attendee], spec: ClassSpec | None, *,
              tenant: str | None, guardrails: Guardrails | None, seed_instance_id: str | None, wait: bool,
              timeout: float, handouts: bool, on_progress: ProgressCallback | None) -> ProvisionReport:
    """:meth:`aura_nb.workshop.Workshop.provision` (its docstring says what it does) on ``run``."""
    started = time.monotonic()
    attendees = read_roster(roster) if isinstance(roster, (str, os.PathLike)) else list(roster)
    manifest = run.manifest
    if spec is None:
        spec = ClassSpec(**manifest.spec) if manifest.spec else ClassSpec()
    guardrails = guardrails or Guardrails()
    if seed_instance_id and manifest.seed_instance_id and seed_instance_id != manifest.seed_instance_id:
        raise WorkshopError(
            f"workshop {run.prefix} was seeded from {manifest.seed_instance_id}; "
            "leave out the seed instance or use another prefix"
        )
    wanted = [a.name for a in attendees]
    count = len({*wanted, *(r.attendee for r in manifest if r.has_instance)})
    guardrails.check(spec, count)  # nothing has been sent yet

    tenant_obj = run.tenant(tenant)
    names = instance_names(run.prefix, wanted, taken={r.attendee: r.name for r in manifest})
    seed = seed_instance_id or manifest.seed_instance_id or None
    # InvalidInstanceSpec (listing the valid choices) when the tenant lacks a setting
    resolved = ClassSpec.of(spec.complete(tenant_obj, names[wanted[0]] if wanted else f"{run.prefix}-x", seed))
    guardrails.check(resolved, count)
    if manifest.spec and ClassSpec(**manifest.spec) != resolved:
        raise WorkshopError(
            f"workshop {run.prefix} was provisioned with {manifest.spec}; "
            "use the same settings or another prefix"
        )
    if seed:
        _check_seed(run, seed, tenant_obj.id, resolved)

    manifest.tenant_id, manifest.tenant_name = tenant_obj.id, tenant_obj.name
    manifest.spec = resolved.as_dict()
    manifest.seed_instance_id = seed or ""
    for attendee in attendees:
        record = manifest.add(AttendeeRecord(attendee=attendee.name, name=names[attendee.name]))
        if attendee.email and not record.email:
            record.email = attendee.email
    manifest.save()

    report = ProvisionReport(prefix=run.prefix, total=len(wanted))
    records = [manifest.records[name] for name in wanted]
    _adopt(run, records, report, on_progress)
    missing = [r for r in records if not r.has_instance]
    if missing:
        run.client.vault.check_writable()  # refuse before any create: passwords need a home
    events = run.parallel(
        missing, lambda r: _create_one(run, r, resolved.complete(tenant_obj, r.name, seed), report.rescued),
        on_progress
    )
    tally(events, {"created": report.created, "password-lost": report.adopted, "adopted": report.adopted},
          report.failed, report.unknown)
    report.lost_passwords = [r.attendee for r in records
                             if r.has_instance and not r.password_captured and r.attendee not in report.rescued]

    if wait:
        _wait_running(run, [r for r in records if r.has_instance], report, timeout, on_progress)
    report.ready = [r.attendee for r in records if r.has_instance and r.status == RUNNING]
    if handouts:
        report.handouts = run.write_handouts()
    report.seconds = time.monotonic() - started
    return report


def _check_seed(run: Runner, seed: str, tenant_id: str, spec: ClassSpec) -> None:
    """The seed must be a running instance of the same tenant, not larger than the clones."""
    try:
        instance = run.client.get_instance(seed)
    except NotFound:
        raise WorkshopError(f"seed instance {seed} does not exist; check its id with list_instances()") from None
    if instance.tenant_id != tenant_id:
        raise WorkshopError(f"seed instance {seed} is in another tenant; use one of tenant {tenant_id}")
    if instance.status != RUNNING:
        raise WorkshopError(f"seed instance {seed} is {instance.status}; it must be running to be cloned")
    if instance.memory and spec.memory and parse_size(instance.memory) > parse_size(spec.memory):
        raise WorkshopError(
            f"seed instance {seed} has {instance.memory}, more than the {spec.memory} of each clone; "
            "choose at least its memory"
        )


def _adopt(run: Runner, records: list[AttendeeRecord], report: ProvisionReport,
           on_progress: ProgressCallback | None) -> None:
    """One ``GET /v1/instances``: keep the manifest's instances that still exist, start afresh
    for attendees whose instance was torn down or vanished, and adopt instances that already
    carry an attendee's instance name, among them the creates a previous run could not confirm
    (see :func:`first_live`: never one being deleted, nor one this workshop deleted or holds)."""
    summaries = run.client.list_instances(run.manifest.tenant_id)
    live = {s.id for s in summaries}
    by_name: dict[str, list[Any]] = {}
    for summary in sorted(summaries, key=lambda s: s.created_at or ""):
        by_name.setdefault(summary.name, []).append(summary)
    skip = set(run.manifest.by_instance_id())  # ours: in use, or deleted by teardown
    for record in records:
        if record.instance_id and record.status != FAILED:
            if record.has_instance and record.instance_id in live:
                continue
            vanished = (f"instance {record.instance_id} vanished (deleted outside this workshop); "
                        "created a new one") if record.has_instance else None
            run.manifest.update(
                record.attendee, instance_id="", status=PLANNED, created_at="", connection_url="",
                vault_path="", password_captured=False, handout_path="", notes=[], note=vanished,
            )
        was_unknown = record.status == UNKNOWN
        found = first_live(run, by_name.get(record.name, ()), skip)
        if found is None:
            if was_unknown:  # the listing answered: that create did not happen
                run.manifest.update(record.attendee, status=PLANNED, notes=[])
            continue
        skip.add(found.id)
        vault_path = _vault_path(run, found.id)
        run.manifest.update(
            record.attendee, instance_id=found.id, status=found.status,
            created_at=found.created_at or "", connection_url=found.connection_url or "",
            vault_path=vault_path, password_captured=bool(vault_path),
            notes=[] if was_unknown else record.notes,
            note=None if vault_path else (LOST_PASSWORD_NOTE if was_unknown else ADOPTED_NOTE),
        )
        report.adopted.append(record.attendee)
        run.emit(on_progress, WorkshopEvent(
            "adopted", record.attendee, found.id, found.status,
            f"{record.attendee}: adopted existing instance {found.id} ({record.name}, {found.status})"))


def first_live(run: Runner, candidates: Iterable[Any], skip: set[str]) -> Any | None:
    """The first of ``candidates`` (instance summaries, oldest first) whose id is not in ``skip``
    and that is live (`aura_nb.core.lookup.live_instances`: a torn-down class's instances keep
    their names while they are being deleted), as an ``Instance``, or ``None``."""
    return next(live_instances(run.client, (s for s in candidates if s.id not in skip)), None)


def _vault_path(run: Runner, instance_id: str) -> str:
    """The vault file holding an instance's password, or ``""``."""
    try:
        return str(run.client.vault.path_for(instance_id))
    except VaultError:
        return ""


def _find_by_name(run: Runner, name: str) -> Any | None:
    """The oldest live instance of the tenant with exactly this name that this workshop does
    not already hold (``client.find_live_instances``), or ``None``. Raises the listing's error
    when it fails."""
    skip = set(run.manifest.by_instance_id())
    return next((i for i in run.client.find_live_instances(name, run.manifest.tenant_id)
                 if i.id not in skip), None)


def _create_one(run: Runner, record: AttendeeRecord, body: InstanceSpec, rescued: dict[str, str]) -> WorkshopEvent:
    """Create one attendee's instance, never two: after a failure that may hide a create, a
    listing must answer (and show no such instance) before the create is sent again."""
    attendee = record.attendee
    unsaved: list[VaultWriteFailed] = []  # created, but its password is not in the vault
    try:
        done = run.act(lambda: run.client.create_instance(body, show_once=unsaved.append),
                       taken_effect=lambda: _find_by_name(run, record.name),
                       wait_idle=lambda: run.pause(run.retry_delay))
    except (OutcomeUnknown, EarlierCreateUnresolved) as exc:  # the latter: the core did not send
        reason = exc.reason if isinstance(exc, OutcomeUnknown) else error_line(exc)
        run.manifest.update(attendee, status=UNKNOWN, note=f"{UNKNOWN_ADVICE}: {reason}")
        return WorkshopEvent("unknown", attendee, "", UNKNOWN, f"{attendee}: {UNKNOWN_ADVICE}")
    except GaveUp as exc:
        run.manifest.update(attendee, status=FAILED, note=error_line(exc))
        return WorkshopEvent("failed", attendee, "", FAILED, f"{attendee}: {exc}; run provision again")
    except ApiError as exc:  # 4xx: the request itself is wrong; resending cannot help
        run.manifest.update(attendee, status=FAILED, note=error_line(exc))
        return WorkshopEvent("failed", attendee, "", FAILED, f"{attendee}: create refused: {error_line(exc)}")
    if not done.answered:
        return _adopt_lost(run, record, done.effect)
    created = done.answer
    if unsaved:
        return _rescue(run, record, created, rescued)
    run.manifest.update(
        attendee,
        instance_id=created.id,
        status="creating",
        created_at=created.created_at or "",
        connection_url=created.connection_url or "",
        vault_path=str(created.vault_path or ""),
        password_captured=created.vault_path is not None,
    )
    return WorkshopEvent("created", attendee, created.id, CREATING,
                         f"{attendee}: created {created.id} ({record.name})")


def _rescue(run: Runner, record: AttendeeRecord, created: Any, rescued: dict[str, str]) -> WorkshopEvent:
    """A create succeeded but the vault write failed: the password is in the rescue file
    (``created.vault_path``), or else shown once through ``show_password``; either way the
    instance is recorded."""
    rescue_path = created.vault_path
    if rescue_path:
        where = f"in the rescue file {rescue_path}"
    else:
        run.show_password(record.attendee, created.id, created.password)
        where = "shown once on stderr"
    rescued[record.attendee] = where
    run.manifest.update(
        record.attendee, instance_id=created.id, status="creating", created_at=created.created_at or "",
        connection_url=created.connection_url or "", vault_path=str(rescue_path or ""),
        password_captured=False, note=f"password not in the vault: {where}",
    )
    return WorkshopEvent("created", record.attendee, created.id, CREATING,
                         f"{record.attendee}: created {created.id} ({record.name}); password {where}")


def _adopt_lost(run: Runner, record: AttendeeRecord, found: Any) -> WorkshopEvent:
    vault_path = _vault_path(run, found.id)
    run.manifest.update(
        record.attendee, instance_id=found.id, status=found.status, created_at=found.created_at or "",
        connection_url=found.connection_url or "", vault_path=vault_path,
        password_captured=bool(vault_path), note=None if vault_path else LOST_PASSWORD_NOTE,
    )
    if vault_path:  # another run's create (the journal said so): its password is in the vault
        return WorkshopEvent("adopted", record.attendee, found.id, found.status,
                             f"{record.attendee}: adopted {found.id} ({record.name}), created by "
                             f"another run; password in the vault")
    return WorkshopEvent(
        "password-lost", record.attendee, found.id, found.status,
        f"{record.attendee}: {LOST_PASSWORD_NOTE} (instance {found.id})",
    )


def _wait_running(run: Runner, records: list[AttendeeRecord], report: ProvisionReport, timeout: float,
                  on_progress: ProgressCallback | None) -> None:
    """Wait for every record not known to be running with the client's shared-budget waiting."""
    pending = {r.instance_id: r for r in records if r.status not in (RUNNING, PAUSED)}
    for record in records:
        if record.status == PAUSED:
            report.not_ready[record.attendee] = "paused: resume it with resume_all()"
    if not pending:
        return
    started = {i: r.created_at for i, r in pending.items() if r.created_at}
    ready, failures = run.wait_many(list(pending), RUNNING, timeout, pending, on_progress, started)
    for instance_id, instance in ready.items():
        record = pending[instance_id]
        run.manifest.update(record.attendee, save=False, status=instance.status,
                             connection_url=instance.connection_url or record.connection_url)
    for instance_id, error in failures.items():
        record = pending[instance_id]
        run.manifest.update(record.attendee, save=False,
                             status=getattr(error, "status", None) or record.status)
        report.not_ready[record.attendee] = error_line(error)
    run.manifest.save()

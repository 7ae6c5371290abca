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
from pathlib import Path
from typing import Any, Iterable

from aura_nb.core.errors import (ApiError, AuraError, AuthenticationFailed, CredentialsUnavailable, NotFound,
                                 VaultError, VaultUnwritable, VaultWriteFailed, error_line,
                                 EarlierCreateUnresolved)
from aura_nb.core.lifecycle import CREATING, PAUSED, RUNNING
from aura_nb.core.lookup import live_instances
from aura_nb.core.rules import InstanceSpec, parse_size
from .manifest import FAILED, PLANNED, UNKNOWN, AttendeeRecord, ManifestWriteFailed
from .reports import UNKNOWN_ADVICE, Interrupted, ProgressCallback, ProvisionReport, WorkshopEvent, tally
from .retry import GaveUp, NotSent, OutcomeUnknown, never_sent
from .roster import Attendee, instance_names, read_roster
from .runner import Runner
from .spec import ClassSpec, Guardrails, WorkshopError

__all__ = ["provision", "first_live", "LOST_PASSWORD_NOTE", "ADOPTED_NOTE", "PAUSED_NOTE"]


LOST_PASSWORD_NOTE = "create response lost: password not captured, reset it in the console"
ADOPTED_NOTE = "adopted an existing instance with this name: password not in the vault, reset it in the console"
PAUSED_NOTE = "paused: run the workshop's resume (python -m aura_nb.workshop resume, or Workshop.resume_all())"


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
    if not manifest.path.exists() and run.ignore_file is not None:
        _check_no_overlap(run.prefix, run.folder.parent)

    try:  # reads (and the manifest) only: an interrupt here sends nothing
        tenant_obj, resolved, seed = _plan(run, attendees, spec, tenant, guardrails, seed_instance_id, count)
    except KeyboardInterrupt:
        raise _interrupted_before_creates(run, wanted, started) from None

    report = ProvisionReport(prefix=run.prefix, total=len(wanted))
    records = [manifest.records[name] for name in wanted]
    events: list[WorkshopEvent] = []
    tried: set[str] = set()
    try:
        _adopt(run, records, report, on_progress)
        missing = [r for r in records if not r.has_instance]
        tried.update(r.attendee for r in missing)
        if missing:
            run.client.vault.check_writable()  # refuse before any create: passwords need a home
        events = run.parallel(
            missing, lambda r: _create_one(run, r, resolved.complete(tenant_obj, r.name, seed), report.rescued),
            on_progress
        )
        _sort(run, records, events, report)
        if wait and not report.stopped:
            _wait_running(run, [r for r in records if r.has_instance], report, timeout, on_progress)
        if handouts:
            report.handouts = run.write_handouts()
    except KeyboardInterrupt as exc:
        events = getattr(exc, "events", None) or events
        report.stopped = "interrupted (Ctrl-C): creates already sent were finished and recorded"
        _finish(run, records, events, report, started, tried)
        raise Interrupted(events, report) from None
    except VaultUnwritable:
        if not events:
            raise  # before any create of this run: nothing was sent (exit 2)
        report.stopped = "the vault cannot be written"
    except ManifestWriteFailed as exc:
        report.stopped = report.stopped or str(exc)
    except (AuraError, OSError) as exc:
        report.stopped = report.stopped or (error_line(exc) if isinstance(exc, AuraError) else
                                            f"{type(exc).__name__}: {exc.strerror or exc}")
    _finish(run, records, events, report, started, tried)
    return report


def _plan(run: Runner, attendees: list[Attendee], spec: ClassSpec, tenant: str | None,
          guardrails: Guardrails, seed_instance_id: str | None, count: int) -> tuple[Any, ClassSpec, str | None]:
    """Find the tenant, complete and check the class's settings, and record the attendees in the
    manifest: ``(tenant, resolved spec, seed instance id)``. Nothing is sent to the API but reads."""
    manifest = run.manifest
    wanted = [a.name for a in attendees]
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
    return tenant_obj, resolved, seed


def _interrupted_before_creates(run: Runner, wanted: list[str], started: float) -> Interrupted:
    """Ctrl-C before the first create: the report names each attendee without an instance as
    never sent, and what earlier runs created."""
    stopped = "interrupted (Ctrl-C) before any create was sent"
    report = ProvisionReport(prefix=run.prefix, total=len(wanted), stopped=stopped)
    known = run.manifest.records
    _finish(run, [known[name] for name in wanted if name in known], [], report, started, set())
    report.not_sent.update({name: stopped for name in wanted if name not in known})
    return Interrupted([], report)


def _sort(run: Runner, records: list[AttendeeRecord], events: list[WorkshopEvent], report: ProvisionReport) -> None:
    """Sort this run's create outcomes into the report (idempotent: lists are rebuilt)."""
    report.created.clear()
    report.adopted[:] = [a for a in report.adopted if a not in {e.attendee for e in events}]
    report.failed.clear()
    report.unknown.clear()
    report.not_sent.clear()
    # "disk": created and recorded in memory, but the manifest could not be saved
    tally(events, {"created": report.created, "disk": report.created, "password-lost": report.adopted,
                   "adopted": report.adopted},
          report.failed, report.unknown, report.not_sent)
    if any(e.kind == "disk" for e in events) and not report.stopped:
        report.stopped = next(e.message.split(": ", 1)[1] for e in events if e.kind == "disk")


def _finish(run: Runner, records: list[AttendeeRecord], events: list[WorkshopEvent], report: ProvisionReport,
            started: float, tried: set[str]) -> None:
    """Complete the report from this run's events and the manifest (``tried``: attendees this
    run meant to create), whatever stopped the run:
    every attendee is running, created, sent and unknown, never sent (with the cause), or failed;
    passwords are in the vault, in a named rescue file, or never delivered by the API."""
    _sort(run, records, events, report)
    seen = set(report.created) | set(report.adopted) | set(report.failed) | set(report.unknown) | set(report.not_sent)
    for record in records:
        if record.attendee in seen:
            continue
        if record.has_instance:
            if record.attendee in tried:  # created, but an interrupt cut the event stream
                report.created.append(record.attendee)
            continue
        if record.status == UNKNOWN:
            report.unknown[record.attendee] = "a create was being sent when the run stopped"
        else:
            report.not_sent[record.attendee] = report.stopped or "not reached"
    for record in records:
        if record.has_instance and record.rescue_path and record.attendee not in report.rescued:
            report.rescued[record.attendee] = f"in the rescue file {record.rescue_path}"
    report.lost_passwords = [r.attendee for r in records
                             if r.has_instance and not r.password_captured and r.attendee not in report.rescued]
    report.ready = [r.attendee for r in records if r.has_instance and r.status == RUNNING]
    if report.stopped and "already created" not in report.stopped:
        made = [f"{r.attendee} ({r.instance_id})" for r in records if r.has_instance]
        report.stopped += "; already created: " + (", ".join(made) if made else "none")
    report.seconds = time.monotonic() - started


def _check_no_overlap(prefix: str, workshops: Path) -> None:
    """Refuse a new workshop whose instance names could be another workshop's in the same home:
    names are ``<prefix>-<attendee>``, so prefix ``cls`` with attendee "PM Ada" and prefix
    ``cls-pm`` with attendee "Ada" both give ``cls-pm-ada``. Raises WorkshopError (one line)."""
    for other in sorted(p.parent.name for p in workshops.glob("*/manifest.json")):
        if other != prefix and (prefix.startswith(other + "-") or other.startswith(prefix + "-")):
            shorter, longer = sorted((prefix, other), key=len)
            middle = longer[len(shorter) + 1:].replace("-", " ")
            raise WorkshopError(
                f"prefix {prefix!r} could give the same instance names as workshop {other!r} in this home "
                f"({shorter!r} with attendee '{middle} Ada' and {longer!r} with attendee 'Ada' both make "
                f"'{longer}-ada'); choose another prefix")


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
        if not was_unknown:
            continue  # ids, not names: only a create that may have happened is looked for by name
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
    listing must answer (and show no such instance) before the create is sent again.

    The manifest records the intent first (status ``unknown`` until the answer is in), so a
    process that dies mid-create leaves "unknown", which the next run resolves by listing; when
    that record cannot be written, nothing is sent."""
    attendee = record.attendee
    unsaved: list[VaultWriteFailed] = []  # created, but its password is not in the vault
    try:
        run.manifest.update(attendee, status=UNKNOWN)
    except ManifestWriteFailed as exc:
        run.manifest.update(attendee, save=False, status=PLANNED)
        return WorkshopEvent("not-sent", attendee, "", PLANNED, f"{attendee}: {exc}")
    try:
        done = run.act(lambda: run.client.create_instance(body, show_once=unsaved.append),
                       taken_effect=lambda: _find_by_name(run, record.name),
                       wait_idle=lambda: run.pause(run.retry_delay))
    except (NotSent, VaultUnwritable, AuthenticationFailed, CredentialsUnavailable) as exc:
        return _outcome(run, attendee, "not-sent", PLANNED, None, f"{attendee}: {_cause(exc)}")
    except OutcomeUnknown as exc:
        return _outcome(run, attendee, "unknown", UNKNOWN, f"{UNKNOWN_ADVICE}: {exc.reason}",
                        f"{attendee}: {exc.reason}")
    except EarlierCreateUnresolved as exc:  # the core did not send: an earlier create is unsettled
        return _outcome(run, attendee, "unknown", UNKNOWN, f"{UNKNOWN_ADVICE}: {error_line(exc)}",
                        f"{attendee}: {error_line(exc)}")
    except GaveUp as exc:
        return _outcome(run, attendee, "failed", FAILED, error_line(exc), f"{attendee}: {exc}; run provision again")
    except ApiError as exc:  # 4xx: the request itself is wrong; resending cannot help
        if never_sent(exc):
            return _outcome(run, attendee, "not-sent", PLANNED, None, f"{attendee}: {_cause(exc)}")
        return _outcome(run, attendee, "failed", FAILED, error_line(exc),
                        f"{attendee}: create refused: {error_line(exc)}")
    try:
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
    except ManifestWriteFailed as exc:  # recorded in memory; the report says the disk is full
        return WorkshopEvent("disk", attendee, record.instance_id, record.status, f"{attendee}: {exc}")
    return WorkshopEvent("created", attendee, created.id, CREATING,
                         f"{attendee}: created {created.id} ({record.name})")


def _cause(exc: BaseException) -> str:
    """Why a create was never sent, in one line (e.g. the token endpoint answering 503)."""
    if isinstance(exc, NotSent):
        return exc.reason
    return error_line(exc)


def _outcome(run: Runner, attendee: str, kind: str, status: str, note: str | None, message: str) -> WorkshopEvent:
    """Record a create's outcome (in memory at least: a manifest that cannot be written is
    reported by the run) and return its event."""
    try:
        run.manifest.update(attendee, status=status, note=note)
    except ManifestWriteFailed:
        pass
    return WorkshopEvent(kind, attendee, "", status, message)


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
        connection_url=created.connection_url or "", vault_path="", rescue_path=str(rescue_path or ""),
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
    """Wait for every record to be running with the client's shared-budget waiting. The
    manifest's status is not trusted: a pause or resume may have happened since (one GET each
    for those already there)."""
    pending = {r.instance_id: r for r in records}
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
        status = getattr(error, "status", None) or record.status
        run.manifest.update(record.attendee, save=False, status=status)
        # Paused (the class, or a pause run interrupted after it sent): the workshop's own way
        # on, not the client's one-instance call.
        report.not_ready[record.attendee] = PAUSED_NOTE if status == PAUSED else error_line(error)
    run.manifest.save()

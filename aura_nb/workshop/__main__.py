"""Terminal front-end for workshops: ``python -m aura_nb.workshop <command> --prefix P ...``.

Commands: ``provision`` (roster -> one running instance per attendee, hand-outs), ``status``,
``pause``, ``resume``, ``reset`` (one attendee, from the seed instance), ``handouts`` (write them
again), ``verify`` (log in with every hand-out) and ``teardown`` (a dry run unless ``--yes``).
The API comes from the usual settings (``AURA_CLIENT_ID``/``AURA_CLIENT_SECRET``/``AURA_BASE_URL``,
environment or ``.env``).

Errors are one line on stderr, never a traceback. Exit codes (also in ``--help``): see
:data:`EXIT_CODES`; 4 means another process holds the workshop's lock
(`aura_nb.workshop.lock`: one process at a time per home and prefix). Whatever stops
``provision`` (a full disk, a token outage, Ctrl-C), its per-attendee report is printed first. A password that neither the vault nor a rescue file could take is shown once
on stderr: the one documented exception to the rule that no secret is printed.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from aura_nb.core import config
from aura_nb.core.errors import (
    AmbiguousName,
    AuraError,
    ConfigurationError,
    CredentialsUnavailable,
    InvalidInstanceSpec,
    NameNotFound,
    VaultError,
    error_line,
)
from .hub import LEDGER_NAME
from .lock import WorkshopLocked
from .manifest import ManifestError
from .operations import Workshop
from .reports import Interrupted, WorkshopEvent
from .roster import RosterError, check_prefix
from .runner import password_to_stderr
from .spec import ClassSpec, Guardrails, TenantNotChosen, WorkshopError

BAD_INPUT = (RosterError, WorkshopError, ManifestError, InvalidInstanceSpec, ConfigurationError,
             CredentialsUnavailable, NameNotFound, AmbiguousName, VaultError, ValueError)

EXIT_OK, EXIT_INCOMPLETE, EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = {
    EXIT_OK: "every attendee reached the command's goal",
    EXIT_INCOMPLETE: "the API failed, or some attendee did not reach the goal (listed): run the command again",
    EXIT_BAD_INPUT: "bad input (roster, prefix, guardrails, settings, vault not writable): nothing was sent",
    EXIT_UNKNOWN: "provision could not tell whether some create happened (listed as 'unknown'): "
                  "check before re-running; the next provision adopts what exists",
    EXIT_LOCKED: "another process is running a command on this workshop (named with its pid, host and "
                 "start time): nothing was sent; let it finish and run the command again",
    EXIT_INTERRUPTED: "interrupted: the manifest records what was done; run the same command again",
}
NO_LIMIT = ("none", "off", "no")


def seconds(text: str) -> float:
    """``--timeout``: a finite number of seconds above 0 (argparse refuses anything else, so
    nothing is sent)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def check_home(home: Path, prefix: str) -> None:
    """Raise ManifestError (one line) when the workshop's folder cannot be one: the nearest
    existing of ``<home>/workshops/<prefix>`` and its parents is not a folder."""
    for path in (home / "workshops" / prefix, home / "workshops", home, *home.parents):
        if path.exists() or path.is_symlink():
            if not path.is_dir():
                raise ManifestError(f"{path} is not a folder, so workshop {prefix} cannot live under "
                                    f"{home}; pass a --home folder (or set AURA_NB_HOME to one)")
            return


def build_parser(prog: str = "python -m aura_nb.workshop") -> argparse.ArgumentParser:
    """The argument parser of ``python -m aura_nb.workshop`` (argparse exits 2 on bad usage)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--prefix", required=True,
                        help="workshop prefix: instance names are <prefix>-<attendee>, e.g. gds-0612")
    common.add_argument("--home", help="folder holding workshops/<prefix>/ (default: $AURA_NB_HOME)")
    common.add_argument("--tenant", help="tenant (project) name or id (default: AURA_TENANT or the only one)")
    common.add_argument("--concurrency", type=int, default=4,
                        help="worker threads, and instances watched at once while waiting (default 4)")
    common.add_argument("--no-wait", action="store_true", help="do not wait for the instances to settle")
    common.add_argument("--timeout", type=seconds, default=1800,
                        help="seconds to wait at most, above 0 (default 1800)")
    hub = argparse.ArgumentParser(add_help=False)
    hub.add_argument("--hub", metavar="URL",
                     help="a JupyterHub (e.g. http://127.0.0.1:8000): put each attendee's hand-out in their home")
    hub.add_argument("--hub-token-file", metavar="FILE",
                     help="the hub API token's file (default: $JUPYTERHUB_API_TOKEN)")

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a class on Neo4j Aura: one instance per attendee, hand-outs, pause/resume, teardown.",
        epilog="exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items()),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    provision = commands.add_parser("provision", parents=[common, hub],
                                    help="create (or adopt) one instance per roster attendee and wait for them")
    provision.add_argument("--roster", help="CSV with an 'attendee' (or 'name') column, optional 'email' and "
                                            "'hub_user' (with --hub and no roster: the hub's users who are not admins)")
    provision.add_argument("--hub-folder", help="the hand-out folder in each home (default aura-<prefix>)")
    provision.add_argument("--attendee-api-env", metavar="FILE",
                           help="with --hub: AURA_CLIENT_ID/AURA_CLIENT_SECRET (KEY=value) the attendees' notebooks "
                                "use (default: on a simulator the instructor's client; on Aura none)")
    provision.add_argument("--attendee-api-url", metavar="URL",
                           help="with --hub: the API URL as the attendees' servers reach it (a simulator's "
                                "--public-host); plain http beyond loopback adds AURA_ALLOW_HTTP=1")
    provision.add_argument("--type", default=None, help="instance type (default: professional-db)")
    provision.add_argument("--cloud-provider", help="gcp, aws or azure (default: the tenant's first)")
    provision.add_argument("--region", help="region code, e.g. europe-west1 (default: the tenant's first)")
    provision.add_argument("--memory", help="memory per instance, e.g. 2GB (default: the smallest offered)")
    provision.add_argument("--storage", help="storage per instance (default: what goes with the memory)")
    provision.add_argument("--version", default="5", help="Neo4j version (default 5)")
    provision.add_argument("--seed-instance", help="clone every instance from this prepared instance id")
    provision.add_argument("--max-instances", type=int, default=Guardrails.max_instances,
                           help=f"guardrail: most instances this workshop may own (default {Guardrails.max_instances})")
    provision.add_argument("--allow-type", action="append", dest="allowed_types",
                           help="guardrail: an allowed instance type (repeatable; default professional-db)")
    provision.add_argument("--max-memory", default=Guardrails.max_memory,
                           help=f"guardrail: largest memory per instance, e.g. 8GB, or 'none' for no limit "
                                f"(default {Guardrails.max_memory})")
    commands.add_parser("status", parents=[common], help="fetch and show every attendee's instance status")
    commands.add_parser("pause", parents=[common], help="pause every instance of the workshop (overnight)")
    commands.add_parser("resume", parents=[common], help="resume every instance of the workshop (morning)")
    reset = commands.add_parser("reset", parents=[common], help="overwrite one attendee's instance from the seed")
    reset.add_argument("--attendee", required=True, help="the attendee's name as on the roster")
    reset.add_argument("--seed-instance", help="instance to copy from (default: the workshop's seed)")
    commands.add_parser("handouts", parents=[common], help="write the hand-out files and summary again")
    commands.add_parser("verify", parents=[common],
                        help="log in to every attendee's instance with their hand-out (neo4j driver)")
    teardown = commands.add_parser("teardown", parents=[common, hub],
                                   help="list (dry run) or, with --yes, delete the workshop's instances")
    teardown.add_argument("--yes", action="store_true", help="really delete (without it: dry run)")
    return parser


def _say(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def _connect() -> Any:
    """A client for the configured API (lazy import keeps ``--help`` fast; the session, not the
    package, so the CLI loads nothing of Jupyter's UI)."""
    from aura_nb.session import connect

    return connect()


def _status_table(rows: Sequence[Any]) -> list[str]:
    header = ("attendee", "instance", "id", "status", "age")
    table = [header] + [(r.attendee, r.instance_name, r.instance_id or "-", r.status, r.age_text) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    return ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]


def _provision(args: argparse.Namespace, out: TextIO, client: Any, workshop: Workshop, hub: Any,
               wait: bool, progress: Callable[[WorkshopEvent], None]) -> int:
    """``provision``, and with ``--hub`` the hand-outs put into the attendees' homes."""
    roster: Any = args.roster
    if hub is not None:
        from .hub import attendee_settings, hub_roster
        from .roster import read_roster

        attendees = hub_roster(hub, read_roster(args.roster) if args.roster else None)
        settings, source = attendee_settings(client, args.attendee_api_env, args.attendee_api_url)
        roster = attendees
    elif not args.roster:
        raise RosterError("pass --roster CSV (or --hub URL: the class is then the hub's users)")
    spec = None
    if any(getattr(args, k) for k in ("type", "cloud_provider", "region", "memory", "storage")) \
            or not workshop.manifest.spec:
        spec = ClassSpec(type=args.type or "professional-db", cloud_provider=args.cloud_provider,
                         region=args.region, memory=args.memory, version=args.version, storage=args.storage)
    no_limit = args.max_memory.strip().lower() in NO_LIMIT
    guardrails = Guardrails(max_instances=args.max_instances,
                            allowed_types=tuple(args.allowed_types or Guardrails.allowed_types),
                            max_memory=None if no_limit else args.max_memory)
    report = workshop.provision(roster, spec, tenant=args.tenant, guardrails=guardrails,
                                seed_instance_id=args.seed_instance, wait=wait, timeout=args.timeout,
                                on_progress=progress)
    for line in report.lines():
        _say(out, line)
    if report.handouts:
        _say(out, f"hand-outs: {report.handouts.folder} (instructor summary: {report.handouts.summary_md.name})")
    delivered = True
    if hub is not None:
        hub_report = workshop.deliver_to_hub(hub, {a.name: a.hub_user for a in attendees},
                                             folder=args.hub_folder, settings=settings, on_progress=progress)
        hub_report.settings = source
        for line in hub_report.lines():
            _say(out, line)
        delivered = hub_report.ok
    if report.unknown:
        return EXIT_UNKNOWN
    done = (report.ok or not wait) and not (report.failed or report.not_sent or report.stopped)
    return EXIT_OK if done and delivered else EXIT_INCOMPLETE


def run(args: argparse.Namespace, out: TextIO, client: Any, err: TextIO | None = None) -> int:
    """Carry out one parsed command against ``client``; returns the exit code. Raises AuraError.
    A password that could be kept nowhere is shown once on ``err`` (default stderr)."""
    err = err or sys.stderr

    workshop = Workshop(client, args.prefix, home=args.home, concurrency=args.concurrency,
                        show_password=lambda *shown: password_to_stderr(*shown, stream=err))
    wait = not args.no_wait

    def progress(event: WorkshopEvent) -> None:
        if event.kind != "waiting":
            _say(out, str(event))

    hub = None
    if getattr(args, "hub", None):
        from .hub import Hub, hub_token  # requests' session only when a hub is named

        hub = Hub(args.hub, hub_token(args.hub_token_file))
    if args.command == "provision":
        return _provision(args, out, client, workshop, hub, wait, progress)
    if args.command == "status":
        rows = workshop.status()
        for line in _status_table(rows):
            _say(out, line)
        return 0
    if args.command in ("pause", "resume"):
        action = workshop.pause_all if args.command == "pause" else workshop.resume_all
        report = action(wait=wait, timeout=args.timeout, on_progress=progress)
        for line in report.lines():
            _say(out, line)
        return EXIT_OK if report.ok else EXIT_INCOMPLETE
    if args.command == "reset":
        record = workshop.reset(args.attendee, source_instance_id=args.seed_instance, wait=wait,
                                timeout=args.timeout, on_progress=progress)
        _say(out, f"{record.attendee}: {record.instance_id} is {record.status}")
        return 0
    if args.command == "handouts":
        result = workshop.write_handouts()
        _say(out, f"wrote {len(result.files)} hand-outs to {result.folder}")
        if result.missing:
            _say(out, "no instance yet for: " + ", ".join(result.missing))
        return 0
    if args.command == "verify":
        from .verify import verify_handouts

        report = verify_handouts(client, args.prefix, home=args.home, concurrency=args.concurrency)
        for line in report.lines():
            _say(out, line)
        return EXIT_OK if report.ok else EXIT_INCOMPLETE
    if args.command == "teardown":
        if hub is not None:  # the hand-outs first: they name instances about to go
            hub_report = workshop.remove_from_hub(hub, yes=args.yes, on_progress=progress)
            for line in hub_report.lines():
                _say(out, line)
            if not hub_report.ok:
                _say(out, "the instances are kept until every hand-out is removed: run teardown --hub again, "
                          "or teardown without --hub to delete them and leave those hand-outs")
                return EXIT_INCOMPLETE
        elif '"files"' in _text_or_empty(workshop.folder / LEDGER_NAME):
            _say(out, "hand-outs of this workshop are still in attendees' homes on a hub: "
                      "teardown --hub URL removes them")
        report = workshop.teardown(yes=args.yes, on_progress=progress)
        for line in report.lines():
            _say(out, line)
        if report.dry_run:
            _say(out, "nothing was deleted; run again with --yes to delete the instances listed above")
        return EXIT_OK if report.ok else EXIT_INCOMPLETE
    raise AssertionError(f"unhandled command {args.command}")  # argparse prevents this


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None,
         client: Any = None, prog: str = "python -m aura_nb.workshop") -> int:
    """Entry point: parse ``argv``, run the command, print one-line errors; returns the exit code
    (:data:`EXIT_CODES`)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser(prog).parse_args(argv)
    try:
        check_prefix(args.prefix)
        home = Path(args.home) if args.home else config.nb_home()
        check_home(home, args.prefix)
        if args.command != "provision":  # say so before connecting to anything
            path = home / "workshops" / args.prefix / "manifest.json"
            if not path.exists():
                raise ManifestError(f"no workshop {args.prefix!r} here (no {path}); run 'provision' first "
                                    "or pass the --home it was provisioned with")
        if client is None:
            client = _connect()
            _say(err, client.describe())
        return run(args, out, client, err)
    except WorkshopLocked as exc:
        _say(err, f"error: {exc}")
        return EXIT_LOCKED
    except BAD_INPUT as exc:
        _say(err, f"error: {_cli_hint(exc)}")
        return EXIT_BAD_INPUT
    except AuraError as exc:
        _say(err, f"API error: {exc}")
        return EXIT_INCOMPLETE
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted) and exc.report is not None:  # the per-attendee report
            for line in exc.report.lines():
                _say(out, line)
        _say(err, "interrupted: the manifest records what was done; run the same command again to finish")
        return EXIT_INTERRUPTED


def _text_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _cli_hint(exc: BaseException) -> str:
    """The error's one line, with a tenant hint in this command's terms (``--tenant``)."""
    text = error_line(exc)
    if isinstance(exc, TenantNotChosen):
        return f"{text}; pass --tenant NAME (or set AURA_TENANT)"
    return text


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    sys.exit(main())

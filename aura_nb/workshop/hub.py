"""A class on a JupyterHub: each attendee's server gets the notebooks, their ``.env`` and a README.

``provision --hub URL`` first provisions the instances as always, then, per attendee (a bounded
pool, one failure never stopping the class), through the hub's REST API:

1. ``GET /hub/api/users/{user}``; when their server is not running, ``POST
   /hub/api/users/{user}/server`` and poll the user until the server is ready (progress on the way);
   a server that cannot start is reported and that attendee skipped;
2. through that server's Jupyter contents API (``/user/{user}/api/contents/...``, via the hub's
   proxy): the hand-out folder, every notebook and ``data/`` file, and a README, each written only
   when it is missing or still exactly what this tool wrote before (``?hash=1``: SHA-256 on the
   server); a file the attendee changed is kept and named in the report;
3. the ``.env`` through the kit's server extension (`aura_nb.workshop.hub_server`), which writes it
   with mode 0600: the contents API can neither write a hidden file nor choose a mode.

What was written (path and SHA-256 per attendee, never a secret) is kept in
``<workshop folder>/hub.json``; ``teardown --hub`` removes exactly those files that are still as
written (and the folder, when that leaves it empty), nothing else. A second run writes nothing.

The token is a hub API token (``JUPYTERHUB_API_TOKEN`` or ``--hub-token-file``) with the scopes
`SCOPES`: the README and ``hub/jupyterhub_config.py`` show the service and role that give them.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aura_nb.core.credentials import is_loopback_url
from aura_nb.core.envfile import read_env
from aura_nb.core.vault import write_private
from aura_nb.notebook_files import notebook_files
from aura_nb.session import is_embedded
from .handouts import handout_text
from .hub_api import SCOPES, Hub, HubError, HubUser, UserServer, hub_token
from .manifest import AttendeeRecord
from .reports import ProgressCallback, WorkshopEvent
from .roster import Attendee

if TYPE_CHECKING:
    from .runner import Runner

__all__ = ["SCOPES", "Hub", "HubError", "HubUser", "HubReport", "hub_token", "hub_roster",
           "attendee_settings", "deliver", "remove", "LEDGER_NAME"]

LEDGER_NAME = "hub.json"
_API_KEYS = ("AURA_BASE_URL", "AURA_CLIENT_ID", "AURA_CLIENT_SECRET", "AURA_ALLOW_HTTP",
             "AURA_SIMULATOR_SPEED", "AURA_NB_MODE", "AURA_RATE_LIMIT")

# -------------------------------------------------------------------- the class on the hub
def hub_roster(hub: Hub, attendees: list[Attendee] | None) -> list[Attendee]:
    """The class: the roster's attendees, each with their hub user (its ``hub_user`` column, else
    their name), or, without a roster, every hub user who is not an admin. Raises
    :class:`HubError` before anything is created when a named hub user does not exist."""
    users = {u.name: u for u in hub.users()}
    if attendees is None:
        return [Attendee(name=u.name, hub_user=u.name) for u in users.values() if not u.admin]
    placed = [a if a.hub_user else Attendee(a.name, a.email, a.row, hub_user=a.name) for a in attendees]
    missing = [f"{a.hub_user!r} (line {a.row})" for a in placed if a.hub_user not in users]
    if missing:
        raise HubError(f"the hub at {hub.url} has no user {', '.join(missing)}; fix the roster's "
                       "hub_user column (nothing was created)")
    return placed


def attendee_settings(client: Any, api_env: str | os.PathLike | None = None,
                      api_url: str | None = None) -> tuple[dict[str, str], str]:
    """The API settings every attendee's ``.env`` carries, and one line saying where they come
    from. ``api_env``: a ``KEY=value`` file of the class's API key (``AURA_CLIENT_ID``,
    ``AURA_CLIENT_SECRET``, optional ``AURA_BASE_URL``...). Without it, on a simulator, the
    instructor's own client (a simulator's secret guards nothing real), at ``api_url`` when the
    attendees reach it under another address (``--public-host``), with ``AURA_NB_MODE=real``
    (the simulator's admin surface is the instructor's); on the real service none: an
    instructor's API key is never handed out unasked. Plain http beyond loopback adds
    ``AURA_ALLOW_HTTP=1``. Raises :class:`HubError` for an unusable file."""
    if api_env:
        try:
            values = read_env(api_env)
        except (OSError, UnicodeDecodeError) as exc:
            raise HubError(f"cannot read {api_env} ({exc.__class__.__name__}); check the path") from None
        settings = {k: v for k, v in values.items() if k in _API_KEYS}
        if not (settings.get("AURA_CLIENT_ID") and settings.get("AURA_CLIENT_SECRET")):
            raise HubError(f"{api_env} needs AURA_CLIENT_ID and AURA_CLIENT_SECRET (the class's API key)")
        source = f"API key for the class from {api_env}"
    elif client.mode == "simulator":
        if is_embedded(client.credentials.base_url):
            raise HubError("no API is configured, so this command runs a simulator of its own that stops when "
                           "it ends; start one that stays (aura-nb simulator --port 8787 ...) and set "
                           "AURA_BASE_URL to it, or configure real credentials")
        # The room's simulator is a real account to the attendees: its admin surface (clock,
        # faults, reset) is the instructor's alone, so the notebooks run their real-account path
        # (steps that need that surface say so in one line), as AURA_NB_MODE=real is for.
        settings = {"AURA_BASE_URL": client.credentials.base_url, "AURA_CLIENT_ID": client.credentials.client_id,
                    "AURA_CLIENT_SECRET": client.credentials.client_secret, "AURA_NB_MODE": "real"}
        source = "the simulator's client, as the instructor's, played as a real account (AURA_NB_MODE=real)"
    else:
        return {}, ("no API key in the hand-outs (real Aura: pass --attendee-api-env FILE with a key for the "
                    "class); the notebooks' API cells need one")
    if api_url:
        settings["AURA_BASE_URL"] = api_url.rstrip("/")
    url = settings.get("AURA_BASE_URL", "")
    if url.startswith("http://") and not is_loopback_url(url):
        settings["AURA_ALLOW_HTTP"] = "1"
    return settings, f"{source}, API at {url or 'https://api.neo4j.io'}"


def readme_text(prefix: str, record: AttendeeRecord) -> str:
    """The hand-out folder's README: what is here and where to start (no secret)."""
    return "\n".join([
        f"# Workshop {prefix}",
        "",
        f"Your own Neo4j Aura instance is **{record.name}** (id `{record.instance_id}`). Your instructor "
        "made it for you; the notebooks here use it.",
        "",
        "- Open `00-start-here.ipynb` and go on in order, 00 to 06.",
        "- `.env` in this folder (hidden, readable by you only) holds your instance's credentials and "
        "the API settings the notebooks read: there is nothing to type. Do not share it.",
        "- Notebook 03 finds your instance instead of creating one. Leave `99-clean-up` to your "
        "instructor: the class's instances are removed at the end.",
        "- When the class ends your instructor removes the files put here; a notebook you changed is kept.",
        "",
    ])


@dataclass
class HubReport:
    """What a hub step did, per attendee: ``written`` (attendee -> files written), ``unchanged``,
    ``started`` (servers started), ``kept`` (attendee -> files the attendee changed, left alone),
    ``failed`` (attendee -> one line), ``removed`` (teardown: attendee -> files removed),
    ``dry_run``; ``settings`` says where the attendees' API settings came from."""

    folder: str
    written: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    kept: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = False
    settings: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out = []
        if self.settings:
            out.append(f"hub hand-outs: {self.settings}")
        for attendee, files in sorted(self.written.items()):
            out.append(f"hub: {attendee}: wrote {_files(files)} to {self.folder}/")
        if self.unchanged:
            out.append(f"hub: nothing to change for {len(self.unchanged)}: {', '.join(sorted(self.unchanged))}")
        if self.started:
            out.append(f"hub: servers started: {', '.join(sorted(self.started))}")
        verb = "would remove" if self.dry_run else "removed"
        for attendee, files in sorted(self.removed.items()):
            out.append(f"hub: {attendee}: {verb} {_files(files)} from {self.folder}/")
        for attendee, files in sorted(self.kept.items()):
            out.append(f"hub: {attendee}: kept {_files(files)} they changed: {', '.join(files)}")
        for attendee, reason in sorted(self.failed.items()):
            out.append(f"hub: {attendee}: skipped: {reason}")
        return out


class Ledger:
    """``hub.json``: per attendee, their hub user and each file written (path -> SHA-256)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self.data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.data = {"version": 1, "attendees": {}}
        except (OSError, ValueError) as exc:
            raise HubError(f"{path} cannot be read ({exc.__class__.__name__}); move it away to start afresh") from None

    def files(self, attendee: str) -> dict[str, str]:
        return dict(self.data["attendees"].get(attendee, {}).get("files", {}))

    def entry(self, attendee: str) -> dict:
        return dict(self.data["attendees"].get(attendee, {}))

    def record(self, attendee: str, hub_user: str, folder: str, files: dict[str, str]) -> None:
        with self._lock:
            entries = self.data["attendees"]
            if files:
                entries[attendee] = {"hub_user": hub_user, "folder": folder, "files": dict(sorted(files.items()))}
            else:
                entries.pop(attendee, None)
            write_private(self.path, json.dumps(self.data, indent=1, sort_keys=True) + "\n")


def _files(names: Any) -> str:
    return f"{len(names)} file" + ("" if len(names) == 1 else "s")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _desired(runner: "Runner", record: AttendeeRecord, settings: Mapping[str, str]) -> dict[str, str]:
    """Relative path -> text of everything one attendee's folder gets (the ``.env`` included)."""
    files = {path: data.decode("utf-8") for path, data in notebook_files().items()}
    files["README.md"] = readme_text(runner.prefix, record)
    secret = runner.read_secret(record) if record.password_captured or record.rescue_path else None
    username, password = secret if secret else ("neo4j", None)
    personal = {"AURA_TENANTID": runner.manifest.tenant_id, "AURA_TENANT": runner.manifest.tenant_id,
                "AURA_TUTORIAL_INSTANCE": record.name, **settings}
    files[".env"] = handout_text(runner.prefix, record, password, username, personal)
    return files


def deliver(runner: "Runner", hub: Hub, hub_users: Mapping[str, str], folder: str,
            settings: Mapping[str, str], *, timeout: float = 120,
            on_progress: ProgressCallback | None = None) -> HubReport:
    """Put each attendee's hand-out into their home on the hub (see the module docstring).
    ``hub_users`` maps attendee -> hub user; attendees without an instance are skipped and
    named. Returns a :class:`HubReport`."""
    report = HubReport(folder=folder)
    ledger = Ledger(runner.folder / LEDGER_NAME)
    records = [r for r in runner.manifest if r.attendee in hub_users]

    def one(record: AttendeeRecord) -> WorkshopEvent:
        attendee, user_name = record.attendee, hub_users[record.attendee]

        def progress(text: str) -> None:
            if on_progress is not None:
                on_progress(WorkshopEvent("starting", attendee, record.instance_id, "", f"{attendee}: {text}"))

        if not record.has_instance:
            return WorkshopEvent("failed", attendee, message=f"{attendee}: no instance yet (run provision again)")
        try:
            user, started = hub.running(user_name, timeout, progress)
            if started:
                report.started.append(attendee)
            server = hub.server(user)
            server.env_state(folder)  # the extension is there, before anything is written
            written, kept, files = _sync(server, folder, _desired(runner, record, settings), ledger.files(attendee))
        except HubError as exc:
            return WorkshopEvent("failed", attendee, record.instance_id, message=f"{attendee}: {exc}")
        ledger.record(attendee, user_name, folder, files)
        if kept:
            report.kept[attendee] = kept
        if written:
            report.written[attendee] = written
            return WorkshopEvent("changed", attendee, record.instance_id,
                                 message=f"{attendee}: wrote {_files(written)} to {folder}/ on the hub")
        report.unchanged.append(attendee)
        return WorkshopEvent("skipped", attendee, record.instance_id, message=f"{attendee}: hand-out as written")

    for event in runner.parallel(records, one, on_progress):
        if event.kind == "failed":
            report.failed[event.attendee] = event.message[len(event.attendee) + 2:]
    return report


def _sync(server: UserServer, folder: str, desired: dict[str, str],
          ours: dict[str, str]) -> tuple[list[str], list[str], dict[str, str]]:
    """Write what is missing or still as this tool left it; keep what the attendee changed.
    Returns ``(written, kept, files now ours with their SHA-256)``."""
    written, kept, files = [], [], {}
    if server.folder(folder) is None:
        server.make_folder(folder)
    made: set[str] = set()
    for relative, text in desired.items():
        want = _sha(text)
        if relative == ".env":
            state = server.env_state(folder)
            have = state["sha256"] if state["exists"] else None
        else:
            parent = relative.rpartition("/")[0]
            if parent and parent not in made:
                if server.folder(f"{folder}/{parent}") is None:
                    server.make_folder(f"{folder}/{parent}")
                made.add(parent)
            model = server.stat(f"{folder}/{relative}")
            have = model.get("hash") if model else None
        if have == want:
            files[relative] = want
            if relative == ".env" and state["mode"] != "0600":
                raise HubError(f".env in {folder}/ has mode {state['mode']}, not 0600")
            continue
        if have is not None and have != ours.get(relative):
            kept.append(relative)  # the attendee's own change (or a file that was never ours)
            continue
        if relative == ".env":
            state = server.put_env(folder, text)
            if state.get("mode") != "0600" or state.get("sha256") != want:
                raise HubError(f".env in {folder}/ could not be written with mode 0600")
        else:
            server.put_text(f"{folder}/{relative}", text)
        files[relative] = want
        written.append(relative)
    return written, kept, files


def remove(runner: "Runner", hub: Hub, *, yes: bool, timeout: float = 120,
           on_progress: ProgressCallback | None = None) -> HubReport:
    """Remove from each attendee's home exactly the files this tool wrote that are still as it
    wrote them, then their folders when that leaves them empty; a file the attendee changed is
    kept and named. Without ``yes`` nothing is removed (a dry run lists it). Servers that are not
    running are started (removing needs them)."""
    ledger = Ledger(runner.folder / LEDGER_NAME)
    entries = {a: ledger.entry(a) for a in list(ledger.data["attendees"])}
    report = HubReport(folder=", ".join(sorted({e.get("folder", "") for e in entries.values()})) or "-",
                       dry_run=not yes)
    records = [r for r in runner.manifest if r.attendee in entries]

    def one(record: AttendeeRecord) -> WorkshopEvent:
        attendee = record.attendee
        entry = entries[attendee]
        folder, ours = entry["folder"], dict(entry["files"])
        if not yes:
            report.removed[attendee] = sorted(ours)
            return WorkshopEvent("skipped", attendee, message=f"{attendee}: would remove {_files(ours)}")
        try:
            user, _ = hub.running(entry["hub_user"], timeout, lambda text: None)
            server = hub.server(user)
            removed, kept = [], []
            for relative, sha in sorted(ours.items(), key=lambda item: item[0].count("/"), reverse=True):
                if relative == ".env":
                    state = server.env_state(folder)
                    have = state["sha256"] if state["exists"] else None
                else:
                    model = server.stat(f"{folder}/{relative}")
                    have = model.get("hash") if model else None
                if have is not None and have != sha:
                    kept.append(relative)
                    continue
                if have is not None and relative == ".env":
                    server.delete_env(folder)
                elif have is not None:
                    server.delete(f"{folder}/{relative}")
                removed.append(relative)
                ours.pop(relative)
            for sub in sorted({f"{folder}/{r.rpartition('/')[0]}" for r in removed if "/" in r}) + [folder]:
                if server.folder(sub) == []:
                    server.delete(sub)
        except HubError as exc:
            ledger.record(attendee, entry["hub_user"], folder, ours)
            return WorkshopEvent("failed", attendee, message=f"{attendee}: {exc}")
        ledger.record(attendee, entry["hub_user"], folder, ours)
        report.removed[attendee] = removed
        if kept:
            report.kept[attendee] = kept
        return WorkshopEvent("deleted", attendee, message=f"{attendee}: removed {_files(removed)}")

    for event in runner.parallel(records, one, on_progress):
        if event.kind == "failed":
            report.failed[event.attendee] = event.message[len(event.attendee) + 2:]
    return report

"""The create intent journal: one intent, one instance, across front-ends and processes.

Every create (``POST /v1/instances``, the v2beta1 project create) is written down before it is
sent, and how it ended after. `AuraClient` does both, so the form, ``%aura create``, the
workshop and plain calls share this one mechanism:

* A create holds an OS file lock (`filelock`) for its API, tenant and name, from the look at
  earlier intents to the record of its own outcome: two processes never send the same create
  at once; the second waits for the first (within its call's time budget).
* An intent is ``sent`` while in flight, then ``created`` (``password`` says where the one-time
  password went: the vault file, a rescue file, or nowhere), ``refused`` (an error answer),
  ``not-sent`` (it never left: no connection, no access token), ``unknown`` (no answer, or a
  5xx), or ``not-created`` (resolved by a later listing). ``sent`` and ``unknown`` are *open*.
* A later create of the same name first resolves the open intents (`resolve_open`): it lists
  the tenant with growing gaps until the instance shows up (then it is reported as the earlier
  create's instance and nothing is sent) or until a listing taken ``AURA_CREATE_GRACE`` server
  seconds after the earlier create was sent proves its absence. Only then may it send.

Files: ``$AURA_NB_HOME/intents/<key>.jsonl`` (one per API, tenant and name; every line a
record of one intent, the last line of an intent wins; appended and fsynced, mode 0600) and
``<key>.lock``. No secret is ever written here: no password, token or client secret.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import socket
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from filelock import FileLock, Timeout

from . import config
from .errors import AuraError, CreateResponseLost, EarlierCreateUnresolved, NotFound, error_line
from .lifecycle import DESTROYING
from .models import InstanceSummary, parse_timestamp

if TYPE_CHECKING:
    from .client import AuraClient

__all__ = ["Intent", "Journal", "Claim", "resolve_open", "OPEN", "SENT", "CREATED", "REFUSED",
           "NOT_SENT", "UNKNOWN", "NOT_CREATED"]

SENT, CREATED, REFUSED, NOT_SENT, UNKNOWN, NOT_CREATED = (
    "sent", "created", "refused", "not-sent", "unknown", "not-created")
#: States whose create may still have been carried out: a later create resolves them first.
OPEN = (SENT, UNKNOWN)

#: Server seconds an instance's ``created_at`` may precede the intent's ``sent_at`` (the client
#: knows server time from ``Date`` headers, to the second) and still be that intent's instance.
_CLOCK_SLACK = 2.0

log = logging.getLogger("aura_nb")


def _when(server_time: float) -> str:
    return datetime.fromtimestamp(server_time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclasses.dataclass(frozen=True)
class Intent:
    """One create as the journal knows it; ``sent_at`` is server time (POSIX seconds)."""

    id: str
    api: str
    tenant_id: str
    name: str
    sent_at: float
    pid: int
    host: str
    state: str = SENT
    instance_id: str = ""
    password: str = ""  # where the one-time password went (a file), or "" when not captured
    note: str = ""
    recorded_at: float = 0.0  # this machine's clock (time.time) when this state was written

    @property
    def open(self) -> bool:
        """True while the create may still have been carried out unseen."""
        return self.state in OPEN

    def describe(self) -> str:
        """``sent at <server time> by process <pid> on <host>``."""
        return f"sent at {_when(self.sent_at)} by process {self.pid} on {self.host}"


class Journal:
    """The intents of every create this user's processes sent, in ``folder``
    (default ``$AURA_NB_HOME/intents``)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else config.nb_home() / "intents"

    def __repr__(self) -> str:
        return f"<Journal {self.folder}>"

    @staticmethod
    def key(api: str, tenant_id: str, name: str) -> str:
        """The file stem of one API, tenant and (NFC) name."""
        raw = json.dumps([api, tenant_id, unicodedata.normalize("NFC", name)])
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def intents(self, api: str, tenant_id: str, name: str) -> list[Intent]:
        """Every intent recorded for this API, tenant and name, oldest first (read only)."""
        return _read(self.folder / f"{self.key(api, tenant_id, name)}.jsonl")

    @contextlib.contextmanager
    def claim(self, api: str, tenant_id: str, name: str, timeout: float) -> Iterator["Claim"]:
        """Hold the lock of this API, tenant and name for the block. Waits at most ``timeout``
        seconds for another process's create of that name; then raises
        `EarlierCreateUnresolved` (nothing was sent). Raises ``OSError`` when the folder cannot
        be made."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = self.key(api, tenant_id, name)
        lock = FileLock(self.folder / f"{stem}.lock", timeout=max(0.0, timeout), mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            busy = [i.describe() for i in _read(self.folder / f"{stem}.jsonl") if i.open]
            who = f" (create {busy[-1]})" if busy else ""
            raise EarlierCreateUnresolved(
                f"another create of {name!r} in tenant {tenant_id} is in progress{who}; it "
                f"did not end within {timeout:g} s: nothing was sent, try again in a minute",
                name=name, tenant_id=tenant_id) from None
        try:
            yield Claim(self.folder / f"{stem}.jsonl", api, tenant_id, name)
        finally:
            lock.release()


class Claim:
    """The journal of one API, tenant and name while its lock is held (`Journal.claim`)."""

    def __init__(self, path: Path, api: str, tenant_id: str, name: str) -> None:
        self.path, self.api, self.tenant_id, self.name = path, api, tenant_id, name

    def open_intents(self) -> list[Intent]:
        """The intents whose create may have been carried out unseen, oldest first."""
        return [i for i in _read(self.path) if i.open]

    def created_since(self, local_time: float) -> list[Intent]:
        """The intents that were found to have created an instance at or after ``local_time``
        (this machine's ``time.time``)."""
        return [i for i in _read(self.path) if i.state == CREATED and i.recorded_at >= local_time]

    def begin(self, sent_at: float) -> Intent:
        """Record (durably) a create about to be sent. Raises ``OSError`` when it cannot be
        written: then the create must not be sent."""
        return self._append(Intent(id=os.urandom(8).hex(), api=self.api,
                                   tenant_id=self.tenant_id, name=self.name, sent_at=sent_at,
                                   pid=os.getpid(), host=socket.gethostname()))

    def settle(self, intent: Intent, state: str, **fields: Any) -> Intent:
        """Record how ``intent`` ended. A failed write is logged, never raised: the outcome is
        already decided, and the intent then stays open (a later create resolves it)."""
        settled = dataclasses.replace(intent, state=state, **fields)
        try:
            return self._append(settled)
        except OSError as exc:
            log.warning(
                "the create intent journal %s could not be updated (%s): the create of %r "
                "stays open there", self.path, exc, self.name)
        return settled

    def _append(self, intent: Intent) -> Intent:
        intent = dataclasses.replace(intent, recorded_at=time.time())
        line = (json.dumps(dataclasses.asdict(intent), ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return intent


def _read(path: Path) -> list[Intent]:
    """The intents of one journal file, each in its last recorded state, oldest first. A torn
    or unreadable line (a crash mid-write) is skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    latest: dict[str, Intent] = {}
    fields = {f.name for f in dataclasses.fields(Intent)}
    for line in text.splitlines():
        try:
            data = json.loads(line)
            intent = Intent(**{k: v for k, v in data.items() if k in fields})
        except (ValueError, TypeError):
            continue
        latest[intent.id] = intent
    return sorted(latest.values(), key=lambda i: i.sent_at)


def resolve_open(client: "AuraClient", claim: Claim, *, asked_at: float, deadline: float,
                 notify: Callable[[str], None], sleep: Callable[[float], None] = time.sleep) -> None:
    """Resolve the open intents of ``claim`` before a create of its name is sent.

    Lists the tenant (`AuraClient.find_live_instances`) with growing gaps. A live instance of
    that name created after an open intent was sent is that intent's instance: the intent is
    settled ``created`` and `CreateResponseLost` is raised naming it (nothing is sent: a second
    instance would be billed). When a listing taken ``AURA_CREATE_GRACE`` server seconds after
    the last open intent was sent does not show one, the intents are settled ``not-created``
    and this returns. A failed listing is tried again after the next gap. Raises
    `EarlierCreateUnresolved` when ``deadline`` (``time.monotonic``) comes first (naming the
    last listing's failure, if any); ``notify`` gets a line before each wait.

    A create of the name that another caller saw carried out while this one waited for the
    lock (after ``asked_at``, this machine's ``time.time``), or that another process carried
    out within the grace time, is the same intent twice (two terminals, a notebook beside the
    CLI, each having looked before the other's create): `CreateResponseLost` names its
    instance and nothing is sent. (This process's own earlier creates are left to the caller's
    name check: the form's "Create another with this name" stays possible.)"""
    grace = config.create_grace()
    recent = time.time() - grace / client.speed
    me = (os.getpid(), socket.gethostname())
    for intent in claim.created_since(min(asked_at, recent)):
        if intent.recorded_at < asked_at and (intent.pid, intent.host) == me:
            continue
        if not _still_live(client, intent.instance_id):  # deleted since: a new create is new
            continue
        where = intent.password or "no file: not captured"
        raise CreateResponseLost(
            f"another create of {claim.name!r} ({intent.describe()}) made instance "
            f"{intent.instance_id} just before this one; its credentials: {where}. "
            "Nothing was sent now", name=claim.name, tenant_id=claim.tenant_id,
            instance=InstanceSummary(id=intent.instance_id, name=claim.name,
                                     tenant_id=claim.tenant_id))
    opened = claim.open_intents()
    if not opened:
        return
    until = max(i.sent_at for i in opened) + grace
    gap = 4.0  # server seconds, doubled after each listing
    told = ""
    while True:
        failed = ""
        try:
            live = client.find_live_instances(claim.name, claim.tenant_id)
        except (AuraError, OSError) as exc:  # listed again after the gap, while time is left
            failed, live = (error_line(exc) if isinstance(exc, AuraError) else str(exc)), []
        listed_at = client.server_now()
        found = _match(opened, live)
        if found:
            for intent, instance in found:
                where = _vault_file(client, instance.id)
                claim.settle(intent, CREATED, instance_id=instance.id, password=where,
                             note="found by a later listing")
            intent, instance = found[0]
            where = _vault_file(client, instance.id)
            password = (f"its password is in the vault at {where}" if where else
                        "its one-time password was not captured: reset it in the Aura console")
            raise CreateResponseLost(
                f"an earlier create of {claim.name!r} ({intent.describe()}) got no answer but "
                f"was carried out: instance {instance.id} (created {instance.created_at}) in "
                f"tenant {claim.tenant_id}; {password}. Nothing was sent now",
                name=claim.name, tenant_id=claim.tenant_id, instance=instance)
        if listed_at >= until and not failed:
            for intent in opened:
                claim.settle(intent, NOT_CREATED,
                             note=f"not listed {listed_at - intent.sent_at:.0f} s after it was sent")
            return
        wait = (gap if failed else min(gap, until - listed_at + 0.5)) / client.speed  # real s
        if time.monotonic() + wait > deadline:
            why = (f"listing the instances failed ({failed})" if failed else
                   f"it is not listed yet and the grace time (AURA_CREATE_GRACE={grace:g} s) "
                   f"ends at {_when(until)}")
            raise _unresolved(claim, opened[-1], why)
        seen = f"could not be listed ({failed})" if failed else "is not listed yet"
        if seen != told:  # one line per change, not per listing: a notebook shows each one
            notify(f"An earlier create of {claim.name!r} has no known outcome and {seen}: listing "
                   f"again until AURA_CREATE_GRACE={grace:g} s (server time) have passed since "
                   f"it was sent; nothing is sent before that")
            told = seen
        sleep(wait)
        gap *= 2


def _still_live(client: "AuraClient", instance_id: str | None) -> bool:
    """True unless a GET shows the instance gone or going (404, ``destroying``); a failed GET
    counts as live, so the doubt refuses a second create rather than risking one."""
    if not instance_id:
        return True
    try:
        return client.get_instance(instance_id).status != DESTROYING
    except NotFound:
        return False
    except AuraError:
        return True


def _match(opened: list[Intent], live: list[Any]) -> list[tuple[Intent, Any]]:
    """Pairs (intent, instance): oldest open intent with the oldest live instance of the name
    created after it was sent, and so on."""
    pairs, used = [], set()
    for intent in opened:
        for instance in live:
            created = parse_timestamp(instance.created_at)
            if instance.id in used or created is None:
                continue
            if created.timestamp() >= intent.sent_at - _CLOCK_SLACK:
                pairs.append((intent, instance))
                used.add(instance.id)
                break
    return pairs


def _vault_file(client: "AuraClient", instance_id: str) -> str:
    """The vault file of ``instance_id`` when it exists, else ``""``."""
    try:
        path = client.vault.path_for(instance_id)
    except AuraError:
        return ""
    return str(path) if path.exists() else ""


def _unresolved(claim: Claim, intent: Intent, why: str) -> EarlierCreateUnresolved:
    return EarlierCreateUnresolved(
        f"an earlier create of {claim.name!r} in tenant {claim.tenant_id} ({intent.describe()}) "
        f"got no answer and may still be carried out; {why}: nothing was sent, try again later "
        "(the next create of this name checks again first)",
        name=claim.name, tenant_id=claim.tenant_id)


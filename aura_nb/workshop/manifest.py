"""The workshop manifest: a JSON record of everything a workshop created.

It lives in ``$AURA_NB_HOME/workshops/<prefix>/manifest.json`` by default, is written atomically
with mode 0600 after every change, and is the source of truth for hand-outs, pause/resume, reset
and teardown. An interrupted run therefore loses nothing: re-running picks up where it stopped.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterator

from aura_nb.core.errors import AuraError
from aura_nb.core.vault import write_private
from .roster import attendee_key

__all__ = ["AttendeeRecord", "Manifest", "ManifestError", "ManifestWriteFailed", "write_failure", "workshop_dir", "prepare_folder", "FORMAT_VERSION",
           "PLANNED", "FAILED", "DELETED", "UNKNOWN"]

FORMAT_VERSION = 1

# Statuses the manifest uses besides the API's own instance statuses.
PLANNED = "planned"  # on the roster, no create sent yet (or a create that surely did not happen)
FAILED = "failed"  # the create was refused; notes say why
DELETED = "deleted"  # teardown deleted it (the API answered 202 or 404)
UNKNOWN = "unknown"  # a create's answer was lost and no listing answered since: check, then adopt


class ManifestError(AuraError):
    """Raised when a manifest is missing, unreadable, or belongs to another workshop prefix."""


class ManifestWriteFailed(ManifestError):
    """Raised when the manifest file cannot be written (a full disk, a read-only folder); the
    in-memory manifest holds the change all the same. The message names the file and the
    filesystem it lives on; ``errno`` is the OS error's number."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


def mount_point(path: Path) -> Path:
    """The mount point of the filesystem holding ``path`` (or its nearest existing parent)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def write_failure(path: Path, exc: OSError) -> str:
    """One line for an OSError writing ``path``: the file, why, and the filesystem it is on."""
    return (f"cannot write {path} ({exc.strerror or type(exc).__name__}; the filesystem mounted "
            f"at {mount_point(path)})")


def workshop_dir(prefix: str, home: str | os.PathLike | None = None) -> Path:
    """Folder of one workshop: ``<home>/workshops/<prefix>`` (home defaults to ``AURA_NB_HOME``).

    Only the path: nothing is created. The folder (mode 0700) and a ``.gitignore`` that ignores
    everything under ``<home>/workshops`` are made when something is first written there
    (:meth:`Manifest.save`, hand-outs), so hand-outs and manifests can never be committed by
    accident, wherever the home is.
    """
    if home is None:
        from aura_nb.core import config

        home = config.nb_home()
    return Path(home) / "workshops" / prefix


IGNORE_TEXT = "# written by aura_nb: workshop manifests and hand-outs hold secrets\n*\n"


def prepare_folder(folder: Path, ignore_file: Path | None = None) -> Path:
    """Create ``folder`` (mode 0700, parents too) and, when given and missing, the ``.gitignore``
    ``ignore_file`` that keeps it out of git. Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if ignore_file is not None and not ignore_file.exists():
        write_private(ignore_file, IGNORE_TEXT)
    return folder


@dataclass
class AttendeeRecord:
    """What the workshop knows about one attendee's instance.

    ``status`` is the last instance status seen (``creating``, ``running``, ``paused`` ...) or one
    of the manifest's own: ``planned`` (nothing created yet), ``failed`` (create refused; see
    ``notes``), ``unknown`` (a create may have happened: the next provision adopts it by name
    before creating anything; also the state while a create is being sent, so a process that dies
    then leaves it), ``deleted`` (removed by teardown). ``password_captured`` is False when the API lost
    the one-time password (e.g. a create response that never arrived) or when it went to the
    rescue file ``rescue_path`` because the vault could not take it.
    """

    attendee: str
    name: str
    email: str = ""
    instance_id: str = ""
    status: str = PLANNED
    created_at: str = ""
    connection_url: str = ""
    vault_path: str = ""
    password_captured: bool = False
    rescue_path: str = ""
    handout_path: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def has_instance(self) -> bool:
        """True when an instance exists (or existed until teardown) for this attendee."""
        return bool(self.instance_id) and self.status != DELETED

    def note(self, text: str) -> None:
        """Add a note once (re-runs do not repeat it)."""
        if text not in self.notes:
            self.notes.append(text)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AttendeeRecord":
        """Build a record from its JSON form, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class Manifest:
    """The JSON manifest of one workshop, safe to update from several threads.

    Attributes: ``prefix``, ``tenant_id``, ``tenant_name``, ``spec`` (the instance settings as a
    dict), ``seed_instance_id`` (or ``""``), ``records`` (attendee -> :class:`AttendeeRecord`, in
    roster order), ``path`` and ``ignore_file`` (a ``.gitignore`` written beside the first save,
    or ``None``). Every :meth:`update` saves the file at once and tells the callbacks registered
    with :meth:`on_change` (a live view such as ``ClassTable``).
    """

    def __init__(self, path: str | os.PathLike, prefix: str, ignore_file: Path | None = None) -> None:
        self.path = Path(path)
        self.ignore_file = ignore_file
        self.prefix = prefix
        self.tenant_id = ""
        self.tenant_name = ""
        self.spec: dict[str, Any] = {}
        self.seed_instance_id = ""
        self.records: dict[str, AttendeeRecord] = {}
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None  # the file as last read or written here
        self._listeners: list[Callable[[AttendeeRecord], Any]] = []

    # -- reading and writing ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, prefix: str | None = None,
             ignore_file: Path | None = None) -> "Manifest":
        """Read a manifest file. Raises :class:`ManifestError` if it is missing or unreadable, or
        if ``prefix`` is given and differs from the manifest's."""
        path = Path(path)
        try:
            stamp = (lambda info: (info.st_mtime_ns, info.st_size))(path.stat())
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError(
                f"no workshop manifest at {path}; run 'provision' for this prefix first"
            ) from None
        except (OSError, ValueError) as exc:
            raise ManifestError(f"cannot read workshop manifest {path}: {exc.__class__.__name__}") from None
        if not isinstance(data, dict) or not isinstance(data.get("attendees"), list):
            raise ManifestError(f"{path} is not a workshop manifest (no 'attendees' list)")
        if prefix is not None and data.get("prefix") != prefix:
            raise ManifestError(f"{path} belongs to workshop {data.get('prefix')!r}, not {prefix!r}")
        manifest = cls(path, data.get("prefix", ""), ignore_file)
        manifest.tenant_id = data.get("tenant_id", "")
        manifest.tenant_name = data.get("tenant_name", "")
        manifest.spec = dict(data.get("spec") or {})
        manifest.seed_instance_id = data.get("seed_instance_id", "") or ""
        for item in data["attendees"]:
            record = AttendeeRecord.from_dict(item)
            manifest.records[record.attendee] = record
        manifest._stamp = stamp
        return manifest

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def reload(self) -> None:
        """Read the file again into this object when another process has changed it since this
        one last read or wrote it (e.g. before this one took the workshop's lock); nothing
        happens when the file is unchanged or absent (records keep their identity then)."""
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return
        fresh = Manifest.load(self.path, self.prefix, self.ignore_file)
        with self._lock:
            self._stamp = fresh._stamp
            self.tenant_id, self.tenant_name = fresh.tenant_id, fresh.tenant_name
            self.spec, self.seed_instance_id = fresh.spec, fresh.seed_instance_id
            self.records.clear()
            self.records.update(fresh.records)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict."""
        with self._lock:
            return {
                "format": FORMAT_VERSION,
                "prefix": self.prefix,
                "tenant_id": self.tenant_id,
                "tenant_name": self.tenant_name,
                "spec": dict(self.spec),
                "seed_instance_id": self.seed_instance_id,
                "attendees": [asdict(r) for r in self.records.values()],
            }

    def save(self) -> None:
        """Write the manifest atomically with mode 0600 (temporary file, fsync, rename, fsync of
        the folder: `aura_nb.core.vault.write_private`; the folder is created 0700 if needed,
        with its ``.gitignore``). Raises :class:`ManifestWriteFailed` when it cannot be written."""
        with self._lock:
            try:
                prepare_folder(self.path.parent, self.ignore_file)
                write_private(self.path, json.dumps(self.to_dict(), indent=2) + "\n")
            except OSError as exc:
                raise ManifestWriteFailed(write_failure(self.path, exc), exc.errno) from None
            self._stamp = self._file_stamp()

    # -- records ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[AttendeeRecord]:
        with self._lock:
            return iter(list(self.records.values()))

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"Manifest(prefix={self.prefix!r}, attendees={len(self.records)})"

    def get(self, attendee: str) -> AttendeeRecord:
        """The record of ``attendee`` (matched exactly, then ignoring Unicode form, case and spacing).

        Raises :class:`ManifestError` naming the workshop when there is no such attendee.
        """
        with self._lock:
            if attendee in self.records:
                return self.records[attendee]
            wanted = attendee_key(attendee)
            for name, record in self.records.items():
                if attendee_key(name) == wanted:
                    return record
        raise ManifestError(f"no attendee {attendee!r} in workshop {self.prefix!r}; check the spelling with 'status'")

    def add(self, record: AttendeeRecord) -> AttendeeRecord:
        """Add a record (or return the existing one for that attendee); does not save."""
        with self._lock:
            return self.records.setdefault(record.attendee, record)

    def update(self, attendee: str, *, save: bool = True, **changes: Any) -> AttendeeRecord:
        """Change fields of one attendee's record and save the manifest at once (unless ``save``
        is False: the caller saves after a batch of updates that can be redone).

        ``note="..."`` appends a note instead of replacing the list.
        """
        with self._lock:
            record = self.records[attendee]
            note = changes.pop("note", None)
            for key, value in changes.items():
                if not hasattr(record, key):
                    raise AttributeError(f"AttendeeRecord has no field {key!r}")
                setattr(record, key, value)
            if note:
                record.note(note)
            if save:
                self.save()
        for listener in list(self._listeners):  # outside the lock: a listener may read the manifest
            listener(record)
        return record

    def on_change(self, callback: Callable[[AttendeeRecord], Any], remove: bool = False) -> None:
        """Call ``callback(record)`` after each :meth:`update`, in the updating thread (a worker
        thread during bulk operations); ``remove`` undoes it. A callback must not raise."""
        with self._lock:
            if remove:
                self._listeners = [cb for cb in self._listeners if cb != callback]
            else:
                self._listeners.append(callback)

    def by_instance_id(self) -> dict[str, AttendeeRecord]:
        """Records that have an instance id, keyed by it (deleted ones included)."""
        with self._lock:
            return {r.instance_id: r for r in self.records.values() if r.instance_id}

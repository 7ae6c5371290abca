"""The vault: where the one-time password of each created instance is written and read back.

One file per instance, ``<instance_id>-<safe-name>.txt``, in the format of the credentials file
the Aura console offers for download (``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
``AURA_INSTANCEID``, ``AURA_INSTANCENAME``) plus ``AURA_TENANTID``, ``AURA_CREATED_AT`` and
``AURA_API_BASE_URL``: whose entry it is (which API, which tenant), so that a clean-up run against
one API or account never forgets another's passwords (`Vault.owned_by`). Files
are written atomically (temporary file in the same folder, fsync, ``os.replace``) with mode 0600
in a folder the vault creates with mode 0700 (a folder that already exists keeps its mode). Such
a file can be passed to python-dotenv or ``neo4j`` tools as is.

Two rules keep a password from being lost: `Vault.check_writable` proves a file can be written
before a create is sent, and when a save still fails `Vault.save` writes a 0600 rescue file
beside the vault's intended place and raises `VaultWriteFailed` saying where. File names are
built only from ids checked by `aura_nb.core.rules.check_id`, so a server's id cannot point outside.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import config, display
from .envfile import env_text, read_env
from .errors import InvalidId, VaultEntryNotFound, VaultUnwritable, VaultWriteFailed
from .rules import check_id

__all__ = ["Vault", "VaultEntry", "write_private", "RESCUE_PREFIX"]

#: Rescue files (written when the vault itself cannot be) are named ``<prefix><id>-<name>.txt``.
RESCUE_PREFIX = "aura_nb-rescued-"

log = logging.getLogger("aura_nb")

_KEYS = (
    ("NEO4J_URI", "uri"),
    ("NEO4J_USERNAME", "username"),
    ("NEO4J_PASSWORD", "password"),
    ("AURA_INSTANCEID", "instance_id"),
    ("AURA_INSTANCENAME", "instance_name"),
    ("AURA_TENANTID", "tenant_id"),
    ("AURA_CREATED_AT", "created_at"),
)
#: Written and read back, but not part of `VaultEntry.as_env` (the console file's variables).
_SCOPE_KEYS = (("AURA_API_BASE_URL", "api_base_url"),)


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name or "").strip("-.")
    return cleaned[:40] or "instance"


@dataclass(frozen=True)
class VaultEntry:
    """Credentials read back from one vault file. The password is masked in repr/str/HTML."""

    instance_id: str
    instance_name: str
    uri: str
    username: str
    password: str = field(repr=False)
    tenant_id: str = ""
    created_at: str = ""
    path: Path | None = None
    api_base_url: str = ""  # "" in files written before entries recorded their API

    _display_fields = ("instance_id", "instance_name", "uri", "username", "password",
                       "tenant_id", "created_at", "path")

    def _display_value(self, name: str) -> Any:
        return display.mask(self.password) if name == "password" else getattr(self, name)

    def __repr__(self) -> str:
        return (f"VaultEntry(instance_id={self.instance_id!r}, instance_name="
                f"{self.instance_name!r}, uri={self.uri!r}, username={self.username!r}, "
                f"password='{display.mask(self.password)}', path={str(self.path)!r})")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return display.record(self, title=f"Vault entry {self.instance_id}")

    def as_env(self) -> dict[str, str]:
        """The entry as the console file's variables (includes the password: do not print)."""
        return {key: str(getattr(self, attr) or "") for key, attr in _KEYS}


class Vault:
    """A folder of credentials files, one per created instance.

    ``Vault()`` uses ``AURA_VAULT_DIR`` (default ``$AURA_NB_HOME/vault``). The folder is created
    with mode 0700 on first write. ``api_base_url`` (the client's ``AURA_BASE_URL``) is written
    into every entry saved, beside its tenant id."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, api_base_url: str = "") -> None:
        self.directory = Path(directory) if directory is not None else config.vault_dir()
        self.api_base_url = api_base_url

    def __repr__(self) -> str:
        return f"Vault({str(self.directory)!r})"

    def path_for(self, instance_id: str, name: str | None = None) -> Path:
        """The file for an instance: the existing one if the vault has it, else (when ``name``
        is given) where `save` would write it, else the settings' ``.env`` when it holds this
        instance's credentials (a workshop hand-out: `_handout_env`). Raises `VaultEntryNotFound` otherwise, `InvalidId`
        when ``instance_id`` is not an instance id."""
        check_id("instance id", instance_id)
        existing = sorted(self.directory.glob(f"{instance_id}-*.txt"))
        if existing:
            return existing[0]
        if name is not None:
            return self.directory / f"{instance_id}-{_safe_name(name)}.txt"
        handed_out = _handout_env(instance_id)
        if handed_out is not None:
            return handed_out
        raise VaultEntryNotFound(
            f"the vault at {self.directory} has no credentials for instance {instance_id}")

    def check_writable(self) -> None:
        """Prove that a credentials file can be written here now: create the folder if needed,
        then create, fsync and remove a probe file. Sends nothing. Raises `VaultUnwritable` with
        one line saying what to do (``create_instance`` calls this before sending)."""
        probe = self.directory / f".probe.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            _make_private_folder(self.directory)
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, b"aura_nb vault probe\n")
                os.fsync(fd)
            finally:
                os.close(fd)
                probe.unlink(missing_ok=True)
        except OSError as exc:
            raise VaultUnwritable(
                f"the vault at {self.directory} cannot be written ({_why(exc)}), so a new "
                "instance's one-time password would be lost; nothing was sent. Set "
                "AURA_VAULT_DIR to a folder you can write (or free some space) and try again",
                directory=self.directory) from None

    def save(self, created: Any) -> Path:
        """Write a `CreatedInstance`'s credentials to its file, atomically and with mode 0600,
        and return the path. Overwrites an older file for the same instance id.

        Raises `InvalidId` when ``created.id`` is not an instance id (nothing written), and
        `VaultWriteFailed` when the file cannot be written: its ``rescue_path`` is the 0600
        rescue file the credentials went to instead (or ``None``), ``created`` the instance."""
        check_id("instance id", created.id)
        text = _file_text(created, self.api_base_url)
        target = self.directory / f"{created.id}-{_safe_name(created.name)}.txt"
        try:
            write_private(target, text)
        except OSError as exc:
            rescue = self._rescue(created, text)
            where = (f"they were written to the rescue file {rescue} (mode 0600): move it into "
                     "a vault folder you can write" if rescue else
                     "no rescue file could be written either: the password is only in "
                     "error.created.password now, shown once; save it yourself")
            raise VaultWriteFailed(
                f"instance {created.id} was created but its credentials could not be written to "
                f"the vault at {self.directory} ({_why(exc)}); {where}",
                created=created, rescue_path=rescue) from None
        for old in self.directory.glob(f"{created.id}-*.txt"):
            if old != target:
                old.unlink(missing_ok=True)
        log.info("saved credentials of instance %s to %s", created.id, target)
        return target

    def _rescue(self, created: Any, text: str) -> Path | None:
        """Write the credentials to a new 0600 file beside the vault's intended place (its
        nearest existing parent folder, else ``AURA_NB_HOME``); the path, or ``None``."""
        name = f"{RESCUE_PREFIX}{created.id}-{_safe_name(created.name)}.txt"
        for folder in (_nearest_folder(self.directory), config.nb_home()):
            if folder is None or not folder.is_dir():
                continue
            path = folder / name
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                path = folder / f"{RESCUE_PREFIX}{created.id}-{secrets.token_hex(3)}.txt"
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except OSError:
                    continue
            except OSError:
                continue
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError:
                path.unlink(missing_ok=True)
                continue
            log.warning("vault unwritable: credentials of instance %s rescued to %s",
                        created.id, path)
            return path
        return None

    def load(self, instance_id: str) -> VaultEntry:
        """Read an instance's credentials back. Raises `VaultEntryNotFound` when absent."""
        return self._read(self.path_for(instance_id))

    def entries(self) -> list[VaultEntry]:
        """Every entry in the vault, oldest file first (empty when the folder does not exist)."""
        if not self.directory.is_dir():
            return display.ModelList(caption="vault entries")
        paths = sorted(self.directory.glob("*-*.txt"), key=lambda p: p.stat().st_mtime)
        return display.ModelList((self._read(p) for p in paths), caption="vault entries")

    def owned_by(self, api_base_url: str, tenant_ids: Iterable[str]) -> tuple[list[VaultEntry], list[VaultEntry]]:
        """``(owned, unscoped)``: the entries written for this API (``api_base_url``) and one of
        ``tenant_ids`` (the tenants of the account being cleaned up), and the entries that do not
        say whose they are (written before entries recorded their API). A clean-up or "forget"
        touches only the first list, leaves the second alone and reports it."""
        tenants = set(tenant_ids)
        owned, unscoped = [], []
        for entry in self.entries():
            if not entry.api_base_url or not entry.tenant_id:
                unscoped.append(entry)
            elif entry.api_base_url == api_base_url and entry.tenant_id in tenants:
                owned.append(entry)
        return owned, unscoped

    def __iter__(self) -> Iterator[VaultEntry]:
        return iter(self.entries())

    def __contains__(self, instance_id: object) -> bool:
        try:
            self.path_for(str(instance_id))
        except (VaultEntryNotFound, InvalidId):
            return False
        return True

    @staticmethod
    def _read(path: Path) -> VaultEntry:
        values = read_env(path)
        data = {attr: values.get(key) or "" for key, attr in _KEYS + _SCOPE_KEYS}
        return VaultEntry(path=path, **data)


def _handout_env(instance_id: str) -> Path | None:
    """The ``.env`` the settings come from (`config.dotenv_path`) when it holds this instance's
    credentials (``AURA_INSTANCEID``): a workshop's hub hand-out gives an attendee their
    instance that way, so `Vault.load` finds what the instructor's vault holds."""
    path = config.dotenv_path()
    if path is None:
        return None
    try:
        values = read_env(path)
    except (OSError, UnicodeDecodeError):
        return None
    return path if values.get("AURA_INSTANCEID") == instance_id and values.get("NEO4J_PASSWORD") else None


def _file_text(created: Any, api_base_url: str = "") -> str:
    """The credentials file's text for a `CreatedInstance` (holds the password), saying which
    API (``api_base_url``) and tenant it belongs to."""
    created_at = created.created_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {
        "uri": created.connection_url or "",
        "username": created.username or "",
        "password": created.password or "",
        "instance_id": created.id,
        "instance_name": created.name or "",
        "tenant_id": created.tenant_id or "",
        "created_at": created_at,
        "api_base_url": api_base_url,
    }
    return env_text({key: str(values[attr]) for key, attr in _KEYS + _SCOPE_KEYS},
                    ["Aura instance credentials, written by aura_nb when the instance was created.",
                     "The password is shown only once by the API: keep this file private."])


def _why(exc: OSError) -> str:
    """An OSError in a few words, without the path (the message names the folder already)."""
    return exc.strerror or type(exc).__name__


def _nearest_folder(path: Path) -> Path | None:
    """``path``'s nearest ancestor that is an existing folder (``path`` itself excluded)."""
    for parent in path.parents:
        if parent.is_dir():
            return parent
    return None


def _make_private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) when absent, giving the folder itself mode 0700.
    A folder that already exists is left as it is: the kit never changes the mode of a folder
    it did not create (a shared 1777 folder stays 1777; the files in it are 0600)."""
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)  # mkdir's mode is reduced by the umask


def write_private(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` so that it is complete or absent, and readable by its owner only.

    A missing folder is created with mode 0700 (an existing one keeps its mode); the text goes
    to a temporary file in the same folder created with mode 0600 (``os.open``), is flushed to
    disk (fsync), then renamed over ``path`` (``os.replace``, atomic) and the folder entry is
    synced. Raises ``OSError``; on failure the temporary file is removed and an older ``path``
    is left as it was."""
    target = Path(path)
    folder = target.parent
    _make_private_folder(folder)
    tmp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)
    return target


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

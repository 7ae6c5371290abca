"""One process at a time per workshop: an OS file lock in the workshop's folder.

Provision, pause, resume, reset, hand-outs and teardown of one workshop (its home and prefix)
run under ``<workshop folder>/.lock``, an exclusive ``flock`` taken with ``filelock`` without
waiting: the OS releases it when the holder exits, even on a crash, so it never goes stale. The
holder writes who it is (pid, host, command, since when) to ``.lock.owner`` beside it, which a
refused second run quotes. Two threads of one process take it as two holders, too (a notebook
cell beside a running provision).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from aura_nb.core.vault import write_private
from .spec import WorkshopError

__all__ = ["WorkshopLocked", "workshop_lock", "LOCK_NAME", "OWNER_NAME"]

LOCK_NAME = ".lock"
OWNER_NAME = ".lock.owner"


class WorkshopLocked(WorkshopError):
    """Raised when another process (or thread) is running a command on the same workshop;
    ``owner`` holds what it wrote about itself (``pid``, ``host``, ``command``, ``since``)."""

    def __init__(self, message: str, owner: dict | None = None) -> None:
        super().__init__(message)
        self.owner = owner or {}


def _owner_text(command: str) -> str:
    return json.dumps({
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "argv": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
        "since": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }) + "\n"


def _read_owner(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def workshop_lock(folder: Path, prefix: str, command: str) -> Iterator[None]:
    """Hold the lock of the workshop in ``folder`` while the block runs, or raise
    :class:`WorkshopLocked` at once naming the holder. ``folder`` must exist."""
    lock = FileLock(folder / LOCK_NAME, timeout=0, thread_local=False)
    owner_path = folder / OWNER_NAME
    try:
        lock.acquire()
    except Timeout:
        owner = _read_owner(owner_path)
        who = (f"pid {owner.get('pid', '?')} on {owner.get('host', '?')} running "
               f"{owner.get('command', '?')!r} since {owner.get('since', '?')}") if owner else "another process"
        raise WorkshopLocked(
            f"workshop {prefix} is busy: {who}; let it finish (or stop it) and run the command again",
            owner) from None
    try:
        try:
            write_private(owner_path, _owner_text(command))
        except OSError:  # a full disk: the lock holds all the same, only its owner is unnamed
            pass
        yield
    finally:
        try:
            owner_path.unlink(missing_ok=True)
        finally:
            lock.release()

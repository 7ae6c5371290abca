"""How long each kind of operation took before: a small file of observations, shared by kernels.

One file, ``$AURA_NB_HOME/durations.json`` (`store_path`), holds for each API base URL and each
kind of operation (``create``, ``pause``, ``resume``, ``delete``, ``resize``, ``overwrite``,
``restore``, ``snapshot``) the last `KEEP` observations, in the service's own seconds (server
clock, read from ``Date`` headers: a simulator running 50x faster still stores real-API-like
figures)::

    {"version": 1,
     "apis": {"https://api.neo4j.io": {
         "updated": 1764400000.0,
         "kinds": {"create": [[84.0, 93.0, 1764399000.0], ...]}}}}

An observation ``[lo, hi, when]`` says the operation ended between ``lo`` and ``hi`` seconds after
it began (the last "not yet" and the first "done" answers), observed at server time ``when``.

Several kernels may finish waits at once: a write takes an exclusive lock on ``durations.lock``
beside the file (where ``fcntl`` exists), reads the file again, merges its observations in and
replaces the file atomically, so no reader ever sees half a file and no writer drops another's
observations. A missing, unreadable or corrupt file counts as empty; a failed write is logged and
forgotten (learning is an optimisation, never a reason for a wait to fail).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator

from .. import config

try:
    import fcntl
except ImportError:  # Windows: atomic replace alone (a rare concurrent write may be lost)
    fcntl = None  # type: ignore[assignment]

__all__ = ["DurationStore", "store_path", "KEEP"]

log = logging.getLogger("aura_nb")

#: Observations kept per API and kind (the most recent ones).
KEEP = 10
#: APIs kept in the file (the most recently updated ones); simulators get a new port each start.
MAX_APIS = 20
_VERSION = 1
_local = threading.Lock()  # threads of one process; the lock file covers other processes


def store_path() -> Path:
    """Where learned durations live: ``$AURA_NB_HOME/durations.json``."""
    return config.nb_home() / "durations.json"


def _observations(value: Any) -> list[tuple[float, float, float]]:
    """The well-formed ``[lo, hi, when]`` entries of ``value`` (anything else is dropped)."""
    kept = []
    for entry in value if isinstance(value, list) else ():
        try:
            lo, hi, when = (float(x) for x in entry)
        except (TypeError, ValueError):
            continue
        if 0 <= lo <= hi < 1e7:
            kept.append((lo, hi, when))
    return kept[-KEEP:]


class DurationStore:
    """The learned durations of one API (``base_url``), read from and merged into ``path``
    (default `store_path`)."""

    def __init__(self, base_url: str, path: Path | None = None) -> None:
        self.base_url = base_url
        self.path = Path(path) if path is not None else store_path()

    def __repr__(self) -> str:
        return f"<DurationStore {self.base_url} in {self.path}>"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.info("ignoring unreadable learned durations in %s (%s)", self.path,
                     type(exc).__name__)
            return {}
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return {}
        apis = data.get("apis")
        return apis if isinstance(apis, dict) else {}

    def durations(self, kind: str) -> list[tuple[float, float]]:
        """``(lo, hi)`` server seconds of each remembered operation of ``kind``, oldest first."""
        entry = self._read().get(self.base_url)
        kinds = entry.get("kinds") if isinstance(entry, dict) else None
        if not isinstance(kinds, dict):
            return []
        return [(lo, hi) for lo, hi, _ in _observations(kinds.get(kind))]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with _local:
            if fcntl is None:
                yield
                return
            with open(self.path.with_name("durations.lock"), "a+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def record(self, kind: str, observed: list[tuple[float, float]], now: float) -> None:
        """Add ``observed`` ``(lo, hi)`` durations of ``kind``, seen at server time ``now``."""
        fresh = [(round(lo, 1), round(hi, 1), round(now, 1)) for lo, hi in observed
                 if 0 <= lo <= hi]
        if not fresh:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                apis = self._read()
                entry = apis.get(self.base_url)
                if not isinstance(entry, dict) or not isinstance(entry.get("kinds"), dict):
                    entry = {"kinds": {}}
                kinds = entry["kinds"]
                kinds[kind] = [list(o) for o in
                               (_observations(kinds.get(kind)) + fresh)[-KEEP:]]
                entry["updated"] = now
                apis[self.base_url] = entry
                newest = sorted(apis, key=lambda url: _updated(apis[url]))[-MAX_APIS:]
                self._replace({"version": _VERSION, "apis": {u: apis[u] for u in newest}})
        except OSError as exc:
            log.info("could not remember durations in %s (%s)", self.path, exc)

    def _replace(self, data: dict[str, Any]) -> None:
        fd, temp = tempfile.mkstemp(prefix=".durations-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def _updated(entry: Any) -> float:
    try:
        return float(entry.get("updated", 0.0))
    except (AttributeError, TypeError, ValueError):
        return 0.0

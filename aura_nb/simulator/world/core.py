"""The world's shared machinery: lock, virtual clock, seeded ids, transitions, persistence, tokens.

Lifecycle is computed lazily from the virtual clock. An operation such as pause does not start a
timer; it records "status is ``pausing`` until virtual time T, then ``paused``". Whoever reads the
instance afterwards first *settles* it: if the clock has passed T, the status moves on. No
background threads, and a world saved to a file and loaded again keeps progressing.

Each resource module adds its part of :class:`~aura_nb.simulator.world.World` as a subclass of
:class:`WorldCore` and joins set-up and persistence through three cooperative hooks
(``_clear_resources``, ``_dump_resources``, ``_load_resources``) that call ``super()`` first.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import tempfile
import threading
import time
import uuid
from typing import TYPE_CHECKING

from .. import catalog
from ..clock import VirtualClock
from ..errors import ApiError

if TYPE_CHECKING:
    from .instances import Instance

STATE_FORMAT = 1
#: Marks a transition whose end is the instance's disappearance.
GONE = ""
#: Status after each transitional status.
NEXT_STATUS = {"creating": "running", "pausing": "paused", "resuming": "running",
               "updating": "running", "overwriting": "running", "restoring": "running",
               "destroying": GONE}


def _digest(token: str) -> str:
    """Tokens are kept (and saved) only as hashes."""
    return hashlib.sha256(token.encode()).hexdigest()


class WorldCore:
    """Lock, clock, seeded randomness, tokens and persistence; the resources come from subclasses.

    ``lock`` is re-entrant so a caller may hold it around several calls.
    """

    def __init__(self, seed: int = 0, clock: VirtualClock | None = None,
                 durations: dict | None = None, account: str | None = None):
        self.seed = seed
        self.account = catalog.account(account)      # raises ValueError for an unknown kind
        self.account_kind = account
        self.clock = clock or VirtualClock()
        self.durations = dict(catalog.DEFAULT_DURATIONS)
        for name, (lo, hi) in (durations or {}).items():
            if name not in self.durations:
                raise ValueError(f"unknown duration {name!r}; known: {', '.join(self.durations)}")
            if not 0 <= lo <= hi:
                raise ValueError(f"duration {name!r} needs 0 <= shortest <= longest")
            self.durations[name] = (lo, hi)
        self.lock = threading.RLock()
        self.tokens: dict[str, tuple[str, float]] = {}   # sha256(token) -> (role, expires_at)
        self.issued_tokens: list[str] = []       # secrets handed out by this process (never saved),
        self.issued_passwords: list[str] = []    # listed by GET /_simulator/secrets for scans
        self.tokens_issued = 0
        self.reset()

    # ----------------------------------------------------------------- resource hooks

    def _clear_resources(self) -> None:
        """Empty (or seed) each resource's collections; called by :meth:`reset`."""

    def _dump_resources(self, state: dict) -> None:
        """Add each resource's collections to ``state`` as JSON-ready data."""

    def _load_resources(self, state: dict) -> None:
        """Replace each resource's collections from ``state``."""

    # ----------------------------------------------------------------- set-up and persistence

    def reset(self) -> None:
        """Go back to the seeded world. Issued tokens stay valid."""
        with self.lock:
            self._rng = random.Random(self.seed)
            self.user_ids = {"primary": self._uuid(), "other": self._uuid()}
            self._clear_resources()

    def to_state(self) -> dict:
        """The world as JSON-ready data (tokens only as hashes, never passwords)."""
        with self.lock:
            version, internal, gauss = self._rng.getstate()
            state = {
                "format": STATE_FORMAT,
                "seed": self.seed,
                "now": self.clock.now(),
                "saved_at": time.time(),
                "rng": [version, list(internal), gauss],
                "user_ids": self.user_ids,
                "account": self.account_kind,
            }
            self._dump_resources(state)
            state["tokens"] = {h: list(v) for h, v in self.tokens.items()}
            state["tokens_issued"] = self.tokens_issued
            return state

    def load_state(self, state: dict) -> None:
        """Replace the world with ``state`` (from :meth:`to_state`).

        The clock resumes where it was saved plus the real time since, times the speed: the
        simulated cloud kept working while the simulator was stopped.
        Raises ValueError for a file of another format.
        """
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported simulator state format {state.get('format')!r}")
        with self.lock:
            self.seed = state["seed"]
            version, internal, gauss = state["rng"]
            self._rng.setstate((version, tuple(internal), gauss))
            self.user_ids = dict(state["user_ids"])
            self.account_kind = state.get("account")
            self.account = catalog.account(self.account_kind)
            self._load_resources(state)
            self.tokens = {h: (v[0], v[1]) for h, v in state["tokens"].items()}
            self.tokens_issued = state.get("tokens_issued", 0)
            downtime = max(0.0, time.time() - state["saved_at"])
            self.clock.reset(start=state["now"] + self.clock.speed * downtime)

    def save(self, path: str) -> None:
        """Write the state to ``path`` atomically (temporary file, then rename), mode 0600."""
        data = json.dumps(self.to_state(), separators=(",", ":"))
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".aura-sim-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def now(self) -> float:
        """Current virtual time (POSIX seconds)."""
        return self.clock.now()

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _hex(self, digits: int) -> str:
        return f"{self._rng.getrandbits(4 * digits):0{digits}x}"

    def _draw(self, kind: str, key: str, n: int) -> float:
        """A duration for operation ``n`` of ``key``: the same for the same seed, whatever the order."""
        lo, hi = self.durations[kind]
        return random.Random(f"{self.seed}/{key}/{n}/{kind}").uniform(lo, hi)

    def _begin(self, inst: Instance, status: str) -> None:
        """Start a transition: ``status`` now, the next status after a drawn duration."""
        inst.since = self.now()
        inst.until = inst.since + self._draw(status, inst.id, inst.ops)
        inst.ops += 1
        inst.status = status
        inst.then = NEXT_STATUS[status]

    def _settle(self, inst: Instance) -> Instance | None:
        """Apply a finished transition; ``None`` if the instance is gone."""
        if inst.until is not None and self.now() >= inst.until:
            if inst.then == GONE:
                del self.instances[inst.id]
                self.snapshots.pop(inst.id, None)
                return None
            inst.status, inst.since, inst.until, inst.then = inst.then, inst.until, None, None
        return inst

    def status_since(self, instance_id: str) -> tuple[str, float] | None:
        """``(status, virtual time it began)`` of an instance, ``None`` once it is gone.

        For tests: when did this instance really become ``running``?
        """
        with self.lock:
            inst = self.instances.get(instance_id)
            if inst is None or self._settle(inst) is None:
                return None
            return inst.status, inst.since

    def transition_end(self, instance_id: str) -> float | None:
        """Virtual time at which the instance's current operation ends (``None`` if idle/unknown).

        For tests: the exact moment an instance becomes ``running``.
        """
        with self.lock:
            inst = self.instances.get(instance_id)
            return None if inst is None else inst.until

    # ----------------------------------------------------------------- tokens

    def issue_token(self, role: str, ttl: float) -> str:
        """A new opaque access token for ``role``, valid for ``ttl`` virtual seconds."""
        token = secrets.token_urlsafe(40)
        with self.lock:
            now = self.now()
            # Forget tokens long expired; recently expired ones must still answer 403, not 401.
            for key in [k for k, (_, exp) in self.tokens.items() if exp < now - 86400]:
                del self.tokens[key]
            self.tokens[_digest(token)] = (role, now + ttl)
            self.tokens_issued += 1
            self.issued_tokens.append(token)
        return token

    def role_for_token(self, token: str) -> str:
        """The role a bearer token belongs to.

        Raises ApiError 401 for an unknown token and 403 for an expired one (gateway shape).
        """
        with self.lock:
            entry = self.tokens.get(_digest(token))
            if entry is None:
                raise ApiError(401, "unauthorized", "Access token is invalid", shape="middleware")
            role, expires_at = entry
            if self.now() >= expires_at:
                raise ApiError(403, "forbidden", "Access token has expired", shape="middleware")
            return role

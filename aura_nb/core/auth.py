"""OAuth2 client-credentials tokens: fetched once, cached, refreshed shortly before they expire.

`TokenCache` is shared by every thread of a client, and by every client of the process with the
same credentials (`credentials_key`): when several need a token at once, exactly one fetches it
and the others reuse it. The clock is injectable so tests can move time.
`BearerAuth` is the ``requests`` auth hook that puts the cached token on each request.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping

import requests

from .display import MASKED
from .errors import AuthenticationFailed

__all__ = ["Token", "TokenCache", "BearerAuth", "refresh_margin", "credentials_key"]

log = logging.getLogger("aura_nb")


def refresh_margin(expires_in: float) -> float:
    """How many seconds before expiry a token is renewed: 10% of its lifetime or 60 s, whichever
    is sooner, but never more than half of the lifetime (so short test tokens still get used).
    A one-hour token is renewed after 54 minutes."""
    return max(0.1 * expires_in, min(60.0, 0.5 * expires_in))


@dataclass(frozen=True)
class Token:
    """An access token and its lifetime. ``obtained_at`` is the clock reading taken *before* the
    token was requested, so expiry is computed conservatively. The repr masks the token."""

    access_token: str = field(repr=False)
    expires_in: float
    obtained_at: float
    token_type: str = "bearer"

    @classmethod
    def from_response(cls, data: Mapping[str, Any], obtained_at: float) -> "Token":
        """Build a token from the token endpoint's JSON. Raises `AuthenticationFailed` when the
        answer has no ``access_token``; a missing ``expires_in`` counts as one hour."""
        token = data.get("access_token") if isinstance(data, Mapping) else None
        if not token or not isinstance(token, str):
            raise AuthenticationFailed(
                "the token endpoint answered without an access_token (POST /oauth/token)")
        try:
            expires_in = float(data.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        token_type = str(data.get("token_type") or "bearer")
        if token_type.lower() != "bearer":
            raise AuthenticationFailed(
                f"the token endpoint returned a {token_type!r} token; aura_nb needs a bearer token")
        return cls(token, expires_in, obtained_at, token_type)

    @property
    def expires_at(self) -> float:
        """Clock reading at which the server stops accepting the token."""
        return self.obtained_at + self.expires_in

    @property
    def refresh_at(self) -> float:
        """Clock reading from which a new token is fetched instead (see `refresh_margin`)."""
        return self.expires_at - refresh_margin(self.expires_in)

    def needs_refresh(self, now: float) -> bool:
        """True once ``now`` has reached `refresh_at`."""
        return now >= self.refresh_at

    def __repr__(self) -> str:
        return (f"Token(access_token='{MASKED}', expires_in={self.expires_in:g}, "
                f"obtained_at={self.obtained_at:.3f})")

    __str__ = __repr__


class _Slot:
    """Where a token is kept, and the lock of whoever fetches it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: Token | None = None


#: The process's shared slots, one per set of credentials (`TokenCache`'s ``key``). Weak: a
#: slot lives as long as a client uses it. Memory only: a token never touches disk.
_SLOTS: "weakref.WeakValueDictionary[Hashable, _Slot]" = weakref.WeakValueDictionary()
_SLOTS_LOCK = threading.Lock()


def credentials_key(base_url: str, client_id: str, client_secret: str) -> tuple[str, str, str]:
    """What makes two clients' tokens interchangeable: the same service and the same client
    id *and secret*. The secret takes part as a digest, so that a client holding a wrong
    secret never borrows the token that the right one fetched."""
    digest = hashlib.sha256(f"{client_id}:{client_secret}".encode("utf-8", "replace")).hexdigest()
    return base_url.rstrip("/"), client_id, digest


class TokenCache:
    """Holds the current token; `get` fetches one only when there is none or it is due for
    refresh. ``fetch(obtained_at)`` does the HTTP request and returns a `Token`.

    With a ``key`` (`credentials_key`) and the default monotonic clock, every cache of that key
    in the process holds one token: several clients with the same credentials fetch one token
    per lifetime between them (the token endpoint allows 15 an hour per client id). A cache on
    another clock keeps its own. ``requests`` counts the tokens this cache fetched. Thread-safe:
    one fetch while the others wait for it."""

    def __init__(self, fetch: Callable[[float], Token], clock: Callable[[], float] = time.monotonic,
                 key: Hashable | None = None) -> None:
        self._fetch = fetch
        self._clock = clock
        self._slot = _Slot()
        if key is not None and clock is time.monotonic:
            with _SLOTS_LOCK:
                self._slot = _SLOTS.setdefault(key, self._slot)
        self.requests = 0

    def get(self) -> Token:
        """The current token, fetching a new one first when needed. Raises what the fetch
        raises (`AuthenticationFailed`, `TransportError`...)."""
        slot = self._slot
        with slot.lock:
            token = slot.token
            if token is None or token.needs_refresh(self._clock()):
                if token is not None:
                    log.debug("access token due for refresh; fetching a new one")
                self.requests += 1
                token = self._fetch(self._clock())
                slot.token = token
            return token

    def invalidate(self, token: Token | None = None) -> None:
        """Drop the cached token (only if it is still ``token``, when given), so the next `get`
        fetches a new one. Used after a 401/403 answer."""
        slot = self._slot
        with slot.lock:
            if token is None or slot.token is token:
                slot.token = None

    @property
    def current(self) -> Token | None:
        """The cached token or ``None`` (no fetch)."""
        return self._slot.token

    def expires_in(self) -> float | None:
        """Seconds, by this cache's clock, until the cached token expires (negative once it
        has), or ``None`` when no token is cached. Fetches nothing."""
        token = self._slot.token
        return None if token is None else token.expires_at - self._clock()

    def __repr__(self) -> str:
        state = "empty" if self._slot.token is None else "holding a token"
        return f"TokenCache({state}, {self.requests} fetched)"


class BearerAuth(requests.auth.AuthBase):
    """``requests`` auth that sets ``Authorization: Bearer <token>`` from a `TokenCache` and
    remembers on the request which token it used (``request.aura_token``), so a 401/403 answer
    can invalidate exactly that token."""

    def __init__(self, tokens: TokenCache) -> None:
        self.tokens = tokens

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.tokens.get()
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        request.aura_token = token  # type: ignore[attr-defined]
        return request

    def __repr__(self) -> str:
        return "BearerAuth(<token hidden>)"

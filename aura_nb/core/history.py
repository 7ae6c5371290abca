"""A teaching aid: the last HTTP exchanges of a client, with every secret redacted.

``client.history[-1]`` is the most recent `Exchange`; ``print(exchange)`` shows request and
response, ``exchange.as_curl()`` an equivalent ``curl`` command that uses ``$AURA_TOKEN``,
``$AURA_CLIENT_ID`` and ``$AURA_CLIENT_SECRET`` instead of the real values. Redaction happens when
an exchange is recorded, so the secret values are never stored here at all.
"""

from __future__ import annotations

import html
import json
import shlex
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping
from urllib.parse import parse_qsl

__all__ = ["Exchange", "History", "redact", "REDACTED", "SECRET_KEYS"]

REDACTED = "<redacted>"
SECRET_KEYS = frozenset({"password", "access_token", "client_secret", "refresh_token",
                         "id_token", "token", "secret"})
REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept")
RESPONSE_HEADERS = ("Content-Type", "X-Request-Id", "Retry-After", "Date", "Location",
                    "X-Tyk-Api-Expires")


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with every secret-named key's value replaced by
    ``"<redacted>"`` (``password``, ``access_token``, ``client_secret``...), at any depth."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in SECRET_KEYS and v not in (None, "")
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def redact_header(name: str, value: str) -> str:
    """``Authorization`` keeps only its scheme (``Bearer <redacted>``); others pass."""
    if name.lower() in ("authorization", "proxy-authorization", "cookie", "set-cookie"):
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} {REDACTED}".strip()
    return value


def select_headers(headers: Mapping[str, str] | None, names: tuple[str, ...]) -> dict[str, str]:
    """The listed headers (case-insensitive) that are present, redacted."""
    if not headers:
        return {}
    lowered = {str(k).lower(): (k, v) for k, v in headers.items()}
    chosen = {}
    for name in names:
        if name.lower() in lowered:
            chosen[name] = redact_header(name, str(lowered[name.lower()][1]))
    return chosen


def body_for_record(body: Any, content_type: str = "") -> Any:
    """A request/response body as stored in history: parsed JSON or form data, redacted."""
    if body is None or body == b"" or body == "":
        return None
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        if "x-www-form-urlencoded" in content_type:
            return redact(dict(parse_qsl(body, keep_blank_values=True)))
        try:
            body = json.loads(body)
        except ValueError:
            return body[:2000]
    return redact(body)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer. ``status`` is ``None`` when no answer came (``error`` then
    says why). Bodies and headers are stored already redacted; ``elapsed`` is in seconds."""

    method: str
    url: str
    status: int | None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: Any = None
    elapsed: float = 0.0
    error: str | None = None

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` of the answer, if any (quote it to Neo4j support)."""
        return self.response_headers.get("X-Request-Id")

    @property
    def is_token_request(self) -> bool:
        """True for the OAuth token request."""
        return self.url.rstrip("/").endswith("/oauth/token")

    def as_curl(self) -> str:
        """An equivalent ``curl`` command with ``$AURA_TOKEN`` / ``$AURA_CLIENT_ID`` /
        ``$AURA_CLIENT_SECRET`` placeholders instead of the secrets."""
        parts = ["curl", "-X", self.method, shlex.quote(self.url)]
        if self.is_token_request:
            parts += ["-u", '"$AURA_CLIENT_ID:$AURA_CLIENT_SECRET"']
        elif "Authorization" in self.request_headers:
            parts += ["-H", '"Authorization: Bearer $AURA_TOKEN"']
        content_type = self.request_headers.get("Content-Type", "")
        if content_type:
            parts += ["-H", shlex.quote(f"Content-Type: {content_type}")]
        if self.request_body is not None:
            if "x-www-form-urlencoded" in content_type and isinstance(self.request_body, Mapping):
                data = "&".join(f"{k}={v}" for k, v in self.request_body.items())
            else:
                data = json.dumps(self.request_body, ensure_ascii=False)
            parts += ["-d", shlex.quote(data)]
        return " ".join(parts)

    def __str__(self) -> str:
        lines = [f"{self.method} {self.url}"]
        lines += [f"{k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body is not None:
            lines.append(json.dumps(self.request_body, indent=2, ensure_ascii=False))
        status = self.status if self.status is not None else f"no answer ({self.error})"
        lines.append(f"-> {status} in {self.elapsed * 1000:.0f} ms")
        lines += [f"{k}: {v}" for k, v in self.response_headers.items()]
        if self.response_body is not None:
            lines.append(json.dumps(self.response_body, indent=2, ensure_ascii=False))
        return "\n".join(lines)

    def __repr__(self) -> str:
        status = self.status if self.status is not None else "no answer"
        return f"<Exchange {self.method} {self.url} -> {status} ({self.elapsed * 1000:.0f} ms)>"

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


class History:
    """The last ``maxlen`` exchanges of a client (thread-safe). Index it like a list
    (``history[-1]``), iterate it, or `clear` it."""

    def __init__(self, maxlen: int = 50) -> None:
        self._items: deque[Exchange] = deque(maxlen=max(1, maxlen))
        self._lock = threading.Lock()

    @property
    def maxlen(self) -> int:
        """How many exchanges are kept."""
        return self._items.maxlen or 0

    def append(self, exchange: Exchange) -> None:
        """Record an exchange (the oldest one drops out when full)."""
        with self._lock:
            self._items.append(exchange)

    def clear(self) -> None:
        """Forget every recorded exchange."""
        with self._lock:
            self._items.clear()

    def _snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self._items)

    def __getitem__(self, index: int | slice) -> Any:
        return self._snapshot()[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self._snapshot())

    def __repr__(self) -> str:
        items = self._snapshot()
        lines = [f"<History: {len(items)} of the last {self.maxlen} exchanges>"]
        lines += [f"  {e!r}" for e in items[-10:]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(e.method)}</td><td>{html.escape(e.url)}</td>"
            f"<td>{html.escape(str(e.status if e.status is not None else e.error))}</td>"
            f"<td>{e.elapsed * 1000:.0f} ms</td></tr>" for e in self._snapshot())
        return ('<table class="aura-nb"><thead><tr><th>method</th><th>URL</th><th>status</th>'
                f"<th>time</th></tr></thead><tbody>{rows}</tbody></table>")

"""A teaching aid: the last HTTP exchanges of a client, with every secret redacted.

``client.history[-1]`` is the most recent `Exchange`; ``print(exchange)`` shows request and
response, ``exchange.as_curl()`` an equivalent ``curl`` command that uses ``$AURA_TOKEN``,
``$AURA_CLIENT_ID`` and ``$AURA_CLIENT_SECRET`` instead of the real values. Redaction happens when
an exchange is recorded, so the secret values are never stored here at all.

This is also the one renderer of an exchange (`exchange_lines`, `pre_html`, `folded_html`), in
three forms: ``full`` (``print(exchange)``), ``cell`` (what the notebook layer shows under a
cell) and ``brief`` (``%aura http``).
"""

from __future__ import annotations

import html
import json
import shlex
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, urlsplit

from .display import REDACTED  # the masks live in display; history.REDACTED stays importable

__all__ = ["Exchange", "History", "redact", "REDACTED", "SECRET_KEYS", "SHOWN_HEADERS",
           "SHOWN_REQUEST_HEADERS", "exchange_lines", "pre_html", "folded_html"]

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
        return "\n".join(exchange_lines(self, "full"))

    def __repr__(self) -> str:
        status = self.status if self.status is not None else "no answer"
        return f"<Exchange {self.method} {self.url} -> {status} ({_ms(self)})>"

    def _repr_html_(self) -> str:
        return pre_html(str(self))


# --- the one renderer of an exchange ----------------------------------------------------------

#: Response headers worth a learner's attention, in the order the ``cell`` form shows them.
SHOWN_HEADERS = ("Content-Type", "X-Request-Id", "Retry-After")
#: Request headers the ``cell`` form shows (``Authorization`` already masked when recorded).
SHOWN_REQUEST_HEADERS = ("Authorization", "Content-Type")
_MAX_BODY_LINES = 20  # a tenant's configurations run to hundreds of lines; the rest is elided
_WIDTH = 170  # JSON objects and arrays up to this width stay on one line
_SHORT = 160  # the ``brief`` form's bodies are cut to one line of this many characters


def _ms(exchange: Exchange) -> str:
    return f"{exchange.elapsed * 1000:.0f} ms"


def _answer(exchange: Exchange) -> str:
    """``200``, or ``no answer (why)``."""
    return str(exchange.status) if exchange.status is not None else f"no answer ({exchange.error})"


def path_of(exchange: Exchange) -> str:
    """The request's path and query, without the base URL."""
    parts = urlsplit(exchange.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


#: Arrays whose items stay on one line each, however long: a tenant's configurations read as rows.
_ROWS = ("instance_configurations",)


def _compact(value: Any, indent: str = "", rows: bool = False) -> list[str]:
    """JSON lines where every object or array that fits in `_WIDTH` characters stays on one (and
    each item of a `_ROWS` array, ``rows``, stays on one line whatever its length)."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(flat) <= _WIDTH or not isinstance(value, (dict, list)) or not value:
        return [indent + flat]
    inner = indent + "  "
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            lines = _compact(item, inner, rows=key in _ROWS)
            lines[0] = f"{inner}{json.dumps(key, ensure_ascii=False)}: {lines[0].lstrip()}"
            parts.append(lines)
        opening, closing = "{", "}"
    elif rows:
        parts = [[inner + json.dumps(item, ensure_ascii=False)] for item in value]
        opening, closing = "[", "]"
    else:
        parts = [_compact(item, inner) for item in value]
        opening, closing = "[", "]"
    out = [indent + opening]
    for index, lines in enumerate(parts):
        if index < len(parts) - 1:
            lines[-1] += ","
        out += lines
    return out + [indent + closing]


_SHOWN_CONFIGURATIONS = 3  # a tenant's instance configurations: these first, then a count


def _few_configurations(body: Any) -> Any:
    """A tenant's answer with its ``instance_configurations`` cut to the first few and a string
    that counts the rest (the ``cell`` form: a learner needs their shape, not all 40 of them)."""
    data = body.get("data") if isinstance(body, dict) else None
    configurations = data.get("instance_configurations") if isinstance(data, dict) else None
    if not isinstance(configurations, list) or len(configurations) <= _SHOWN_CONFIGURATIONS:
        return body
    rest = len(configurations) - _SHOWN_CONFIGURATIONS
    few = configurations[:_SHOWN_CONFIGURATIONS] + [
        f"… {rest} more configurations ({len(configurations)} in all)"]
    return {**body, "data": {**data, "instance_configurations": few}}


def _body_lines(body: Any) -> list[str]:
    """A JSON body as indented lines, cut after `_MAX_BODY_LINES` with a line saying how many
    more there were (the body is the same on every run, so that number is too); a tenant's
    configurations are cut to a few and a count first (`_few_configurations`)."""
    body = _few_configurations(body)
    lines = _compact(body) if not isinstance(body, str) else body.splitlines()
    if len(lines) > _MAX_BODY_LINES:
        lines = lines[:_MAX_BODY_LINES] + [f"… {len(lines) - _MAX_BODY_LINES} more lines"]
    return lines


def _short(body: Any) -> str:
    """A body on one line, cut to `_SHORT` characters."""
    text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
    text = " ".join(text.split())
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _full(exchange: Exchange) -> list[str]:
    lines = [f"{exchange.method} {exchange.url}"]
    lines += [f"{k}: {v}" for k, v in exchange.request_headers.items()]
    if exchange.request_body is not None:
        lines.append(json.dumps(exchange.request_body, indent=2, ensure_ascii=False))
    lines.append(f"-> {_answer(exchange)} in {_ms(exchange)}")
    lines += [f"{k}: {v}" for k, v in exchange.response_headers.items()]
    if exchange.response_body is not None:
        lines.append(json.dumps(exchange.response_body, indent=2, ensure_ascii=False))
    return lines


def _labelled(label: str, headers: Mapping[str, str], shown: Iterable[str]) -> list[str]:
    """``label:`` and the ``shown`` headers present in ``headers``, one per line (nothing when
    none is present)."""
    pairs = [(name, headers[name]) for name in shown if name in headers]
    return [f"  {label}:", *(f"    {name}: {value}" for name, value in pairs)] if pairs else []


def _cell(exchange: Exchange) -> list[str]:
    """Request line, labelled request headers and body as sent (a form or JSON), then the
    labelled response headers and body: the two sets of headers can never be mixed up."""
    lines = [f"{exchange.method} {path_of(exchange)} -> {_answer(exchange)}"]
    lines += _labelled("request headers", exchange.request_headers, SHOWN_REQUEST_HEADERS)
    if exchange.request_body is not None:
        form = "x-www-form-urlencoded" in exchange.request_headers.get("Content-Type", "")
        if form and isinstance(exchange.request_body, dict):  # the token request: a form, not JSON
            lines.append("  request body (form): "
                         + "&".join(f"{k}={v}" for k, v in exchange.request_body.items()))
        else:
            lines.append("  request body (JSON):")
            lines += ["    " + line for line in _body_lines(exchange.request_body)]
    lines += _labelled("response headers", exchange.response_headers, SHOWN_HEADERS)
    if exchange.response_body is not None:
        lines.append("  response body:")
        lines += ["    " + line for line in _body_lines(exchange.response_body)]
    return lines


def _brief(exchange: Exchange) -> list[str]:
    request_id = f" [request id {exchange.request_id}]" if exchange.request_id else ""
    lines = [f"{exchange.method} {exchange.url} -> {_answer(exchange)} in {_ms(exchange)}"
             f"{request_id}"]
    if exchange.request_body is not None:
        lines.append(f"  sent:     {_short(exchange.request_body)}")
    if exchange.response_body is not None:
        lines.append(f"  received: {_short(exchange.response_body)}")
    lines.append(f"  {exchange.as_curl()}")
    return lines


_FORMS = {"full": _full, "cell": _cell, "brief": _brief}


def exchange_lines(exchange: Exchange, form: str = "full") -> list[str]:
    """An exchange as lines of plain text (secrets were redacted when it was recorded), the
    first line naming the request and its answer:

    * ``full``: the URL, every recorded header, the bodies as indented JSON, the time taken;
    * ``cell``: the path (the base URL is in ``client.describe()``), the request's
      `SHOWN_REQUEST_HEADERS` and body (form or JSON, as sent), the `SHOWN_HEADERS` of the
      answer and its body, each part labelled; bodies compact, cut after 20 lines;
    * ``brief``: the URL, time and request id, each body on one short line, then `as_curl`.

    Raises ``ValueError`` for another form."""
    try:
        render = _FORMS[form]
    except KeyError:
        raise ValueError(f"unknown form {form!r}; one of {', '.join(_FORMS)}") from None
    return render(exchange)


def pre_html(text: str) -> str:
    """Plain text as escaped, preformatted HTML."""
    return f"<pre>{html.escape(text)}</pre>"


def folded_html(title: str, blocks: Iterable[list[str]]) -> str:
    """Exchanges in HTML, each folded in a ``<details>`` block: its first line the summary, the
    rest unfolded on a click. ``blocks`` are `exchange_lines` (or lines like them)."""
    folded = "".join(f"<details><summary><code>{html.escape(lines[0])}</code></summary>"
                     f"{pre_html(chr(10).join(lines[1:]))}</details>" for lines in blocks)
    return (f'<div class="aura-nb-exchanges"><small>{html.escape(title.rstrip(":"))} (click one '
            f"to unfold)</small>{folded}</div>")


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
            f"<td>{_ms(e)}</td></tr>" for e in self._snapshot())
        return ('<table class="aura-nb"><thead><tr><th>method</th><th>URL</th><th>status</th>'
                f"<th>time</th></tr></thead><tbody>{rows}</tbody></table>")

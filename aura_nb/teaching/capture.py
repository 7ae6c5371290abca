"""The learner's own ``requests`` traffic, seen without the learner changing a line.

`install` wraps ``requests.adapters.HTTPAdapter.send`` (the one place every ``requests`` call,
``requests.post(...)`` or a ``Session``, goes through) once per process. Each request whose
``User-Agent`` is not the kit's (``aura_nb/...``: the kit shows its own exchanges from
``client.history``) becomes an `Exchange`, redacted as the kit's are (``Authorization`` keeps
only its scheme; passwords and tokens in bodies are masked) before anything is kept:

* inside a `recording` (an exercise's check labels what it runs: a sandbox case, your code on
  your own instance, the check's own read), the exchanges go to that recording, and requests
  the kit's client sent meanwhile from the same thread are counted (`Recording.kit_requests`),
  so that a check can tell an answer that used the kit instead of ``requests``;
* otherwise they wait in a per-process list that the notebook layer shows under the cell
  (`take_pending`); `lesson.show` takes the exchange of a response it displays itself
  (`take_response`), so nothing is shown twice.

Requests to a simulator's own surfaces (``/_simulator/...``, ``/_bolt/...``) are not the API
and are left out. The core never imports this module: only the notebook layer does.
"""

from __future__ import annotations

import threading
import time
import weakref
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from aura_nb.core.history import (REQUEST_HEADERS, RESPONSE_HEADERS, Exchange, body_for_record,
                                  select_headers)

__all__ = ["install", "installed", "recording", "Recording", "TooManyRequests", "take_pending", "take_response",
           "exchange_of", "KIT_AGENT", "CHECK_AGENT"]

#: The kit's client sends this User-Agent prefix (``aura_nb.core.transport.USER_AGENT``).
KIT_AGENT = "aura_nb/"
#: What an exercise's own reads send as User-Agent, so a simulator's log tells them apart.
CHECK_AGENT = "aura_nb-check/1 python-requests"
_NOT_API = ("/_simulator", "/_bolt")
_MAX_PENDING = 200

_lock = threading.Lock()
_local = threading.local()
#: (a weak reference to the Response, or None without one; its exchange). Not ``id()``: a loop
#: that reassigns ``answer`` frees responses whose addresses the next ones reuse.
_pending: list[tuple[Any, Exchange]] = []
_original_send: Any = None


def exchange_of(request: Any, response: Any = None, error: BaseException | None = None,
                elapsed: float = 0.0, read_body: bool = True) -> Exchange:
    """One `Exchange` from a ``requests`` ``PreparedRequest`` and its ``Response`` (or the
    exception that left it unanswered), redacted: request headers `REQUEST_HEADERS`, the request
    body as sent (form or JSON), response headers `RESPONSE_HEADERS` and the body (left out
    when not ``read_body``: a streamed answer is the caller's to read)."""
    headers = getattr(request, "headers", None) or {}
    content_type = headers.get("Content-Type", "")
    read_body = read_body and response is not None
    return Exchange(
        method=getattr(request, "method", None) or "?",
        url=getattr(request, "url", None) or (response.url if response is not None else "?"),
        status=response.status_code if response is not None else None,
        request_headers=select_headers(headers, REQUEST_HEADERS),
        request_body=body_for_record(getattr(request, "body", None), content_type),
        response_headers=select_headers(response.headers, RESPONSE_HEADERS) if response is not None else {},
        response_body=(body_for_record(response.content, response.headers.get("Content-Type", ""))
                       if read_body else None),
        elapsed=elapsed,
        error=None if error is None else f"{type(error).__name__}: {_first_line(error)}")


def _first_line(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return text[:200]


class TooManyRequests(BaseException):
    """Raised into the sending code when a `recording` with a ``limit`` sees one request more:
    a loop that never stops is stopped (a ``BaseException``, so ``except Exception`` in the
    learner's code cannot swallow it)."""


class Recording:
    """What a `recording` saw: ``exchanges`` (the learner's and the check's, in order) and
    ``kit_requests`` (how many requests the kit's own client sent meanwhile, same thread).
    With a ``limit``, the request after that many raises `TooManyRequests` before it is sent."""

    def __init__(self, label: str, limit: int | None = None) -> None:
        self.label = label
        self.limit = limit
        self.exchanges: list[Exchange] = []
        self.kit_requests = 0

    def __repr__(self) -> str:
        return f"<Recording {self.label!r}: {len(self.exchanges)} exchanges, {self.kit_requests} by the kit>"


def _stack() -> list[Recording]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextmanager
def recording(label: str, limit: int | None = None) -> Iterator[Recording]:
    """Collect the ``requests`` exchanges this thread sends inside the block (installs the hook
    if needed). Recordings nest: the innermost one gets the exchanges. See `Recording` for
    ``limit``."""
    install()
    rec = Recording(label, limit)
    _stack().append(rec)
    try:
        yield rec
    finally:
        _stack().remove(rec)


def _agent(request: Any) -> str:
    return str((getattr(request, "headers", None) or {}).get("User-Agent", ""))


def _is_api(request: Any) -> bool:
    path = urlsplit(str(getattr(request, "url", "") or "")).path
    return not path.startswith(_NOT_API)


def _note(request: Any, response: Any, error: BaseException | None, elapsed: float,
          stream: bool = False) -> None:
    if not _is_api(request):
        return
    stack = _stack()
    if _agent(request).startswith(KIT_AGENT):
        if stack:
            stack[-1].kit_requests += 1
        return
    exchange = exchange_of(request, response, error, elapsed, read_body=not stream)
    if stack:
        stack[-1].exchanges.append(exchange)
        return
    with _lock:
        _pending.append((weakref.ref(response) if response is not None else None, exchange))
        del _pending[:-_MAX_PENDING]


def _watched_send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
    stack = _stack()
    if stack and stack[-1].limit is not None and _is_api(request) \
            and not _agent(request).startswith(KIT_AGENT) \
            and len(stack[-1].exchanges) >= stack[-1].limit:
        raise TooManyRequests(f"more than {stack[-1].limit} requests")
    started = time.monotonic()
    try:
        response = _original_send(self, request, *args, **kwargs)
    except Exception as exc:
        try:
            _note(request, None, exc, time.monotonic() - started)
        finally:
            raise
    try:
        stream = bool(kwargs.get("stream", args[0] if args else False))
        _note(request, response, None, time.monotonic() - started, stream)
    except Exception:  # noqa: BLE001 - watching must never break the learner's request
        pass
    return response


def install() -> None:
    """Wrap ``HTTPAdapter.send`` once per process (again: nothing changes)."""
    global _original_send
    with _lock:
        if _original_send is None:
            _original_send = HTTPAdapter.send
            HTTPAdapter.send = _watched_send  # type: ignore[method-assign]


def installed() -> bool:
    """Whether the hook is in place."""
    return _original_send is not None


def take_pending() -> list[Exchange]:
    """The learner's exchanges sent outside any recording since the last call, oldest first."""
    with _lock:
        items = [exchange for _, exchange in _pending]
        _pending.clear()
    return items


def take_response(response: requests.Response) -> Exchange | None:
    """The pending exchange of ``response`` (removed from the pending list), or ``None``."""
    with _lock:
        for index, (ref, exchange) in enumerate(_pending):
            if ref is not None and ref() is response:
                del _pending[index]
                return exchange
    return None

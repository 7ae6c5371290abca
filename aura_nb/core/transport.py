"""The HTTP layer under `AuraClient`: session, the one request funnel, tokens, server clock.

Every request to ``/v1`` and to ``/oauth/token`` goes through `Transport.exchange`, which paces
it (a token bucket shared by all threads), records it in ``history`` with secrets redacted (each
attempt urllib3 sends again is recorded too, in order, before the one that answered last),
reads the server's clock from its ``Date`` header, and turns "no answer" into `TransportError`.
`Transport.send` is the funnel for ``/v1``: it attaches the cached bearer token and sends JSON.
Retries follow what is safe:

* GET, DELETE and HEAD are retried by urllib3's ``Retry`` on 429/500/502/503/504 (the API
  reference calls all five transient) and on dropped connections or read timeouts, with
  exponential backoff and honouring ``Retry-After``.
* A request that never left (the TCP connection could not be opened) is retried for any method:
  the server never saw it.
* POST and PATCH to ``/v1`` are never resent after a 5xx, a timeout or a dropped connection:
  the server may have carried them out, and resending ``POST /v1/instances`` can create a
  second, billed instance. The one exception is ``429``: the rate limiter answers before the
  request reaches the service, so the same POST may be sent again after ``Retry-After`` (at
  most ``max_429_resends`` times).
* ``POST /oauth/token`` changes nothing on the server (a second token only replaces the first),
  so urllib3 retries it like a GET: its own adapter allows POST.
* A ``401``/``403`` from ``/v1`` drops the cached token; the request is sent once more with a new
  token (the server refused it before doing anything, so this is safe for POSTs too).

These are the kit's only retries of transient failures (the workshop adds only "read before you
resend" on top, `aura_nb.workshop.retry`). So one call that reads (a GET) sends at most
``1 + max_retries`` requests (5 by default); twice that when its first answers end in a
``401``/``403`` and a new token is fetched (that ``POST /oauth/token`` is retried the same way).

Time budget: one call (the funnel's resends, urllib3's retries and backoff sleeps, a token
fetch it triggers, and resolving the host name) gets ``timeout`` seconds in all, counted from
its first pacing slot; `time_budget` sets another budget for the calls of one thread. The
urllib3 side of both rules (`PacedRetry`, `BudgetTimeout`) is in `aura_nb.core.retry_policy`.

Rate limit: the client starts at ``rate_limit`` requests per minute and lowers it when the
server answers 429 (a Free account gets 25), waiting ``Retry-After`` before resending.
"""

from __future__ import annotations

import contextlib
import email.utils
import importlib.metadata
import ipaddress
import json as jsonlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error

from .auth import BearerAuth, Token, TokenCache, credentials_key
from .credentials import ClientCredentials
from .errors import ApiError, AuthenticationFailed, TransportError, error_for, \
    html_page_message, looks_like_html, parse_error_body, parse_retry_after
from .history import REDACTED, REQUEST_HEADERS, RESPONSE_HEADERS, Exchange, History, \
    body_for_record, select_headers
from .pacing import RateLimiter
from .retry_policy import IDEMPOTENT_METHODS, RETRY_STATUSES, BudgetTimeout, PacedRetry, \
    describe_failure, no_connection_made, retry_policy

__all__ = ["Transport", "PacedRetry", "BudgetTimeout", "IDEMPOTENT_METHODS", "RETRY_STATUSES",
           "USER_AGENT"]

log = logging.getLogger("aura_nb")

#: Seconds a successful name resolution is trusted before it is checked again.
RESOLVED_FOR = 60.0
#: Most bytes of a retried attempt's answer kept for history (error bodies are far smaller).
RETRIED_BODY_LIMIT = 64 * 1024


@dataclass
class _Attempt:
    """The request a thread has in flight, as history records it (``url`` with its query,
    ``headers`` as sent; redaction happens when recorded); ``started`` is when the current
    attempt began (monotonic)."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str]
    body: Any
    content_type: str
    started: float


def _package_version() -> str:
    """The installed aura_nb version (from its package metadata), or ``"unknown"`` when the
    package is imported from a source tree that was never installed."""
    try:
        return importlib.metadata.version("aura_nb")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


#: Sent on every request, so the API's operators can tell this kit's traffic apart.
USER_AGENT = f"aura_nb/{_package_version()} python-requests/{requests.__version__}"


class Transport:
    """The HTTP side of one `AuraClient` (see the module docstring for its rules).

    ``credentials`` say where and as whom; ``speed`` is server seconds per real second (backoff
    and the rate window shrink by it); ``timeout`` is the time budget of one call;
    ``rate_limit`` requests per minute of server time (0 = no pacing); ``clock``/``sleep``
    are injectable for tests (token expiry, 429 waits)."""

    def __init__(
        self,
        credentials: ClientCredentials,
        *,
        speed: float,
        timeout: float,
        rate_limit: int,
        burst: int | None = None,
        history_size: int = 50,
        max_retries: int = 4,
        max_429_resends: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.base_url = credentials.base_url
        self.speed = float(speed)
        self.timeout = float(timeout)
        self.pacer = RateLimiter(rate_limit, 60.0 / self.speed, burst, sleep=sleep)
        self.history = History(history_size)
        self.max_retries = max_retries
        self.max_429_resends = max_429_resends
        self._sleep = sleep
        self.tokens = TokenCache(self.fetch_token, clock=clock, key=credentials_key(
            self.base_url, credentials.client_id, credentials.client_secret))
        self._auth = BearerAuth(self.tokens)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._server_offset: float | None = None
        self._resolved: dict[str, float] = {}

        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        # The real API may sit behind a corporate proxy (HTTPS_PROXY); the local simulator never.
        self._session.trust_env = credentials.mode == "real"
        api = HTTPAdapter(max_retries=self._retry(IDEMPOTENT_METHODS), pool_connections=4,
                          pool_maxsize=32)
        self._session.mount("http://", api)
        self._session.mount("https://", api)
        token = HTTPAdapter(max_retries=self._retry(IDEMPOTENT_METHODS | {"POST"}))
        self._session.mount(self.base_url + "/oauth/", token)

    def _retry(self, methods: frozenset[str]) -> PacedRetry:
        return retry_policy(methods, max_retries=self.max_retries, speed=self.speed,
                            pacer=self.pacer,
                            deadline=lambda: getattr(self._local, "deadline", None),
                            observer=self._record_retried, resending=self._resending)

    def __repr__(self) -> str:
        return f"<Transport {self.base_url} budget {self.timeout:g} s {self.pacer!r}>"

    def close(self) -> None:
        """Close pooled connections (new ones open when the transport is used again)."""
        self._session.close()

    # --- time budget -------------------------------------------------------------------------

    @property
    def budget(self) -> float:
        """The time budget, in seconds, of a call made now by this thread."""
        return getattr(self._local, "budget", None) or self.timeout

    @contextlib.contextmanager
    def time_budget(self, seconds: float) -> Iterator[None]:
        """Within the block, each call made by this thread gets ``seconds`` in all (retries,
        backoff and name resolution included) instead of ``timeout``."""
        if seconds <= 0:
            raise ValueError("a time budget must be > 0 seconds")
        previous = getattr(self._local, "budget", None)
        self._local.budget = float(seconds)
        try:
            yield
        finally:
            self._local.budget = previous

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        """One call's scope: its deadline starts with its first pacing slot (`exchange`) and is
        shared by everything the call does, a token fetch included."""
        if getattr(self._local, "in_call", False):
            yield
            return
        self._local.in_call, self._local.deadline = True, None
        try:
            yield
        finally:
            self._local.in_call, self._local.deadline = False, None

    def _remaining(self) -> float:
        deadline = getattr(self._local, "deadline", None)
        return self.budget if deadline is None else deadline - time.monotonic()

    def _check_resolvable(self, url: str, method: str, path: str) -> None:
        """Resolve the host in a helper thread, waiting at most what is left of the budget:
        ``getaddrinfo`` itself cannot be interrupted, so an unresolvable host would otherwise
        hold the call (and a form's kernel) for as long as the resolver likes."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            ipaddress.ip_address(host)
            return
        except ValueError:
            pass
        if host == "invalid" or host.endswith(".invalid"):
            # RFC 6761: never resolvable, and applications may say so without asking DNS.
            raise TransportError(
                f"could not resolve the host name {host} (a .invalid name never resolves; check "
                f"AURA_BASE_URL) ({method} {path})", method=method, path=path, sent=False)
        if self._resolved.get(host, 0.0) > time.monotonic():
            return
        if self._session.trust_env and requests.utils.get_environ_proxies(url):
            return  # the proxy resolves the name
        outcome: dict[str, Any] = {}

        def resolve() -> None:
            try:
                socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
                outcome["ok"] = True
            except OSError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=resolve, name="aura_nb-resolve", daemon=True)
        worker.start()
        worker.join(max(0.0, self._remaining()))
        if "ok" in outcome:
            self._resolved[host] = time.monotonic() + RESOLVED_FOR
            return
        if "error" in outcome:
            why = f"could not resolve the host name {host} (check AURA_BASE_URL and the network)"
        else:
            why = (f"could not resolve the host name {host} within this call's {self.budget:g} s "
                   "budget (AURA_TIMEOUT)")
        raise TransportError(f"{why} ({method} {path})", method=method, path=path, sent=False)

    # --- server clock ------------------------------------------------------------------------

    def note_server_time(self, response: Any) -> None:
        """Learn the server's clock from an answer's ``Date`` header (a ``requests`` or a
        urllib3 response)."""
        header = response.headers.get("Date")
        if not header:
            return
        try:
            stamp = email.utils.parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return
        # Date has whole seconds: the server's clock is somewhere in [stamp, stamp + 1).
        with self._lock:
            self._server_offset = stamp + 0.5 - self.speed * time.monotonic()

    def server_now(self) -> float:
        """Estimated server time (POSIX seconds) from the last ``Date`` header, advanced at
        ``speed``; the local wall clock before any answer has arrived. Sends nothing."""
        with self._lock:
            offset = self._server_offset
        if offset is None:
            return time.time()
        return offset + self.speed * time.monotonic()

    @property
    def server_clock_known(self) -> bool:
        """True once an answer's ``Date`` header has told the server's time."""
        with self._lock:
            return self._server_offset is not None

    def server_time(self) -> datetime:
        """`server_now` as an aware UTC ``datetime``."""
        return datetime.fromtimestamp(self.server_now(), tz=timezone.utc)

    # --- exchanges ---------------------------------------------------------------------------

    def _record(self, attempt: _Attempt, *, status: int | None = None,
                headers: Mapping[str, str] | None = None, content: bytes = b"",
                error: str | None = None) -> None:
        """Append one attempt to history: its answer (``status``, ``headers``, ``content``) or
        the ``error`` that left it without one. Headers and bodies are redacted here."""
        elapsed = time.monotonic() - attempt.started
        self.history.append(Exchange(
            method=attempt.method, url=attempt.url, status=status,
            request_headers=select_headers(attempt.headers, REQUEST_HEADERS),
            request_body=body_for_record(attempt.body, attempt.content_type),
            response_headers=select_headers(headers, RESPONSE_HEADERS),
            response_body=body_for_record(content, (headers or {}).get("Content-Type", "")),
            elapsed=elapsed, error=error,
        ))
        if status is not None:
            log.debug("%s %s -> %s in %.0f ms [request id %s]", attempt.method, attempt.path,
                      status, elapsed * 1000, (headers or {}).get("X-Request-Id", "-"))
        else:
            log.debug("%s %s -> no answer (%s)", attempt.method, attempt.path, error)

    def _record_retried(self, method: str | None, url: str | None, response: Any,
                        error: Exception | None) -> None:
        """`PacedRetry`'s observer: record the attempt urllib3 is about to send again, with
        the start of the answer it is about to drain (an error body is small)."""
        attempt = getattr(self._local, "attempt", None)
        if attempt is None:
            return
        if response is not None:
            try:
                content = response.read(RETRIED_BODY_LIMIT, decode_content=True) or b""
            except (Urllib3Error, OSError):  # urllib3's drain ignores a broken body too
                content = b""
            self._record(attempt, status=response.status, headers=response.headers,
                         content=content)
            self.note_server_time(response)
        else:
            why = describe_failure(error or Exception(), urlsplit(self.base_url).netloc,
                                   self.budget)
            self._record(attempt, error=f"{why} ({attempt.method} {attempt.path})")

    def _resending(self) -> None:
        """`PacedRetry`'s hook after the backoff wait: the next attempt's time starts now."""
        attempt = getattr(self._local, "attempt", None)
        if attempt is not None:
            attempt.started = time.monotonic()

    def exchange(self, method: str, url: str, path: str, *, body: Any = None,
                 content_type: str = "", auth: Any = None,
                 params: Mapping[str, Any] | None = None) -> requests.Response:
        """Send one request (paced, within the call's time budget; urllib3 may retry it) and
        record it, each attempt urllib3 sent again first. Returns the response, any status.
        Raises `TransportError` when no answer."""
        with self._call():
            self.pacer.acquire()
            if self._local.deadline is None:
                self._local.deadline = time.monotonic() + self.budget
            deadline = self._local.deadline
            headers = {"Content-Type": content_type} if content_type else {}
            if auth is self._auth:  # what the record shows if no token could be attached
                headers_shown = {**headers, "Authorization": f"Bearer {REDACTED}"}
            else:
                headers_shown = dict(headers)
            data = jsonlib.dumps(body) if content_type == "application/json" else body
            prepared_url = requests.Request(method, url, params=params).prepare().url or url
            attempt = _Attempt(method, prepared_url, path, headers_shown, body, content_type,
                               started=time.monotonic())
            outer = getattr(self._local, "attempt", None)  # a /v1 call fetching its token
            try:
                if deadline - attempt.started <= 0:
                    raise TransportError(
                        f"this call's {self.budget:g} s budget (AURA_TIMEOUT, retries included) "
                        f"ran out before it could be sent ({method} {path})",
                        method=method, path=path, sent=False)
                self._check_resolvable(url, method, path)
                # Prepared here (a token fetch may run inside), so that the attempts urllib3
                # sends again are recorded with the headers they were sent with.
                prepared = self._session.prepare_request(requests.Request(
                    method, url, params=params, data=data, headers=headers, auth=auth))
                attempt.headers = prepared.headers
                self._local.attempt = attempt
                settings = self._session.merge_environment_settings(
                    prepared.url, {}, None, None, None)
                timeout = BudgetTimeout(min(10.0, self.budget), self.budget, deadline)
                response = self._session.send(prepared, timeout=timeout, allow_redirects=False,
                                              **settings)
            except (requests.RequestException, TransportError) as exc:
                error = exc if isinstance(exc, TransportError) else TransportError(
                    f"{describe_failure(exc, urlsplit(self.base_url).netloc, self.budget)} "
                    f"({method} {path})", method=method, path=path, sent=not no_connection_made(exc))
                self._record(attempt, error=str(error))
                if error is exc:
                    raise
                raise error from exc
            finally:
                self._local.attempt = outer
            self._record(attempt, status=response.status_code, headers=response.headers,
                         content=response.content)
            self.note_server_time(response)
            if response.status_code == 429:
                self._learn_rate_limit(response)
            return response

    # --- the funnel for /v1 and /v2beta1 -----------------------------------------------------

    def send(self, method: str, path: str, *, json: Any = None,
             params: Mapping[str, Any] | None = None, prefix: str = "/v1") -> requests.Response:
        """The funnel for ``/v1`` (``prefix="/v2beta1"`` for that surface): returns the final
        response (any status). Handles token refresh on 401/403 and the 429 resend for
        POST/PATCH; raises `TransportError`."""
        method = method.upper()
        api_path = prefix + path
        url = self.base_url + api_path
        has_body = method in ("POST", "PATCH", "PUT")
        body = (json if json is not None else {}) if has_body else None
        refreshed = False
        resends = 0
        with self._call():
            while True:
                response = self.exchange(
                    method, url, api_path, body=body,
                    content_type="application/json" if has_body else "",
                    auth=self._auth, params=params)
                status = response.status_code
                if status in (401, 403) and not refreshed:
                    refreshed = True
                    log.info("%s %s answered %s: fetching a new token and sending once more",
                             method, api_path, status)
                    self.tokens.invalidate(getattr(response.request, "aura_token", None))
                    continue
                if status == 429 and method not in IDEMPOTENT_METHODS \
                        and resends < self.max_429_resends:
                    wait = self.retry_after(response)
                    if wait >= self._remaining():
                        return response  # no time left to wait: report the 429
                    resends += 1
                    log.info("%s %s answered 429: waiting %.1f s before sending again (%d/%d)",
                             method, api_path, wait, resends, self.max_429_resends)
                    self._sleep(wait)
                    continue
                return response

    def retry_after(self, response: requests.Response) -> float:
        """Seconds to wait before resending after a 429 (``Retry-After`` in seconds, or as an
        HTTP date compared with the server's own ``Date``); a short backoff when absent."""
        header = response.headers.get("Retry-After")
        seconds = parse_retry_after(header)
        if seconds is None and header:
            try:
                when = email.utils.parsedate_to_datetime(header).timestamp()
                now = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
                seconds = max(0.0, (when - now) / self.speed)
            except (KeyError, TypeError, ValueError):
                seconds = None
        if seconds is None:
            seconds = max(self.pacer.interval, 1.0 / self.speed)
        return min(seconds, 120.0)

    def _learn_rate_limit(self, response: requests.Response) -> None:
        """A 429 shows the account's limit is lower than the one the pacer keeps (Free
        credentials get 25 a minute): let the pacer learn it (`RateLimiter.note_rejection`)."""
        learned = self.pacer.note_rejection()
        if learned is not None:
            log.info("429 (Retry-After %s): pacing at %d requests per %g s from now on",
                     response.headers.get("Retry-After", "-"), learned, self.pacer.window)

    def error(self, response: requests.Response, method: str, path: str) -> ApiError:
        """The `ApiError` for an error answer (any body: JSON, text, an HTML page)."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        hint = None
        if response.status_code == 308 and response.headers.get("Location"):
            location = urlsplit(response.headers["Location"])
            hint = f"(it points to {location.scheme}://{location.netloc})"
        return error_for(
            response.status_code, body, method=method, path=path,
            request_id=response.headers.get("X-Request-Id"),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            content_type=response.headers.get("Content-Type", ""), extra_hint=hint)

    def unwrap(self, response: requests.Response, method: str, path: str) -> Any:
        """The ``data`` of a successful JSON answer (``None`` for an empty body); raises the
        `ApiError` for an error status or an answer that is not JSON (an HTML page...)."""
        if response.status_code >= 300:
            raise self.error(response, method, path)
        if not response.content or not response.content.strip():
            return None
        try:
            payload = response.json()
        except ValueError:
            raise ApiError(response.status_code, "", [_not_json(response)], method=method,
                           path=path, request_id=response.headers.get("X-Request-Id")) from None
        if isinstance(payload, dict) and "data" in payload:
            return payload["data"]
        return payload

    def call(self, method: str, path: str, *, json: Any = None,
             params: Mapping[str, Any] | None = None, prefix: str = "/v1") -> Any:
        """`send` then `unwrap`: the ``data`` of a ``/v1`` (or ``prefix``) call."""
        response = self.send(method, path, json=json, params=params, prefix=prefix)
        return self.unwrap(response, method.upper(), prefix + path)

    # --- token -------------------------------------------------------------------------------

    def fetch_token(self, obtained_at: float) -> Token:
        """``POST /oauth/token`` with HTTP Basic client id/secret (form body
        ``grant_type=client_credentials``); urllib3 retries it on 429/5xx and lost connections.
        Raises `AuthenticationFailed` when refused or when the id or secret cannot be sent."""
        client_id, secret = self.credentials.client_id, self.credentials.client_secret
        for what, value in (("AURA_CLIENT_ID", client_id), ("AURA_CLIENT_SECRET", secret)):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise AuthenticationFailed(
                    f"{what} contains a character that cannot be sent in an HTTP header (only "
                    f"Latin-1 text can); copy it again from the Aura console, it is plain "
                    f"ASCII") from None
        with self._call():
            response = self.exchange(
                "POST", self.base_url + "/oauth/token", "/oauth/token",
                body={"grant_type": "client_credentials"},
                content_type="application/x-www-form-urlencoded", auth=(client_id, secret))
        if response.status_code in (400, 401, 403) and not _is_html(response):
            try:
                reason, messages, _ = parse_error_body(response.json())
            except ValueError:
                reason, messages = "", []
            detail = "; ".join(messages) or "credentials refused"
            raise AuthenticationFailed(
                f"the token endpoint refused client id {client_id}: "
                f"{response.status_code} {reason + ': ' if reason else ''}{detail} "
                f"(POST /oauth/token). Check AURA_CLIENT_ID and AURA_CLIENT_SECRET",
                status_code=response.status_code,
                request_id=response.headers.get("X-Request-Id"))
        if response.status_code >= 300:
            raise self.error(response, "POST", "/oauth/token")
        try:
            payload = response.json()
        except ValueError:
            raise ApiError(response.status_code, "", [_not_json(response)], method="POST",
                           path="/oauth/token") from None
        token = Token.from_response(payload, obtained_at)
        log.info("fetched an access token valid for %g s", token.expires_in)
        return token


def _is_html(response: requests.Response) -> bool:
    return looks_like_html(response.content, response.headers.get("Content-Type", ""))


def _not_json(response: requests.Response) -> str:
    """One line for a success answer whose body is not the API's JSON."""
    if _is_html(response):
        return html_page_message(response.status_code)
    return "the answer is not JSON"

"""`AuraClient`: every Aura API call goes through one private request funnel.

The funnel (`AuraClient._send`) paces requests (a token bucket shared by all threads), attaches
the cached bearer token, sends JSON with ``Content-Type: application/json`` (``{}`` for body-less
POSTs), records the exchange in ``client.history`` with secrets redacted, and turns failures into
the exception tree of `aura_nb.errors`. Retries follow what is safe:

* GET, DELETE and HEAD are retried by urllib3's ``Retry`` on 429/500/502/503/504 (the API
  reference calls all five transient) and on dropped connections or read timeouts, with
  exponential backoff and honouring ``Retry-After``.
* A request that never left (the TCP connection could not be opened) is retried for any method:
  the server never saw it.
* POST and PATCH are never resent after a 5xx, a timeout or a dropped connection: the server may
  have carried them out, and resending ``POST /v1/instances`` can create a second, billed
  instance. The one exception is ``429``: the rate limiter answers before the request reaches the
  service, so nothing happened and the same POST may be sent again after ``Retry-After``
  (at most ``max_429_resends`` times).
* A ``401``/``403`` from ``/v1`` drops the cached token; the request is sent once more with a new
  token (the server refused it before doing anything, so this is safe for POSTs too).
"""

from __future__ import annotations

import dataclasses
import email.utils
import importlib.metadata
import json as jsonlib
import logging
import threading
import time
import unicodedata
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from . import config, waiting
from .auth import Token, TokenCache, BearerAuth
from .credentials import ClientCredentials, is_loopback_url, normalize_base_url, \
    resolve_credentials
from .display import ModelList
from .errors import (
    AmbiguousName,
    ApiError,
    AuraError,
    AuthenticationFailed,
    CreateResponseLost,
    InvalidInstanceSpec,
    NameNotFound,
    NotFound,
    TransportError,
    error_for,
    parse_error_body,
    parse_retry_after,
)
from .history import REQUEST_HEADERS, RESPONSE_HEADERS, Exchange, History, body_for_record, \
    select_headers
from .models import (
    CreatedInstance,
    Instance,
    InstanceSpec,
    InstanceSummary,
    Snapshot,
    Tenant,
    TenantSummary,
    allowed_choices,
    check_id,
    check_spec,
    parse_timestamp,
)
from .pacing import RateLimiter
from .vault import Vault

__all__ = ["AuraClient", "PacedRetry", "IDEMPOTENT_METHODS", "allowed_choices"]

log = logging.getLogger("aura_nb")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
IDEMPOTENT_METHODS = frozenset({"GET", "DELETE", "HEAD"})
RETRY_STATUSES = (429, 500, 502, 503, 504)


def _package_version() -> str:
    """The installed aura_nb version (from its package metadata), or ``"unknown"`` when the
    package is imported from a source tree that was never installed."""
    try:
        return importlib.metadata.version("aura_nb")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


#: Sent on every request, so the API's operators can tell this kit's traffic apart.
USER_AGENT = f"aura_nb/{_package_version()} python-requests/{requests.__version__}"


class PacedRetry(Retry):
    """urllib3 ``Retry`` whose retries also take a slot from the client's `RateLimiter`, so
    retried requests count against the same budget as first attempts."""

    def __init__(self, *args: Any, pacer: RateLimiter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer

    def new(self, **kwargs: Any) -> "PacedRetry":
        """Copy with updated counters, keeping the pacer (urllib3 calls this per attempt)."""
        retry = super().new(**kwargs)
        retry.pacer = self.pacer
        return retry

    def sleep(self, response: Any = None) -> None:
        """Back off (``Retry-After`` or exponential), then wait for a pacing slot."""
        super().sleep(response)
        if self.pacer is not None:
            self.pacer.acquire()


def _request_never_sent(exc: BaseException) -> bool:
    """True when the exception proves the request never reached the server (no connection)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    for arg in getattr(exc, "args", ()):
        reason = getattr(arg, "reason", None)
        if isinstance(reason, NewConnectionError) or isinstance(arg, NewConnectionError):
            return True
    return False


def _describe_transport_error(exc: BaseException, host: str, timeout: float) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"timed out connecting to {host}"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer from {host} within {timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"the TLS connection to {host} failed"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _request_never_sent(exc):
            return f"could not connect to {host} (is it reachable? is the simulator running?)"
        return f"the connection to {host} was closed before an answer arrived"
    return f"the request to {host} failed ({type(exc).__name__})"


class AuraClient:
    """A client for the Aura API (``/v1``) or the local simulator.

    Credentials come from the arguments, else ``AURA_CLIENT_ID``/``AURA_CLIENT_SECRET`` in the
    environment or ``.env`` (raises `CredentialsUnavailable` when there are none;
    `aura_nb.connect` starts the simulator instead), or from ``credentials``, an already
    resolved `ClientCredentials` whose ``source`` is kept (then pass no id, secret or base URL:
    ``ValueError``). ``client.credentials.source`` says where they came from.
    Keyword settings default to `aura_nb.config`:

    * ``tenant``: tenant name or id `find_tenant` uses by default (``AURA_TENANT``).
    * ``timeout``: seconds per HTTP request (``AURA_TIMEOUT``, 30).
    * ``rate_limit``: requests per ``rate_window`` seconds the client allows itself
      (``AURA_RATE_LIMIT``, 125; 0 = no pacing). ``burst``: how many may go at once.
    * ``speed``: server seconds per real second: 1 for the real API; a simulator's speed factor
      (default for a loopback URL: ``AURA_SIMULATOR_SPEED``). ``rate_window`` defaults to
      ``60 / speed``, backoff and polling intervals shrink by the same factor.
    * ``vault_dir`` (or ``vault``): where one-time passwords go (``AURA_VAULT_DIR``).
    * ``history_size``: exchanges kept in `history` (50).
    * ``clock``/``sleep``: injectable for tests (token expiry, waiting).

    ``mode`` is ``"simulator"`` for a loopback or plain-http base URL, else ``"real"``;
    ``insecure`` is True for plain http beyond loopback (a room's shared simulator, allowed only
    with ``AURA_ALLOW_HTTP=1``; one warning is logged when such a client is made).
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        *,
        tenant: str | None = None,
        timeout: float | None = None,
        rate_limit: int | None = None,
        rate_window: float | None = None,
        burst: int | None = None,
        speed: float | None = None,
        vault_dir: Any = None,
        vault: Vault | None = None,
        history_size: int = 50,
        max_retries: int = 4,
        max_429_resends: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        note: str = "",
        credentials: ClientCredentials | None = None,
    ) -> None:
        if credentials is None:
            credentials = resolve_credentials(client_id, client_secret, base_url)
        elif client_id is not None or client_secret is not None or base_url is not None:
            raise ValueError("pass either credentials or client_id/client_secret/base_url")
        else:
            credentials = dataclasses.replace(
                credentials, base_url=normalize_base_url(credentials.base_url))
        self.credentials: ClientCredentials = credentials
        self.base_url = self.credentials.base_url
        self.api_url = self.base_url + "/v1"
        self.mode = self.credentials.mode
        #: Plain http to a host beyond loopback (a room's shared simulator, AURA_ALLOW_HTTP=1).
        self.insecure = self.base_url.startswith("http://") and not is_loopback_url(self.base_url)
        if self.insecure:
            log.warning("AURA_ALLOW_HTTP: talking plain http to %s; the client secret and access "
                        "tokens cross the network unencrypted (use this only for a simulator on "
                        "a trusted network)", self.base_url)
        if speed is None:
            speed = config.simulator_speed() if self.mode == "simulator" else 1.0
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = float(speed)
        self.timeout = float(timeout if timeout is not None else config.timeout())
        self.default_tenant = tenant
        self.note = note
        rate = config.rate_limit() if rate_limit is None else int(rate_limit)
        self.pacer = RateLimiter(rate, rate_window or 60.0 / self.speed, burst, sleep=sleep)
        self.history = History(history_size)
        self.vault = vault if vault is not None else Vault(vault_dir)
        self.max_429_resends = max_429_resends
        self.max_retries = max_retries
        self._sleep = sleep
        self._tokens = TokenCache(self._fetch_token, clock=clock)
        self._auth = BearerAuth(self._tokens)
        self._lock = threading.Lock()
        self._server_offset: float | None = None
        self._actions: dict[str, tuple[str, float, float]] = {}  # action, monotonic, server
        self._tenant_cache: dict[str, tuple[Tenant, float]] = {}

        retry_options: dict[str, Any] = dict(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            redirect=0,
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=0.5 / self.speed,
            backoff_max=20.0 / self.speed,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
            pacer=self.pacer,
        )
        try:
            retry = PacedRetry(**retry_options)
        except TypeError:  # urllib3 1.26 has no backoff_max argument (its cap is 120 s)
            del retry_options["backoff_max"]
            retry = PacedRetry(**retry_options)
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        # The real API may sit behind a corporate proxy (HTTPS_PROXY); the local simulator never.
        self._session.trust_env = self.mode == "real"
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=32)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # --- description -----------------------------------------------------------------------

    @property
    def token_requests(self) -> int:
        """How many access tokens this client has fetched (one per hour of use is normal)."""
        return self._tokens.requests

    @property
    def token_expires_in(self) -> float | None:
        """Seconds until the cached access token expires (by the client's ``clock``; negative
        once it has expired and no request has replaced it yet), or ``None`` before the first
        token. Read-only and sends nothing; the token itself is never exposed. The client renews
        the token on its own shortly before this reaches 0."""
        return self._tokens.expires_in()

    @property
    def request_count(self) -> int:
        """How many HTTP requests this client has sent to ``/v1`` and to the token endpoint,
        retries included (each one takes a slot from `pacer`, whether or not pacing is on).
        A request whose connection could not be opened counts too; the simulator's admin
        calls made by `aura_nb.connect` (``/_simulator/...``) do not. Read-only."""
        return self.pacer.acquired

    @property
    def client_id(self) -> str:
        """The API client id (not a secret: shown in full by `describe`)."""
        return self.credentials.client_id

    def describe(self) -> str:
        """One line saying which API this client talks to (for the real API also where the
        credentials came from); never contains the secret."""
        who = f"as client {self.client_id}"
        if self.insecure:
            return (f"Simulator mode: shared Aura API simulator at {self.base_url} over plain "
                    f"http (AURA_ALLOW_HTTP) {who}")
        if self.mode == "simulator":
            if self.note:
                return f"Simulator mode: local Aura API simulator at {self.base_url} ({self.note})."
            return f"Simulator mode: local Aura API simulator at {self.base_url} {who}"
        return f"Real mode: {self.base_url} {who} ({self.credentials.source_text})"

    def __repr__(self) -> str:
        return f"<AuraClient {self.mode} {self.base_url} client {self.client_id}>"

    def close(self) -> None:
        """Close pooled connections. The client can still be used afterwards (new ones open)."""
        self._session.close()

    def __enter__(self) -> "AuraClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- server clock ----------------------------------------------------------------------

    def _note_server_time(self, response: requests.Response) -> None:
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

    # --- the funnel ------------------------------------------------------------------------

    def _record(self, method: str, url: str, request_headers: Mapping[str, str], body: Any,
                content_type: str, response: requests.Response | None, elapsed: float,
                error: str | None = None) -> None:
        if response is not None:
            response_headers = select_headers(response.headers, RESPONSE_HEADERS)
            response_body = body_for_record(response.content,
                                            response.headers.get("Content-Type", ""))
            status: int | None = response.status_code
        else:
            response_headers, response_body, status = {}, None, None
        self.history.append(Exchange(
            method=method,
            url=url,
            status=status,
            request_headers=select_headers(request_headers, REQUEST_HEADERS),
            request_body=body_for_record(body, content_type),
            response_headers=response_headers,
            response_body=response_body,
            elapsed=elapsed,
            error=error,
        ))
        path = urlsplit(url).path
        if response is not None:
            log.debug("%s %s -> %s in %.0f ms [request id %s]", method, path, status,
                      elapsed * 1000, response.headers.get("X-Request-Id", "-"))
        else:
            log.debug("%s %s -> no answer (%s)", method, path, error)

    def _retry_after(self, response: requests.Response) -> float:
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

    def _transport_error(self, exc: requests.RequestException, method: str, path: str
                         ) -> TransportError:
        host = urlsplit(self.base_url).netloc
        error = TransportError(
            f"{_describe_transport_error(exc, host, self.timeout)} ({method} {path})",
            method=method, path=path)
        error.sent = not _request_never_sent(exc)  # type: ignore[attr-defined]
        return error

    def _exchange(self, method: str, url: str, path: str, *, body: Any = None,
                  content_type: str = "", auth: Any = None, params: Mapping[str, Any] | None = None
                  ) -> requests.Response:
        """Send one request (paced) and record it; raises `TransportError` when no answer."""
        self.pacer.acquire()
        headers = {"Content-Type": content_type} if content_type else {}
        data = jsonlib.dumps(body) if content_type == "application/json" else body
        prepared_url = requests.Request(method, url, params=params).prepare().url or url
        started = time.monotonic()
        try:
            response = self._session.request(
                method, url, params=params, data=data, headers=headers, auth=auth,
                timeout=(min(10.0, self.timeout), self.timeout), allow_redirects=False)
        except requests.RequestException as exc:
            error = self._transport_error(exc, method, path)
            sent_headers = dict(headers)
            if auth is self._auth:
                sent_headers["Authorization"] = "Bearer <redacted>"
            self._record(method, prepared_url, sent_headers, body, content_type, None,
                         time.monotonic() - started, error=str(error))
            raise error from exc
        self._record(method, prepared_url, response.request.headers, body, content_type, response,
                     time.monotonic() - started)
        self._note_server_time(response)
        return response

    def _send(self, method: str, path: str, *, json: Any = None,
              params: Mapping[str, Any] | None = None) -> requests.Response:
        """The funnel for ``/v1``: returns the final response (any status). Handles token
        refresh on 401/403 and the 429 resend for POST/PATCH; raises `TransportError`."""
        method = method.upper()
        url = self.api_url + path
        api_path = "/v1" + path
        has_body = method in ("POST", "PATCH", "PUT")
        body = (json if json is not None else {}) if has_body else None
        refreshed = False
        resends = 0
        while True:
            response = self._exchange(
                method, url, api_path, body=body,
                content_type="application/json" if has_body else "",
                auth=self._auth, params=params)
            status = response.status_code
            if status in (401, 403) and not refreshed:
                refreshed = True
                log.info("%s %s answered %s: fetching a new token and sending once more",
                         method, api_path, status)
                self._tokens.invalidate(getattr(response.request, "aura_token", None))
                continue
            if status == 429 and method not in IDEMPOTENT_METHODS and resends < self.max_429_resends:
                resends += 1
                wait = self._retry_after(response)
                log.info("%s %s answered 429: waiting %.1f s before sending again (%d/%d)",
                         method, api_path, wait, resends, self.max_429_resends)
                self._sleep(wait)
                continue
            return response

    def _error(self, response: requests.Response, method: str, path: str) -> ApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        error = error_for(
            response.status_code, body, method=method, path=path,
            request_id=response.headers.get("X-Request-Id"),
            retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if response.status_code == 308 and response.headers.get("Location"):
            location = urlsplit(response.headers["Location"])
            error.hint += f" (it points to {location.scheme}://{location.netloc})"
            error.args = (error._compose(),)
        return error

    def _unwrap(self, response: requests.Response, method: str, path: str) -> Any:
        if response.status_code >= 300:
            raise self._error(response, method, path)
        if not response.content or not response.content.strip():
            return None
        try:
            payload = response.json()
        except ValueError:
            raise ApiError(response.status_code, "", ["the answer is not JSON"], method=method,
                           path=path, request_id=response.headers.get("X-Request-Id")) from None
        if isinstance(payload, dict) and "data" in payload:
            return payload["data"]
        return payload

    def _call(self, method: str, path: str, *, json: Any = None,
              params: Mapping[str, Any] | None = None) -> Any:
        response = self._send(method, path, json=json, params=params)
        return self._unwrap(response, method.upper(), "/v1" + path)

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None) -> Any:
        """Call any ``/v1`` endpoint through the funnel and return the unwrapped ``data``.

        ``path`` is like ``"/v1/tenants"`` or ``"/tenants"``; ``json`` is the request body
        (POST/PATCH send ``{}`` when it is ``None``). Raises the `ApiError` subclass for an error
        answer, `TransportError` when no answer came."""
        if path.startswith(self.api_url):
            path = path[len(self.api_url):]
        if path.startswith("/v1/"):
            path = path[3:]
        if not path.startswith("/"):
            path = "/" + path
        return self._call(method, path, json=json, params=params)

    # --- token -----------------------------------------------------------------------------

    def _fetch_token(self, obtained_at: float) -> Token:
        """``POST /oauth/token`` with HTTP Basic client id/secret (form body
        ``grant_type=client_credentials``). Raises `AuthenticationFailed` when refused."""
        # Unlike POST /v1/instances, asking for a token changes nothing on the server: a second
        # token only replaces the first. So this POST is sent again after a 5xx or a lost
        # connection too (with backoff), not only after a 429.
        url = self.base_url + "/oauth/token"
        resends = failures = 0
        while True:
            try:
                response = self._exchange(
                    "POST", url, "/oauth/token", body={"grant_type": "client_credentials"},
                    content_type="application/x-www-form-urlencoded",
                    auth=(self.credentials.client_id, self.credentials.client_secret))
            except TransportError:
                failures += 1
                if failures > self.max_retries:
                    raise
                self._sleep(0.5 / self.speed * 2 ** failures)
                continue
            if response.status_code == 429 and resends < self.max_429_resends:
                resends += 1
                self._sleep(self._retry_after(response))
                continue
            if response.status_code >= 500 and failures < self.max_retries:
                failures += 1
                self._sleep(0.5 / self.speed * 2 ** failures)
                continue
            break
        if response.status_code in (400, 401, 403):
            try:
                reason, messages, _ = parse_error_body(response.json())
            except ValueError:
                reason, messages = "", []
            detail = "; ".join(messages) or "credentials refused"
            raise AuthenticationFailed(
                f"the token endpoint refused client id {self.client_id}: "
                f"{response.status_code} {reason + ': ' if reason else ''}{detail} "
                f"(POST /oauth/token). Check AURA_CLIENT_ID and AURA_CLIENT_SECRET",
                status_code=response.status_code,
                request_id=response.headers.get("X-Request-Id"))
        if response.status_code >= 300:
            raise self._error(response, "POST", "/oauth/token")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        token = Token.from_response(payload, obtained_at)
        log.info("fetched an access token valid for %g s", token.expires_in)
        return token

    # --- tenants ---------------------------------------------------------------------------

    def list_tenants(self) -> list[TenantSummary]:
        """All tenants (projects) this client can see. ``GET /v1/tenants``."""
        data = self._call("GET", "/tenants") or []
        return ModelList((TenantSummary.from_api(t) for t in data), caption="tenants")

    def get_tenant(self, tenant_id: str) -> Tenant:
        """One tenant with its instance configurations. ``GET /v1/tenants/{tenantId}``.
        Raises `NotFound` for an unknown id."""
        tenant = Tenant.from_api(self._call("GET", f"/tenants/{tenant_id}"))
        with self._lock:
            self._tenant_cache[tenant.id] = (tenant, time.monotonic())
        return tenant

    def find_tenant(self, name_or_id: str | None = None) -> Tenant:
        """The tenant with this exact name or id; with ``None``, the client's ``tenant``
        setting, else ``AURA_TENANT``, else the only tenant there is.
        ``GET /v1/tenants`` then ``GET /v1/tenants/{tenantId}``.

        Raises `NameNotFound` (listing the names that exist) or `AmbiguousName`."""
        wanted = name_or_id or self.default_tenant or config.tenant()
        tenants = self.list_tenants()
        listing = ", ".join(f"{t.name!r}" for t in tenants) or "(none)"
        if wanted is None:
            if len(tenants) == 1:
                return self.get_tenant(tenants[0].id)
            if not tenants:
                raise NameNotFound("this client sees no tenants (GET /v1/tenants returned none)")
            raise AmbiguousName(
                f"this client sees {len(tenants)} tenants: {listing}; pass one to find_tenant() "
                "or set AURA_TENANT", candidates=[t.id for t in tenants])
        matches = [t for t in tenants if t.id == wanted] or [t for t in tenants if t.name == wanted]
        if not matches:
            raise NameNotFound(f"no tenant is named {wanted!r} (or has that id); this client "
                               f"sees: {listing}", candidates=[t.name for t in tenants])
        if len(matches) > 1:
            ids = ", ".join(t.id for t in matches)
            raise AmbiguousName(f"{len(matches)} tenants are named {wanted!r} (ids {ids}); pass "
                                "the id instead", candidates=[t.id for t in matches])
        return self.get_tenant(matches[0].id)

    def _tenant_for(self, tenant_id: str, max_age: float = 600.0) -> Tenant:
        with self._lock:
            cached = self._tenant_cache.get(tenant_id)
        if cached and time.monotonic() - cached[1] < max_age:
            return cached[0]
        return self.get_tenant(tenant_id)

    # --- instances -------------------------------------------------------------------------

    def list_instances(self, tenant_id: str | None = None) -> list[InstanceSummary]:
        """Instance summaries (id, name, tenant, cloud, created_at; no status) of one tenant, or
        of every tenant when ``tenant_id`` is ``None``. ``GET /v1/instances[?tenantId=]``."""
        params = {"tenantId": tenant_id} if tenant_id else None
        data = self._call("GET", "/instances", params=params) or []
        return ModelList((InstanceSummary.from_api(i) for i in data), caption="instances")

    def get_instance(self, instance_id: str) -> Instance:
        """An instance's details including ``status``. ``GET /v1/instances/{instanceId}``.
        Raises `NotFound` when there is no such instance (or it is gone)."""
        return Instance.from_api(self._call("GET", f"/instances/{instance_id}"))

    def find_instance(self, name_or_id: str, tenant_id: str | None = None) -> InstanceSummary:
        """The instance with this exact id or name (in one tenant, or all).
        ``GET /v1/instances[?tenantId=]``. Raises `NameNotFound` or `AmbiguousName`."""
        instances = self.list_instances(tenant_id)
        matches = [i for i in instances if i.id == name_or_id] or \
            [i for i in instances if i.name == name_or_id]
        if not matches:
            names = sorted({i.name for i in instances})
            shown = ", ".join(repr(n) for n in names[:10]) + (", …" if len(names) > 10 else "")
            where = f"tenant {tenant_id}" if tenant_id else "any tenant"
            raise NameNotFound(f"no instance named {name_or_id!r} (or with that id) in {where}; "
                               f"existing names: {shown or '(none)'}", candidates=names)
        if len(matches) > 1:
            ids = ", ".join(i.id for i in matches)
            raise AmbiguousName(f"{len(matches)} instances are named {name_or_id!r} (ids {ids}); "
                                "pass the id instead", candidates=[i.id for i in matches])
        return matches[0]

    def find_live_instances(self, name: str, tenant_id: str | None = None) -> list[Instance]:
        """Every live instance called ``name`` (in one tenant, or all), oldest first: one
        listing (``GET /v1/instances[?tenantId=]``), names compared after Unicode NFC, then
        ``GET /v1/instances/{instanceId}`` per match. Instances gone (404) or ``destroying``
        are left out. The core's one "does this name exist?" check, used before a create."""
        wanted = unicodedata.normalize("NFC", name)
        live = []
        for summary in self.list_instances(tenant_id):
            if unicodedata.normalize("NFC", summary.name or "") != wanted:
                continue
            try:
                instance = self.get_instance(summary.id)
            except NotFound:
                continue  # deleted between the listing and the GET
            if instance.status != "destroying":
                live.append(instance)
        live.sort(key=lambda i: (parse_timestamp(i.created_at) or _EPOCH, i.id))
        return live

    def find_live_instance(self, name: str, tenant_id: str | None = None) -> Instance | None:
        """The one live instance called ``name``, or ``None``; see `find_live_instances`.
        Raises `AmbiguousName` when several live instances have that name."""
        live = self.find_live_instances(name, tenant_id)
        if len(live) > 1:
            ids = ", ".join(i.id for i in live)
            raise AmbiguousName(f"{len(live)} live instances are named {name!r} (ids {ids}); "
                                "pass an id, or delete the extra ones",
                                candidates=[i.id for i in live])
        return live[0] if live else None

    def validate_spec(self, spec: InstanceSpec, tenant: Tenant | None = None) -> None:
        """Check a spec against its tenant's ``instance_configurations`` without creating
        anything (fetches the tenant with ``GET /v1/tenants/{tenantId}`` unless given or
        recently fetched). Raises `InvalidInstanceSpec` listing the valid choices."""
        if tenant is None:
            try:
                tenant = self._tenant_for(spec.tenant_id)
            except NotFound:
                raise InvalidInstanceSpec(
                    f"tenant_id {spec.tenant_id!r} is not a tenant this client can see; "
                    "list them with client.list_tenants()", field="tenant_id") from None
        check_spec(spec, tenant)

    def _note_action(self, instance_id: str, action: str) -> None:
        server = self.server_now()  # takes the lock itself
        with self._lock:
            self._actions[instance_id] = (action, time.monotonic(), server)

    def recent_action(self, instance_id: str, within: float | None = None) -> str | None:
        """The last lifecycle action this client sent for the instance (``"resume"``,
        ``"pause"``, ``"delete"``...) if it was less than ``within`` real seconds ago (default:
        60 server seconds). Used by waiting to tell "resume in flight" from "stuck paused"."""
        within = 60.0 / self.speed if within is None else within
        with self._lock:
            entry = self._actions.get(instance_id)
        if entry and time.monotonic() - entry[1] <= within:
            return entry[0]
        return None

    def last_action(self, instance_id: str) -> tuple[str, float] | None:
        """``(action, server time it was sent)`` for the last lifecycle action this client sent
        for the instance, or ``None``. Waiting uses it as the start of the transition."""
        with self._lock:
            entry = self._actions.get(instance_id)
        return (entry[0], entry[2]) if entry else None

    def create_instance(self, spec: InstanceSpec, *, validate: bool = True) -> CreatedInstance:
        """Create an instance. ``POST /v1/instances``.

        The spec is first checked against the tenant's configurations (`validate_spec`;
        nothing is sent when it is invalid). The returned credentials are written to the vault
        *before* this returns; ``vault_path`` says where. The request is never resent after a
        timeout, a dropped connection or a 5xx.

        Raises `InvalidInstanceSpec`, the `ApiError` subclass for an error answer,
        `CreateResponseLost` when the request may have been carried out but no answer came
        (it names the instance found by that name, if any), `VaultUnwritable` before sending
        when the vault cannot be written, `VaultWriteFailed` when writing failed after the
        create (``error.rescue_path`` is where the credentials went instead, ``error.created``
        holds them), `InvalidId` when the answer's id is not an instance id."""
        if validate:
            self.validate_spec(spec)
        self.vault.check_writable()
        try:
            data = self._call("POST", "/instances", json=spec.to_api())
        except TransportError as exc:
            if not getattr(exc, "sent", True):
                raise  # the connection never opened: nothing can have been created
            raise self._lost_create(spec, str(exc)) from exc
        created = CreatedInstance.from_api(data)
        if not created.id:
            raise ApiError(202, "", ["the create answer has no instance id"],
                           method="POST", path="/v1/instances")
        check_id("instance id", created.id)  # it becomes a file name: no path syntax allowed
        self._note_action(created.id, "create")
        path = self.vault.save(created)
        return dataclasses.replace(created, vault_path=path)

    def _lost_create(self, spec: InstanceSpec, why: str) -> CreateResponseLost:
        """Look for the instance a lost create may have made, without creating anything."""
        window = max(300.0, 2 * self.timeout * self.speed)  # server seconds
        base = (f"The create request for {spec.name!r} got no answer ({why}), so it may have "
                "succeeded; it was not resent.")
        password = ("one-time password could not be captured: reset it in the Aura console "
                    "(or delete the instance and create it again).")
        try:
            response = self._send("GET", "/instances", params={"tenantId": spec.tenant_id})
            data = self._unwrap(response, "GET", "/v1/instances") or []
            server_now = parse_timestamp(email.utils.parsedate_to_datetime(
                response.headers["Date"])) if response.headers.get("Date") else None
        except (AuraError, KeyError, TypeError, ValueError) as exc:
            return CreateResponseLost(
                f"{base} Checking for it failed too ({type(exc).__name__}): list the instances "
                f"of tenant {spec.tenant_id} before creating it again. If it was created, its {password}",
                name=spec.name, tenant_id=spec.tenant_id)
        now = server_now.timestamp() if server_now else self.server_now()
        found = []
        for item in data:
            summary = InstanceSummary.from_api(item)
            created = parse_timestamp(summary.created_at)
            if summary.name == spec.name and created and now - created.timestamp() <= window:
                found.append((created, summary))
        found.sort(key=lambda pair: pair[0])
        if not found:
            return CreateResponseLost(
                f"{base} No instance named {spec.name!r} created in the last "
                f"{window / 60:.0f} minutes is listed in tenant {spec.tenant_id} yet: list the "
                f"instances again in a minute before creating it again. If it appears, its "
                f"{password}",
                name=spec.name, tenant_id=spec.tenant_id)
        instance = found[-1][1]
        more = f" ({len(found)} recent instances have that name)" if len(found) > 1 else ""
        return CreateResponseLost(
            f"{base} Found instance {instance.id} {instance.name!r} created at "
            f"{instance.created_at} in tenant {spec.tenant_id}{more}. Its {password}",
            name=spec.name, tenant_id=spec.tenant_id, instance=instance)

    @staticmethod
    def _instance_or_none(data: Any) -> Instance | None:
        if isinstance(data, Mapping) and data.get("id"):
            return Instance.from_api(data)
        return None

    def update_instance(self, instance_id: str, *, name: str | None = None,
                        memory: str | None = None, storage: str | None = None) -> Instance | None:
        """Rename and/or resize. ``PATCH /v1/instances/{instanceId}`` with only the fields given.
        Returns the instance, or ``None`` when the API answers with an empty body (resizes may).
        Raises ``ValueError`` when nothing is given, `Conflict` (409) while another operation
        runs, `BadRequest` for a size the tenant does not offer."""
        body = {k: v for k, v in (("name", name), ("memory", memory), ("storage", storage))
                if v is not None}
        if not body:
            raise ValueError("update_instance needs at least one of name, memory, storage")
        if memory is not None or storage is not None:
            self._note_action(instance_id, "resize")
        return self._instance_or_none(self._call("PATCH", f"/instances/{instance_id}", json=body))

    def rename_instance(self, instance_id: str, name: str) -> Instance | None:
        """Give an instance a new name. ``PATCH /v1/instances/{instanceId}`` ``{"name": …}``.
        Raises like `update_instance`."""
        return self.update_instance(instance_id, name=name)

    def resize_instance(self, instance_id: str, memory: str, storage: str | None = None
                        ) -> Instance | None:
        """Change memory (and storage). ``PATCH /v1/instances/{instanceId}``; the instance goes
        ``updating`` then ``running``. Raises like `update_instance`."""
        return self.update_instance(instance_id, memory=memory, storage=storage)

    def _lifecycle(self, instance_id: str, action: str, method: str, path: str,
                   body: Any = None) -> Instance | None:
        self._note_action(instance_id, action)
        return self._instance_or_none(self._call(method, path, json=body))

    def pause_instance(self, instance_id: str) -> Instance | None:
        """Pause a running instance (keeps data, stops compute billing).
        ``POST /v1/instances/{instanceId}/pause``. Raises `Conflict` (409) while busy,
        `BadRequest` when it is not running, `NotFound`."""
        return self._lifecycle(instance_id, "pause", "POST", f"/instances/{instance_id}/pause")

    def resume_instance(self, instance_id: str) -> Instance | None:
        """Resume a paused instance. ``POST /v1/instances/{instanceId}/resume``.
        Raises `Conflict` (409) when it is not paused or busy, `NotFound`."""
        return self._lifecycle(instance_id, "resume", "POST", f"/instances/{instance_id}/resume")

    def delete_instance(self, instance_id: str) -> Instance | None:
        """Delete an instance (its data cannot be recovered). ``DELETE /v1/instances/{id}``.

        Returns the instance in ``destroying``, or ``None`` when a retried DELETE found it
        already gone (404 after a retry counts as done). Raises `NotFound` when it did not exist
        to begin with, `Conflict` (409) while another operation runs."""
        self._note_action(instance_id, "delete")
        path = f"/instances/{instance_id}"
        response = self._send("DELETE", path)
        retries = getattr(response.raw, "retries", None)
        if response.status_code == 404 and retries is not None and retries.history:
            log.info("DELETE %s was retried and the instance is gone: done", path)
            return None
        return self._instance_or_none(self._unwrap(response, "DELETE", "/v1" + path))

    def overwrite_instance(self, instance_id: str, source_instance_id: str,
                           source_snapshot_id: str | None = None) -> Instance | None:
        """Replace an instance's data with another instance's (a fresh snapshot of it, or
        ``source_snapshot_id``). ``POST /v1/instances/{instanceId}/overwrite``.
        Raises `Conflict` while busy, `ApiError` 420 for free instances, `ServerError` 500 when
        the target is smaller than the source."""
        body = {"source_instance_id": source_instance_id}
        if source_snapshot_id:
            body["source_snapshot_id"] = source_snapshot_id
        return self._lifecycle(instance_id, "overwrite", "POST",
                               f"/instances/{instance_id}/overwrite", body)

    # --- snapshots -------------------------------------------------------------------------

    def list_snapshots(self, instance_id: str, date: date | str | None = None) -> list[Snapshot]:
        """The instance's snapshots of one day (default: today, server time).
        ``GET /v1/instances/{instanceId}/snapshots[?date=YYYY-MM-DD]``. Raises `NotFound`."""
        params = None
        if date is not None:
            params = {"date": date.isoformat() if hasattr(date, "isoformat") else str(date)}
        data = self._call("GET", f"/instances/{instance_id}/snapshots", params=params) or []
        return ModelList((Snapshot.from_api(s) for s in data), caption="snapshots")

    def create_snapshot(self, instance_id: str) -> str:
        """Take an on-demand snapshot and return its id (poll it with `wait_for_snapshot`).
        ``POST /v1/instances/{instanceId}/snapshots``. Raises `Conflict` while busy, `NotFound`."""
        data = self._call("POST", f"/instances/{instance_id}/snapshots")
        snapshot_id = data.get("snapshot_id") if isinstance(data, Mapping) else None
        if not snapshot_id:
            raise ApiError(202, "", ["the snapshot answer has no snapshot_id"], method="POST",
                           path=f"/v1/instances/{instance_id}/snapshots")
        return str(snapshot_id)

    def get_snapshot(self, instance_id: str, snapshot_id: str) -> Snapshot:
        """One snapshot's details. ``GET /v1/instances/{instanceId}/snapshots/{snapshotId}``.
        Raises `NotFound`."""
        return Snapshot.from_api(
            self._call("GET", f"/instances/{instance_id}/snapshots/{snapshot_id}"))

    def restore_snapshot(self, instance_id: str, snapshot_id: str) -> Instance | None:
        """Roll the instance back, in place, to one of its snapshots (status ``restoring``).
        ``POST /v1/instances/{instanceId}/snapshots/{snapshotId}/restore``.
        Raises `Conflict` while busy, `NotFound`."""
        return self._lifecycle(instance_id, "restore", "POST",
                               f"/instances/{instance_id}/snapshots/{snapshot_id}/restore")

    # --- waiting ---------------------------------------------------------------------------

    def wait_for_instance(self, instance_id: str, status: str = "running", timeout: float = 1200,
                          on_progress: Callable[[Any], None] | None = None, **options: Any
                          ) -> Instance:
        """Poll ``GET /v1/instances/{instanceId}`` until the instance has ``status``; see
        `aura_nb.waiting.wait_for_instance` for the options (``poll_interval``, ``cancel``...).
        Raises `InstanceWaitTimeout`, `InstanceStatusUnreachable`, `WaitCancelled`."""
        return waiting.wait_for_instance(self, instance_id, status, timeout, on_progress,
                                         **options)

    def wait_for_instances(self, ids: Iterable[Any], status: str = "running",
                           timeout: float = 1800, on_progress: Callable[[Any], None] | None = None,
                           **options: Any) -> dict[str, Instance]:
        """Wait for many instances under the client's request budget, spending status requests
        (``GET /v1/instances/{instanceId}``) where they are likely to pay off; see
        `aura_nb.waiting.wait_for_instances`. Raises `WaitIncomplete`, `WaitCancelled`."""
        return waiting.wait_for_instances(self, ids, status, timeout, on_progress, **options)

    def wait_for_snapshot(self, instance_id: str, snapshot_id: str, timeout: float = 600,
                          on_progress: Callable[[Any], None] | None = None, **options: Any
                          ) -> Snapshot:
        """Poll ``GET /v1/instances/{instanceId}/snapshots/{snapshotId}`` until ``Completed``.
        Raises `InstanceStatusUnreachable` when it fails, `InstanceWaitTimeout`."""
        return waiting.wait_for_snapshot(self, instance_id, snapshot_id, timeout, on_progress,
                                         **options)

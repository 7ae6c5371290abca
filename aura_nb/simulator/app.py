"""The HTTP side of the simulator: parsing, auth, rate limit, faults, error bodies.

One request goes through these steps, in this order:

1. read the body completely (or refuse it with 413/411 and close the connection), so that
   keep-alive connections never get out of step;
2. ``Host`` must name this simulator (421 otherwise) and an ``Origin``, if any, too (403): no
   web page of another site, and no DNS-rebound name, gets an answer;
3. ``/_simulator/...`` goes to the admin surface (admin token required, no faults, not counted);
   ``/_bolt...`` to the Bolt endpoint's public directory (loopback clients, no token: it holds
   what DNS and a CA certificate would hold for the real service);
4. find the route: unknown path 404, wrong method 405;
5. faults: added latency, dropped connection, injected status;
6. ``/oauth/token``: Basic auth + form (429 for an address that sent 10 wrong secrets within a
   real minute; 429 after 15 tokens per client id within a virtual hour, `TokenLimit`); else a
   Bearer token (401 missing/garbled, 403 expired);
7. rate limit per client id (429 with ``Retry-After`` in real seconds);
8. ``Content-Type: application/json`` on POST/PATCH (415), JSON object body (400);
9. the handler, under the world's lock; state saved after a successful change.

Every answer is JSON with ``Content-Length``, ``X-Request-Id`` and a ``Date`` in virtual time.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import sys
import threading
import time
import traceback
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from . import admin
from .clock import http_date, rfc3339
from .errors import ApiError, bad_request
from .loopback import is_loopback_host
from .routes import API_ROUTES, Call, Router
from .v2beta1 import V2_ROUTES
from .world.connections import DOMAIN

MAX_BODY = 1024 * 1024          # bytes; larger bodies get 413
TOKEN_PATH = "/oauth/token"
TOKEN_LIMIT = 15                # tokens per client id per virtual hour, as the service (0 = off)
ADMIN_PREFIX = "/_simulator/"
BOLT_PREFIX = "/_bolt"
ROUTER = Router([(TOKEN_PATH, {"POST": None})] + API_ROUTES + V2_ROUTES)
MUTATING = ("POST", "PATCH", "DELETE")


class RateLimiter:
    """Token bucket per client id: ``limit`` requests per ``window`` virtual seconds.

    A limit of 0 turns it off. ``take(client)`` returns ``None`` when the request may go ahead,
    else the virtual seconds until it would be allowed.
    """

    def __init__(self, clock, limit: int, window: float = 60.0):
        self.clock = clock
        self.limit = limit
        self.window = window
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float | None:
        """Spend one request from ``client``'s bucket."""
        if self.limit <= 0:
            return None
        rate = self.limit / self.window
        now = self.clock.now()
        with self._lock:
            level, last = self._buckets.get(client, (float(self.limit), now))
            level = min(float(self.limit), level + (now - last) * rate)
            if level >= 1:
                self._buckets[client] = (level - 1, now)
                return None
            self._buckets[client] = (level, now)
            return (1 - level) / rate

    def reset(self) -> None:
        """Fill every bucket again."""
        with self._lock:
            self._buckets.clear()


class TokenLimit:
    """The token endpoint's own limit: ``limit`` tokens per client id within ``window`` virtual
    seconds (the service's 15 an hour, reference section 8); the next request gets 429 until the
    oldest of them is a window old. Counts tokens issued, not refusals, so a client that waits
    gets through. A limit of 0 turns it off. Kept in memory: a restarted simulator forgets it.
    """

    def __init__(self, clock, limit: int, window: float = 3600.0):
        self.clock = clock
        self.limit = limit
        self.window = window
        self._issued: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque:
        issued = self._issued.setdefault(client, deque())
        while issued and issued[0] <= now - self.window:
            issued.popleft()
        return issued

    def take(self, client: str) -> float | None:
        """Count one token for ``client``: ``None`` when it may have it, else the virtual
        seconds until it may."""
        if self.limit <= 0:
            return None
        now = self.clock.now()
        with self._lock:
            issued = self._recent(client, now)
            if len(issued) >= self.limit:
                return issued[-self.limit] + self.window - now
            issued.append(now)
            return None

    def reset(self) -> None:
        """Forget every token counted."""
        with self._lock:
            self._issued.clear()


class SecretGuard:
    """Slows down guessing: after ``limit`` wrong client secrets within ``window`` real seconds
    from one source address, or for one client id, that address (or client id) gets 429 on the
    token endpoint until the oldest failure is a window old. Counting per client id too means that
    rotating source addresses (127.0.0.2, 127.0.0.3 ... all reach a loopback server) does not
    escape the limit. Real time, not virtual: a sped-up clock must not speed up guessing.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(address: str, client_id: str | None) -> list[tuple[str, str]]:
        return [("address", address)] + ([("client", client_id)] if client_id else [])

    def _recent(self, key: tuple[str, str], now: float) -> deque:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def wait(self, address: str, client_id: str | None = None) -> float | None:
        """Seconds until ``address`` (and ``client_id``) may try again, or ``None`` when it may try now."""
        now = self._clock()
        waits = []
        with self._lock:
            for key in self._keys(address, client_id):
                failures = self._recent(key, now)
                if len(failures) >= self.limit:
                    waits.append(failures[-self.limit] + self.window - now)
        return max(waits) if waits else None

    def failed(self, address: str, client_id: str | None = None) -> None:
        """Record one wrong secret from ``address`` for ``client_id``."""
        now = self._clock()
        with self._lock:
            for key in self._keys(address, client_id):
                self._recent(key, now).append(now)

    def reset(self) -> None:
        """Forget every failure."""
        with self._lock:
            self._failures.clear()


class Stats:
    """Request counts per ``METHOD /template`` and per response status (thread-safe)."""

    #: How many API requests `log` keeps (the oldest drop out).
    LOG_SIZE = 5000

    def __init__(self):
        self._lock = threading.Lock()
        self.requests: Counter = Counter()
        self.responses: Counter = Counter()
        self._log: deque = deque(maxlen=self.LOG_SIZE)

    def log_request(self, entry: dict) -> None:
        """Keep one API request as it arrived (no secret: the Authorization scheme only)."""
        with self._lock:
            self._log.append(entry)

    def request_log(self) -> list[dict]:
        """The last `LOG_SIZE` API requests, oldest first: ``method``, ``path`` (with the
        query), ``status`` (``None``: closed unanswered), ``user_agent``, ``content_type``,
        ``authorization`` (the scheme: ``Basic``, ``Bearer`` or ``""``)."""
        with self._lock:
            return [dict(e) for e in self._log]

    def count_request(self, key: str) -> None:
        """Count one request, e.g. ``GET /v1/instances/{instanceId}``."""
        with self._lock:
            self.requests[key] += 1

    def count_response(self, status: int) -> None:
        """Count one answer by status code."""
        with self._lock:
            self.responses[str(status)] += 1

    def snapshot(self) -> dict:
        """``{"requests": {...}, "responses": {...}}`` as plain dicts."""
        with self._lock:
            return {"requests": dict(self.requests), "responses": dict(self.responses)}

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests.clear()
            self.responses.clear()
            self._log.clear()


class _Drop(Exception):
    """Close the connection without answering."""


def _host_port(text: str, default_port: int) -> tuple[str, int] | None:
    """``("name", port)`` from a ``Host`` value (``name``, ``name:port``, ``[::1]:port``)."""
    if text.startswith("["):
        name, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        name, _, port_text = text.partition(":")
    if not name:
        return None
    if not port_text:
        return name, default_port
    # ASCII digits only: "¹²" passes str.isdigit() but not int() (a 500 before)
    return (name, int(port_text)) if port_text.isascii() and port_text.isdigit() else None


def _parse_json(raw: bytes):
    """A JSON document, or 400 for invalid or absurdly nested JSON (never a RecursionError)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise bad_request("The request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON") from None


def _request_id() -> str:
    """Shaped like the service's: 32 hex digits, a slash, a 64-bit decimal number."""
    return f"{secrets.token_hex(16)}/{secrets.randbits(63)}"


class Handler(BaseHTTPRequestHandler):
    """Serves one connection; the owning :class:`~aura_nb.simulator.server.Simulator` is
    ``self.server.sim``."""

    protocol_version = "HTTP/1.1"
    server_version = "AuraAPISimulator/1"
    sys_version = ""
    timeout = 120                       # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True

    # -- plumbing -------------------------------------------------------------------------

    def log_message(self, format, *args):   # noqa: A002 - the base class's signature
        """Silence the per-request log line (it would slow the server and clutter output)."""

    def version_string(self):
        """The ``Server`` header."""
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The ``Date`` header tells virtual time."""
        return http_date(self.server.sim.clock.now())

    def send_error(self, code, message=None, explain=None):
        """Errors found by the base class (bad request line, huge headers) also answer JSON."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":     # unparseable line: still answer with headers
            self.request_version = self.protocol_version
        try:
            self._reply(code, {"errors": [{"message": message or self.responses.get(
                code, ("Error",))[0], "reason": "bad-request"}]}, count=False)
        except OSError:
            pass

    def _reply(self, status: int, body, headers=None, count: bool = True) -> None:
        if isinstance(body, str):         # the service's plain-text error bodies
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
            content_type = "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", _request_id())
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)
        if count:
            self.server.sim.stats.count_response(status)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise ApiError(411, "length-required", "Send the body with a Content-Length header")
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise bad_request("Content-Length must be a non-negative integer") from None
        if n > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "payload-too-large",
                           f"Request body is {n} bytes; the limit is {MAX_BODY} bytes")
        data = self.rfile.read(n)
        if len(data) < n:
            raise _Drop()
        return data

    # -- dispatch -------------------------------------------------------------------------

    def do_GET(self):
        """Every method goes through the same :meth:`_handle`."""
        self._handle()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name):
        """Any other method (``do_FROB``) is routed too, so that it gets a 405 rather than a 501."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _note(self, status: int | None) -> None:
        """Log an API request (not the admin surface, not the Bolt directory) in the stats."""
        path = getattr(self, "path", "") or ""
        if path.startswith(ADMIN_PREFIX) or path.startswith(BOLT_PREFIX):
            return
        self.server.sim.stats.log_request({
            "method": self.command, "path": path, "status": status,
            "user_agent": self.headers.get("User-Agent", ""),
            "content_type": self.headers.get("Content-Type", ""),
            "authorization": self.headers.get("Authorization", "").split(" ", 1)[0]})

    def _handle(self) -> None:
        sim = self.server.sim
        lose = False
        try:
            try:
                raw = self._read_body()
                url = urlsplit(self.path)
                path = url.path
                self._check_host_and_origin()
                if path.startswith(ADMIN_PREFIX):
                    self._admin(path, raw)
                    return
                if path == BOLT_PREFIX or path.startswith(BOLT_PREFIX + "/"):
                    self._bolt_directory(path)
                    return
                route = ROUTER.match(path)
                if route is None:
                    raise ApiError(404, "not-found", f"No such endpoint: {self.command} {path}")
                template, methods, params = route
                if self.command not in methods:
                    raise ApiError(405, "method-not-allowed",
                                   f"{self.command} is not supported on {template}; use "
                                   f"{', '.join(methods)}",
                                   headers={"Allow": ", ".join(methods)})
                sim.stats.count_request(f"{self.command} {template}")
                lose = self._apply_faults(path, template)
                if template == TOKEN_PATH:
                    status, body, headers = self._token(raw)
                else:
                    status, body, headers = self._api(url.query, raw, methods[self.command], params)
            except ApiError as error:
                status, body, headers = error.status, error.body(), error.headers
            if lose:
                raise _Drop()
            self._note(status)
            self._reply(status, body, headers)
        except _Drop:
            self._note(None)
            self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:                # a simulator bug: say so, keep serving
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self._reply(500, {"errors": [{"message": "Simulator internal error",
                                              "reason": "internal-server-error"}]})
            except OSError:
                pass

    def _check_host_and_origin(self) -> None:
        """421 unless ``Host`` names this simulator; 403 for an ``Origin`` of another site."""
        sim = self.server.sim
        host = _host_port(self.headers.get("Host", "").strip(), 80)
        if host is None or not sim.accepts_host(*host):
            raise ApiError(421, "misdirected-request",
                           f"Host {self.headers.get('Host', '(none)')!r} is not this simulator; "
                           f"use {sim.base_url} (or start it with --public-host NAME)")
        origin = self.headers.get("Origin")
        if origin is None:
            return
        scheme, _, rest = origin.strip().partition("://")
        where = _host_port(rest, 443 if scheme == "https" else 80) \
            if scheme in ("http", "https") else None
        if where is None or not sim.accepts_host(*where):
            raise ApiError(403, "cross-origin-forbidden",
                           f"Requests from web pages of {origin!r} are refused")

    def _apply_faults(self, path: str, template: str) -> bool:
        """Apply injected faults; ``True`` means "do the work, then lose the answer"."""
        faults = self.server.sim.faults
        if faults.latency:
            time.sleep(faults.latency)
        decision = faults.decide(self.command, path, template)
        if decision is None:
            return False
        if decision.action == "drop":
            raise _Drop()
        if decision.action == "lose_response":
            return True
        if decision.status == 429:
            raise ApiError(429, "rate-limited", "API rate limit exceeded", shape="middleware",
                           headers={"Retry-After": "1"})
        if decision.status >= 500:
            message = f"Simulated server error {decision.status}; try again later"
        else:
            message = f"Simulated {decision.status} answer (a scripted fault)"
        raise ApiError(decision.status, "simulated-fault", message)

    def _rate_limit(self, client_id: str) -> None:
        sim = self.server.sim
        wait = sim.rate_limiter.take(client_id)
        if wait is not None:
            real = max(1, math.ceil(sim.clock.to_real(wait)))
            raise ApiError(429, "rate-limited", "API rate limit exceeded", shape="middleware",
                           headers={"Retry-After": str(real)})

    # -- POST /oauth/token ----------------------------------------------------------------

    def _token(self, raw: bytes):
        sim = self.server.sim
        client_id = secret = None
        auth = self.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
                client_id, _, secret = decoded.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                pass
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if content_type == "application/json":
                form = json.loads(raw or b"{}")
                if not isinstance(form, dict):
                    raise ValueError
            else:
                form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
        except (ValueError, UnicodeDecodeError, RecursionError):
            form = {}
        if client_id is None and isinstance(form.get("client_id"), str):
            client_id, secret = form.get("client_id"), form.get("client_secret")
        address = self.client_address[0]
        guessed_id = client_id if isinstance(client_id, str) else None
        wait = sim.secret_guard.wait(address, guessed_id)
        if wait is not None:
            raise ApiError(429, "too-many-failed-attempts",
                           "Too many wrong client secrets from this address or for this client id; "
                           "try again later",
                           shape="middleware", headers={"Retry-After": str(max(1, math.ceil(wait)))})
        role = sim.role_for_credentials(client_id, secret)
        if role is None:
            sim.secret_guard.failed(address, guessed_id)
            raise ApiError(401, "invalid_client",
                           "Client id or secret is invalid; check the API credentials",
                           shape="middleware")
        self._rate_limit(client_id)
        wait = sim.token_limit.take(client_id)
        if wait is not None:
            raise ApiError(429, "rate-limited",
                           f"Too many token requests: {sim.token_limit.limit} per hour per "
                           f"client; cache the token for its lifetime", shape="middleware",
                           headers={"Retry-After": str(max(1, math.ceil(sim.clock.to_real(wait))))})
        grant = form.get("grant_type")
        if grant is None:
            raise ApiError(400, "invalid_request",
                           "Missing grant_type; send the form field grant_type=client_credentials",
                           shape="middleware")
        if grant != "client_credentials":
            raise ApiError(400, "unsupported_grant_type",
                           "Unsupported grant_type; use grant_type=client_credentials",
                           shape="middleware")
        token = sim.world.issue_token(role, sim.token_ttl)
        sim.save_state()
        expires_in = max(1, math.ceil(sim.clock.to_real(sim.token_ttl)))
        return 200, {"access_token": token, "expires_in": expires_in, "token_type": "bearer"}, {}

    # -- /v1 and /v2beta1 ------------------------------------------------------------------

    def _api(self, query: str, raw: bytes, handler, params):
        sim = self.server.sim
        auth = self.headers.get("Authorization", "")
        if auth[:7].lower() != "bearer " or not auth[7:].strip():
            raise ApiError(401, "unauthorized",
                           "Missing Authorization header: send 'Authorization: Bearer <token>'",
                           shape="middleware")
        role = sim.world.role_for_token(auth[7:].strip())
        self._rate_limit(sim.client_id_for(role))
        body = {}
        if self.command in ("POST", "PATCH"):
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            # v1 insists on the header; v2beta1 documents no 415 and POSTs without a body
            # (databases, backups), so there only a body that is not JSON is refused (400).
            v1 = self.path.startswith("/v1/")
            if content_type != "application/json" and (v1 or raw.strip()):
                if not v1:
                    raise bad_request("Send the body as JSON with Content-Type: application/json")
                raise ApiError(415, "unsupported-media-type",
                               "Set the header Content-Type: application/json (also on requests "
                               "without a body; send {})")
            if raw.strip():
                body = _parse_json(raw)
                if not isinstance(body, dict):
                    raise bad_request("The request body must be a JSON object")
        call = Call(sim.world, role, params,
                    {k: v[0] for k, v in parse_qs(query).items()}, body)
        with sim.world.lock:
            status, data = handler(call)
            if self.command in MUTATING:
                sim.save_state()
        return status, (None if data is None else {"data": data}), {}

    # -- /_bolt ----------------------------------------------------------------------------

    def _bolt_directory(self, path: str) -> None:
        """``GET /_bolt``: the CA certificate and the instances' domain; ``GET /_bolt/hosts/NAME``:
        the address an instance's host name leads to (404 once the instance is gone)."""
        bolt = self.server.sim.bolt
        try:
            if bolt is None:
                raise ApiError(404, "bolt-unavailable", "This simulator has no Bolt endpoint: "
                               "install aura_nb[driver] (it brings trustme) and restart it")
            if not is_loopback_host(self.client_address[0]):
                raise ApiError(403, "forbidden", "The Bolt directory answers loopback clients only")
            if self.command != "GET":
                raise ApiError(405, "method-not-allowed", f"{self.command} is not supported on {path}")
            name = path[len(BOLT_PREFIX):].strip("/")
            if not name:
                result = {"ca_pem": bolt.ca_pem, "domain": DOMAIN}
            elif name.startswith("hosts/") and "/" not in name[len("hosts/"):]:
                host = name[len("hosts/"):]
                address = bolt.address_for(host)
                if address is None:
                    raise ApiError(404, "unknown-host", f"{host} does not resolve")
                result = {"host": host, "address": list(address)}
            else:
                raise ApiError(404, "not-found", f"No such endpoint: {path}")
            self._reply(200, result, count=False)
        except ApiError as error:
            self._reply(error.status, error.body(), error.headers, count=False)

    # -- /_simulator/ ---------------------------------------------------------------------

    def _admin(self, path: str, raw: bytes) -> None:
        sim = self.server.sim
        try:
            if not is_loopback_host(self.client_address[0]):
                raise ApiError(403, "forbidden", "The admin surface answers loopback clients only")
            if not admin.secrets_equal(self.headers.get(admin.HEADER, ""), sim.admin_token):
                raise ApiError(403, "admin-token-required",
                               f"Send this simulator's admin token in the {admin.HEADER} header "
                               f"(Simulator.admin_token, or the file python -m aura_nb.simulator "
                               f"names)")
            body = _parse_json(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise bad_request("The request body must be a JSON object")
            name, method = path[len(ADMIN_PREFIX):], self.command
            if (name, method) == ("health", "GET"):
                result = {"status": "ok", "base_url": sim.base_url,
                          "now": rfc3339(sim.clock.now())}
            elif (name, method) == ("stats", "GET"):
                result = sim.stats_snapshot()
            elif (name, method) == ("reset", "POST"):
                sim.reset()
                result = {"status": "reset", "now": rfc3339(sim.clock.now())}
            elif name == "clock" and method in ("GET", "POST"):
                if method == "POST":
                    seconds = body.get("advance", 0)
                    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
                            or not 0 <= seconds < 1e9:
                        raise bad_request("advance must be a non-negative number of seconds",
                                          "advance")
                    sim.advance(seconds)
                result = {"now": rfc3339(sim.clock.now()), "speed": sim.clock.speed}
            elif name == "faults" and method in ("GET", "POST"):
                try:
                    result = sim.set_faults(**body) if method == "POST" else sim.faults.to_dict()
                except ValueError as error:
                    raise bad_request(str(error)) from None
            elif (name, method) == ("secrets", "GET"):
                result = sim.issued_secrets()
            elif name.startswith("bolt-log/") and method == "GET":
                result = sim.bolt.log(name[len("bolt-log/"):]) if sim.bolt else []
            elif name in ("health", "stats", "reset", "clock", "faults", "secrets"):
                raise ApiError(405, "method-not-allowed", f"{method} is not supported on {path}")
            else:
                raise ApiError(404, "not-found", f"No such admin endpoint: {path}")
            self._reply(200, result, count=False)
        except ApiError as error:
            self._reply(error.status, error.body(), error.headers, count=False)

"""The HTTP side of the simulator: parsing, auth, rate limit, faults, error bodies.

One request goes through these steps, in this order:

1. read the body completely (or refuse it with 413/411 and close the connection), so that
   keep-alive connections never get out of step;
2. ``/_simulator/...`` goes to the admin surface (no auth, no faults, not counted);
3. find the route: unknown path 404, wrong method 405;
4. faults: added latency, dropped connection, injected status;
5. ``/oauth/token``: Basic auth + form; else a Bearer token (401 missing/garbled, 403 expired);
6. rate limit per client id (429 with ``Retry-After`` in real seconds);
7. ``Content-Type: application/json`` on POST/PATCH (415), JSON object body (400);
8. the handler, under the world's lock; state saved after a successful change.

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
from collections import Counter
from http.server import BaseHTTPRequestHandler
from ipaddress import ip_address
from urllib.parse import parse_qs, urlsplit

from .clock import http_date, rfc3339
from .errors import ApiError, bad_request
from .routes import API_ROUTES, Call, Router
from .v2beta1 import V2_ROUTES

MAX_BODY = 1024 * 1024          # bytes; larger bodies get 413
TOKEN_PATH = "/oauth/token"
ADMIN_PREFIX = "/_simulator/"
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


class Stats:
    """Request counts per ``METHOD /template`` and per response status (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests: Counter = Counter()
        self.responses: Counter = Counter()

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


class _Drop(Exception):
    """Close the connection without answering."""


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

    def _handle(self) -> None:
        sim = self.server.sim
        lose = False
        try:
            try:
                raw = self._read_body()
                url = urlsplit(self.path)
                path = url.path
                if path.startswith(ADMIN_PREFIX):
                    self._admin(path, raw)
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
            self._reply(status, body, headers)
        except _Drop:
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
        except (ValueError, UnicodeDecodeError):
            form = {}
        if client_id is None and isinstance(form.get("client_id"), str):
            client_id, secret = form.get("client_id"), form.get("client_secret")
        role = sim.role_for_credentials(client_id, secret)
        if role is None:
            raise ApiError(401, "invalid_client",
                           "Client id or secret is invalid; check the API credentials",
                           shape="middleware")
        self._rate_limit(client_id)
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
                try:
                    body = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    raise bad_request("The request body is not valid JSON") from None
                if not isinstance(body, dict):
                    raise bad_request("The request body must be a JSON object")
        call = Call(sim.world, role, params,
                    {k: v[0] for k, v in parse_qs(query).items()}, body)
        with sim.world.lock:
            status, data = handler(call)
            if self.command in MUTATING:
                sim.save_state()
        return status, (None if data is None else {"data": data}), {}

    # -- /_simulator/ ---------------------------------------------------------------------

    def _admin(self, path: str, raw: bytes) -> None:
        sim = self.server.sim
        try:
            if not ip_address(self.client_address[0]).is_loopback:
                raise ApiError(403, "forbidden", "The admin surface answers loopback clients only")
            try:
                body = json.loads(raw) if raw.strip() else {}
            except (ValueError, UnicodeDecodeError):
                raise bad_request("The request body is not valid JSON") from None
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
            elif name in ("health", "stats", "reset", "clock", "faults", "secrets"):
                raise ApiError(405, "method-not-allowed", f"{method} is not supported on {path}")
            else:
                raise ApiError(404, "not-found", f"No such admin endpoint: {path}")
            self._reply(200, result, count=False)
        except ApiError as error:
            self._reply(error.status, error.body(), error.headers, count=False)

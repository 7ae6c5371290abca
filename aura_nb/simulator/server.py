"""The :class:`Simulator`: a local Aura API on 127.0.0.1, started and stopped from Python."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from . import admin, catalog
from .app import TOKEN_LIMIT, Handler, RateLimiter, SecretGuard, Stats, TokenLimit
from .clock import VirtualClock
from .faults import Faults, parse_spec
from .loopback import is_loopback_host
from .threads import ConnectionThreads
from .world import World

try:
    from .bolt import BoltServer
except ImportError:           # trustme (extra "driver") not installed: no Bolt endpoint
    BoltServer = None


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that remembers its connections so ``stop()`` can end them all."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, sim):
        self.sim = sim
        self.connections = ConnectionThreads()
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        """Serve the new connection in its own daemon thread, remembered for ``stop()``."""
        thread = threading.Thread(target=self.process_request_thread,
                                  args=(request, client_address),
                                  name="aura-simulator-connection", daemon=True)
        self.connections.add(thread, request)
        thread.start()

    def process_request_thread(self, request, client_address):
        """Serve one connection, then forget it."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.forget_current()

    def handle_error(self, request, client_address):
        """A client that hangs up is normal; only real bugs are printed (to stderr)."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Simulator:
    """A local stand-in for the Aura API (``POST /oauth/token`` and ``/v1/...``) over HTTP.

    ``Simulator(...).start()`` listens on ``host:port`` (port 0 picks a free one) in a daemon
    thread and returns itself; ``stop()`` ends the server and every connection thread. Also a
    context manager. See docs/DESIGN.md ("Simulator") for the admin surface and fault format.

    ``account`` (``"free"``, ``"professional"``, ``"enterprise"``) seeds the projects of that
    kind of Aura account and its rate limit (``rate_limit`` overrides it); ``None`` is the default
    world (three projects of every type, 125 requests/minute). See README's account table.
    ``token_limit`` is how many tokens ``POST /oauth/token`` issues per client id in a virtual
    hour before it answers 429 with ``Retry-After`` (the service's 15; ``0`` lifts the limit,
    for test sessions whose many clients share one simulator).
    ``faults`` is a dict of :meth:`set_faults` settings or a ``--faults`` text;
    ``durations`` overrides lifecycle durations, ``{"creating": (lo, hi), ...}`` in virtual
    seconds. Raises ValueError for a bad setting, OSError if the port cannot be bound.

    ``admin_token`` is drawn fresh for each simulator; every ``/_simulator/`` request must send
    it in the ``X-Simulator-Admin-Token`` header (see :mod:`aura_nb.simulator.admin`). With
    ``admin_token_file`` it is also written there (mode 0600) while the simulator serves.
    Requests are answered only when their ``Host`` names a loopback address (``127.0.0.1``,
    ``localhost``, ``[::1]``), the address bound, or one of ``public_hosts`` (``name`` or
    ``name:port``), on the bound port, and carry no cross-site ``Origin``.
    """

    def __init__(self, seed: int = 0, speed: float = 1.0, rate_limit: int | None = None,
                 token_ttl: float = 3600, client_id: str = catalog.DEFAULT_CLIENT[0],
                 client_secret: str = catalog.DEFAULT_CLIENT[1], state_file: str | None = None,
                 faults=None, host: str = "127.0.0.1", port: int = 0,
                 durations: dict | None = None, admin_token_file: str | None = None,
                 public_hosts=(), account: str | None = None,
                 token_limit: int = TOKEN_LIMIT):
        if rate_limit is None:
            rate_limit = catalog.account(account).rate_limit   # ValueError for an unknown kind
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must not be empty")
        if rate_limit < 0:
            raise ValueError("rate_limit must be 0 (off) or a positive number of requests/minute")
        if token_limit < 0:
            raise ValueError("token_limit must be 0 (off) or a positive number of tokens/hour")
        if not 0 <= port <= 65535:
            raise ValueError("port must be between 0 (pick a free one) and 65535")
        if not token_ttl > 0:
            raise ValueError("token_ttl must be a positive number of seconds")
        self.seed = seed
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = float(token_ttl)
        self.state_file = os.fspath(state_file) if state_file else None
        self.host = host
        self.port = port
        self.admin_token = secrets.token_urlsafe(32)
        self.admin_token_file = Path(admin_token_file) if admin_token_file else None
        self.public_hosts = tuple(h.strip().lower() for h in public_hosts if h.strip())
        self.secret_guard = SecretGuard()
        self.clock = VirtualClock(speed)
        self.world = World(seed, self.clock, durations, account)
        self.rate_limiter = RateLimiter(self.clock, rate_limit)
        self.token_limit = TokenLimit(self.clock, token_limit)
        self.stats = Stats()
        self.faults = Faults(seed)
        if faults:
            self.set_faults(**(parse_spec(faults) if isinstance(faults, str) else faults))
        self._credentials = {catalog.OTHER_CLIENT[0]: (catalog.OTHER_CLIENT[1], "other"),
                             client_id: (client_secret, "primary")}
        self._save_lock = threading.Lock()
        #: The instances' Bolt endpoint (TLS, loopback only), serving while the simulator does;
        #: ``None`` without the ``driver`` extra (trustme makes its certificates).
        self.bolt = BoltServer(self.world) if BoltServer else None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if self.state_file and os.path.exists(self.state_file):
            with open(self.state_file, encoding="utf-8") as f:
                self.world.load_state(json.load(f))
            if self.world.account_kind != account:
                raise ValueError(f"{self.state_file} holds a world of account "
                                 f"{self.world.account_kind or 'default'}, not "
                                 f"{account or 'default'}; start with that account or remove "
                                 "the file")

    def __repr__(self):
        where = self.base_url if self._server else "not started"
        return f"<Simulator {where} client_id={self.client_id!r} seed={self.seed}>"

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> "Simulator":
        """Bind and serve in a background thread; returns ``self`` once it accepts requests.

        Raises RuntimeError if already started, OSError if the address cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("this simulator is already running")
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        if self.bolt:
            self.bolt.start()
        admin.register(self.port, self.admin_token)
        if self.admin_token_file:
            admin.write_token(self.admin_token_file, self.admin_token)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="aura-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, join the threads, save the state file."""
        server, self._server = self._server, None
        if server is None:
            return
        stopper = threading.Thread(target=server.shutdown, name="aura-simulator-stop")
        stopper.start()
        try:        # wake the serve loop now rather than at its next poll
            socket.create_connection(server.server_address[:2], timeout=1).close()
        except OSError:
            pass
        stopper.join()
        server.server_close()
        server.connections.end_all()
        self._thread.join()
        self._thread = None
        if self.bolt:
            self.bolt.stop()
        admin.unregister(self.port)
        if self.admin_token_file:
            self.admin_token_file.unlink(missing_ok=True)
        self.save_state()

    def __enter__(self) -> "Simulator":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``: the API host; the token URL is ``/oauth/token``, the API ``/v1``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- controls (also reachable over HTTP under /_simulator/) ---------------------------

    def advance(self, seconds: float) -> float:
        """Move the virtual clock forward; returns the new virtual time (POSIX seconds)."""
        now = self.clock.advance(seconds)
        self.save_state()
        return now

    def set_faults(self, **settings) -> dict:
        """Change fault injection (keys: error_rate, rate_429, drop_rate, latency, script).

        Returns the whole configuration. Raises ValueError for a bad setting.
        """
        return self.faults.update(**settings)

    def reset(self) -> None:
        """Back to the seeded world at the starting time; counters and rate limits zeroed."""
        with self.world.lock:
            self.world.reset()
            self.clock.reset()
        self.stats.reset()
        self.world.tokens_issued = 0
        self.rate_limiter.reset()
        self.token_limit.reset()
        self.secret_guard.reset()
        self.save_state()

    def stats_snapshot(self) -> dict:
        """What ``GET /_simulator/stats`` returns."""
        snapshot = self.stats.snapshot()
        snapshot["tokens_issued"] = self.world.tokens_issued
        return snapshot

    def request_log(self) -> list[dict]:
        """The API requests received, oldest first, as they arrived (method, path, status,
        User-Agent, Content-Type, the Authorization scheme; never a secret): tests compare it
        with what a notebook displayed. See `app.Stats.request_log`."""
        return self.stats.request_log()

    def issued_secrets(self) -> dict:
        """Every secret this process handed out or accepts (for secret-scan tests only)."""
        with self.world.lock:
            return {"client_secrets": [secret for secret, _ in self._credentials.values()],
                    "admin_tokens": [self.admin_token],
                    "access_tokens": list(self.world.issued_tokens),
                    "passwords": list(self.world.issued_passwords)}

    # -- helpers for the HTTP layer -------------------------------------------------------

    def role_for_credentials(self, client_id, client_secret) -> str | None:
        """The world role of a client id/secret pair, or ``None`` if they are wrong."""
        entry = self._credentials.get(client_id)
        if entry is None or not isinstance(client_secret, str):
            return None
        secret, role = entry
        return role if admin.secrets_equal(secret, client_secret) else None

    def accepts_host(self, name: str, port: int) -> bool:
        """Whether a request for ``name:port`` (from ``Host`` or ``Origin``) is meant for us."""
        name = name.lower().rstrip(".")
        if port == self.port and (name == self.host.lower() or is_loopback_host(name)
                                  or name in self.public_hosts):
            return True
        return f"{name}:{port}" in self.public_hosts

    def client_id_for(self, role: str) -> str:
        """The client id that owns ``role`` (rate limits are per client id)."""
        for client_id, (_, owner) in self._credentials.items():
            if owner == role:
                return client_id
        return role

    def save_state(self) -> None:
        """Write the state file, if there is one (atomic replace)."""
        if self.state_file:
            with self._save_lock:
                self.world.save(self.state_file)


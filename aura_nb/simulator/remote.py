"""Drive a running simulator's admin surface (``/_simulator/...``) over HTTP.

Notebooks run in their own kernel, so they cannot reach the `Simulator` object that the test
session or ``./dev lab`` started; they reach its admin surface instead::

    from aura_nb.simulator.remote import SimulatorAdmin
    sim = SimulatorAdmin(client.base_url)      # raises NotASimulator for the real API
    with sim.faults(script=[{"method": "POST", "path": "/v1/instances",
                             "action": "lose_response"}]):
        ...                                     # faults are switched off again on leaving
    sim.advance(3600)                           # move the virtual clock one hour on

Every request carries the simulator's admin token, found by
:func:`aura_nb.simulator.admin.find_token` unless given as ``token=``.

Like the rest of this package it imports nothing from aura_nb outside ``simulator/`` (it stands
for the service's operator console, not for the client).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator
from urllib.parse import urlsplit

import requests

from . import admin
from .loopback import is_loopback_host

__all__ = ["SimulatorAdmin", "NotASimulator", "FAULTS_OFF"]

#: The fault settings of a well-behaved simulator.
FAULTS_OFF = {"error_rate": 0.0, "rate_429": 0.0, "drop_rate": 0.0, "latency": 0.0, "script": []}


class NotASimulator(ValueError):
    """Raised when the base URL is not a local simulator (its host is not a loopback address,
    or nothing there answers ``GET /_simulator/health``)."""


class SimulatorAdmin:
    """The admin surface of the simulator at ``base_url`` (``http://127.0.0.1:PORT``).

    Raises `NotASimulator` at once when the host is not a loopback address: the real Aura API
    has no such surface, and nothing here may ever be sent to it. Each method sends one request
    and raises ``requests.HTTPError`` when the simulator refuses it (a bad fault setting, say, or
    no admin token found: give ``token=`` or set ``AURA_SIMULATOR_ADMIN_TOKEN``).
    """

    def __init__(self, base_url: str, timeout: float = 10.0, token: str | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not is_loopback_host(parts.hostname or ""):
            raise NotASimulator(
                f"{parts.scheme}://{parts.netloc} is not a local simulator: faults and the clock "
                "exist only in simulator mode (unset AURA_CLIENT_ID/AURA_CLIENT_SECRET to use it)")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False     # loopback only: never through a proxy
        self._session.headers[admin.HEADER] = token or admin.find_token(parts.port) or ""

    def __repr__(self) -> str:
        return f"SimulatorAdmin({self.base_url!r})"

    def close(self) -> None:
        """Close the keep-alive connection."""
        self._session.close()

    def __enter__(self) -> "SimulatorAdmin":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, name: str, body: dict | None = None) -> Any:
        try:
            response = self._session.request(method, f"{self.base_url}/_simulator/{name}",
                                             json=body, timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise NotASimulator(f"no simulator answers at {self.base_url} "
                                f"({type(exc).__name__}); is it running?") from None
        if response.status_code == 404 and name == "health":
            raise NotASimulator(f"{self.base_url} answers, but not as an Aura API simulator")
        if response.status_code == 403 and "admin-token-required" in response.text:
            raise requests.HTTPError(
                f"the simulator at {self.base_url} refused its admin surface: no valid admin "
                f"token; pass token=, set {admin.ENV_VAR}, or set AURA_NB_HOME to the folder "
                f"holding {admin.token_file(urlsplit(self.base_url).port).name}",
                response=response)
        response.raise_for_status()
        return response.json()

    def health(self) -> dict:
        """``GET /_simulator/health``: ``{"status": "ok", "base_url": …, "now": …}``."""
        return self._call("GET", "health")

    def stats(self) -> dict:
        """``GET /_simulator/stats``: request counts per method and route, responses per status,
        tokens issued."""
        return self._call("GET", "stats")

    def now(self) -> str:
        """The simulator's virtual time, RFC 3339 (``GET /_simulator/clock``)."""
        return self._call("GET", "clock")["now"]

    def speed(self) -> float:
        """Virtual seconds per real second (``GET /_simulator/clock``)."""
        return float(self._call("GET", "clock")["speed"])

    def advance(self, seconds: float) -> str:
        """Move the virtual clock forward (``POST /_simulator/clock``); returns the new time.
        Operations in flight finish, tokens expire, rate-limit windows pass."""
        return self._call("POST", "clock", {"advance": seconds})["now"]

    def set_faults(self, **settings: Any) -> dict:
        """Change fault settings (``POST /_simulator/faults``): ``error_rate``, ``rate_429``,
        ``drop_rate`` (probabilities), ``latency`` (seconds), ``script`` (one-off faults, see
        docs/DESIGN.md). Returns the whole configuration."""
        return self._call("POST", "faults", settings)

    def clear_faults(self) -> dict:
        """Switch every fault off (including scripted ones not yet used up)."""
        return self.set_faults(**FAULTS_OFF)

    @contextlib.contextmanager
    def faults(self, **settings: Any) -> Iterator[dict]:
        """``with sim.faults(rate_429=0.5): ...``: faults on inside the block, all off after it
        (also when the block raises, as cells teaching an error do)."""
        try:
            yield self.set_faults(**settings)
        finally:
            self.clear_faults()

    def bolt_log(self, instance_id: str) -> list[dict]:
        """``GET /_simulator/bolt-log/ID``: who connected to the instance over Bolt, the
        statements they ran and whether each succeeded, oldest first (never a password)."""
        return self._call("GET", f"bolt-log/{instance_id}")

    def issued_secrets(self) -> dict:
        """``GET /_simulator/secrets``: every client secret, access token and password the
        simulator issued. For secret-scan tests only: never print it."""
        return self._call("GET", "secrets")

"""Driving and reading a simulator in tests: a plain-requests caller, the command line, error
checks, request counts and the world's instances.

The contract tests talk HTTP with ``requests`` only (never aura_nb's own client): they check the
simulator against the documented API, the way any outside client would see it. The other folders
read what a simulator served (`requests_made`) and holds (`instances_named`, `prefixed`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from aura_nb.simulator import Simulator

#: The header that carries a simulator's admin token on ``/_simulator/`` requests.
ADMIN_HEADER = "X-Simulator-Admin-Token"
CLIENT = ("simulator-client", "simulator-secret")
OTHER = ("other-client", "other-secret")


def requests_made(sim: Simulator) -> Counter:
    """Requests the simulator has served, by ``"METHOD /template"`` (0 for a route never asked)."""
    return Counter(sim.stats_snapshot()["requests"])


def instances_named(sim: Simulator, name: str) -> list:
    """The simulator's instances with this name (read from its world, not over HTTP)."""
    with sim.world.lock:
        return [i for i in sim.world.instances.values() if i.name == name]


def prefixed(sim: Simulator, prefix: str) -> list:
    """The simulator's instances whose name starts with ``<prefix>-``, each with its status
    settled as a GET would see it (an instance whose deletion has finished is left out)."""
    with sim.world.lock:
        named = [i for i in sim.world.instances.values() if i.name.startswith(prefix + "-")]
        return [i for i in named if sim.world.status_since(i.id) is not None]


def fetch_token(base_url: str, credentials=CLIENT) -> str:
    """POST /oauth/token with Basic auth and the client-credentials form."""
    r = requests.post(f"{base_url}/oauth/token", auth=credentials,
                      data={"grant_type": "client_credentials"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def admin(sim: Simulator, method: str, name: str, **kw) -> requests.Response:
    """``METHOD /_simulator/NAME`` with the simulator's admin token."""
    return requests.request(method, f"{sim.base_url}/_simulator/{name}", timeout=10,
                            headers={ADMIN_HEADER: sim.admin_token}, **kw)


class Api:
    """A keep-alive ``requests.Session`` holding a bearer token for one client."""

    def __init__(self, sim: Simulator, credentials=CLIENT):
        self.sim = sim
        self.base = sim.base_url
        self.credentials = credentials
        self.session = requests.Session()
        self.renew()

    def renew(self) -> None:
        """Fetch a new token (after moving the clock past the old one's lifetime)."""
        self.token = fetch_token(self.base, self.credentials)
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def get(self, path, **kw):
        return self.session.get(self.base + path, timeout=10, **kw)

    def post(self, path, body=None, **kw):
        """POST with a JSON body (``{}`` by default, as clients send for body-less actions)."""
        if "data" not in kw:
            kw["json"] = {} if body is None else body
        return self.session.post(self.base + path, timeout=10, **kw)

    def patch(self, path, body, **kw):
        return self.session.patch(self.base + path, json=body, timeout=10, **kw)

    def delete(self, path, **kw):
        return self.session.delete(self.base + path, timeout=10, **kw)

    def tenant_id(self, name: str) -> str:
        """The id of the caller's tenant called ``name``."""
        tenants = self.get("/v1/tenants").json()["data"]
        return next(t["id"] for t in tenants if t["name"] == name)

    def create(self, **fields) -> dict:
        """Create a professional-db in Learning Project (fields override); returns the 202 data."""
        body = {"name": "test-db", "tenant_id": self.tenant_id("Learning Project"),
                "type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
                "memory": "2GB", "version": "5"}
        body.update(fields)
        r = self.post("/v1/instances", body)
        assert r.status_code == 202, r.text
        return r.json()["data"]

    def status(self, instance_id: str) -> str:
        return self.get(f"/v1/instances/{instance_id}").json()["data"]["status"]

    def running(self, **fields) -> dict:
        """Create an instance and move the clock until it is running; returns the 202 data."""
        created = self.create(**fields)
        self.finish(created["id"])
        assert self.status(created["id"]) == "running"
        return created

    def finish(self, instance_id: str) -> None:
        """Advance the virtual clock to the end of the instance's current operation."""
        end = self.sim.world.transition_end(instance_id)
        if end is not None:
            self.sim.advance(max(0.0, end - self.sim.clock.now()) + 0.01)


def error_of(response) -> dict:
    """The first entry of a standard v1 error body (asserting that shape)."""
    body = response.json()
    assert set(body) == {"errors"}, body
    assert {"message", "reason"} <= set(body["errors"][0]), body
    return body["errors"][0]


LINE = re.compile(r"Aura API simulator listening on (http://127\.0\.0\.1:(\d+)) "
                  r"\(client id simulator-client, seed 0, speed 1\); admin token in (\S+)\n")


def cli_env(home=None, **extra) -> dict:
    """The environment for a child simulator: its own ``AURA_NB_HOME`` (the token file goes
    there), never the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env["AURA_NB_HOME"] = str(home or tempfile.mkdtemp(prefix="aura-sim-cli-"))
    return {**env, **extra}


class Cli:
    """``python -m aura_nb.simulator`` as a child process; ``token`` is its admin token."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen([sys.executable, "-m", "aura_nb.simulator", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env or cli_env())
        self.line = self.proc.stdout.readline()
        match = LINE.fullmatch(self.line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"unexpected first line {self.line!r}: {self.proc.stderr.read()}")
        self.base = match.group(1)
        self.token_file = Path(match.group(3))
        self.token = self.token_file.read_text().strip()

    def stop(self, signum=signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, self.line + out, err


def slow_requests(sim: Simulator, seconds: float, *, window: float = 0.3) -> None:
    """Every request arriving at ``sim`` within the next ``window`` real seconds is carried out
    ``seconds`` (real) after it arrives, and only then answered; later ones are not slowed."""
    sim.set_faults(latency=seconds)
    timer = threading.Timer(window, lambda: sim.set_faults(latency=0))
    timer.daemon = True
    timer.start()


def slow_create(sim: Simulator, seconds: float, monkeypatch: Any) -> None:
    """The next create any `AuraClient` of this process sends (a ``POST .../instances``) is
    carried out ``seconds`` (real) after it reaches ``sim``, and only then answered
    (`slow_requests` armed just as it leaves): a client that gives up on it first sees it
    listed late. Other requests are not slowed."""
    from aura_nb.core.transport import Transport

    real = Transport.exchange
    armed = [True]

    def exchange(self: Transport, method: str, url: str, path: str, **kwargs: Any) -> Any:
        if armed[0] and method == "POST" and path.endswith("/instances"):
            armed[0] = False
            slow_requests(sim, seconds, window=0.1)
        return real(self, method, url, path, **kwargs)

    monkeypatch.setattr(Transport, "exchange", exchange)

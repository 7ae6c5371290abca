"""Fixtures for workshop tests: a fast in-process simulator, a paced client, a roster.

The simulator runs ``SPEED`` times faster than the real service, so a creation (90-150 virtual
seconds) takes 1-1.5 real seconds; the client paces itself on the same scale (125 requests per
virtual minute) and polls on it.
"""

from __future__ import annotations

import pytest

from aura_nb import AuraClient
from aura_nb.simulator import Simulator

SPEED = 100.0
TENANT = "Workshop Project"


def make_client(sim: Simulator, tmp_path, **kwargs) -> AuraClient:
    """A client for ``sim`` with its own vault under ``tmp_path`` (pacing on the simulator's scale)."""
    return AuraClient(sim.client_id, sim.client_secret, sim.base_url, speed=SPEED, tenant=TENANT,
                      vault_dir=tmp_path / "vault", **kwargs)


def requests_made(sim: Simulator) -> dict[str, int]:
    """Requests the simulator has received, by ``METHOD /template``."""
    return dict(sim.stats_snapshot()["requests"])


def prefixed(sim: Simulator, prefix: str) -> list:
    """The simulator world's instances whose name starts with ``<prefix>-`` (status settled)."""
    with sim.world.lock:
        found = []
        for instance in list(sim.world.instances.values()):
            settled = sim.world._settle(instance)  # apply a finished transition, as a GET would
            if settled is not None and settled.name.startswith(prefix + "-"):
                found.append(settled)
        return found


@pytest.fixture
def sim():
    """A fresh simulator (seed 3, speed 100, rate limit 125/min virtual)."""
    with Simulator(seed=3, speed=SPEED, rate_limit=125) as simulator:
        yield simulator


@pytest.fixture
def home(tmp_path, monkeypatch):
    """``AURA_NB_HOME`` for the test: manifests and hand-outs land under it."""
    folder = tmp_path / "home"
    monkeypatch.setenv("AURA_NB_HOME", str(folder))
    return folder


@pytest.fixture
def client(sim, tmp_path, home):
    """A client for ``sim`` with a private vault."""
    with make_client(sim, tmp_path) as aura:
        yield aura


@pytest.fixture
def roster_file(tmp_path):
    """A roster CSV for ``n`` attendees: call ``roster_file(n)``; includes accents and a clash."""

    def write(n: int):
        names = ["Zoë Núñez", "Zoe Nunez"] + [f"Attendee {i:02d}" for i in range(n - 2)]
        path = tmp_path / f"roster-{n}.csv"
        lines = ["Attendee,Email"] + [f"{name},{i}@example.org" for i, name in enumerate(names[:n])]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write

"""Fixtures for workshop tests: a fast in-process simulator, a paced client, a roster (helpers
in ws_helpers.py)."""

from __future__ import annotations

import pytest
from ws_helpers import SPEED, TENANT, make_client

from aura_nb.simulator import Simulator


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


@pytest.fixture
def env(sim, tmp_path, home, monkeypatch):
    """Settings pointing the CLI at the test simulator, as an instructor's .env would."""
    monkeypatch.setenv("AURA_BASE_URL", sim.base_url)
    monkeypatch.setenv("AURA_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("AURA_TENANT", TENANT)
    monkeypatch.setenv("AURA_VAULT_DIR", str(tmp_path / "vault"))
    return sim

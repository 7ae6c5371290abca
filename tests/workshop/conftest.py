"""Fixtures for workshop tests: a client whose default tenant is the class's project, a home, a
roster, a provisioned class, the CLI's environment. The simulator is the shared ``sim`` (speed ``SPEED``, rate limit
125/min); the helpers are in `tests.helpers.workshop`."""

from __future__ import annotations

import pytest

from aura_nb.workshop import Workshop

from tests.helpers.workshop import CLIENT_SETTINGS, SPEC, TENANT


@pytest.fixture
def home(tmp_path, monkeypatch):
    """``AURA_NB_HOME`` for the test: manifests and hand-outs land under it."""
    folder = tmp_path / "home"
    monkeypatch.setenv("AURA_NB_HOME", str(folder))
    return folder


@pytest.fixture
def workshop_client(sim, make_client, home):
    """``make_client(sim, **CLIENT_SETTINGS)``: its default tenant is ``TENANT``; ``home`` set."""
    return make_client(sim, **CLIENT_SETTINGS)


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
def workshop(request, sim, workshop_client, roster_file):
    """A class provisioned without waiting, its creations done (the clock advanced 200 s); its
    prefix and size come from the test module's ``CLASS = (prefix, attendees)``."""
    prefix, size = request.module.CLASS
    ws = Workshop(workshop_client, prefix, retry_delay=0.05)
    ws.provision(roster_file(size), SPEC, wait=False)
    sim.advance(200)
    return ws


@pytest.fixture
def env(sim, tmp_path, home, monkeypatch):
    """Settings pointing the CLI at the test simulator, as an instructor's .env would."""
    monkeypatch.setenv("AURA_BASE_URL", sim.base_url)
    monkeypatch.setenv("AURA_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("AURA_TENANT", TENANT)
    monkeypatch.setenv("AURA_VAULT_DIR", str(tmp_path / "vault"))
    return sim

"""Shared fixtures for every test folder: an in-process simulator and clients for it.

Fixtures (all function-scoped; nothing here is autouse, so other folders are unaffected):

``simulator``
    A started `aura_nb.simulator.Simulator` (seed 0, speed ``SIM_SPEED``, default rate limit
    125/min, default token lifetime), stopped after the test.
``make_simulator(**kwargs)``
    Factory for simulators with other settings (``speed``, ``rate_limit``, ``token_ttl``,
    ``durations``, ``faults``...); each one is started now and stopped after the test.
``client``
    An `aura_nb.AuraClient` for ``simulator``: speed matched (so pacing and polling scale), the
    vault in a temporary folder, default rate limit.
``make_client(sim, **kwargs)``
    Factory for clients of any simulator (keyword arguments go to `AuraClient`).
``clean_env``
    Removes every ``AURA_*`` variable and changes to an empty temporary folder, so neither the
    developer's environment nor a ``.env`` file can leak into a test. Returns that folder.
``simulator_secrets``
    ``simulator_secrets(sim)`` -> set of every secret the simulator issued or accepts (client
    secrets, access tokens, instance passwords), read from ``GET /_simulator/secrets``, for
    tests that search outputs for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from aura_nb.client import AuraClient
from aura_nb.simulator import Simulator

#: Speed of the default test simulator: creating an instance (90-150 s) takes about 2-3 s.
SIM_SPEED = 50.0


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., Simulator]]:
    """Factory: ``make_simulator(**kwargs)`` starts a Simulator (defaults: seed 0,
    speed ``SIM_SPEED``) and stops it after the test."""
    started: list[Simulator] = []

    def make(**kwargs: Any) -> Simulator:
        kwargs.setdefault("seed", 0)
        kwargs.setdefault("speed", SIM_SPEED)
        sim = Simulator(**kwargs).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def simulator(make_simulator: Callable[..., Simulator]) -> Simulator:
    """A running simulator with default settings at speed ``SIM_SPEED``."""
    return make_simulator()


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., AuraClient]]:
    """Factory: ``make_client(sim, **kwargs)`` -> AuraClient for ``sim`` with its speed, its
    primary client id/secret and a vault in ``tmp_path / "vault"`` unless given otherwise in
    ``kwargs``. Closed after the test."""
    made: list[AuraClient] = []

    def make(sim: Simulator, **kwargs: Any) -> AuraClient:
        kwargs.setdefault("speed", sim.clock.speed)
        kwargs.setdefault("vault_dir", tmp_path / "vault")
        kwargs.setdefault("rate_limit", 125)
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("client_id", sim.client_id)
        kwargs.setdefault("client_secret", sim.client_secret)
        client = AuraClient(base_url=sim.base_url, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(simulator: Simulator, make_client: Callable[..., AuraClient]) -> AuraClient:
    """An AuraClient for the ``simulator`` fixture."""
    return make_client(simulator)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``AURA_*`` variables and an empty working folder (so no ``.env`` is found)."""
    for name in list(os.environ):
        if name.startswith("AURA_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def simulator_secrets() -> Callable[[Simulator], set[str]]:
    """``simulator_secrets(sim)``: every secret value the simulator issued or accepts."""

    def collect(sim: Simulator) -> set[str]:
        answer = requests.get(sim.base_url + "/_simulator/secrets", timeout=5,
                              headers={"X-Simulator-Admin-Token": sim.admin_token})
        answer.raise_for_status()
        data = answer.json()
        data = data.get("data", data)
        values: set[str] = set()
        for items in data.values():
            values.update(str(v) for v in items if v)
        return values

    return collect

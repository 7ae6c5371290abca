"""Shared fixtures for every test folder: in-process simulators and clients for them.

Every fixture name means the same thing in every folder (no folder redefines one of these); the
speeds are the constants of `tests.helpers` (``SPEED``, ``FAST``, ``REAL_TIME``). All are
function-scoped and none is autouse.

``sim``
    A started `aura_nb.simulator.Simulator`: seed 0, speed ``SPEED`` (a create takes 0.9-1.5 real
    seconds), default rate limit 125/min, default token lifetime. Stopped after the test.
``fast_sim``
    A started simulator at speed ``FAST`` with the rate limit off, for tests that only wait on
    lifecycles with pacing off (the magics).
``make_simulator(**kwargs)``
    Factory for simulators with other settings (``speed``, ``rate_limit``, ``token_ttl``,
    ``durations``, ``faults``...; defaults seed 0, speed ``SPEED``); each one is started now and
    stopped after the test.
``client``
    An `aura_nb.AuraClient` for ``sim``: ``make_client(sim)``.
``make_client(sim, **kwargs)``
    Factory for clients of any simulator: its speed (so pacing and polling scale), its primary
    client id and secret, the vault in ``tmp_path / "vault"``, rate limit 125/min, timeout 10 s;
    keyword arguments go to `AuraClient` and override these. Closed after the test.
``clean_env``
    Removes every ``AURA_*`` variable and changes to an empty temporary folder, so neither the
    developer's environment nor a ``.env`` file can leak into a test. Returns that folder.
``simulator_secrets``
    ``simulator_secrets(sim)`` -> set of every secret the simulator issued or accepts (client
    secrets, access tokens, instance passwords), read from ``GET /_simulator/secrets``, for
    tests that search outputs for them.
``vault_writes_fail(rescue=True)``
    From now on (until ``monkeypatch.undo()``) vault files cannot be written: ``os.replace``
    fails with "No space left on device", and with ``rescue=False`` so does creating a rescue
    file. The probe of ``Vault.check_writable`` still succeeds (the disk fills up later).
``trust_env``
    Puts ``SSL_CERT_FILE`` back after the test: `aura_nb.driver_options` names a file there
    that adds a simulator's CA to the process's default trust (the Bolt tests).

Folders add fixtures under names of their own (``manual_sim`` and ``api`` for the simulator's
contract tests, ``workshop_client`` for the workshop, ``aura_sim`` for the magics...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from aura_nb.core.client import AuraClient
from aura_nb.simulator import Simulator

from tests.helpers import FAST, SPEED


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., Simulator]]:
    """Factory: ``make_simulator(**kwargs)`` starts a Simulator (defaults: seed 0,
    speed ``SPEED``) and stops it after the test."""
    started: list[Simulator] = []

    def make(**kwargs: Any) -> Simulator:
        kwargs.setdefault("seed", 0)
        kwargs.setdefault("speed", SPEED)
        sim = Simulator(**kwargs).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_simulator: Callable[..., Simulator]) -> Simulator:
    """A running simulator with default settings at speed ``SPEED``."""
    return make_simulator()


@pytest.fixture
def fast_sim(make_simulator: Callable[..., Simulator]) -> Simulator:
    """A running simulator at speed ``FAST`` without rate limit."""
    return make_simulator(speed=FAST, rate_limit=0)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., AuraClient]]:
    """Factory: ``make_client(sim, **kwargs)`` -> AuraClient for ``sim`` with its speed, its
    primary client id/secret, a vault in ``tmp_path / "vault"`` and a create intent journal in
    ``tmp_path / "intents"`` unless given otherwise in
    ``kwargs``. Closed after the test."""
    made: list[AuraClient] = []

    def make(sim: Simulator, **kwargs: Any) -> AuraClient:
        kwargs.setdefault("speed", sim.clock.speed)
        kwargs.setdefault("vault_dir", tmp_path / "vault")
        kwargs.setdefault("journal_dir", tmp_path / "intents")  # a simulator's port is reused
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
def client(sim: Simulator, make_client: Callable[..., AuraClient]) -> AuraClient:
    """An AuraClient for the ``sim`` fixture."""
    return make_client(sim)


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


@pytest.fixture
def vault_writes_fail(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``vault_writes_fail(rescue=True)``: make vault writes fail from now on (see module doc)."""
    real_open = os.open

    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    def no_rescue(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if "rescued" in str(path):
            no_space()
        return real_open(path, flags, *args, **kwargs)

    def apply(rescue: bool = True) -> None:
        monkeypatch.setattr(os, "replace", no_space)
        if not rescue:
            monkeypatch.setattr(os, "open", no_rescue)

    return apply


@pytest.fixture
def trust_env(monkeypatch):
    """Whatever `aura_nb.driver_options` does to ``SSL_CERT_FILE`` (it names a file that adds a
    simulator's CA) is undone after the test."""
    monkeypatch.setenv("SSL_CERT_FILE", os.environ.get("SSL_CERT_FILE", ""))
    if not os.environ["SSL_CERT_FILE"]:
        monkeypatch.delenv("SSL_CERT_FILE")

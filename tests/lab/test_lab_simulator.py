"""The simulator that ``python -m aura_nb.lab`` starts: its account kind and client secret follow
the same settings the kernels are given (started for real, without JupyterLab)."""

from __future__ import annotations

import requests

from aura_nb.core import config
from aura_nb import lab
from aura_nb.simulator import admin


def _projects(url: str, client_id: str, secret: str) -> list[dict]:
    token = requests.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(client_id, secret), timeout=5)
    token.raise_for_status()
    answer = requests.get(f"{url}/v1/tenants", timeout=5,
                          headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    answer.raise_for_status()
    return answer.json()["data"]


def _run(home, account):
    proc, url = lab.start_simulator(home, 10, account)
    try:
        # Kernels get AURA_NB_HOME=home, where the admin token lies for the simulator's port.
        admin_token = admin.token_file(int(url.rsplit(":", 1)[1]), home).read_text().strip()
        clock = requests.get(f"{url}/_simulator/clock", timeout=5,
                             headers={admin.HEADER: admin_token})
        assert clock.status_code == 200
        return proc, url, _projects(url, *lab.simulator_client())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_account_from_dotenv_reaches_the_simulator(tmp_path, monkeypatch):
    monkeypatch.delenv("AURA_SIMULATOR_ACCOUNT", raising=False)
    monkeypatch.delenv("AURA_SIMULATOR_CLIENT_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AURA_SIMULATOR_ACCOUNT=Free\n")
    account = config.simulator_account()
    assert account == "free"
    _, _, free = _run(tmp_path / "free", account)
    _, _, default = _run(tmp_path / "default", None)
    assert len(free) == 1 and len(default) > 1


def test_kernels_get_the_secret_the_simulator_accepts(tmp_path, monkeypatch):
    monkeypatch.setenv("AURA_SIMULATOR_CLIENT_SECRET", "room-secret-42")
    monkeypatch.delenv("AURA_SIMULATOR_ACCOUNT", raising=False)
    assert lab.simulator_client() == ("simulator-client", "room-secret-42")
    _run(tmp_path, None)  # raises if the token request is refused

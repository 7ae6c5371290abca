"""The simulator's request log: what each API request was, as it arrived, never a secret."""

from __future__ import annotations

import requests


def test_the_log_keeps_each_api_request_with_its_agent_and_no_secret(sim):
    answer = requests.post(f"{sim.base_url}/oauth/token", auth=(sim.client_id, sim.client_secret),
                           data={"grant_type": "client_credentials"}, timeout=10)
    token = answer.json()["access_token"]
    requests.get(f"{sim.base_url}/v1/tenants?x=1", headers={"Authorization": f"Bearer {token}",
                                                             "User-Agent": "aura_nb/test"}, timeout=10)
    requests.get(f"{sim.base_url}/_simulator/health", timeout=10)  # the admin surface: not logged
    log = sim.request_log()
    assert [(e["method"], e["path"], e["status"], e["authorization"]) for e in log] == [
        ("POST", "/oauth/token", 200, "Basic"), ("GET", "/v1/tenants?x=1", 200, "Bearer")]
    assert log[0]["user_agent"].startswith("python-requests/")
    assert log[0]["content_type"] == "application/x-www-form-urlencoded"
    assert log[1]["user_agent"] == "aura_nb/test"
    assert token not in repr(log) and sim.client_secret not in repr(log)


def test_an_answer_lost_on_purpose_is_logged_without_a_status(sim):
    sim.set_faults(script=[{"method": "GET", "path": "/v1/tenants", "action": "drop"}])
    try:
        requests.get(f"{sim.base_url}/v1/tenants", timeout=10)
    except requests.ConnectionError:
        pass
    assert sim.request_log()[-1]["status"] is None

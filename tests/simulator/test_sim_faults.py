"""Fault injection: random 5xx/429/drops, latency, scripted one-offs, and the admin controls."""

import time

import pytest
import requests

from aura_nb.simulator import Simulator
from aura_nb.simulator.faults import parse_spec

from tests.helpers.simulator import Api, admin, error_of


def create_body(api):
    return {"name": "faulty", "tenant_id": api.tenant_id("Learning Project"),
            "type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
            "memory": "2GB", "version": "5"}


def test_error_rate_answers_a_mix_of_5xx_without_doing_the_work(api, manual_sim):
    body = create_body(api)
    manual_sim.set_faults(error_rate=1.0)
    answers = [api.post("/v1/instances", body) for _ in range(40)]
    assert {r.status_code for r in answers} == {500, 502, 503, 504}
    assert all(error_of(r)["reason"] == "simulated-fault" for r in answers)
    manual_sim.set_faults(error_rate=0)
    assert api.get("/v1/instances").json()["data"] == []


def test_rate_429_fault_carries_retry_after(api, manual_sim):
    manual_sim.set_faults(rate_429=1.0)
    r = api.get("/v1/tenants")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_drop_rate_closes_the_connection_unanswered(api, manual_sim):
    manual_sim.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.get("/v1/tenants")
    manual_sim.set_faults(drop_rate=0.0)
    assert api.get("/v1/tenants").status_code == 200


def test_latency_is_added_in_real_seconds(api, manual_sim):
    manual_sim.set_faults(latency=0.3)
    started = time.monotonic()
    assert api.get("/v1/tenants").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_random_faults_are_seeded_and_partial():
    def pattern(seed):
        with Simulator(seed=seed, rate_limit=0) as sim:
            caller = Api(sim)
            sim.set_faults(error_rate=0.3)
            return [caller.get("/v1/tenants").status_code for _ in range(40)]
    first = pattern(7)
    assert 200 in first and any(code >= 500 for code in first)
    assert pattern(7) == first
    assert pattern(8) != first


def test_lose_response_does_the_work_but_never_answers(api, manual_sim):
    manual_sim.set_faults(script=[{"method": "POST", "path": "/v1/instances",
                            "action": "lose_response"}])
    with pytest.raises(requests.ConnectionError):
        api.post("/v1/instances", create_body(api))
    created = api.get("/v1/instances").json()["data"]
    assert [i["name"] for i in created] == ["faulty"]           # it exists all the same
    assert api.post("/v1/instances", create_body(api)).status_code == 202   # used up
    assert manual_sim.faults.to_dict()["script"] == []


def test_scripted_status_and_drop_do_no_work_and_count_down(api, manual_sim):
    iid = api.running()["id"]
    manual_sim.set_faults(script=[
        {"method": "POST", "path": "/v1/instances/{instanceId}/pause", "action": "status",
         "status": 503, "times": 2},
        {"method": "DELETE", "path": f"/v1/instances/{iid}", "action": "drop"},
    ])
    assert api.post(f"/v1/instances/{iid}/pause").status_code == 503
    assert api.post(f"/v1/instances/{iid}/pause").status_code == 503
    assert api.status(iid) == "running"
    with pytest.raises(requests.ConnectionError):
        api.delete(f"/v1/instances/{iid}")
    assert api.status(iid) == "running"
    assert api.post(f"/v1/instances/{iid}/pause").status_code == 202


def test_token_endpoint_can_fail_too(manual_sim):
    manual_sim.set_faults(script=[{"method": "POST", "path": "/oauth/token", "action": "status",
                            "status": 502}])
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=("simulator-client", "simulator-secret"),
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 502
    assert manual_sim.world.tokens_issued == 0


def test_faults_never_touch_the_admin_surface(manual_sim):
    manual_sim.set_faults(error_rate=1.0, drop_rate=1.0)
    for path in ("health", "stats", "faults", "secrets", "clock"):
        assert admin(manual_sim, "GET", path).status_code == 200


def test_faults_can_be_changed_over_http(api, manual_sim):
    r = admin(manual_sim, "POST", "faults", json={"error_rate": 1.0})
    assert r.status_code == 200 and r.json()["error_rate"] == 1.0
    assert api.get("/v1/tenants").status_code >= 500
    assert admin(manual_sim, "GET", "faults").json()["error_rate"] == 1.0
    assert admin(manual_sim, "POST", "faults", json={"error_rate": 0}).json()["error_rate"] == 0
    for bad in [{"error_rate": 2}, {"nonsense": 1}, {"script": [{"method": "GET"}]},
                {"latency": -1}, {"script": [{"method": "GET", "path": "/v1/tenants",
                                              "action": "explode"}]}]:
        r = admin(manual_sim, "POST", "faults", json=bad)
        assert r.status_code == 400, bad
        assert r.json()["errors"][0]["message"]
    assert api.get("/v1/tenants").status_code == 200


def test_cli_fault_spec_parsing():
    settings = parse_spec("5xx=0.05,429=0.02,drop=0.01,latency=0.2,lose=POST /v1/instances,"
                          "fail=503 GET /v1/tenants")
    assert settings["error_rate"] == 0.05 and settings["rate_429"] == 0.02
    assert settings["drop_rate"] == 0.01 and settings["latency"] == 0.2
    assert settings["script"] == [
        {"method": "POST", "path": "/v1/instances", "action": "lose_response"},
        {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 503}]
    for bad in ["5xx", "5xx=lots", "5xx=3", "frobnicate=1", "fail=abc GET /x"]:
        with pytest.raises(ValueError):
            parse_spec(bad)
    with Simulator(rate_limit=0, faults="fail=418 GET /v1/tenants") as sim:
        assert Api(sim).get("/v1/tenants").status_code == 418


def test_a_scripted_4xx_is_not_called_a_server_error(api, manual_sim):
    manual_sim.set_faults(script=[{"method": "GET", "path": "/v1/tenants", "action": "status",
                            "status": 403},
                           {"method": "GET", "path": "/v1/tenants", "action": "status",
                            "status": 502}])
    forbidden = api.get("/v1/tenants")
    assert forbidden.status_code == 403
    assert "server error" not in error_of(forbidden)["message"]
    bad_gateway = api.get("/v1/tenants")
    assert bad_gateway.status_code == 502
    assert "server error" in error_of(bad_gateway)["message"]

"""The admin surface under /_simulator/ and the in-process Simulator's own life cycle."""

import threading

import pytest
import requests

from aura_nb.simulator import Simulator

from tests.helpers.simulator import Api, admin


def test_health(manual_sim):
    body = admin(manual_sim, "GET", "health").json()
    assert body["status"] == "ok" and body["base_url"] == manual_sim.base_url


def test_stats_count_requests_by_route_and_responses_by_status(api, manual_sim):
    iid = api.create()["id"]
    api.get(f"/v1/instances/{iid}")
    api.get(f"/v1/instances/{iid}")
    api.get("/v1/instances/deadbeef")
    stats = admin(manual_sim, "GET", "stats").json()
    assert stats["requests"]["GET /v1/instances/{instanceId}"] == 3
    assert stats["requests"]["POST /oauth/token"] == 1
    assert stats["requests"]["POST /v1/instances"] == 1
    assert stats["responses"]["404"] == 1 and stats["responses"]["202"] == 1
    assert stats["tokens_issued"] == 1
    assert not any(key.startswith("GET /_simulator") for key in stats["requests"])


def test_reset_restores_the_seeded_world_but_keeps_tokens_valid(api, manual_sim):
    tenants_before = api.get("/v1/tenants").json()["data"]
    api.create()
    manual_sim.advance(5000)
    api.renew()
    r = admin(manual_sim, "POST", "reset")
    assert r.status_code == 200 and r.json()["now"] == "2025-06-02T09:00:00Z"
    assert api.get("/v1/instances").json()["data"] == []
    assert api.get("/v1/tenants").json()["data"] == tenants_before
    stats = admin(manual_sim, "GET", "stats").json()
    assert stats["tokens_issued"] == 0
    assert stats["requests"] == {"GET /v1/instances": 1, "GET /v1/tenants": 1}


def test_clock_advance_over_http(api, manual_sim):
    iid = api.create()["id"]
    r = admin(manual_sim, "POST", "clock", json={"advance": 600})
    assert r.status_code == 200 and r.json()["now"].startswith("2025-06-02T09:10:")
    assert api.status(iid) == "running"
    assert admin(manual_sim, "GET", "clock").json()["now"].startswith("2025-06-02T09:10:")
    for bad in [{"advance": -1}, {"advance": "soon"}, {"advance": True}]:
        assert admin(manual_sim, "POST", "clock", json=bad).status_code == 400
    assert admin(manual_sim, "POST", "clock", data="{").status_code == 400


def test_secrets_lists_what_was_issued(api, manual_sim):
    created = api.create()
    secrets = admin(manual_sim, "GET", "secrets").json()
    assert secrets["passwords"] == [created["password"]]
    assert secrets["access_tokens"] == [api.token]
    assert "simulator-secret" in secrets["client_secrets"]


def test_unknown_admin_paths_and_methods(manual_sim):
    assert admin(manual_sim, "GET", "nope").status_code == 404
    assert admin(manual_sim, "DELETE", "stats").status_code == 405
    assert admin(manual_sim, "GET", "reset").status_code == 405


def test_stop_leaves_no_thread_behind_even_with_open_keep_alive_connections():
    before = set(threading.enumerate())
    sim = Simulator(rate_limit=0).start()
    callers = [Api(sim) for _ in range(3)]
    for caller in callers:
        assert caller.get("/v1/tenants").status_code == 200     # connections stay open
    assert len(set(threading.enumerate()) - before) >= 4
    sim.stop()
    assert set(threading.enumerate()) - before == set()
    sim.stop()                                                  # a second stop is harmless
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sim.base_url}/_simulator/health", timeout=2)


def test_start_twice_is_refused_and_repr_shows_no_secret():
    with Simulator(client_secret="hush-hush-value") as sim:
        with pytest.raises(RuntimeError):
            sim.start()
        assert "hush-hush-value" not in repr(sim) and sim.base_url in repr(sim)


@pytest.mark.parametrize("kwargs", [{"speed": 0}, {"speed": -2}, {"rate_limit": -1},
                                    {"token_ttl": 0}, {"client_secret": ""}, {"port": 70000},
                                    {"faults": {"error_rate": 5}}, {"faults": "drop=x"}])
def test_bad_settings_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        Simulator(**kwargs)

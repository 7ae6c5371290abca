"""aura_nb.teaching.capture: the learner's ``requests`` traffic seen at ``HTTPAdapter.send``."""

from __future__ import annotations

import pytest
import requests

from aura_nb.teaching import capture


def test_a_recording_gets_the_learners_exchanges_and_counts_the_kits(sim, client):
    with capture.recording("yours") as rec:
        requests.post(f"{sim.base_url}/oauth/token", auth=(sim.client_id, sim.client_secret),
                      data={"grant_type": "client_credentials"}, timeout=10)
        client.list_tenants()  # the kit's own: counted, never recorded
        requests.get(f"{sim.base_url}/_simulator/health", timeout=10)  # not the API: left out
    assert [(e.method, e.status) for e in rec.exchanges] == [("POST", 200)]
    assert rec.exchanges[0].request_body == {"grant_type": "client_credentials"}
    assert rec.exchanges[0].response_body["access_token"] == "<redacted>"
    assert rec.kit_requests == 2  # its token, then GET /v1/tenants


def test_outside_a_recording_the_exchange_waits_for_the_cell_and_show_takes_its_own(sim):
    capture.install()
    capture.take_pending()
    first = requests.get(f"{sim.base_url}/v1/tenants", timeout=10)
    second = requests.get(f"{sim.base_url}/v1/instances", timeout=10)
    assert capture.take_response(second).url.endswith("/v1/instances")
    assert [e.url.rsplit("/", 1)[1] for e in capture.take_pending()] == ["tenants"]
    assert capture.take_response(first) is None and capture.take_pending() == []


def test_a_streamed_answer_is_left_for_its_reader(sim):
    with capture.recording("yours") as rec:
        answer = requests.get(f"{sim.base_url}/v1/tenants", stream=True, timeout=10)
        assert b"error" in b"".join(answer.iter_content(64))  # 401: still readable here
    assert rec.exchanges[0].status == 401 and rec.exchanges[0].response_body is None


def test_a_limit_stops_a_runaway_loop_even_through_except_exception(sim):
    def loop():
        while True:
            try:
                requests.get(f"{sim.base_url}/v1/tenants", timeout=10)
            except Exception:  # noqa: BLE001 - the learner's catch-all cannot swallow the stop
                pass

    with pytest.raises(capture.TooManyRequests), capture.recording("yours", limit=3) as rec:
        loop()
    assert len(rec.exchanges) == 3


def test_an_unanswered_request_is_recorded_with_its_error(sim):
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances", "action": "lose_response"}])
    with capture.recording("yours") as rec, pytest.raises(requests.ConnectionError):
        requests.post(f"{sim.base_url}/v1/instances", json={"name": "x"}, timeout=10)
    assert rec.exchanges[0].status is None and "ConnectionError" in rec.exchanges[0].error


def test_show_takes_the_exchange_of_this_answer_not_of_a_freed_one_at_the_same_address(sim):
    """Notebook 01's loop reassigns ``answer`` 16 times: CPython gives a new response the address
    of one freed before it, and ``show(answer)`` showed the first token's 200, not the 429."""
    capture.install()
    capture.take_pending()
    url = f"{sim.base_url}/v1/tenants"
    token = requests.post(f"{sim.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(sim.client_id, sim.client_secret), timeout=10).json()["access_token"]
    for _ in range(10):  # an address reuse is likely, not certain, in one round
        for _ in range(10):  # each pass frees the previous answer
            answer = requests.get(url, timeout=10)  # no token: 401
        del answer
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 200
        assert capture.take_response(answer).status == 200
    capture.take_pending()

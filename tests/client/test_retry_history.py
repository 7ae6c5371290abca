"""History shows every attempt urllib3 made: the answers it retried, then the one that counted.

A GET answered 503 is sent again inside urllib3; the learner reading ``client.history`` (and the
notebook layer built on it) must see each attempt in order, with its status or the reason it
got none, the headers that matter and the (redacted) bodies.
"""

from __future__ import annotations

from aura_nb.core.history import REDACTED


def script(sim, *entries):
    sim.set_faults(script=[dict(e) for e in entries])


def fresh(client) -> int:
    """Warm up (token fetched), then forget history; returns the request count so far."""
    client.list_tenants()
    client.history.clear()
    return client.request_count


def test_each_503_a_get_went_through_is_recorded_in_order(sim, client):
    sent = fresh(client)
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 503,
                 "times": 2})
    client.list_tenants()
    attempts = list(client.history)
    assert [(e.method, e.url.rsplit("/v1", 1)[1], e.status) for e in attempts] == [
        ("GET", "/tenants", 503), ("GET", "/tenants", 503), ("GET", "/tenants", 200)]
    assert client.request_count - sent == len(attempts)
    first = attempts[0]
    assert first.request_headers["Authorization"] == f"Bearer {REDACTED}"
    assert first.response_headers["Content-Type"].startswith("application/json")
    assert first.request_id and first.request_id != attempts[2].request_id
    assert first.response_body["errors"][0]["reason"] == "simulated-fault"
    assert isinstance(attempts[2].response_body["data"], list)


def test_a_dropped_get_is_recorded_as_no_answer_before_the_answer(sim, client):
    sent = fresh(client)
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "drop", "times": 1})
    client.list_tenants()
    dropped, answered = client.history
    assert dropped.status is None and answered.status == 200
    assert "closed before an answer arrived" in dropped.error
    assert dropped.error.endswith("(GET /v1/tenants)")
    assert "no answer" in repr(dropped)
    assert client.request_count - sent == 2


def test_a_429_that_was_waited_out_is_recorded_with_its_retry_after(sim, client):
    fresh(client)
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 429,
                 "times": 1})
    client.list_tenants()
    refused, answered = client.history
    assert (refused.status, answered.status) == (429, 200)
    assert refused.response_headers["Retry-After"] == "1"
    assert "X-Request-Id" in refused.response_headers


def test_a_retried_token_request_is_recorded_without_the_secret(sim, make_client):
    client = make_client(sim)
    script(sim, {"method": "POST", "path": "/oauth/token", "action": "status", "status": 503,
                 "times": 1})
    client.list_tenants()
    statuses = [(e.is_token_request, e.status) for e in client.history]
    assert statuses == [(True, 503), (True, 200), (False, 200)]
    retried = client.history[0]
    assert retried.request_headers["Authorization"] == f"Basic {REDACTED}"
    assert retried.request_body == {"grant_type": "client_credentials"}
    token = client.transport.tokens.current.access_token
    for exchange in client.history:
        text = str(exchange) + repr(exchange) + exchange.as_curl()
        assert sim.client_secret not in text and token not in text


def test_a_delete_retried_after_502_records_both_attempts(sim, client, make_spec):
    created = client.create_instance(make_spec("retried-delete"))
    sim.advance(200)  # past "creating": a delete is accepted now
    client.history.clear()
    script(sim, {"method": "DELETE", "path": "/v1/instances/{instanceId}", "action": "status",
                 "status": 502, "times": 1})
    client.delete_instance(created.id)
    assert [(e.method, e.status) for e in client.history] == [("DELETE", 502), ("DELETE", 202)]
    assert {e.url for e in client.history} == {f"{sim.base_url}/v1/instances/{created.id}"}

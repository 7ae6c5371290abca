"""Faults: 429 bursts, 5xx, dropped connections, timeouts, token expiry, lost create answers.

Whatever happens, a create is never sent twice unless the server refused it before doing
anything (429), so no duplicate instance can appear.
"""

from __future__ import annotations

import pytest

from aura_nb.core.errors import (
    AuthenticationFailed,
    CreateResponseLost,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)

from tests.helpers import SPEED
from tests.helpers.clock import ManualClock
from tests.helpers.simulator import instances_named, requests_made


def script(sim, *entries):
    sim.set_faults(script=[dict(e) for e in entries])


def test_get_is_retried_through_a_429_burst(sim, client):
    client.list_tenants()
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 429,
                       "times": 2})
    assert len(client.list_tenants()) == 3
    assert requests_made(sim)["GET /v1/tenants"] == 4
    assert sim.stats_snapshot()["responses"]["429"] == 2


def test_create_refused_with_429_is_sent_again_and_creates_one_instance(sim, client,
                                                                        make_spec):
    spec = make_spec("after-429")
    client.find_tenant("Learning Project")
    script(sim, {"method": "POST", "path": "/v1/instances", "action": "status",
                       "status": 429, "times": 1})
    created = client.create_instance(spec)
    assert requests_made(sim)["POST /v1/instances"] == 2
    assert [i.id for i in instances_named(sim, "after-429")] == [created.id]


def test_post_429_gives_up_after_the_allowed_resends(sim, make_client, make_spec):
    client = make_client(sim, max_429_resends=0)
    created = client.create_instance(make_spec("first"))
    script(sim, {"method": "POST", "path": "/v1/instances/{instanceId}/pause",
                       "action": "status", "status": 429, "times": 1})
    with pytest.raises(RateLimited) as info:
        client.pause_instance(created.id)
    assert info.value.retry_after == 1
    assert str(info.value).startswith("429: API rate limit exceeded (POST /v1/instances/")


def test_get_is_retried_on_503_and_dropped_connections(sim, client):
    client.list_tenants()
    script(sim,
           {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 503, "times": 1},
           {"method": "GET", "path": "/v1/tenants", "action": "drop", "times": 1},
           {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 502, "times": 1})
    assert len(client.list_tenants()) == 3
    assert requests_made(sim)["GET /v1/tenants"] >= 4


def test_get_is_retried_on_500(sim, client):
    client.list_tenants()
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 500,
                       "times": 2})
    assert len(client.list_tenants()) == 3
    assert requests_made(sim)["GET /v1/tenants"] == 4


def test_get_500_gives_up_after_max_retries(sim, make_client):
    client = make_client(sim, max_retries=1)
    client.list_tenants()
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 500,
                       "times": 5})
    with pytest.raises(ServerError, match="500 simulated-fault"):
        client.list_tenants()
    assert requests_made(sim)["GET /v1/tenants"] == 3


def test_post_500_is_never_resent(sim, client, make_spec):
    created = client.create_instance(make_spec())
    sim.advance(200)
    script(sim, {"method": "POST", "path": "/v1/instances/{instanceId}/pause",
                       "action": "status", "status": 500, "times": 1})
    with pytest.raises(ServerError):
        client.pause_instance(created.id)
    assert requests_made(sim)["POST /v1/instances/{instanceId}/pause"] == 1


def test_post_5xx_is_never_resent(sim, client, make_spec):
    spec = make_spec("no-resend")
    client.find_tenant("Learning Project")
    script(sim, {"method": "POST", "path": "/v1/instances", "action": "status",
                       "status": 503, "times": 1})
    with pytest.raises(ServerError) as info:
        client.create_instance(spec)
    assert info.value.status_code == 503 and "(POST /v1/instances)" in str(info.value)
    assert requests_made(sim)["POST /v1/instances"] == 1
    assert instances_named(sim, "no-resend") == []


def test_dropped_connection_on_a_post_is_not_resent(sim, client, make_spec):
    created = client.create_instance(make_spec())
    sim.advance(200)
    script(sim, {"method": "POST", "path": "/v1/instances/{instanceId}/pause",
                       "action": "drop"})
    with pytest.raises(TransportError) as info:
        client.pause_instance(created.id)
    assert "closed before an answer" in str(info.value)
    assert f"(POST /v1/instances/{created.id}/pause)" in str(info.value)
    assert isinstance(info.value.__cause__, Exception)
    assert requests_made(sim)["POST /v1/instances/{instanceId}/pause"] == 1


def test_lost_create_answer_finds_the_instance_and_never_duplicates(sim, client,
                                                                    make_spec):
    spec = make_spec("lost-answer")
    client.find_tenant("Learning Project")
    script(sim, {"method": "POST", "path": "/v1/instances", "action": "lose_response"})
    with pytest.raises(CreateResponseLost) as info:
        client.create_instance(spec)
    made = instances_named(sim, "lost-answer")
    assert len(made) == 1
    error = info.value
    assert error.instance is not None and error.instance.id == made[0].id
    assert (error.name, error.tenant_id) == ("lost-answer", spec.tenant_id)
    text = str(error)
    assert "may have succeeded" in text and made[0].id in text
    assert "one-time password could not be captured" in text and "Aura console" in text
    assert "\n" not in text
    assert requests_made(sim)["POST /v1/instances"] == 1
    assert made[0].id not in client.vault
    assert client.history[-1].url.endswith(f"/v1/instances?tenantId={spec.tenant_id}")


def test_lost_create_ignores_old_instances_with_the_same_name(sim, client, make_spec):
    old = client.create_instance(make_spec("same-name"))
    sim.advance(1500)  # older than the search window (1000 s here), token still valid
    script(sim, {"method": "POST", "path": "/v1/instances", "action": "lose_response"})
    with pytest.raises(CreateResponseLost) as info:
        client.create_instance(make_spec("same-name"))
    assert info.value.instance is not None and info.value.instance.id != old.id
    assert len(instances_named(sim, "same-name")) == 2


def test_create_dropped_before_the_server_acted_reports_nothing_found(sim, client,
                                                                      make_spec):
    spec = make_spec("dropped")
    client.find_tenant("Learning Project")
    script(sim, {"method": "POST", "path": "/v1/instances", "action": "drop"})
    with pytest.raises(CreateResponseLost) as info:
        client.create_instance(spec)
    assert info.value.instance is None
    assert "No instance named 'dropped'" in str(info.value)
    assert "password could not be captured" in str(info.value)
    assert instances_named(sim, "dropped") == []
    assert requests_made(sim)["POST /v1/instances"] == 1


def test_create_timeout_is_not_resent_even_when_the_check_fails(sim, make_client,
                                                                make_spec):
    client = make_client(sim, timeout=0.2, max_retries=0)
    spec = make_spec("slow")
    client.find_tenant("Learning Project")
    sim.set_faults(latency=0.4)
    with pytest.raises(CreateResponseLost) as info:
        client.create_instance(spec)
    assert "0.2 s budget" in str(info.value) and "Checking for it failed too" in str(info.value)
    sim.set_faults(latency=0)
    import time
    time.sleep(0.5)  # let the server finish the request it was still holding
    assert len(instances_named(sim, "slow")) == 1
    assert requests_made(sim)["POST /v1/instances"] == 1


def test_unreachable_server_is_a_transport_error_and_create_is_known_unsent(make_simulator,
                                                                           make_client,
                                                                           make_spec):
    sim = make_simulator()
    client = make_client(sim, max_retries=1)
    client.list_tenants()
    sim.stop()
    with pytest.raises(TransportError) as info:
        client.list_tenants()
    assert "could not connect" in str(info.value) and info.value.sent is False
    with pytest.raises(TransportError):
        client.create_instance(make_spec(), validate=False)


def test_expired_token_mid_session_is_replaced_once(sim, client, make_spec):
    created = client.create_instance(make_spec())
    sim.advance(3700)  # the server's token lifetime is over; the client cannot know
    assert client.get_instance(created.id).status == "running"
    assert client.token_requests == 2
    assert [e.status for e in client.history][-3:] == [403, 200, 200]
    sim.advance(3700)
    assert client.pause_instance(created.id).status == "pausing"  # POSTs too, exactly once
    assert requests_made(sim)["POST /v1/instances/{instanceId}/pause"] == 2
    assert client.token_requests == 3


def test_short_lived_tokens_are_renewed_before_they_expire(make_simulator, make_client):
    sim = make_simulator(token_ttl=2 * SPEED)  # 2 real seconds
    clock = ManualClock()
    client = make_client(sim, clock=clock)
    client.list_tenants()
    clock.now = 0.9  # before the refresh point (half of 2 s)
    client.list_tenants()
    assert client.token_requests == 1
    clock.now = 1.0
    client.list_tenants()
    assert client.token_requests == 2
    assert 403 not in [e.status for e in client.history]


def test_wrong_secret_is_authentication_failed_without_the_secret(sim, make_client):
    client = make_client(sim, client_secret="not-the-secret-42")
    with pytest.raises(AuthenticationFailed) as info:
        client.list_tenants()
    text = str(info.value)
    assert "not-the-secret-42" not in text
    assert "refused client id simulator-client" in text and "401" in text
    assert "AURA_CLIENT_SECRET" in text and info.value.status_code == 401


def test_delete_whose_answer_was_lost_is_retried_and_404_counts_as_done(sim, client,
                                                                       make_spec):
    created = client.create_instance(make_spec("lost-delete"))
    sim.advance(200)
    script(sim, {"method": "DELETE", "path": "/v1/instances/{instanceId}",
                       "action": "lose_response"})
    assert client.delete_instance(created.id) is None
    assert requests_made(sim)["DELETE /v1/instances/{instanceId}"] == 2
    sim.advance(100)
    with pytest.raises(NotFound):
        client.get_instance(created.id)


def test_token_request_is_sent_again_after_5xx_and_dropped_connections(sim, client):
    script(sim,
           {"method": "POST", "path": "/oauth/token", "action": "status", "status": 503},
           {"method": "POST", "path": "/oauth/token", "action": "drop"})
    assert len(client.list_tenants()) == 3
    assert requests_made(sim)["POST /oauth/token"] == 3
    assert client.token_requests == 1


def test_request_count_includes_token_requests_and_retries(sim, make_client):
    clock = ManualClock(100.0)
    client = make_client(sim, clock=clock)
    assert client.request_count == 0 and client.token_expires_in is None
    script(sim, {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 503,
                       "times": 2})
    client.list_tenants()
    served = sum(sim.stats_snapshot()["requests"].values())
    assert client.request_count == served == 4  # the token, two 503s, then the list
    assert client.token_expires_in == pytest.approx(3600 / sim.clock.speed)
    clock.now += 10
    assert client.token_expires_in == pytest.approx(3600 / sim.clock.speed - 10)
    assert client.request_count == 4  # reading either sends nothing
    with pytest.raises(AttributeError):
        client.request_count = 0


def test_a_free_accounts_lower_limit_is_learned_from_429s(make_simulator, make_client):
    sim = make_simulator(rate_limit=25)  # what Free credentials are reported to get
    client = make_client(sim, rate_limit=125)

    def refused() -> int:
        return sim.stats_snapshot()["responses"].get("429", 0)

    for _ in range(40):
        client.list_tenants()
    assert refused() > 0 and 5 <= client.pacer.rate <= 25
    before = refused()
    for _ in range(40):
        client.list_tenants()
    assert refused() - before <= 1  # learned: 40 more calls meet no 429 burst

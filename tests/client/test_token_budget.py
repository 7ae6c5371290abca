"""The token endpoint allows 15 tokens an hour per client id (reference section 8): the kit
asks for one per token lifetime, and clients of one process with the same credentials share it
(#18)."""

from __future__ import annotations

import time

import pytest

from aura_nb.core.errors import AuthenticationFailed


def test_the_kit_fetches_one_token_per_lifetime(make_simulator, make_client):
    # 60 virtual seconds at speed 20: a 3 s token, renewed 1.5 s before it ends (refresh_margin)
    sim = make_simulator(speed=20.0, rate_limit=0, token_ttl=60)
    client = make_client(sim)
    started = time.monotonic()
    while time.monotonic() - started < 1.2:
        client.list_tenants()
    assert client.token_requests == 1 == sim.stats_snapshot()["tokens_issued"]
    time.sleep(0.5)                         # past the refresh point
    client.list_tenants()
    assert client.token_requests == 2 == sim.stats_snapshot()["tokens_issued"]


def test_clients_with_the_same_credentials_share_one_token(make_simulator, make_client):
    sim = make_simulator(rate_limit=0)
    first, second = make_client(sim), make_client(sim)
    first.list_tenants()
    second.list_tenants()
    second.list_instances()
    assert (first.token_requests, second.token_requests) == (1, 0)
    assert sim.stats_snapshot()["tokens_issued"] == 1


def test_a_wrong_secret_never_borrows_the_token_of_the_right_one(make_simulator, make_client):
    sim = make_simulator(rate_limit=0)
    make_client(sim).list_tenants()
    wrong = make_client(sim, client_secret="not-the-secret")
    with pytest.raises(AuthenticationFailed):
        wrong.list_tenants()
    assert sim.stats_snapshot()["tokens_issued"] == 1


def test_a_second_simulator_gets_its_own_token(make_simulator, make_client):
    one, two = make_simulator(rate_limit=0), make_simulator(rate_limit=0)
    make_client(one).list_tenants()
    make_client(two).list_tenants()
    assert one.stats_snapshot()["tokens_issued"] == two.stats_snapshot()["tokens_issued"] == 1

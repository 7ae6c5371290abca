"""Rate limit per client: token bucket of N requests per virtual minute, 429 + Retry-After."""

import requests

from aura_nb.simulator import Simulator

from tests.helpers.simulator import OTHER, Api, admin, fetch_token


def test_429_with_retry_after_once_the_budget_is_spent():
    with Simulator(rate_limit=5) as sim:
        api = Api(sim)                                  # the token request counts: 1
        answers = [api.get("/v1/tenants") for _ in range(5)]
        assert [r.status_code for r in answers] == [200, 200, 200, 200, 429]
        limited = answers[-1]
        assert int(limited.headers["Retry-After"]) >= 1
        assert "error" in limited.json()
        assert limited.headers["X-Request-Id"]
        sim.advance(12)                                 # 5 per 60 s: one request per 12 s
        assert api.get("/v1/tenants").status_code == 200
        assert api.get("/v1/tenants").status_code == 429


def test_retry_after_is_in_real_seconds():
    with Simulator(rate_limit=1, speed=1) as slow:
        Api(slow)
        r = requests.post(f"{slow.base_url}/oauth/token", auth=("simulator-client",
                          "simulator-secret"), data={"grant_type": "client_credentials"})
        assert r.status_code == 429 and 55 <= int(r.headers["Retry-After"]) <= 60
    with Simulator(rate_limit=1, speed=30) as fast:
        Api(fast)
        r = requests.post(f"{fast.base_url}/oauth/token", auth=("simulator-client",
                          "simulator-secret"), data={"grant_type": "client_credentials"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) == 2


def test_limits_are_per_client():
    with Simulator(rate_limit=3) as sim:
        mine = Api(sim)
        mine.get("/v1/tenants")
        mine.get("/v1/tenants")
        assert mine.get("/v1/tenants").status_code == 429
        theirs = Api(sim, OTHER)
        assert theirs.get("/v1/tenants").status_code == 200


def test_default_is_125_per_minute_and_zero_turns_it_off():
    with Simulator() as sim:
        api = Api(sim)
        codes = [api.get("/v1/tenants").status_code for _ in range(125)]
        assert codes.count(200) == 124 and codes[-1] == 429
    with Simulator(rate_limit=0) as sim:
        token = fetch_token(sim.base_url)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        assert {session.get(f"{sim.base_url}/v1/tenants").status_code for _ in range(300)} == {200}


def test_admin_surface_is_not_limited():
    with Simulator(rate_limit=1) as sim:
        Api(sim)
        assert {admin(sim, "GET", "stats").status_code
                for _ in range(5)} == {200}


def _token_status(sim: Simulator, credentials=("simulator-client", "simulator-secret")):
    return requests.post(f"{sim.base_url}/oauth/token", auth=credentials, timeout=10,
                         data={"grant_type": "client_credentials"})


def test_the_16th_token_request_in_an_hour_gets_429_with_retry_after():
    """#18, reference section 8: the token endpoint issues 15 tokens per client per hour."""
    with Simulator(rate_limit=0, speed=1) as sim:
        assert [_token_status(sim).status_code for _ in range(15)] == [200] * 15
        refused = _token_status(sim)
        assert refused.status_code == 429 and "access_token" not in refused.text
        assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
        assert "15 per hour" in refused.json()["error"]
        assert _token_status(sim, OTHER).status_code == 200     # per client id
        assert sim.stats_snapshot()["tokens_issued"] == 16
        sim.advance(3601)                                       # the oldest is an hour old
        assert _token_status(sim).status_code == 200


def test_token_limit_zero_lifts_the_limit_and_reset_forgets_the_count():
    with Simulator(rate_limit=0, token_limit=0) as lifted:
        assert {_token_status(lifted).status_code for _ in range(20)} == {200}
    with Simulator(rate_limit=0, token_limit=2) as sim:
        assert [_token_status(sim).status_code for _ in range(3)] == [200, 200, 429]
        sim.reset()
        assert _token_status(sim).status_code == 200

"""POST /oauth/token and bearer tokens on /v1."""

import base64

import requests

from aura_nb.simulator import Simulator

from tests.helpers.simulator import CLIENT, OTHER, fetch_token


def test_token_endpoint_issues_bearer_token(manual_sim):
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=CLIENT,
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32
    assert r.headers["Content-Type"] == "application/json"


def test_token_accepts_credentials_in_the_form_too(manual_sim):
    r = requests.post(f"{manual_sim.base_url}/oauth/token",
                      data={"grant_type": "client_credentials", "client_id": CLIENT[0],
                            "client_secret": CLIENT[1]})
    assert r.status_code == 200


def test_bad_credentials_get_401(manual_sim):
    for auth in [(CLIENT[0], "wrong"), ("nobody", CLIENT[1]), (OTHER[0], CLIENT[1])]:
        r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=auth,
                          data={"grant_type": "client_credentials"})
        assert r.status_code == 401, auth
        assert "error" in r.json()
    r = requests.post(f"{manual_sim.base_url}/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code == 401
    garbled = {"Authorization": "Basic not*base64"}
    r = requests.post(f"{manual_sim.base_url}/oauth/token", headers=garbled,
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 401


def test_missing_or_wrong_grant_type_gets_400(manual_sim):
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=CLIENT)
    assert r.status_code == 400 and "grant_type" in r.json()["error"]
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=CLIENT, data={"grant_type": "password"})
    assert r.status_code == 400 and "client_credentials" in r.json()["error"]


def test_missing_or_garbled_bearer_gets_401(manual_sim):
    url = f"{manual_sim.base_url}/v1/tenants"
    assert requests.get(url).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer "}).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer garbage"}).status_code == 401
    basic = "Basic " + base64.b64encode(b"simulator-client:simulator-secret").decode()
    r = requests.get(url, headers={"Authorization": basic})
    assert r.status_code == 401
    assert "error" in r.json()


def test_expired_token_gets_403_and_a_new_one_works(manual_sim):
    token = fetch_token(manual_sim.base_url)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{manual_sim.base_url}/v1/tenants", headers=headers).status_code == 200
    manual_sim.advance(3599)
    assert requests.get(f"{manual_sim.base_url}/v1/tenants", headers=headers).status_code == 200
    manual_sim.advance(2)
    r = requests.get(f"{manual_sim.base_url}/v1/tenants", headers=headers)
    assert r.status_code == 403
    assert "expired" in r.json()["error"]
    fresh = {"Authorization": f"Bearer {fetch_token(manual_sim.base_url)}"}
    assert requests.get(f"{manual_sim.base_url}/v1/tenants", headers=fresh).status_code == 200


def test_token_lifetime_is_configurable_and_reported_in_real_seconds():
    with Simulator(token_ttl=600, speed=10, rate_limit=0) as sim:
        r = requests.post(f"{sim.base_url}/oauth/token", auth=CLIENT,
                          data={"grant_type": "client_credentials"})
        assert r.json()["expires_in"] == 60        # 600 virtual seconds at speed 10


def test_custom_client_credentials():
    with Simulator(client_id="my-id", client_secret="my-secret", rate_limit=0) as sim:
        assert requests.post(f"{sim.base_url}/oauth/token", auth=CLIENT,
                             data={"grant_type": "client_credentials"}).status_code == 401
        fetch_token(sim.base_url, ("my-id", "my-secret"))


def test_each_client_sees_only_its_own_tenants(manual_sim):
    mine = requests.get(f"{manual_sim.base_url}/v1/tenants",
                        headers={"Authorization": f"Bearer {fetch_token(manual_sim.base_url)}"})
    theirs = requests.get(f"{manual_sim.base_url}/v1/tenants", headers={
        "Authorization": f"Bearer {fetch_token(manual_sim.base_url, OTHER)}"})
    mine_names = {t["name"] for t in mine.json()["data"]}
    their_names = {t["name"] for t in theirs.json()["data"]}
    assert mine_names == {"Learning Project", "Workshop Project", "Enterprise Project"}
    assert their_names == {"Other Project"}
    foreign = theirs.json()["data"][0]["id"]
    r = requests.get(f"{manual_sim.base_url}/v1/tenants/{foreign}",
                     headers={"Authorization": f"Bearer {fetch_token(manual_sim.base_url)}"})
    assert r.status_code == 404

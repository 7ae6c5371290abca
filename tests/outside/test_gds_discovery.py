"""The Graph Data Science client's ``AuraApi`` discovers its project from the simulator.

GDS 2.2 calls ``GET /v2beta1/organizations`` (at most one organization) and then
``GET /v1/tenants`` (exactly one project). Its base URL is hard-coded, so the test patches
``AuraApi.base_uri``; nothing else is changed.
"""

import pytest
import requests

from tests.helpers.outside import unavailable

pytestmark = pytest.mark.slow  # an outside tool against a simulator process


@pytest.fixture
def aura_api(simulator_process, monkeypatch):
    try:
        from graphdatascience.session.aura_api import AuraApi
    except ImportError:
        unavailable("graphdatascience", "pip install 'graphdatascience==2.2'")
    monkeypatch.setattr(AuraApi, "base_uri",
                        staticmethod(lambda aura_env=None: simulator_process.base_url))
    return AuraApi


def test_gds_finds_the_one_project_of_a_client_that_has_one(aura_api, simulator_process):
    api = aura_api("other-client", "other-secret")
    token = requests.post(f"{simulator_process.base_url}/oauth/token",
                          auth=("other-client", "other-secret"),
                          data={"grant_type": "client_credentials"}, timeout=10).json()
    tenants = requests.get(f"{simulator_process.base_url}/v1/tenants", timeout=10, headers={
        "Authorization": f"Bearer {token['access_token']}"}).json()["data"]
    assert [t["name"] for t in tenants] == ["Other Project"]
    assert api._project_id == tenants[0]["id"]
    assert api.project_details().id == tenants[0]["id"]
    asked = simulator_process.admin().stats()["requests"]
    assert asked["GET /v2beta1/organizations"] == 1


def test_gds_refuses_to_guess_among_several_projects(aura_api):
    with pytest.raises(RuntimeError, match="multiple projects"):
        aura_api("simulator-client", "simulator-secret")

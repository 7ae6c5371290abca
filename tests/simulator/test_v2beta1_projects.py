"""v2beta1 organizations and projects: one organization per API client, its tenants as projects."""

import pytest

from aura_nb.simulator import Simulator

from tests.helpers.simulator import OTHER, Api


def test_each_client_has_one_organization_that_it_can_read(v2):
    r = v2.get("/v2beta1/organizations")
    assert r.status_code == 200
    orgs = r.json()["data"]
    assert len(orgs) == 1 and set(orgs[0]) == {"id", "name"}
    one = v2.get(f"/v2beta1/organizations/{orgs[0]['id']}")
    assert one.status_code == 200 and one.json()["data"] == orgs[0]


def test_projects_are_the_v1_tenants_with_the_same_ids(v2):
    org = v2.org()
    projects = v2.get(f"/v2beta1/organizations/{org}/projects").json()["data"]
    assert projects == v2.get("/v1/tenants").json()["data"]
    first = projects[0]
    r = v2.get(f"/v2beta1/organizations/{org}/projects/{first['id']}")
    assert r.status_code == 200 and r.json()["data"] == first


@pytest.mark.parametrize("status, expected_all", [("active", True), ("deleted", False),
                                                  ("deletion_request", False)])
def test_projects_status_filter(v2, status, expected_all):
    org = v2.org()
    everything = v2.get(f"/v2beta1/organizations/{org}/projects").json()["data"]
    r = v2.get(f"/v2beta1/organizations/{org}/projects", params={"status": status})
    assert r.status_code == 200
    assert r.json()["data"] == (everything if expected_all else [])


def test_bad_status_filter_is_a_400(v2):
    r = v2.get(f"/v2beta1/organizations/{v2.org()}/projects", params={"status": "gone"})
    assert r.status_code == 400 and "status" in r.text


def test_the_second_client_sees_only_its_own_organization_and_project(manual_sim, v2):
    other = Api(manual_sim, OTHER)
    other_orgs = other.get("/v2beta1/organizations").json()["data"]
    assert len(other_orgs) == 1 and other_orgs[0]["id"] != v2.org()
    org = other_orgs[0]["id"]
    projects = other.get(f"/v2beta1/organizations/{org}/projects").json()["data"]
    assert [p["name"] for p in projects] == ["Other Project"]
    # Neither can read the other's organization or project.
    assert other.get(f"/v2beta1/organizations/{v2.org()}").status_code == 404
    mine = v2.project()
    assert other.get(mine.replace(v2.org(), org)).status_code == 404
    assert v2.get(f"/v2beta1/organizations/{org}/projects").status_code == 404


def test_unknown_organization_and_project_are_json_404s(v2):
    r = v2.get("/v2beta1/organizations/nope/projects")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/json"
    assert r.json()["errors"][0]["reason"] == "organization-not-found"
    r = v2.get(f"/v2beta1/organizations/{v2.org()}/projects/nope/instances")
    assert r.status_code == 404 and r.json()["errors"][0]["reason"] == "project-not-found"


def test_v2beta1_needs_a_token(manual_sim, v2):
    r = v2.session.get(manual_sim.base_url + "/v2beta1/organizations", headers={"Authorization": ""})
    assert r.status_code == 401


def test_v1_and_v2beta1_share_one_rate_limit_and_the_fault_injection():
    with Simulator(seed=0, rate_limit=4) as sim:
        api = Api(sim)                                   # the token request takes one slot
        assert api.get("/v1/tenants").status_code == 200
        assert api.get("/v2beta1/organizations").status_code == 200
        assert api.get("/v2beta1/organizations").status_code == 200
        assert api.get("/v1/tenants").status_code == 429
    with Simulator(seed=0, rate_limit=0) as sim:
        api = Api(sim)
        sim.set_faults(script=[{"method": "GET", "path": "/v2beta1/organizations",
                                "action": "status", "status": 503, "times": 1}])
        assert api.get("/v2beta1/organizations").status_code == 503
        assert api.get("/v2beta1/organizations").status_code == 200

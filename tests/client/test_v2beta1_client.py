"""The client's v2beta1 methods: organizations, projects (v1's tenants under the console's name)."""

import pytest

from aura_nb import AmbiguousName, NameNotFound, NotFound, Organization, Project
from aura_nb.core.errors import InvalidId


def test_list_organizations_gives_the_clients_one_organization(client):
    orgs = client.list_organizations()
    assert len(orgs) == 1 and isinstance(orgs[0], Organization)
    assert orgs[0].name == "Simulated Organization"
    assert client.history[-1].url.endswith("/v2beta1/organizations")


def test_projects_are_the_tenants_with_their_ids(client):
    projects = client.list_projects()
    assert all(isinstance(p, Project) for p in projects)
    assert [(p.id, p.name) for p in projects] == \
        [(t.id, t.name) for t in client.list_tenants()]
    org = client.list_organizations()[0].id
    assert {p.organization_id for p in projects} == {org}
    assert client.list_projects(org) == projects


def test_find_project_by_name_or_id(client):
    workshop = client.find_project("Workshop Project")
    assert workshop.id == client.find_tenant("Workshop Project").id
    assert client.find_project(workshop.id) == workshop


def test_find_project_names_the_projects_that_exist_when_none_matches(client):
    with pytest.raises(NameNotFound) as caught:
        client.find_project("Nope")
    assert "'Learning Project'" in str(caught.value)


def test_find_project_refuses_to_guess_between_two_with_one_name(client, monkeypatch):
    twins = [Project("a", "Twin", "o"), Project("b", "Twin", "o")]
    monkeypatch.setattr(client, "list_projects", lambda organization_id=None: twins)
    with pytest.raises(AmbiguousName) as caught:
        client.find_project("Twin")
    assert caught.value.candidates == ("a", "b")


def test_unknown_or_malformed_organization_ids(client):
    with pytest.raises(NotFound):
        client.list_projects("c4ea09e5-44b2-418e-9aae-0c98c37d1f38")
    sent = client.request_count
    with pytest.raises(InvalidId):
        client.list_projects("../v1/tenants")
    assert client.request_count == sent


def test_request_reaches_v2beta1_paths_through_the_same_funnel(client):
    org = client.list_organizations()[0].id
    assert client.request("GET", f"/v2beta1/organizations/{org}") == {
        "id": org, "name": "Simulated Organization"}
    assert client.request("GET", f"{client.base_url}/v2beta1/organizations")[0]["id"] == org
    assert [t["name"] for t in client.request("GET", "/tenants")][0] == "Learning Project"
    assert client.request("GET", f"{client.base_url}/v1/tenants") == \
        client.request("GET", "/v1/tenants")

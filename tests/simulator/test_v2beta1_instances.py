"""v2beta1 instances under a project: list, get, create, delete, and agreement with v1."""

import pytest

CREATE_REQUIRED = {"id", "name", "project_id", "connection_url", "username", "password",
                   "cloud_provider", "region", "type", "created_at", "vector_optimized",
                   "multi_database", "legacy_status"}
DETAILS = {"id", "name", "type", "cloud_provider", "region", "memory", "storage",
           "multi_database", "graph_analytics", "vector_optimized", "legacy_status"}


def test_create_answers_202_with_the_password_once_and_v1_names_in_the_response(v2):
    created = v2.create_v2()
    assert CREATE_REQUIRED <= set(created)
    assert created["legacy_status"] == "creating" and "status" not in created
    assert created["type"] == "professional-db"
    assert created["multi_database"] is False
    assert created["project_id"] == v2.tenant_id("Learning Project")
    assert created["default_database_id"] == created["id"]
    assert len(created["password"]) >= 20
    got = v2.get(f"{v2.project()}/instances/{created['id']}").json()["data"]
    assert set(got) == DETAILS and "password" not in got
    assert got["legacy_status"] == "creating"


def test_get_shows_legacy_status_as_v1_shows_status_for_every_instance(v2):
    from_v2 = v2.create_v2(name="made-on-v2")
    from_v1 = v2.create(name="made-on-v1")
    base = f"{v2.project()}/instances"
    for inst in (from_v2, from_v1):
        v2.finish(inst["id"])
        one = v2.get(f"{base}/{inst['id']}").json()["data"]
        old = v2.get(f"/v1/instances/{inst['id']}").json()["data"]
        assert one["legacy_status"] == old["status"] == "running"
        for key in ("id", "name", "type", "cloud_provider", "region", "memory", "storage",
                    "vector_optimized"):
            assert one[key] == old[key], key
        assert old["tenant_id"] == v2.tenant_id("Learning Project")
    listed = v2.get(base).json()["data"]
    assert {i["id"] for i in listed} == {from_v2["id"], from_v1["id"]}
    assert all(set(i) == {"id", "name", "cloud_provider", "created_at"} for i in listed)
    v1_listed = v2.get("/v1/instances").json()["data"]
    assert {i["id"] for i in v1_listed} == {i["id"] for i in listed}


def test_an_instance_is_served_only_under_its_own_project(v2):
    created = v2.create_v2()
    r = v2.get(f"{v2.project('Workshop Project')}/instances/{created['id']}")
    assert r.status_code == 404 and r.json()["errors"][0]["reason"] == "instance-not-found"


@pytest.mark.parametrize("v1_name", ["free-db", "professional-db", "enterprise-db",
                                     "professional-ds", "enterprise-ds"])
def test_v1_type_names_are_refused(v2, v1_name):
    r = v2.post(v2.project() + "/instances", {"name": "x", "type": v1_name})
    assert r.status_code == 400
    body = r.json()
    assert body["reason"] == "validation-error"
    assert "'virtual-dedicated-cloud', 'business-critical', 'professional' or 'free'" in \
        body["errors"]["type"][0]


def test_business_critical_is_spelled_the_same_on_both_surfaces(v2):
    created = v2.create_v2("Workshop Project", type="business-critical", memory="4GB")
    assert created["type"] == "business-critical"


def test_free_needs_only_name_and_type_and_unknown_fields_are_ignored(v2):
    created = v2.create_v2(name="free-one", type="free", cloud_provider=None, region=None,
                           memory=None, version="4", tenant_id="someone-else", frobnicate=1)
    assert (created["type"], created["cloud_provider"], created["region"], created["memory"]) \
        == ("free-db", "gcp", "europe-west1", "1GB")
    assert created["storage"] is None


def test_the_request_is_checked_against_the_projects_configurations(v2):
    r = v2.post(v2.project() + "/instances", {"name": "x", "type": "professional",
                                              "cloud_provider": "gcp", "region": "mars-1"})
    assert r.status_code == 400 and "region" in r.text and "europe-west1" in r.text
    r = v2.post(v2.project() + "/instances", {"name": "x", "type": "virtual-dedicated-cloud"})
    assert r.status_code == 400
    assert "choose one of: free, professional" in r.json()["errors"][0]["message"]
    r = v2.post(v2.project() + "/instances", {"type": "professional"})
    assert r.status_code == 400 and r.json()["errors"] == {
        "name": ["Missing data for required field."]}


@pytest.mark.parametrize("tier", ["free", "professional"])
def test_multi_database_on_a_tier_without_it_is_a_400_pair(v2, tier):
    r = v2.post(v2.project() + "/instances", {"name": "x", "type": tier, "multi_database": True})
    assert r.status_code == 400
    assert r.json() == {"message": "Multi-database instances are not supported by the provided "
                                   "tier", "reason": "multi-database-tier-not-supported"}
    assert v2.get("/v1/instances").json()["data"] == []


def test_multi_database_instance_connects_through_its_default_database(v2):
    created = v2.create_v2("Workshop Project", type="business-critical", memory="4GB",
                           multi_database=True)
    assert created["multi_database"] is True
    assert created["default_database_id"] != created["id"]
    assert created["connection_url"] == \
        f"neo4j+s://{created['default_database_id']}.databases.neo4j.io"
    v2.finish(created["id"])
    v1 = v2.get(f"/v1/instances/{created['id']}").json()["data"]
    assert v1["connection_url"] == created["connection_url"]
    assert "multi_database" not in v1
    one = v2.get(f"{v2.project('Workshop Project')}/instances/{created['id']}").json()["data"]
    assert one["multi_database"] is True


def test_a_second_free_instance_is_refused_with_405(v2):
    v2.create_v2(name="free-one", type="free", memory=None)
    r = v2.post(v2.project() + "/instances", {"name": "free-two", "type": "free"})
    assert r.status_code == 405


def test_delete_answers_202_destroying_then_the_instance_is_gone_on_both_surfaces(v2):
    created = v2.create_v2()
    path = f"{v2.project()}/instances/{created['id']}"
    busy = v2.delete(path)
    assert busy.status_code == 409
    v2.finish(created["id"])
    r = v2.delete(path)
    assert r.status_code == 202
    assert r.json()["data"]["legacy_status"] == "destroying"
    assert v2.get(f"/v1/instances/{created['id']}").json()["data"]["status"] == "destroying"
    assert v2.delete(path).status_code == 404
    v2.finish(created["id"])
    assert v2.get(path).status_code == 404
    assert v2.get(f"/v1/instances/{created['id']}").status_code == 404


def test_an_instance_deleted_on_v1_disappears_from_v2beta1(v2):
    created = v2.create_v2()
    v2.finish(created["id"])
    assert v2.delete(f"/v1/instances/{created['id']}").status_code == 202
    v2.finish(created["id"])
    assert v2.get(f"{v2.project()}/instances").json()["data"] == []

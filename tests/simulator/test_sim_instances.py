"""Instances: create, list, get, PATCH, delete, pause, resume, overwrite, upgrade and lifecycle."""

import re
import time
from datetime import datetime

import pytest

from aura_nb.simulator import Simulator

from tests.helpers.simulator import Api, error_of

DETAIL_FIELDS = {"id", "name", "status", "connection_url", "tenant_id", "cloud_provider", "region",
                 "type", "memory", "storage", "created_at"}


def test_create_answers_202_with_the_one_time_password(api):
    tenant_id = api.tenant_id("Learning Project")
    r = api.post("/v1/instances", {"name": "demo", "tenant_id": tenant_id,
                                   "type": "professional-db", "cloud_provider": "gcp",
                                   "region": "europe-west1", "memory": "2GB", "version": "5"})
    assert r.status_code == 202
    data = r.json()["data"]
    assert {"id", "connection_url", "username", "password", "tenant_id", "cloud_provider",
            "region", "type", "name", "created_at"} <= set(data)
    assert "status" not in data and "memory" not in data
    assert re.fullmatch(r"[0-9a-f]{8}", data["id"])
    assert data["connection_url"] == f"neo4j+s://{data['id']}.databases.neo4j.io"
    assert data["username"] == "neo4j" and len(data["password"]) >= 16
    datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert (data["tenant_id"], data["name"]) == (tenant_id, "demo")


def test_password_appears_in_no_later_response(api):
    created = api.running()
    password, iid = created["password"], created["id"]
    later = [api.get(f"/v1/instances/{iid}"), api.get("/v1/instances"),
             api.patch(f"/v1/instances/{iid}", {"name": "renamed"}),
             api.post(f"/v1/instances/{iid}/pause")]
    api.finish(iid)
    later += [api.post(f"/v1/instances/{iid}/resume"), api.get(f"/v1/instances/{iid}/snapshots")]
    api.finish(iid)
    later.append(api.delete(f"/v1/instances/{iid}"))
    assert [r.status_code for r in later] == [200, 200, 200, 202, 202, 200, 202]
    for r in later:
        assert password not in r.text
        assert password not in str(r.headers)


def test_lifecycle_creating_running_pausing_paused_resuming_running(api, manual_sim):
    iid = api.create()["id"]
    detail = api.get(f"/v1/instances/{iid}").json()["data"]
    assert DETAIL_FIELDS <= set(detail)
    assert detail["status"] == "creating"
    ready_at = manual_sim.world.transition_end(iid)
    manual_sim.advance(60)
    assert api.status(iid) == "creating"       # creation takes 90-150 virtual seconds
    manual_sim.advance(100)
    assert api.status(iid) == "running"
    assert manual_sim.world.status_since(iid) == ("running", ready_at)   # the exact moment it became so
    r = api.post(f"/v1/instances/{iid}/pause")
    assert r.status_code == 202 and r.json()["data"]["status"] == "pausing"
    api.finish(iid)
    paused = api.get(f"/v1/instances/{iid}").json()["data"]
    assert paused["status"] == "paused" and paused["connection_url"] == ""
    r = api.post(f"/v1/instances/{iid}/resume")
    assert r.status_code == 202 and r.json()["data"]["status"] == "resuming"
    api.finish(iid)
    running = api.get(f"/v1/instances/{iid}").json()["data"]
    assert running["status"] == "running"
    assert running["connection_url"] == f"neo4j+s://{iid}.databases.neo4j.io"


def test_every_operation_gets_409_while_one_is_in_flight(api):
    iid = api.create()["id"]
    attempts = [api.post(f"/v1/instances/{iid}/pause"), api.post(f"/v1/instances/{iid}/resume"),
                api.delete(f"/v1/instances/{iid}"),
                api.patch(f"/v1/instances/{iid}", {"name": "x"}),
                api.patch(f"/v1/instances/{iid}", {"memory": "4GB"}),
                api.post(f"/v1/instances/{iid}/snapshots"),
                api.post(f"/v1/instances/{iid}/upgrade")]
    for r in attempts:
        assert r.status_code == 409, r.text
        error = error_of(r)
        assert error["reason"] == "ongoing-database-operation"
        assert error["message"].endswith("creating")
    assert api.status(iid) == "creating"


def test_pause_needs_running_and_resume_needs_paused(api):
    iid = api.running()["id"]
    r = api.post(f"/v1/instances/{iid}/resume")
    assert r.status_code == 400 and "paused" in error_of(r)["message"]
    api.post(f"/v1/instances/{iid}/pause")
    api.finish(iid)
    r = api.post(f"/v1/instances/{iid}/pause")
    assert r.status_code == 400 and "running" in error_of(r)["message"]


def test_delete_answers_202_destroying_then_404(api):
    iid = api.running()["id"]
    r = api.delete(f"/v1/instances/{iid}")
    assert r.status_code == 202 and r.json()["data"]["status"] == "destroying"
    assert api.status(iid) == "destroying"
    assert api.delete(f"/v1/instances/{iid}").status_code == 404
    api.finish(iid)
    r = api.get(f"/v1/instances/{iid}")
    assert r.status_code == 404
    assert error_of(r) == {"message": f"DB not found: {iid}", "reason": "db-not-found"}
    assert api.delete(f"/v1/instances/{iid}").status_code == 404
    assert iid not in {i["id"] for i in api.get("/v1/instances").json()["data"]}


def test_a_paused_instance_can_be_deleted(api):
    iid = api.running()["id"]
    api.post(f"/v1/instances/{iid}/pause")
    api.finish(iid)
    assert api.delete(f"/v1/instances/{iid}").status_code == 202


def test_list_gives_summaries_and_filters_by_tenant(api):
    learning, workshop = api.tenant_id("Learning Project"), api.tenant_id("Workshop Project")
    a = api.create(name="a")["id"]
    b = api.create(name="b", tenant_id=workshop)["id"]
    everything = api.get("/v1/instances").json()["data"]
    assert {i["id"] for i in everything} == {a, b}
    assert all(set(i) == {"id", "name", "tenant_id", "cloud_provider", "created_at"}
               for i in everything)
    only = api.get("/v1/instances", params={"tenantId": learning}).json()["data"]
    assert [i["id"] for i in only] == [a]
    assert api.get("/v1/instances", params={"tenantId": "nope"}).status_code == 404


def test_instances_are_invisible_to_other_clients(api, manual_sim):
    iid = api.create()["id"]
    other = Api(manual_sim, ("other-client", "other-secret"))
    assert other.get("/v1/instances").json()["data"] == []
    assert other.get(f"/v1/instances/{iid}").status_code == 404
    assert other.delete(f"/v1/instances/{iid}").status_code == 404


@pytest.mark.parametrize("field,value", [
    ("type", "mega-db"), ("type", "enterprise-db"), ("cloud_provider", "ibm"),
    ("region", "mars-north1"), ("memory", "3GB"), ("memory", "128GB"), ("version", "4"),
])
def test_create_outside_the_tenant_configurations_is_400_naming_the_field(api, field, value):
    body = {"name": "x", "tenant_id": api.tenant_id("Learning Project"), "type": "professional-db",
            "cloud_provider": "gcp", "region": "europe-west1", "memory": "2GB", "version": "5"}
    body[field] = value
    r = api.post("/v1/instances", body)
    assert r.status_code == 400
    error = error_of(r)
    assert error["field"] == field
    assert repr(value) in error["message"] and "choose one of" in error["message"]


@pytest.mark.parametrize("missing", ["name", "tenant_id", "type", "cloud_provider", "region",
                                     "memory", "version"])
def test_create_without_a_required_field_is_400(api, missing):
    body = {"name": "x", "tenant_id": api.tenant_id("Learning Project"), "type": "professional-db",
            "cloud_provider": "gcp", "region": "europe-west1", "memory": "2GB", "version": "5"}
    del body[missing]
    r = api.post("/v1/instances", body)
    assert r.status_code == 400 and error_of(r)["field"] == missing


@pytest.mark.parametrize("name", ["", "x" * 31, " padded", "padded ", "\tx"])
def test_create_rejects_bad_names(api, name):
    r = api.post("/v1/instances", {"name": name, "tenant_id": api.tenant_id("Learning Project"),
                                   "type": "professional-db", "cloud_provider": "gcp",
                                   "region": "europe-west1", "memory": "2GB", "version": "5"})
    assert r.status_code == 400 and error_of(r)["field"] == "name"


def test_create_accepts_any_30_character_utf8_name_and_duplicate_names(api):
    name = "Grüße, 世界! " + "x" * 19
    assert len(name) == 30
    first, second = api.create(name=name), api.create(name=name)
    assert first["id"] != second["id"] and first["name"] == second["name"] == name


def test_create_with_a_wrong_type_is_400(api):
    for field, value in [("memory", 2), ("name", ["x"]), ("vector_optimized", "yes")]:
        r = api.post("/v1/instances", {"name": "x", "tenant_id": api.tenant_id("Learning Project"),
                                       "type": "professional-db", "cloud_provider": "gcp",
                                       "region": "europe-west1", "memory": "2GB", "version": "5",
                                       field: value})
        assert r.status_code == 400 and error_of(r)["field"] == field


def test_create_accepts_fields_real_clients_send(api):
    created = api.create(storage="4GB", secondaries_count=0, cdc_enrichment_mode="OFF",
                         some_future_field={"x": 1})
    detail = api.get(f"/v1/instances/{created['id']}").json()["data"]
    assert (detail["memory"], detail["storage"]) == ("2GB", "4GB")
    r = api.post("/v1/instances", {"name": "x", "tenant_id": api.tenant_id("Learning Project"),
                                   "type": "professional-db", "cloud_provider": "gcp",
                                   "region": "europe-west1", "memory": "2GB", "version": "5",
                                   "storage": "64GB"})
    assert r.status_code == 400 and error_of(r)["field"] == "storage"


def test_one_free_instance_per_account(api, manual_sim):
    free = {"type": "free-db", "memory": "1GB"}
    first = api.create(**free)
    detail = api.get(f"/v1/instances/{first['id']}").json()["data"]
    assert "storage" not in detail and detail["graph_nodes"] == "0"
    r = api.post("/v1/instances", {"name": "second", "tenant_id": api.tenant_id("Learning Project"),
                                   "cloud_provider": "gcp", "region": "europe-west1",
                                   "version": "5", **free})
    assert r.status_code == 405
    error_of(r)
    other = Api(manual_sim, ("other-client", "other-secret"))       # another account has its own
    other_free = other.post("/v1/instances", {"name": "theirs", "tenant_id": other.tenant_id(
        "Other Project"), "cloud_provider": "gcp", "region": "europe-west1", "version": "5",
        **free})
    assert other_free.status_code == 202
    api.finish(first["id"])
    api.delete(f"/v1/instances/{first['id']}")
    api.finish(first["id"])
    api.create(**free)                                       # allowed again once it is gone


def test_patch_rename_answers_200_and_resize_202_updating(api):
    iid = api.running()["id"]
    r = api.patch(f"/v1/instances/{iid}", {"name": "renamed"})
    assert r.status_code == 200
    assert (r.json()["data"]["name"], r.json()["data"]["status"]) == ("renamed", "running")
    r = api.patch(f"/v1/instances/{iid}", {"memory": "8GB"})
    assert r.status_code == 202
    data = r.json()["data"]
    assert (data["status"], data["memory"], data["storage"]) == ("updating", "8GB", "16GB")
    api.finish(iid)
    assert api.status(iid) == "running"


def test_patch_rejects_sizes_not_offered_and_free_resizes(api):
    iid = api.running()["id"]
    for body, field in [({"memory": "3GB"}, "memory"), ({"memory": "128GB"}, "memory"),
                        ({"memory": "4GB", "storage": "9GB"}, "storage"), ({"name": ""}, "name"),
                        ({"name": 5}, "name")]:
        r = api.patch(f"/v1/instances/{iid}", body)
        assert r.status_code == 400 and error_of(r)["field"] == field, body
    assert api.patch(f"/v1/instances/{iid}", {}).status_code == 400
    free = api.running(type="free-db", memory="1GB")["id"]
    r = api.patch(f"/v1/instances/{free}", {"memory": "2GB"})
    assert r.status_code == 400 and "free" in error_of(r)["message"]
    assert api.patch("/v1/instances/deadbeef", {"name": "x"}).status_code == 404


def test_overwrite_from_another_instance(api):
    source = api.running(name="source")["id"]
    target = api.running(name="target", memory="4GB")["id"]
    r = api.post(f"/v1/instances/{target}/overwrite", {"source_instance_id": source})
    assert r.status_code == 202 and r.json()["data"]["status"] == "overwriting"
    assert api.post(f"/v1/instances/{target}/overwrite",
                    {"source_instance_id": source}).status_code == 409
    api.finish(target)
    assert api.status(target) == "running"


def test_overwrite_errors(api):
    small = api.running(name="small", memory="2GB")["id"]
    big = api.running(name="big", memory="4GB")["id"]
    free = api.running(type="free-db", memory="1GB")["id"]
    r = api.post(f"/v1/instances/{small}/overwrite", {"source_instance_id": big})
    assert r.status_code == 500
    assert error_of(r)["message"] == f"Cannot clone database {big} into smaller database {small}."
    assert api.post(f"/v1/instances/{free}/overwrite",
                    {"source_instance_id": small}).status_code == 420
    r = api.post(f"/v1/instances/{big}/overwrite", {"source_instance_id": "deadbeef"})
    assert r.status_code == 404 and error_of(r)["field"] == "source_instance_id"
    r = api.post(f"/v1/instances/{big}/overwrite", {})
    assert r.status_code == 400 and error_of(r)["field"] == "source_instance_id"
    r = api.post(f"/v1/instances/{big}/overwrite", {"source_instance_id": big})
    assert r.status_code == 400 and "restore" in error_of(r)["message"]
    r = api.post(f"/v1/instances/{big}/overwrite",
                 {"source_instance_id": small, "source_snapshot_id": "nope"})
    assert r.status_code == 404 and error_of(r)["reason"] == "snapshot-not-found"


def test_create_a_clone_from_an_instance_or_its_snapshot(api):
    source = api.running(name="source")["id"]
    clone = api.create(name="clone", source_instance_id=source)
    assert api.status(clone["id"]) == "creating"
    snapshot = api.post(f"/v1/instances/{source}/snapshots").json()["data"]["snapshot_id"]
    body = {"name": "from-snap", "tenant_id": api.tenant_id("Learning Project"),
            "type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
            "memory": "2GB", "version": "5", "source_instance_id": source,
            "source_snapshot_id": snapshot}
    r = api.post("/v1/instances", body)
    assert r.status_code == 400 and error_of(r)["field"] == "source_snapshot_id"  # not done yet
    api.sim.advance(120)
    assert api.post("/v1/instances", body).status_code == 202
    r = api.post("/v1/instances", {**body, "source_instance_id": "deadbeef"})
    assert r.status_code == 404
    del body["source_instance_id"]
    assert api.post("/v1/instances", body).status_code == 400


def test_upgrade_professional_to_business_critical(api):
    workshop = api.tenant_id("Workshop Project")
    iid = api.running(tenant_id=workshop, memory="4GB")["id"]
    r = api.post(f"/v1/instances/{iid}/upgrade", {"memory": "8GB"})
    assert r.status_code == 400 and error_of(r)["field"] == "storage"
    r = api.post(f"/v1/instances/{iid}/upgrade", {"memory": "8GB", "storage": "16GB"})
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["type"], data["memory"], data["storage"]) == ("business-critical", "8GB", "16GB")
    api.finish(iid)
    assert api.status(iid) == "running"
    r = api.post(f"/v1/instances/{iid}/upgrade")
    assert r.status_code == 400 and error_of(r)["field"] == "type"
    # Learning Project offers no business-critical at all
    other = api.running()["id"]
    assert api.post(f"/v1/instances/{other}/upgrade").status_code == 400


def test_durations_vary_per_instance_but_repeat_for_the_same_seed():
    def creation_times(seed):
        with Simulator(seed=seed, rate_limit=0) as sim:
            caller = Api(sim)
            ids = [caller.create(name=f"n{i}")["id"] for i in range(5)]
            start = sim.clock.now()
            return ids, [round(sim.world.transition_end(i) - start) for i in ids]
    ids, times = creation_times(3)
    assert len(set(times)) > 1 and all(85 <= t <= 150 for t in times)
    again_ids, again_times = creation_times(3)
    assert again_ids == ids
    assert [abs(a - b) <= 1 for a, b in zip(times, again_times)] == [True] * 5
    assert creation_times(4)[0] != ids


def test_durations_can_be_overridden():
    with Simulator(rate_limit=0, durations={"creating": (5, 5)}) as sim:
        caller = Api(sim)
        iid = caller.create()["id"]
        sim.advance(5.1)
        assert caller.status(iid) == "running"
    with pytest.raises(ValueError):
        Simulator(durations={"brewing": (1, 2)})


def test_speed_makes_lifecycles_faster_in_real_time():
    with Simulator(rate_limit=0, speed=1000) as fast:
        caller = Api(fast)
        iid = caller.create()["id"]
        end = fast.world.transition_end(iid)
        assert end - fast.clock.now() > 80          # still minutes of virtual time
        time.sleep(0.2)                            # = 200 virtual seconds
        assert caller.status(iid) == "running"


def test_instance_ids_follow_the_name_not_the_order_and_are_never_reused(api):
    first = api.create(name="tutorial-db")["id"]
    with Simulator(seed=0, rate_limit=0) as other:
        other_api = Api(other)
        other_api.create(name="something-else")               # a different history before it
        assert other_api.create(name="tutorial-db")["id"] == first
    with Simulator(seed=1, rate_limit=0) as reseeded:
        assert Api(reseeded).create(name="tutorial-db")["id"] != first
    again = api.create(name="tutorial-db")["id"]                # same name twice: a new id
    assert again != first
    api.finish(first)
    assert api.delete(f"/v1/instances/{first}").status_code == 202
    api.finish(first)                                            # destroyed and gone
    assert api.get(f"/v1/instances/{first}").status_code == 404
    assert api.create(name="tutorial-db")["id"] not in {first, again}

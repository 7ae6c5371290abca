"""Customer-managed keys, graph-analytics sessions and the sizing endpoints."""

import pytest

from tests.helpers.simulator import Api, error_of


KEY_FIELDS = {"id", "name", "cloud_provider", "region", "instance_type", "key_id", "created",
              "status", "tenant_id"}
SESSION_FIELDS = {"id", "name", "memory", "status", "host", "tenant_id", "user_id"}
ARN = "arn:aws:kms:us-east-1:123456789012:key/0000-1111"


def key_body(api, **fields):
    body = {"key_id": ARN, "region": "us-east-1", "name": "my-key", "instance_type": "enterprise-db",
            "tenant_id": api.tenant_id("Enterprise Project"), "cloud_provider": "aws"}
    body.update(fields)
    return body


def test_key_lifecycle_pending_ready_used_deleted(api, manual_sim):
    r = api.post("/v1/customer-managed-keys", key_body(api))
    assert r.status_code == 202
    key = r.json()["data"]
    assert KEY_FIELDS <= set(key) and key["status"] == "pending"
    listed = api.get("/v1/customer-managed-keys").json()["data"]
    assert listed == [{"id": key["id"], "name": "my-key", "tenant_id": key["tenant_id"]}]
    create = {"name": "vdc", "tenant_id": key["tenant_id"], "type": "enterprise-db",
              "cloud_provider": "aws", "region": "us-east-1", "memory": "4GB", "version": "5",
              "customer_managed_key_id": key["id"]}
    r = api.post("/v1/instances", create)
    assert r.status_code == 400 and error_of(r)["field"] == "customer_managed_key_id"
    manual_sim.advance(90)
    assert api.get(f"/v1/customer-managed-keys/{key['id']}").json()["data"]["status"] == "ready"
    iid = api.post("/v1/instances", create).json()["data"]["id"]
    detail = api.get(f"/v1/instances/{iid}").json()["data"]
    assert detail["customer_managed_key_id"] == key["id"]
    r = api.delete(f"/v1/customer-managed-keys/{key['id']}")
    assert r.status_code == 400 and error_of(r)["reason"] == "encryption-key-is-active"
    api.finish(iid)
    api.delete(f"/v1/instances/{iid}")
    api.finish(iid)
    r = api.delete(f"/v1/customer-managed-keys/{key['id']}")
    assert r.status_code == 204 and r.content == b""
    r = api.get(f"/v1/customer-managed-keys/{key['id']}")
    assert r.status_code == 404 and error_of(r)["reason"] == "encryption-key-not-found"


@pytest.mark.parametrize("field,value", [("instance_type", "professional-db"),
                                         ("cloud_provider", "ibm"), ("region", "eu-west-9"),
                                         ("name", ""), ("key_id", None)])
def test_key_validation(api, field, value):
    r = api.post("/v1/customer-managed-keys", key_body(api, **{field: value}))
    assert r.status_code == 400 and error_of(r)["field"] == field


def test_key_filters_and_isolation(api, manual_sim):
    key = api.post("/v1/customer-managed-keys", key_body(api)).json()["data"]
    learning = api.tenant_id("Learning Project")
    assert api.get("/v1/customer-managed-keys", params={"tenantId": learning}).json()["data"] == []
    assert api.get("/v1/customer-managed-keys", params={"tenantId": "x"}).status_code == 404
    other = Api(manual_sim, ("other-client", "other-secret"))
    assert other.get(f"/v1/customer-managed-keys/{key['id']}").status_code == 404
    assert other.get("/v1/customer-managed-keys").json()["data"] == []


def session_body(api, **fields):
    body = {"name": "analysis", "memory": "8GB", "ttl": "30m",
            "tenant_id": api.tenant_id("Learning Project"), "cloud_provider": "gcp",
            "region": "europe-west1"}
    body.update(fields)
    return body


def test_session_get_or_create(api, manual_sim):
    r = api.post("/v1/graph-analytics/sessions", session_body(api))
    assert r.status_code == 202
    session = r.json()["data"]
    assert SESSION_FIELDS <= set(session)
    assert session["status"] == "" and session["id"].startswith("s-")
    again = api.post("/v1/graph-analytics/sessions", session_body(api))
    assert again.status_code == 200 and again.json()["data"]["id"] == session["id"]
    r = api.post("/v1/graph-analytics/sessions", session_body(api, memory="4GB"))
    assert r.status_code == 409
    body = r.json()
    assert body["data"] is None
    assert "is: 8GB, requested: 4GB" in body["errors"][0]["message"]
    manual_sim.advance(10)
    assert api.get(f"/v1/graph-analytics/sessions/{session['id']}").json()["data"][
        "status"] == "Creating"
    manual_sim.advance(60)
    assert api.get(f"/v1/graph-analytics/sessions/{session['id']}").json()["data"][
        "status"] == "Ready"
    manual_sim.advance(8 * 24 * 3600)
    api.renew()                                 # the old token expired meanwhile
    assert api.get(f"/v1/graph-analytics/sessions/{session['id']}").json()["data"][
        "status"] == "Expired"


def test_session_attached_to_an_instance_and_filters(api):
    iid = api.running()["id"]
    r = api.post("/v1/graph-analytics/sessions", {"name": "attached", "memory": "4GB",
                                                   "instance_id": iid})
    assert r.status_code == 202
    attached = r.json()["data"]
    assert attached["id"].startswith(f"{iid}-") and attached["instance_id"] == iid
    standalone = api.post("/v1/graph-analytics/sessions", session_body(api)).json()["data"]
    everything = api.get("/v1/graph-analytics/sessions").json()["data"]
    assert {s["id"] for s in everything} == {attached["id"], standalone["id"]}
    only = api.get("/v1/graph-analytics/sessions", params={"instanceId": iid}).json()["data"]
    assert [s["id"] for s in only] == [attached["id"]]
    assert api.get("/v1/graph-analytics/sessions", params={"instanceId": "deadbeef"}
                   ).status_code == 404


def test_session_delete_and_errors(api):
    session = api.post("/v1/graph-analytics/sessions", session_body(api)).json()["data"]
    r = api.delete(f"/v1/graph-analytics/sessions/{session['id']}")
    assert r.status_code == 202 and r.json() == {"data": {"id": session["id"]}}
    r = api.get(f"/v1/graph-analytics/sessions/{session['id']}")
    assert r.status_code == 404
    assert r.json()["errors"][0]["message"] == f"session with id `{session['id']}` not found"
    assert api.delete(f"/v1/graph-analytics/sessions/{session['id']}").status_code == 404
    for fields, field in [({"name": ""}, "name"), ({"memory": "7GB"}, "memory"),
                          ({"ttl": "soon"}, "ttl"), ({"region": "mars"}, "region"),
                          ({"tenant_id": None}, "tenant_id")]:
        r = api.post("/v1/graph-analytics/sessions", session_body(api, **fields))
        assert r.status_code == 400 and error_of(r)["field"] == field, fields


def test_sizing_estimates_are_deterministic_and_grow_with_the_graph(api):
    small = {"node_count": 1000, "relationship_count": 5000}
    big = {"node_count": 1_000_000, "relationship_count": 5_000_000,
           "instance_type": "professional-ds", "algorithm_categories": ["node-embedding"]}
    a = api.post("/v1/instances/sizing", small).json()["data"]
    b = api.post("/v1/instances/sizing", big).json()["data"]
    assert set(a) == {"did_exceed_maximum", "min_required_memory", "recommended_size"}
    assert int(b["min_required_memory"][:-2]) > int(a["min_required_memory"][:-2])
    assert int(b["recommended_size"][:-2]) >= int(b["min_required_memory"][:-2])
    assert api.post("/v1/instances/sizing", big).json()["data"] == b
    huge = api.post("/v1/instances/sizing", {"node_count": 10**12, "relationship_count": 0})
    assert huge.json()["data"]["did_exceed_maximum"] is True
    s = api.post("/v1/graph-analytics/sessions/sizing",
                 {"node_count": 1_000_000, "relationship_count": 5_000_000,
                  "node_property_count": 10}).json()["data"]
    assert set(s) == {"estimated_memory", "recommended_size"}
    r = api.post("/v1/instances/sizing", {"node_count": -1, "relationship_count": 1})
    assert r.status_code == 400 and error_of(r)["field"] == "node_count"
    r = api.post("/v1/graph-analytics/sessions/sizing", {"node_count": 1})
    assert r.status_code == 400 and error_of(r)["field"] == "relationship_count"

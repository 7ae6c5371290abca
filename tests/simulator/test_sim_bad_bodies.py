"""Every body field of every POST/PATCH, given a value of the wrong kind: a 4xx, never a 5xx."""

import pytest

from tests.helpers.simulator import CLIENT, admin, error_of


BAD_VALUES = [None, 0, -1, 1.5, True, [], ["x"], {}, {"a": 1}, "", " ", "x" * 5000, "\x00",
              "9" * 40]


@pytest.fixture
def targets(api, manual_sim):
    """Valid bodies for each POST/PATCH route, with running instances to aim at."""
    learning = api.tenant_id("Learning Project")
    enterprise = api.tenant_id("Enterprise Project")
    iid = api.running(memory="4GB")["id"]
    source = api.running(name="source")["id"]
    snapshot = api.post(f"/v1/instances/{source}/snapshots").json()["data"]["snapshot_id"]
    manual_sim.advance(120)
    api.renew()
    create = {"name": "x", "tenant_id": learning, "type": "professional-db",
              "cloud_provider": "gcp", "region": "europe-west1", "memory": "2GB", "version": "5",
              "storage": "4GB", "vector_optimized": False, "graph_analytics_plugin": False,
              "source_instance_id": source, "source_snapshot_id": snapshot,
              "customer_managed_key_id": "k", "secondaries_count": 0, "cdc_enrichment_mode": "OFF"}
    return [
        ("POST", "/v1/instances", create),
        ("POST", "/v1/instances/sizing", {"node_count": 1, "relationship_count": 1,
                                          "instance_type": "professional-ds",
                                          "algorithm_categories": ["x"]}),
        ("PATCH", f"/v1/instances/{iid}", {"name": "y", "memory": "8GB", "storage": "16GB",
                                           "vector_optimized": True,
                                           "graph_analytics_plugin": True,
                                           "secondaries_count": 1, "cdc_enrichment_mode": "DIFF"}),
        ("POST", f"/v1/instances/{iid}/overwrite", {"source_instance_id": source,
                                                    "source_snapshot_id": snapshot}),
        ("POST", f"/v1/instances/{iid}/upgrade", {"memory": "8GB", "storage": "16GB"}),
        ("POST", "/v1/customer-managed-keys", {"key_id": "arn", "region": "us-east-1",
                                               "name": "k", "instance_type": "enterprise-db",
                                               "tenant_id": enterprise, "cloud_provider": "aws"}),
        ("POST", "/v1/graph-analytics/sessions", {"name": "s", "memory": "8GB", "ttl": "1h",
                                                  "instance_id": iid, "database_uuid": "u",
                                                  "tenant_id": learning, "cloud_provider": "gcp",
                                                  "region": "europe-west1"}),
        ("POST", "/v1/graph-analytics/sessions/sizing", {
            "node_count": 1, "relationship_count": 1, "node_property_count": 1,
            "node_label_count": 1, "relationship_property_count": 1,
            "algorithm_categories": ["x"]}),
    ]


def test_wrong_kinds_of_values_never_get_a_server_error(api, targets):
    checked = 0
    for method, path, valid in targets:
        for field in valid:
            for bad in BAD_VALUES:
                body = {**valid, field: bad}
                r = api.session.request(method, api.base + path, json=body, timeout=10)
                assert r.status_code < 500, (method, path, field, bad, r.text)
                if r.status_code >= 400:
                    error = r.json()["errors"][0]
                    assert error["message"], (method, path, field, bad)
                checked += 1
    assert checked > 500
    stats = api.get("/v1/instances")            # the server is still healthy afterwards
    assert stats.status_code == 200


def test_invalid_bodies_are_rejected_with_the_field_named(api, targets):
    method, path, valid = targets[0]
    for field in ("name", "tenant_id", "type", "cloud_provider", "region", "memory", "version"):
        r = api.session.request(method, api.base + path, json={**valid, field: 7}, timeout=10)
        assert r.status_code == 400 and error_of(r)["field"] == field


@pytest.mark.parametrize("nested", [b"[" * 100_000 + b"]" * 100_000,
                                    b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_deeply_nested_json_is_a_400_in_the_api_error_shape(api, manual_sim, nested, capfd):
    for method, path in [("POST", "/v1/instances"), ("PATCH", "/v1/instances/0123abcd"),
                         ("POST", "/v1/graph-analytics/sessions")]:
        r = api.session.request(method, api.base + path, data=nested, timeout=10,
                                headers={"Content-Type": "application/json"})
        assert r.status_code == 400, r.text[:200]
        assert error_of(r)["message"] == "The request body is nested too deeply"
    r = admin(manual_sim, "POST", "faults", data=nested)
    assert r.status_code == 400 and error_of(r)["message"] == "The request body is nested too deeply"
    r = api.session.post(api.base + "/oauth/token", data=nested, auth=CLIENT,
                         headers={"Content-Type": "application/json"})
    assert r.status_code == 400                 # no grant_type in a body that is not a form
    assert "RecursionError" not in capfd.readouterr().err
    assert api.get("/v1/tenants").status_code == 200

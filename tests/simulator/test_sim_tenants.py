"""GET /v1/tenants, /v1/tenants/{id}, /v1/tenants/{id}/metrics-integration."""

import re

from tests.helpers.simulator import error_of


CONFIG_FIELDS = {"region", "region_name", "type", "memory", "storage", "version", "cloud_provider"}


def test_list_tenants_gives_id_and_name(api):
    r = api.get("/v1/tenants")
    assert r.status_code == 200
    tenants = r.json()["data"]
    assert tenants and all(set(t) == {"id", "name"} for t in tenants)
    assert all(re.fullmatch(r"[0-9a-f-]{36}", t["id"]) for t in tenants)


def test_tenant_detail_has_realistic_instance_configurations(api):
    tenant = api.get(f"/v1/tenants/{api.tenant_id('Learning Project')}").json()["data"]
    assert tenant["name"] == "Learning Project"
    configs = tenant["instance_configurations"]
    assert all(set(c) == CONFIG_FIELDS for c in configs)
    assert {c["cloud_provider"] for c in configs} == {"gcp", "aws", "azure"}
    assert {c["type"] for c in configs} == {"free-db", "professional-db"}
    assert {c["version"] for c in configs} == {"5"}
    assert len({c["region"] for c in configs}) >= 5
    assert len({c["memory"] for c in configs}) >= 5
    belgium = next(c for c in configs if c["region"] == "europe-west1")
    assert belgium["region_name"] == "Belgium (europe-west1)"
    for c in configs:
        assert c["region_name"].endswith(f"({c['region']})")
        assert int(c["storage"][:-2]) == 2 * int(c["memory"][:-2])


def test_other_tenants_offer_other_types(api):
    types = {}
    for name in ("Workshop Project", "Enterprise Project"):
        tenant = api.get(f"/v1/tenants/{api.tenant_id(name)}").json()["data"]
        types[name] = {c["type"] for c in tenant["instance_configurations"]}
    assert types["Workshop Project"] == {"professional-db", "business-critical"}
    assert types["Enterprise Project"] == {"enterprise-db", "enterprise-ds"}


def test_unknown_tenant_is_404_tenant_not_found(api):
    r = api.get("/v1/tenants/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404
    assert error_of(r)["reason"] == "tenant-not-found"


def test_metrics_integration_needs_an_eligible_instance(api):
    tenant_id = api.tenant_id("Enterprise Project")
    r = api.get(f"/v1/tenants/{tenant_id}/metrics-integration")
    assert r.status_code == 400
    assert error_of(r)["reason"] == "tenant-incapable-of-action"
    api.create(tenant_id=tenant_id, type="enterprise-db", memory="4GB")
    r = api.get(f"/v1/tenants/{tenant_id}/metrics-integration")
    assert r.status_code == 200
    assert r.json()["data"]["endpoint"].startswith("https://")
    assert tenant_id in r.json()["data"]["endpoint"]
    assert api.get("/v1/tenants/nope/metrics-integration").status_code == 404

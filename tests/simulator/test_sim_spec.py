"""Conformance with the published OpenAPI spec (read at test time, see `tests.helpers.needs`).

Every path and method in the spec must be routed by the simulator and answer one of the status
codes the spec documents, with the fields the spec marks as required on its main objects.
"""

import pytest

from aura_nb.simulator.routes import API_ROUTES

from tests.helpers.needs import reference_file
from tests.helpers.simulator import Api

METHODS = ("get", "post", "patch", "delete", "put")


@pytest.fixture(scope="module")
def spec():
    path = reference_file("aura-api-openapi.yaml")
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(spec, schema):
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def missing_required(spec, schema, value, where="") -> list[str]:
    """Required properties absent from ``value``, recursively (types and enums not checked)."""
    schema = resolve(spec, schema)
    problems = []
    if isinstance(value, dict):
        problems += [f"{where}.{name}" for name in schema.get("required", []) if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if value.get(name) is not None:
                problems += missing_required(spec, sub, value[name], f"{where}.{name}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += missing_required(spec, schema["items"], item, f"{where}[{i}]")
    return problems


def test_every_simulator_route_is_in_the_spec(spec):
    documented = {f"/v1{path}" for path in spec["paths"]}
    assert {template for template, _ in API_ROUTES} <= documented


class Scenario:
    """Builds, for one spec operation, the concrete URL and body that should succeed."""

    def __init__(self, api):
        self.api = api
        self.workshop = api.tenant_id("Workshop Project")
        self.enterprise = api.tenant_id("Enterprise Project")

    def instance(self, **fields):
        return self.api.running(tenant_id=self.workshop, memory="4GB", **fields)["id"]

    def request(self, method, path):
        api, body, values = self.api, {}, {}
        if "{tenantId}" in path:
            api.running(tenant_id=self.enterprise, type="enterprise-db", memory="4GB")
            values["tenantId"] = self.enterprise
        if "{instanceId}" in path:
            values["instanceId"] = self.instance()
        if "{snapshotId}" in path:
            values["snapshotId"] = api.post(f"/v1/instances/{values['instanceId']}/snapshots"
                                            ).json()["data"]["snapshot_id"]
            api.sim.advance(120)
        if "{customerManagedKeyId}" in path:
            values["customerManagedKeyId"] = api.post("/v1/customer-managed-keys", self.key()
                                                      ).json()["data"]["id"]
        if "{sessionId}" in path:
            values["sessionId"] = api.post("/v1/graph-analytics/sessions", self.session()
                                           ).json()["data"]["id"]
        if path.endswith("/resume"):
            api.post(f"/v1/instances/{values['instanceId']}/pause")
            api.finish(values["instanceId"])
        bodies = {
            ("POST", "/instances"): {"name": "spec", "tenant_id": self.workshop,
                                     "type": "professional-db", "cloud_provider": "gcp",
                                     "region": "europe-west1", "memory": "2GB", "version": "5"},
            ("POST", "/instances/sizing"): {"node_count": 10, "relationship_count": 20},
            ("PATCH", "/instances/{instanceId}"): {"name": "renamed"},
            ("POST", "/instances/{instanceId}/overwrite"): {
                "source_instance_id": self.instance(name="source")} if method == "POST" else {},
            ("POST", "/customer-managed-keys"): self.key(),
            ("POST", "/graph-analytics/sessions"): self.session(name="fresh"),
            ("POST", "/graph-analytics/sessions/sizing"): {"node_count": 10,
                                                           "relationship_count": 20},
        }
        if (method, path) in bodies:
            body = bodies[(method, path)]
        url = "/v1" + path.format(**values)
        if method == "GET":
            return api.get(url)
        if method == "DELETE":
            return api.delete(url)
        if method == "PATCH":
            return api.patch(url, body)
        return api.post(url, body)

    def key(self):
        return {"key_id": "arn:aws:kms:us-east-1:1:key/1", "region": "us-east-1",
                "name": "spec-key", "instance_type": "enterprise-db",
                "tenant_id": self.enterprise, "cloud_provider": "aws"}

    def session(self, name="spec-session"):
        return {"name": name, "memory": "4GB", "tenant_id": self.workshop,
                "cloud_provider": "gcp", "region": "europe-west1"}


def test_every_spec_operation_is_routed_and_answers_as_documented(spec, manual_sim):
    api = Api(manual_sim)
    scenario = Scenario(api)
    session_fields = spec["components"]["schemas"]["GdsSessionDetails"]["properties"]["data"]
    checked = []
    for method, path, operation in operations(spec):
        api.renew()
        r = scenario.request(method, path)
        label = f"{method} {path}"
        checked.append(label)
        assert str(r.status_code) in operation["responses"], (label, r.status_code, r.text)
        assert 200 <= r.status_code < 300, (label, r.text)
        if not r.content:
            assert r.status_code == 204, label
            continue
        body = r.json()
        schema = operation["responses"][str(r.status_code)].get("content", {}).get(
            "application/json", {}).get("schema", {})
        if path.startswith("/graph-analytics/sessions") and not path.endswith("sizing") \
                and method != "DELETE":
            # The published schema wraps each session in a second "data"; the examples (and
            # the live service) do not. Check against the session fields themselves.
            items = body["data"] if isinstance(body["data"], list) else [body["data"]]
            problems = [p for item in items for p in missing_required(spec, session_fields, item)]
        else:
            problems = missing_required(spec, schema, body)
        assert problems == [], (label, problems)
    assert len(checked) == len(list(operations(spec))) >= 26

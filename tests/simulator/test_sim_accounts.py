"""Account kinds: a Free, Professional or Enterprise account's projects, refusals and rate limit."""

import json
import subprocess
import sys

import pytest
import requests

from aura_nb.simulator import Simulator

from tests.helpers.simulator import Api, Cli, cli_env, error_of, fetch_token

BILLING = {"errors": [{"message": "You must provide billing details in the Aura Console before "
                                  "creating an instance", "reason": "missing-billing-details"}]}


@pytest.fixture
def account_api():
    """``account_api(kind, **settings)``: a plain-requests caller for a simulator of that kind."""
    started = []

    def make(kind, **settings):
        settings.setdefault("rate_limit", 0)
        sim = Simulator(account=kind, **settings).start()
        started.append(sim)
        return Api(sim)

    yield make
    for sim in started:
        sim.stop()


def configurations(api):
    tenants = api.get("/v1/tenants").json()["data"]
    return {t["name"]: api.get(f"/v1/tenants/{t['id']}").json()["data"]["instance_configurations"]
            for t in tenants}


def body(api, tenant, **fields):
    return {"name": "db", "tenant_id": api.tenant_id(tenant), "version": "5", **fields}


def test_free_account_offers_free_db_and_paid_types_in_one_project(account_api):
    api = account_api("free")
    offered = configurations(api)
    assert list(offered) == ["Free Project"]
    configs = offered["Free Project"]
    free = [c for c in configs if c["type"] == "free-db"]
    assert [(c["memory"], c["cloud_provider"]) for c in free] == [("1GB", "gcp")]
    assert {"professional-db", "business-critical"} <= {c["type"] for c in configs}


def test_free_account_refuses_paid_creates_for_want_of_billing_details(account_api):
    api = account_api("free")
    paid = body(api, "Free Project", type="professional-db", cloud_provider="gcp",
                region="europe-west1", memory="2GB")
    r = api.post("/v1/instances", paid)
    assert r.status_code == 400 and r.json() == BILLING
    assert api.get("/v1/instances").json()["data"] == []            # nothing half-created
    free = body(api, "Free Project", type="free-db", cloud_provider="gcp",
                region="europe-west1", memory="1GB")
    first = api.post("/v1/instances", free)
    assert first.status_code == 202
    second = api.post("/v1/instances", {**free, "name": "second"})
    assert second.status_code == 405 and error_of(second)["reason"] == "max-free-instances-reached"
    iid = first.json()["data"]["id"]
    api.sim.advance(200)
    resize = api.patch(f"/v1/instances/{iid}", {"memory": "2GB"})
    assert resize.status_code == 400 and error_of(resize)["field"] == "memory"
    overwrite = api.post(f"/v1/instances/{iid}/overwrite", {"source_instance_id": iid})
    assert overwrite.status_code == 420 and error_of(overwrite)["reason"] == "action-unsupported"


def test_free_account_gets_25_requests_a_minute():
    with Simulator(account="free") as sim:
        assert sim.rate_limiter.limit == 25
        api = Api(sim)                                      # the token is request 1
        codes = [api.get("/v1/tenants").status_code for _ in range(25)]
        assert codes == [200] * 24 + [429]
        sim.advance(60)
        assert api.get("/v1/tenants").status_code == 200


@pytest.mark.parametrize("kind", ["professional", "enterprise", None])
def test_paid_accounts_get_125_requests_a_minute(kind):
    with Simulator(account=kind, speed=0.001) as sim:  # frozen: no refill while the test sends
        api = Api(sim)
        codes = [api.get("/v1/tenants").status_code for _ in range(125)]
        assert codes == [200] * 124 + [429]


def test_professional_account_creates_paid_and_free_instances(account_api):
    api = account_api("professional")
    offered = configurations(api)
    assert list(offered) == ["Professional Project"]
    types = {c["type"] for c in offered["Professional Project"]}
    assert types == {"free-db", "professional-db", "business-critical"}
    pro = [c for c in offered["Professional Project"] if c["type"] == "professional-db"]
    assert {c["memory"] for c in pro} == {"2GB", "4GB", "8GB", "16GB", "32GB", "64GB"}
    assert {c["cloud_provider"] for c in pro} == {"gcp", "aws", "azure"}
    for fields in [dict(type="professional-db", cloud_provider="aws", region="eu-west-1",
                        memory="4GB"),
                   dict(type="free-db", cloud_provider="gcp", region="europe-west1", memory="1GB")]:
        r = api.post("/v1/instances", body(api, "Professional Project", **fields))
        assert r.status_code == 202, r.text


def test_enterprise_account_has_two_projects_without_free_db(account_api):
    api = account_api("enterprise")
    offered = configurations(api)
    assert list(offered) == ["Production", "Staging"]
    assert {c["type"] for c in offered["Production"]} == {"enterprise-db", "enterprise-ds"}
    assert "free-db" not in {c["type"] for configs in offered.values() for c in configs}
    assert max(int(c["memory"][:-2]) for c in offered["Production"]) == 512
    free = api.post("/v1/instances", body(api, "Production", type="free-db", cloud_provider="gcp",
                                          region="europe-west1", memory="1GB"))
    assert free.status_code == 400 and error_of(free)["field"] == "type"
    vdc = api.post("/v1/instances", body(api, "Production", type="enterprise-db",
                                         cloud_provider="azure", region="westus3", memory="8GB"))
    assert vdc.status_code == 202, vdc.text
    metrics = api.get(f"/v1/tenants/{api.tenant_id('Production')}/metrics-integration")
    assert metrics.status_code == 200
    key = api.post("/v1/customer-managed-keys", {
        "key_id": "arn:aws:kms:us-east-1:1:key/x", "region": "us-east-1", "name": "k",
        "instance_type": "enterprise-db", "tenant_id": api.tenant_id("Production"),
        "cloud_provider": "aws"})
    assert key.status_code == 202, key.text


def test_default_world_is_unchanged_without_an_account(account_api):
    api = account_api(None)
    assert list(configurations(api)) == ["Learning Project", "Workshop Project",
                                         "Enterprise Project"]
    assert Simulator().rate_limiter.limit == 125


def test_an_unknown_account_kind_is_refused():
    with pytest.raises(ValueError, match="free, professional, enterprise"):
        Simulator(account="startup")


def test_a_state_file_keeps_its_account_kind(tmp_path):
    state = tmp_path / "world.json"
    with Simulator(account="free", state_file=state) as sim:
        Api(sim)
    assert json.loads(state.read_text())["account"] == "free"
    with Simulator(account="free", state_file=state) as sim:
        assert [t["name"] for t in Api(sim).get("/v1/tenants").json()["data"]] == ["Free Project"]
    with pytest.raises(ValueError, match="holds a world of account free"):
        Simulator(account="enterprise", state_file=state)


def test_cli_takes_the_account_from_the_option_or_the_environment(tmp_path):
    for args, env in [(["--account", "free"], {}), ([], {"AURA_SIMULATOR_ACCOUNT": "free"})]:
        cli = Cli(*args, env=cli_env(tmp_path, **env))
        try:
            headers = {"Authorization": f"Bearer {fetch_token(cli.base)}"}
            tenants = requests.get(f"{cli.base}/v1/tenants", headers=headers).json()["data"]
            assert [t["name"] for t in tenants] == ["Free Project"]
        finally:
            code, _, err = cli.stop()
        assert code == 0, err
    done = subprocess.run([sys.executable, "-m", "aura_nb.simulator"], capture_output=True,
                          text=True, timeout=20,
                          env=cli_env(tmp_path, AURA_SIMULATOR_ACCOUNT="startup"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "AURA_SIMULATOR_ACCOUNT" in done.stderr

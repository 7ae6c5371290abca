"""Every AuraClient operation against an in-process simulator."""

from __future__ import annotations

import stat
from datetime import datetime, timezone

import pytest

from aura_nb.core.errors import (
    AmbiguousName,
    BadRequest,
    Conflict,
    InvalidInstanceSpec,
    NameNotFound,
    NotFound,
)
from aura_nb.core.models import CreatedInstance, Instance, InstanceSummary, Snapshot, Tenant

from tests.helpers.simulator import requests_made


def running(sim, client, spec):
    """Create an instance and move the simulator's clock until it is running."""
    created = client.create_instance(spec)
    sim.advance(200)
    assert client.get_instance(created.id).status == "running"
    return created


def test_describe_says_simulator_mode_without_secrets(client, sim):
    line = client.describe()
    assert line == f"Simulator mode: local Aura API simulator at {sim.base_url} as client simulator-client"
    assert client.mode == "simulator" and sim.client_secret not in line + repr(client)


def test_tenants_list_get_and_find(client):
    tenants = client.list_tenants()
    assert {t.name for t in tenants} == {"Learning Project", "Workshop Project",
                                         "Enterprise Project"}
    learning = client.find_tenant("Learning Project")
    assert isinstance(learning, Tenant) and learning.instance_configurations
    assert client.find_tenant(learning.id) == learning
    assert client.get_tenant(learning.id).name == "Learning Project"
    assert "<table" in tenants._repr_html_()


def test_find_tenant_explains_missing_and_ambiguous_choices(client, monkeypatch):
    monkeypatch.delenv("AURA_TENANT", raising=False)
    with pytest.raises(AmbiguousName) as many:
        client.find_tenant()
    assert "3 tenants" in str(many.value) and "'Workshop Project'" in str(many.value)
    assert "AURA_TENANT" in str(many.value)
    with pytest.raises(NameNotFound) as missing:
        client.find_tenant("Learning")
    assert "no tenant is named 'Learning'" in str(missing.value)
    assert "'Learning Project'" in str(missing.value)
    monkeypatch.setenv("AURA_TENANT", "Workshop Project")
    assert client.find_tenant().name == "Workshop Project"


def test_find_tenant_picks_the_only_tenant(sim, make_client):
    other = make_client(sim, client_id="other-client", client_secret="other-secret")
    assert other.find_tenant().name == "Other Project"


def test_default_tenant_setting_is_used(sim, make_client):
    assert make_client(sim, tenant="Enterprise Project").find_tenant().name == \
        "Enterprise Project"


def test_get_unknown_tenant_is_not_found(client):
    with pytest.raises(NotFound) as info:
        client.get_tenant("00000000-0000-0000-0000-000000000000")
    assert str(info.value).startswith("404 tenant-not-found")
    assert "(GET /v1/tenants/00000000-0000-0000-0000-000000000000)" in str(info.value)
    assert "[request id " in str(info.value)


def test_create_writes_the_vault_before_returning(client, make_spec, simulator_secrets, sim):
    created = client.create_instance(make_spec("vaulted"))
    assert isinstance(created, CreatedInstance)
    assert created.vault_path is not None and created.vault_path.exists()
    assert stat.S_IMODE(created.vault_path.stat().st_mode) == 0o600
    entry = client.vault.load(created.id)
    assert entry.password == created.password
    assert entry.password in simulator_secrets(sim)
    assert entry.uri == created.connection_url and entry.instance_name == "vaulted"
    assert created.password not in repr(created) + str(created) + created._repr_html_()


def test_invalid_spec_is_rejected_locally_and_nothing_is_sent(client, make_spec, sim):
    client.find_tenant("Learning Project")  # tenant fetched and cached
    before = requests_made(sim)["POST /v1/instances"]
    with pytest.raises(InvalidInstanceSpec) as info:
        client.create_instance(make_spec(memory="3GB"))
    assert info.value.field == "memory" and "choose one of: " in str(info.value)
    with pytest.raises(InvalidInstanceSpec, match="region 'mars-1'"):
        client.create_instance(make_spec(region="mars-1"))
    with pytest.raises(InvalidInstanceSpec, match="not a tenant this client can see"):
        client.create_instance(make_spec(tenant_id="00000000-0000-0000-0000-000000000000"))
    assert requests_made(sim)["POST /v1/instances"] == before


def test_server_side_validation_still_maps_to_bad_request(client, make_spec):
    with pytest.raises(BadRequest) as info:
        client.create_instance(make_spec(memory="3GB"), validate=False)
    assert info.value.field == "memory"
    assert "(POST /v1/instances)" in str(info.value)


def test_list_get_and_find_instances(client, make_spec, learning):
    first = client.create_instance(make_spec("alpha"))
    client.create_instance(make_spec("beta"))
    listed = client.list_instances(learning.id)
    assert {"alpha", "beta"} <= {i.name for i in listed}
    assert all(isinstance(i, InstanceSummary) and i.created_at for i in listed)
    assert {i.id for i in client.list_instances()} >= {i.id for i in listed}
    assert client.find_instance("alpha").id == first.id
    assert client.find_instance(first.id, learning.id).name == "alpha"
    detail = client.get_instance(first.id)
    assert isinstance(detail, Instance) and detail.status == "creating"
    with pytest.raises(NameNotFound, match="existing names: 'alpha', 'beta'"):
        client.find_instance("gamma", learning.id)
    client.create_instance(make_spec("alpha"))
    with pytest.raises(AmbiguousName, match="2 instances are named 'alpha'"):
        client.find_instance("alpha")


def test_lifecycle_pause_resume_rename_resize_delete(sim, client, make_spec):
    created = client.create_instance(make_spec("life"))
    with pytest.raises(Conflict) as busy:
        client.pause_instance(created.id)
    assert "409 ongoing-database-operation" in str(busy.value)
    sim.advance(200)

    paused = client.pause_instance(created.id)
    assert paused.status == "pausing"
    sim.advance(100)
    assert client.get_instance(created.id).status == "paused"
    assert client.resume_instance(created.id).status == "resuming"
    sim.advance(200)

    renamed = client.rename_instance(created.id, "life-renamed")
    assert renamed is None or renamed.name == "life-renamed"
    assert client.get_instance(created.id).name == "life-renamed"
    resized = client.resize_instance(created.id, "4GB", "8GB")
    assert resized is None or resized.status == "updating"
    sim.advance(200)
    assert client.get_instance(created.id).memory == "4GB"
    with pytest.raises(ValueError):
        client.update_instance(created.id)

    gone = client.delete_instance(created.id)
    assert gone.status == "destroying"
    sim.advance(100)
    with pytest.raises(NotFound):
        client.get_instance(created.id)
    with pytest.raises(NotFound):  # a first DELETE of a missing id is an error, not "done"
        client.delete_instance(created.id)


def test_snapshots_create_get_list_restore_and_overwrite(sim, client, make_spec):
    source = running(sim, client, make_spec("source"))
    target = running(sim, client, make_spec("target"))
    snapshot_id = client.create_snapshot(source.id)
    snapshot = client.get_snapshot(source.id, snapshot_id)
    assert isinstance(snapshot, Snapshot) and snapshot.id == snapshot_id
    sim.advance(100)
    assert client.get_snapshot(source.id, snapshot_id).status == "Completed"
    today = datetime.fromtimestamp(sim.clock.now(), tz=timezone.utc).date()
    assert snapshot_id in {s.snapshot_id for s in client.list_snapshots(source.id)}
    assert snapshot_id in {s.snapshot_id for s in client.list_snapshots(source.id, today)}
    assert client.list_snapshots(source.id, "2001-01-01") == []

    restored = client.restore_snapshot(source.id, snapshot_id)
    assert restored is None or restored.status == "restoring"
    sim.advance(200)
    overwritten = client.overwrite_instance(target.id, source.id, snapshot_id)
    assert overwritten is None or overwritten.status == "overwriting"
    sim.advance(200)
    assert client.get_instance(target.id).status == "running"
    with pytest.raises(NotFound):
        client.get_snapshot(source.id, "00000000-0000-0000-0000-000000000000")


def test_generic_request_unwraps_data_and_accepts_any_path_form(client, sim):
    assert client.request("GET", "/v1/tenants") == client.request("GET", "tenants")
    assert client.request("GET", sim.base_url + "/v1/tenants")[0]["name"]


def test_body_less_posts_send_json_content_type_and_an_empty_object(sim, client, make_spec):
    created = running(sim, client, make_spec())
    client.pause_instance(created.id)
    exchange = client.history[-1]
    assert exchange.method == "POST" and exchange.url.endswith("/pause")
    assert exchange.request_headers["Content-Type"] == "application/json"
    assert exchange.request_body == {}


def test_history_records_redacted_exchanges_and_curl(client, make_spec, sim):
    created = client.create_instance(make_spec("shown"))
    token_exchange = next(e for e in client.history if e.is_token_request)
    assert token_exchange.response_body["access_token"] == "<redacted>"
    assert token_exchange.request_headers["Authorization"] == "Basic <redacted>"
    create = client.history[-1]
    assert create.status == 202 and create.response_body["data"]["password"] == "<redacted>"
    assert create.request_body["name"] == "shown"
    assert create.request_id and create.as_curl().startswith(
        f"curl -X POST {sim.base_url}/v1/instances -H \"Authorization: Bearer $AURA_TOKEN\"")
    assert created.password not in str(create) + create.as_curl()
    listing = client.list_instances(created.tenant_id) and client.history[-1]
    assert listing.url.endswith(f"/v1/instances?tenantId={created.tenant_id}")


def test_one_token_serves_a_whole_session(client, make_spec, sim):
    created = client.create_instance(make_spec())
    sim.advance(200)
    client.get_instance(created.id)
    client.list_instances()
    assert client.token_requests == 1
    assert sim.stats_snapshot()["tokens_issued"] == 1

"""Ids never become paths or URL segments unchecked (defect 5): neither a caller's nor a
server's."""

from __future__ import annotations

import pytest

from aura_nb.core.client import AuraClient
from aura_nb.core.errors import InvalidId
from aura_nb.core.models import InstanceSpec

from tests.helpers.client import TOKEN_ROUTE, ScriptedServer

SPEC = InstanceSpec("evil", "6e6bbc2e-2f1c-4ca4-a5f3-2f1e6c3a1b2c", "professional-db", "gcp",
                    "europe-west1", "1GB")


def created_with_id(instance_id: str) -> dict:
    return {"data": {"id": instance_id, "name": "evil", "tenant_id": SPEC.tenant_id,
                     "connection_url": "neo4j+s://x", "username": "neo4j",
                     "password": "server-password"}}


@pytest.mark.parametrize("bad_id", ["../victim/a", "../../victim/a", "a/../../victim/a"])
def test_a_server_id_with_path_syntax_writes_and_deletes_nothing_outside_the_vault(
        tmp_path, bad_id):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "a-keep.txt").write_text("precious")
    routes = {**TOKEN_ROUTE, "POST /v1/instances": (202, {}, created_with_id(bad_id))}
    with ScriptedServer(routes) as server:
        client = AuraClient("id", "secret", server.base_url, vault_dir=tmp_path / "vault")
        with pytest.raises(InvalidId, match="not a valid instance id") as info:
            client.create_instance(SPEC, validate=False)
    assert "\n" not in str(info.value)
    assert server.requests == ["POST /oauth/token", "POST /v1/instances"]
    assert sorted(p.name for p in victim.iterdir()) == ["a-keep.txt"]
    assert (victim / "a-keep.txt").read_text() == "precious"
    assert list((tmp_path / "vault").iterdir()) == []


@pytest.mark.parametrize("call", [
    lambda c: c.get_instance("../tenants"),
    lambda c: c.get_instance("1a2b3c4d/pause"),
    lambda c: c.pause_instance("../tenants"),
    lambda c: c.delete_instance("1a2b3c4d?x=1"),
    lambda c: c.resize_instance("..", "2GB"),
    lambda c: c.get_tenant("../instances"),
    lambda c: c.get_snapshot("1a2b3c4d", "../../tenants"),
    lambda c: c.restore_snapshot("1a2b3c4d", "a/b"),
    lambda c: c.overwrite_instance("1a2b3c4d", "../x"),
])
def test_caller_ids_with_path_syntax_are_one_line_errors_and_send_nothing(tmp_path, call):
    with ScriptedServer(dict(TOKEN_ROUTE)) as server:
        client = AuraClient("id", "secret", server.base_url, vault_dir=tmp_path / "vault")
        with pytest.raises(InvalidId) as info:
            call(client)
    assert server.requests == [] and len(client.history) == 0
    assert "\n" not in str(info.value) and "expected" in str(info.value)

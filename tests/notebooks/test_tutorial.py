"""The notebooks' get-or-create helpers (aura_nb.teaching.tutorial) against an in-process simulator.

The simulator's clock is advanced past each transition instead of sleeping through it.
"""

from __future__ import annotations

import pytest

import aura_nb
from aura_nb.teaching import tutorial


@pytest.fixture
def sim(make_simulator):
    return make_simulator(speed=500)


@pytest.fixture
def client(sim, make_client):
    return make_client(sim)


def learning(client):
    return client.find_tenant(tutorial.SIMULATOR_TENANT)


def settle(sim):
    """Let every operation in flight finish (the longest, overwriting, takes 120 s)."""
    sim.advance(200)


def test_get_or_create_creates_once_then_finds_the_same_instance(sim, client):
    spec = tutorial.tutorial_spec(learning(client), "nb-once")
    first = tutorial.get_or_create(client, spec)
    again = tutorial.get_or_create(client, spec)
    assert again.id == first.id
    assert [i.name for i in sim.world.instances.values()].count("nb-once") == 1
    assert first.id in client.vault


def test_ready_instance_resumes_a_paused_instance(sim, client):
    spec = tutorial.tutorial_spec(learning(client), "nb-paused")
    created = tutorial.get_or_create(client, spec)
    settle(sim)
    client.pause_instance(created.id)
    settle(sim)
    assert client.get_instance(created.id).status == "paused"
    ready = tutorial.ready_instance(client, spec, timeout=30)
    assert (ready.id, ready.status) == (created.id, "running")


def test_preview_create_is_the_request_create_would_send_and_sends_nothing(sim, client):
    spec = tutorial.tutorial_spec(learning(client), "nb-preview")
    preview = tutorial.preview_create(client, spec)
    assert (preview.method, preview.url) == ("POST", f"{client.base_url}/v1/instances")
    assert preview.body == spec.to_api()
    assert "not sent" in str(preview) and "Bearer <redacted>" in str(preview)
    assert "nb-preview" not in [i.name for i in sim.world.instances.values()]
    with pytest.raises(aura_nb.InvalidInstanceSpec):
        tutorial.preview_create(client, spec.__class__(**{**vars(spec), "memory": "3GB"}))


def test_bearer_headers_carry_a_token_the_api_accepts(client):
    import requests

    base, headers = tutorial.bearer_headers(client)
    assert requests.get(f"{base}/v1/tenants", headers=headers, timeout=10).status_code == 200


def test_tutorial_spec_prefers_the_small_professional_db_and_falls_back_to_what_is_offered(client):
    spec = tutorial.tutorial_spec(learning(client))
    assert (spec.name, spec.type, spec.cloud_provider, spec.region, spec.memory) == (
        "nb-tutorial", "professional-db", "gcp", "europe-west1", "2GB")
    enterprise = tutorial.tutorial_spec(client.find_tenant("Enterprise Project"), "nb-x")
    client.validate_spec(enterprise)  # only enterprise types there: the smallest offered
    assert (enterprise.type, enterprise.memory) == ("enterprise-db", "4GB")
    bigger = tutorial.tutorial_spec(learning(client), memory="2GB", region="nowhere-1")
    assert (bigger.memory, bigger.region) == ("2GB", "europe-west1")


def test_tenant_uses_aura_tenant_before_the_simulator_default(client, monkeypatch):
    monkeypatch.delenv("AURA_TENANT", raising=False)
    assert tutorial.tenant(client).name == "Learning Project"
    assert tutorial.tenant(client, simulator_tenant="Workshop Project").name == "Workshop Project"
    monkeypatch.setenv("AURA_TENANT", "Enterprise Project")
    assert tutorial.tenant(client).name == "Enterprise Project"


def test_delete_notebook_instances_removes_only_prefixed_ones_and_their_credentials(sim, client):
    tenant = learning(client)
    keep = client.create_instance(tutorial.tutorial_spec(tenant, "keep-me"))
    for name in ("nb-a", "nb-b"):
        client.create_instance(tutorial.tutorial_spec(tenant, name))
    assert tutorial.notebook_instances(client) == ["nb-a", "nb-b"]
    # Still creating: the helper waits for them to settle before deleting (else 409).
    assert tutorial.delete_notebook_instances(client, timeout=60) == ["nb-a", "nb-b"]
    assert tutorial.notebook_instances(client) == []
    assert [i.name for i in client.list_instances()] == ["keep-me"]
    assert [e.instance_id for e in client.vault.entries()] == [keep.id]


def test_delete_notebook_instances_waits_for_where_each_busy_status_settles(monkeypatch):
    """Busy means transitional (lifecycle.is_transitional) and the wait is for where the status
    settles (#21): before, a suspending or suspended instance was waited for until 'running',
    which it never reaches, and the clean-up failed."""
    from types import SimpleNamespace

    statuses = {"aaaa0001": "suspending", "aaaa0002": "suspended", "aaaa0003": "pausing",
                "aaaa0004": "destroying"}
    calls = []
    client = SimpleNamespace(
        list_instances=lambda: [SimpleNamespace(id=i, name=f"nb-{i}") for i in statuses],
        get_instance=lambda i: SimpleNamespace(id=i, status=statuses[i]),
        wait_for_instance=lambda i, status, timeout: calls.append(("wait", i, status)),
        delete_instance=lambda i: calls.append(("delete", i)),
        wait_for_instances=lambda ids, status, timeout: calls.append(("gone", status)))
    monkeypatch.setattr(tutorial, "forget_deleted_credentials", lambda client: 0)
    tutorial.delete_notebook_instances(client)
    assert calls == [("wait", "aaaa0001", "suspended"), ("delete", "aaaa0001"),
                     ("delete", "aaaa0002"),
                     ("wait", "aaaa0003", "paused"), ("delete", "aaaa0003"),
                     ("gone", "deleted")]


def test_tenant_on_a_simulator_without_the_learning_project_is_the_only_one(make_simulator,
                                                                            make_client, monkeypatch):
    monkeypatch.delenv("AURA_TENANT", raising=False)
    client = make_client(make_simulator(account="free"))
    assert tutorial.tenant(client).name == client.list_tenants()[0].name


def test_get_or_create_on_a_free_account_falls_back_to_free_db(make_simulator, make_client,
                                                                monkeypatch, capsys):
    monkeypatch.delenv("AURA_TENANT", raising=False)
    client = make_client(make_simulator(account="free", speed=500))
    spec = tutorial.tutorial_spec(tutorial.tenant(client))
    assert spec.type != "free-db"  # a paid type is offered, and refused without billing
    instance = tutorial.get_or_create(client, spec)
    assert (instance.name, instance.type) == (spec.name, "free-db")
    assert "needs billing details" in capsys.readouterr().out


def test_next_size_is_the_next_offered_and_for_free_db_one_the_api_will_refuse(client):
    tenant = learning(client)
    paid = tutorial.get_or_create(client, tutorial.tutorial_spec(tenant, "nb-size"))
    assert tutorial.next_size(tenant, paid) == "4GB"
    free = tutorial.get_or_create(client, tutorial.tutorial_spec(tenant, "nb-free", type="free-db"))
    assert free.type == "free-db" and tutorial.next_size(tenant, free) == "2GB"


def test_steps_that_cannot_apply_say_why_in_one_line(sim, make_client, monkeypatch, capsys):
    assert tutorial.simulator_admin(make_client(sim)) is not None
    assert tutorial.faults_on(object()) and tutorial.present(object(), "nb-x")
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("AURA_NB_MODE", "real")
    admin = tutorial.simulator_admin(make_client(sim))
    assert admin is None and not tutorial.faults_on(admin) and not tutorial.present(None, "nb-x")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[1] == tutorial.NO_FAULTS and "nb-x" in lines[2]


def test_tour_instance_falls_back_to_the_tutorial_instance_when_the_account_refuses(
        make_simulator, make_client, capsys):
    from aura_nb.widgets import CreateInstanceForm

    sim = make_simulator(speed=500, account="free")
    client = make_client(sim)
    tenant = tutorial.tenant(client)
    tutorial_one = tutorial.tutorial_instance(client)  # the account's one free-db
    form = CreateInstanceForm(client, tenant, name="nb-widgets",
                              choices=tutorial.tutorial_spec(tenant))
    used = tutorial.tour_instance(client, form)
    assert used.id == tutorial_one.id and used.status == "running"
    assert "goes on with nb-tutorial" in capsys.readouterr().out
    assert [i.name for i in sim.world.instances.values()] == ["nb-tutorial"]


def test_forget_touches_only_this_apis_and_accounts_entries(sim, client, capsys):
    """Issue 20 case 6: the vault is shared across APIs and accounts; the clean-up forgets only
    entries of the API and tenants it runs against, and names the entries that do not say whose
    they are (older files) instead of deleting them."""
    from types import SimpleNamespace

    from aura_nb.core.vault import Vault

    tenant = learning(client)
    gone = client.create_instance(tutorial.tutorial_spec(tenant, "nb-gone"))
    ours = client.vault.load(gone.id)
    assert ours.api_base_url == client.base_url and ours.tenant_id == tenant.id
    elsewhere = [("https://api.neo4j.io", tenant.id, "1c2d3e4f"),          # a real account's instance
                 (client.base_url, "00000000-aaaa-bbbb-cccc-000000000000", "5a6b7c8d"),  # another account
                 ("", tenant.id, "9e8f7a6b")]                                # an older file: no API named
    for base_url, tenant_id, iid in elsewhere:
        Vault(client.vault.directory, api_base_url=base_url).save(SimpleNamespace(
            id=iid, name=f"nb-{iid}", connection_url="neo4j+s://x", username="neo4j",
            password="kept-" + iid, tenant_id=tenant_id, created_at=""))
    client.wait_for_instance(gone.id, "running", timeout=60)
    client.delete_instance(gone.id)
    client.wait_for_instance(gone.id, "deleted", timeout=60)
    assert tutorial.forget_deleted_credentials(client) == 1
    left = {e.instance_id: e.password for e in client.vault.entries()}
    assert left == {iid: "kept-" + iid for _, _, iid in elsewhere}
    printed = capsys.readouterr().out
    assert "9e8f7a6b" in printed and "1c2d3e4f" not in printed and "kept-" not in printed


def test_bearer_headers_reuse_the_clients_token(make_simulator, make_client):
    """#18: one token per notebook, not one for the kit and one for the learner's requests."""
    sim = make_simulator(rate_limit=0)
    client = make_client(sim)
    client.list_tenants()
    tutorial.bearer_headers(client)
    assert client.token_requests == 1 == sim.stats_snapshot()["tokens_issued"]


def test_throwaway_simulator_shows_the_token_limit_and_is_skipped_on_the_real_api(client):
    """#18: notebook 01's token-per-call loop meets 429 at the 16th token, on a simulator of its
    own (the notebook's own client id keeps its budget); on the real API nothing starts."""
    import types

    import requests

    with tutorial.throwaway_simulator(client) as sandbox:
        assert sandbox.base_url != client.base_url
        answers = [requests.post(f"{sandbox.base_url}/oauth/token", timeout=10,
                                 data={"grant_type": "client_credentials"},
                                 auth=(sandbox.client_id, sandbox.client_secret))
                   for _ in range(16)]
    assert [a.status_code for a in answers] == [200] * 15 + [429]
    assert int(answers[-1].headers["Retry-After"]) > 3500
    with tutorial.throwaway_simulator(types.SimpleNamespace(mode="real")) as nothing:
        assert nothing is None

"""CreateInstanceForm driven as a learner would: set values, click buttons."""

from __future__ import annotations

import os
import stat

import pytest

from aura_nb.core.client import AuraClient
from aura_nb.simulator.catalog import OTHER_CLIENT
from aura_nb.widgets import CreateInstanceForm
from aura_nb.widgets.create import LEVELS, MASK

from tests.helpers.clock import wait_until


def walk_offers(form):
    """Every full combination the dropdowns offer, found by choosing every option at every level.

    Yields ((type, cloud, region, memory, version), storage, region label, memory label)."""

    def walk(depth):
        dropdown = form.dropdowns[LEVELS[depth]]
        for _label, value in tuple(dropdown.options):
            dropdown.value = value
            if depth == len(LEVELS) - 1:
                picks = form.choices
                yield (tuple(picks[level] for level in LEVELS), form.spec().storage,
                       form.dropdowns["region"].label, form.dropdowns["memory"].label)
            else:
                yield from walk(depth + 1)

    yield from walk(0)


def test_cascade_offers_exactly_the_configurations_of_every_tenant(sim, make_client, clean_env):
    clients = [make_client(sim),
               make_client(sim, client_id=OTHER_CLIENT[0], client_secret=OTHER_CLIENT[1])]
    tenants_seen = 0
    for client in clients:
        for summary in client.list_tenants():
            tenant = client.get_tenant(summary.id)
            form = CreateInstanceForm(client, tenant, name="walker")
            configs = {(c.type, c.cloud_provider, c.region, c.memory, c.version): c
                       for c in tenant.instance_configurations}
            offered = {}
            for combo, storage, region_label, memory_label in walk_offers(form):
                assert combo in configs, f"{tenant.name}: offered {combo}, which the tenant lacks"
                config = configs[combo]
                assert storage == config.storage
                assert region_label == config.region_name
                assert memory_label == f"{config.memory} memory, {config.storage} storage"
                client.validate_spec(form.spec(), tenant=tenant)  # the core agrees: valid
                offered[combo] = True
            missing = set(configs) - set(offered)
            assert not missing, f"{tenant.name}: {len(missing)} configurations unreachable"
            tenants_seen += 1
    assert tenants_seen == 4  # Learning, Workshop, Enterprise and the other client's tenant


def test_one_choice_recomputes_the_cascade_once(wclient):
    form = CreateInstanceForm(wclient, "Learning Project", name="once")
    assert form.choices["type"] == "professional-db"
    changes = {level: 0 for level in LEVELS}
    summaries = []
    for level in LEVELS:
        form.dropdowns[level].observe(
            lambda change, level=level: changes.__setitem__(level, changes[level] + 1), names="options")
    form.request_preview.observe(lambda change: summaries.append(change["new"]), names="value")

    form.dropdowns["type"].value = "free-db"

    # each lower dropdown got its options at most once (version's stay ("5",): no event at all)
    assert changes == {"type": 0, "cloud_provider": 1, "region": 1, "memory": 1, "version": 0}
    assert len(summaries) == 1 and "free-db" in summaries[0]
    assert [value for _, value in form.dropdowns["memory"].options] == ["1GB"]  # free-db: 1GB only


def test_picks_that_stay_valid_are_kept_when_an_upper_choice_changes(wclient):
    form = CreateInstanceForm(wclient, "Learning Project", name="keep")
    form.dropdowns["type"].value = "professional-db"
    form.dropdowns["memory"].value = "8GB"
    form.dropdowns["cloud_provider"].value = "aws"
    assert form.choices["memory"] == "8GB"  # aws regions offer 8GB too
    assert form.choices["region"] in {value for _, value in form.dropdowns["region"].options}
    assert all(value.startswith(("us-", "eu-")) for _, value in form.dropdowns["region"].options)


def test_an_untouched_empty_name_warns_only_once_the_learner_acts(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project")
    assert form.create_button.disabled and form.name_hint.value == ""  # no scolding at first
    assert form.submit() is None and "Type a name" in form.status_text
    form.name_field.value = "x"
    form.name_field.value = ""  # typed, then cleared: now say what is missing
    assert "Type a name" in form.name_hint.value


@pytest.mark.parametrize("name, hint", [
    ("x" * 31, "31 characters long"),
    (" padded", "spaces"),
    ("padded ", "spaces"),
])
def test_invalid_names_disable_create_and_send_nothing(wclient, sim, name, hint):
    form = CreateInstanceForm(wclient, "Learning Project", name=name)
    before = sim.stats_snapshot()["requests"].get("POST /v1/instances", 0)
    assert form.create_button.disabled
    assert hint in form.name_hint.value
    assert form.request_preview.value == ""
    assert form.submit() is None
    assert hint in form.status_text and form.state == "error"
    assert sim.stats_snapshot()["requests"].get("POST /v1/instances", 0) == before
    form.name_field.value = "fine name"
    assert not form.create_button.disabled and form.name_hint.value == ""


def test_create_writes_the_vault_0600_before_showing_the_result(wclient, sim, simulator_secrets,
                                                                  widget_states):
    form = CreateInstanceForm(wclient, "Learning Project", name="vault-first")
    form.dropdowns["type"].value = "professional-db"
    seen_when_shown = []
    seen_in_callback = []

    def on_result_shown(change):
        path = form.value.vault_path
        seen_when_shown.append((path.exists(), stat.S_IMODE(os.stat(path).st_mode)))

    def on_created(created):
        seen_in_callback.append((created.vault_path.exists(),
                                 stat.S_IMODE(os.stat(created.vault_path).st_mode)))

    form.result.observe(on_result_shown, names="value")
    form.on_submit(on_created)
    assert form.result_box.layout.display == "none"

    form.create_button.click()

    created = form.value
    assert seen_when_shown == [(True, 0o600)]
    assert seen_in_callback == [(True, 0o600)]
    assert form.state == "created" and not form.create_button.disabled
    assert form.result_box.layout.display is None
    for shown in (created.id, created.connection_url, created.username, str(created.vault_path)):
        assert shown in form.result.value
    assert MASK in form.password_line.value
    stored = wclient.vault.load(created.id).password
    assert stored in simulator_secrets(sim)  # the vault holds the real one-time password
    assert stored not in widget_states(form)
    assert sim.world.instances[created.id].name == "vault-first"
    assert repr(form) == f"CreateInstanceForm(tenant='Learning Project', instance='{created.id}', state='created')"


def test_reveal_shows_the_password_only_for_a_while(sim, make_client, clean_env, widget_states):
    client = make_client(sim)
    form = CreateInstanceForm(client, "Learning Project", name="peek", reveal_seconds=0.2)
    form.submit()
    password = client.vault.load(form.value.id).password
    assert password not in widget_states(form)

    form.reveal_button.click()
    assert password in form.password_line.value and form.reveal_button.description == "Hide password"
    wait_until(lambda: password not in form.password_line.value, 5)
    assert password not in widget_states(form)
    assert MASK in form.password_line.value and form.reveal_button.description == "Reveal password"

    form.reveal_password()
    form.reveal_button.click()  # Hide at once
    assert password not in widget_states(form)


def test_server_error_on_create_is_shown_and_nothing_is_half_done(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project", name="unlucky")
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances", "action": "status",
                                  "status": 503}])
    before = set(sim.world.instances)

    assert form.submit() is None

    assert form.state == "error" and "503" in form.status_text and "\n" not in form.status_text
    assert form.value is None and form.result_box.layout.display == "none"
    assert form.result.value == "" and not form.create_button.disabled
    assert set(sim.world.instances) == before
    assert not wclient.vault.entries()
    assert sim.stats_snapshot()["requests"]["POST /v1/instances"] == 1  # never resent


def test_lost_create_response_is_explained_without_a_result(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project", name="lost")
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances",
                                  "action": "lose_response"}])

    form.create_button.click()

    assert form.state == "error" and form.value is None
    assert "password could not be captured" in form.status_text
    assert form.result_box.layout.display == "none"
    assert [i.name for i in sim.world.instances.values()] == ["lost"]  # created once
    assert not wclient.vault.entries()


def test_refused_credentials_show_in_the_form_and_disable_create(sim, clean_env, tmp_path):
    client = AuraClient(sim.client_id, "not-the-secret", sim.base_url,
                        speed=sim.clock.speed, vault_dir=tmp_path / "vault")
    form = CreateInstanceForm(client, "Learning Project", name="nope")
    assert form.tenant is None and form.state == "error"
    assert "401" in form.status_text
    assert form.create_button.disabled
    assert all(not dropdown.options for dropdown in form.dropdowns.values())
    assert repr(form) == "CreateInstanceForm(tenant=None, state='error')"


def test_tenant_chosen_later_through_set_tenant(wclient):
    form = CreateInstanceForm(wclient, "No Such Project", name="later")
    assert form.state == "error" and "No Such Project" in form.status_text
    form.set_tenant("Workshop Project")
    assert form.state == "ready" and form.tenant.name == "Workshop Project"
    assert {v for _, v in form.dropdowns["type"].options} == {"professional-db", "business-critical"}
    assert not form.create_button.disabled

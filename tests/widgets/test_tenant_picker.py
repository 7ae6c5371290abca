"""TenantPicker: list, auto-select, choose, errors."""

from __future__ import annotations

from aura_nb.simulator.catalog import OTHER_CLIENT
from aura_nb.widgets import CreateInstanceForm, TenantPicker


def test_single_tenant_is_selected_and_summarised(sim, make_client, clean_env):
    client = make_client(sim, client_id=OTHER_CLIENT[0], client_secret=OTHER_CLIENT[1])
    picked = []
    picker = TenantPicker()
    picker.on_submit(picked.append)
    assert repr(picker) == "TenantPicker(tenant=None, state='no client')"

    picker.set_client(client)

    assert picker.value.name == "Other Project" and picked == [picker.value]
    assert picker.value.id in picker.details.value
    assert "3 configurations: free-db, professional-db on gcp; 1 region; memory 1GB to 4GB" in picker.details.value
    assert repr(picker) == "TenantPicker(tenant='Other Project', state='ready')"


def test_several_tenants_wait_for_a_choice_that_feeds_a_create_form(wclient):
    picker = TenantPicker(wclient)
    assert picker.value is None and picker.state == "choose" and "3 tenants" in picker.status_text
    assert [label for label, _ in picker.dropdown.options] == [
        "Learning Project", "Workshop Project", "Enterprise Project"]
    form = CreateInstanceForm(wclient, "Learning Project", name="from-picker")
    picker.on_submit(form.set_tenant)

    picker.dropdown.label = "Enterprise Project"

    assert picker.value.name == "Enterprise Project"
    assert form.tenant.name == "Enterprise Project"
    assert {v for _, v in form.dropdowns["type"].options} == {"enterprise-db", "enterprise-ds"}


def test_preselect_by_name(wclient):
    picker = TenantPicker(wclient, tenant="Workshop Project")
    assert picker.value.name == "Workshop Project" and picker.state == "ready"


def test_listing_failure_is_shown_and_a_retry_recovers(wclient, sim):
    sim.set_faults(error_rate=1.0)
    picker = TenantPicker(wclient)
    assert picker.state == "error" and picker.value is None
    assert picker.status_text.split()[0] in {"500", "502", "503", "504"}
    assert "try again later" in picker.status_text and "\n" not in picker.status_text
    assert picker.dropdown.options == ()
    sim.set_faults(error_rate=0.0)
    picker.set_client(wclient)
    assert picker.state == "choose"


def test_loading_the_chosen_tenant_can_fail_without_half_state(wclient, sim):
    picker = TenantPicker(wclient)
    sim.set_faults(script=[{"method": "GET", "path": "/v1/tenants/{tenantId}", "action": "status",
                                  "status": 404}])
    picker.dropdown.label = "Workshop Project"
    assert picker.value is None and picker.state == "error" and "404" in picker.status_text
    assert picker.details.value == "" and not picker.dropdown.disabled

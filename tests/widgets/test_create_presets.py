"""CreateInstanceForm presets (``choices=`` / ``choose``), type order and ``watch=True``."""

from __future__ import annotations

import pytest

from aura_nb.teaching import tutorial
from aura_nb.simulator.catalog import OTHER_CLIENT
from aura_nb.widgets import CreateInstanceForm, InstanceStatus
from aura_nb.widgets.create import LEVELS, type_rank


def offered(form, level):
    return [value for _, value in form.dropdowns[level].options]


def posts(sim):
    return sim.stats_snapshot()["requests"].get("POST /v1/instances", 0)


def test_paid_types_come_first_and_free_db_stays_offered(sim, make_client, clean_env):
    primary = make_client(sim)
    other = make_client(sim, client_id=OTHER_CLIENT[0], client_secret=OTHER_CLIENT[1])
    firsts = {}
    for client, tenant in [(primary, "Learning Project"), (primary, "Workshop Project"),
                           (primary, "Enterprise Project"), (other, "Other Project")]:
        form = CreateInstanceForm(client, tenant, name="order")
        firsts[tenant] = offered(form, "type")
    assert firsts == {
        "Learning Project": ["professional-db", "free-db"],
        "Workshop Project": ["professional-db", "business-critical"],
        "Enterprise Project": ["enterprise-db", "enterprise-ds"],
        "Other Project": ["professional-db", "free-db"],
    }
    # a type the kit does not know goes after the known paid ones, before free-db
    assert sorted(["free-db", "new-tier", "enterprise-ds", "professional-db"], key=type_rank) == [
        "professional-db", "enterprise-ds", "new-tier", "free-db"]


def test_creating_twice_with_the_defaults_works(wclient, sim):
    """free-db allows one instance per account: a default of free-db made the second create fail."""
    form = CreateInstanceForm(wclient, "Learning Project", name="first")
    assert form.submit() is not None
    form.name_field.value = "second"
    assert form.submit() is not None, form.status_text
    types = {i.name: i.type for i in sim.world.instances.values()}
    assert types == {"first": "professional-db", "second": "professional-db"}


def test_full_preset_is_what_gets_created(wclient, sim):
    wanted = {"type": "professional-db", "cloud_provider": "aws", "region": "eu-west-1",
              "memory": "2GB", "version": "5"}
    form = CreateInstanceForm(wclient, "Learning Project", name="preset", choices=wanted)
    assert form.choices == wanted and form.state == "ready" and not form.create_button.disabled
    assert "&quot;region&quot;: &quot;eu-west-1&quot;" in form.request_preview.value  # the body shown

    created = form.submit()

    made = sim.world.instances[created.id]
    assert (made.type, made.cloud_provider, made.region, made.memory) == (
        "professional-db", "aws", "eu-west-1", "2GB")


def test_partial_preset_keeps_the_defaults_above_and_cascades_below(wclient):
    form = CreateInstanceForm(wclient, "Learning Project", name="partial",
                              choices={"memory": "8GB", "cloud_provider": None})
    assert form.choices == {"type": "professional-db", "cloud_provider": "gcp",
                            "region": "europe-west1", "memory": "8GB", "version": "5"}
    form.choose(cloud_provider="azure")  # the lower picks stay while still offered
    assert form.choices["cloud_provider"] == "azure" and form.choices["region"] == "eastus"
    assert form.choices["memory"] == "8GB"
    form.choose(type="free-db")  # free-db: gcp europe-west1 1GB only
    assert form.choices == {"type": "free-db", "cloud_provider": "gcp", "region": "europe-west1",
                            "memory": "1GB", "version": "5"}


def test_invalid_preset_shows_one_line_and_sends_nothing(wclient, sim):
    before = posts(sim)
    form = CreateInstanceForm(wclient, "Learning Project", name="bad",
                              choices={"cloud_provider": "mars", "memory": "2GB"})

    assert form.state == "error" and "\n" not in form.status_text
    assert "cloud_provider 'mars' is not offered" in form.status_text
    assert "pick one of: gcp, aws, azure" in form.status_text
    assert form.choices["type"] == "professional-db"
    assert [form.choices[level] for level in LEVELS[1:]] == [None] * 4
    assert offered(form, "cloud_provider") == ["gcp", "aws", "azure"] and offered(form, "region") == []
    assert form.create_button.disabled and form.request_preview.value == ""
    assert form.submit() is None and "mars" in form.status_text
    form.create_button.click()
    assert posts(sim) == before and not sim.world.instances

    form.dropdowns["cloud_provider"].value = "aws"  # the learner picks: the rest of the preset applies

    assert form.state == "ready" and "mars" not in form.status_text
    assert form.choices == {"type": "professional-db", "cloud_provider": "aws", "region": "us-east-1",
                            "memory": "2GB", "version": "5"}
    assert form.submit() is not None and posts(sim) == before + 1


def test_invalid_lower_preset_waits_for_a_pick_at_that_level(wclient):
    form = CreateInstanceForm(wclient, "Learning Project", name="mem", choices={"memory": "3GB"})
    assert "memory '3GB' is not offered by tenant 'Learning Project' for type professional-db, " \
           "cloud_provider gcp, region europe-west1; pick one of: 2GB, 4GB" in form.status_text
    assert form.choices["memory"] is None and form.choices["region"] == "europe-west1"
    form.dropdowns["region"].value = "us-central1"  # a pick above does not clear the memory gap
    assert form.state == "ready" and form.choices["memory"] == "2GB"


def test_unknown_preset_keys_raise_at_once(wclient):
    with pytest.raises(TypeError, match="unknown choice 'cloud': use type, cloud_provider"):
        CreateInstanceForm(wclient, "Learning Project", choices={"cloud": "gcp"})
    with pytest.raises(TypeError, match="mapping or an InstanceSpec"):
        CreateInstanceForm(wclient, "Learning Project", choices="professional-db")
    form = CreateInstanceForm(wclient, "Learning Project", name="typo")
    with pytest.raises(TypeError, match="unknown choice 'size'"):
        form.choose(size="2GB")
    assert form.state == "ready"


def test_an_instance_spec_presets_every_level(wclient):
    tenant = wclient.find_tenant("Learning Project")
    spec = tutorial.tutorial_spec(tenant, "nb-from-spec", cloud_provider="azure", memory="4GB")
    form = CreateInstanceForm(wclient, tenant, name=spec.name, choices=spec)
    assert form.choices == {level: getattr(spec, level) for level in LEVELS}
    wclient.validate_spec(form.spec(), tenant=tenant)


def test_presets_apply_again_to_each_tenant_set_later(wclient):
    form = CreateInstanceForm(wclient, "Learning Project", name="moves", choices={"memory": "16GB"})
    form.dropdowns["memory"].value = "4GB"  # a pick by hand ...
    form.set_tenant("Workshop Project")  # ... the preset is what a new tenant starts from
    assert form.choices["memory"] == "16GB" and form.state == "ready"
    form.choose(type="business-critical", memory="128GB")
    assert form.choices["type"] == "business-critical" and form.choices["memory"] == "128GB"
    form.set_tenant("Learning Project")  # offers neither
    assert form.state == "error" and "type 'business-critical' is not offered" in form.status_text
    assert form.create_button.disabled


def test_watch_adds_a_live_status_per_created_instance(wclient, sim, assert_no_secrets):
    plain = CreateInstanceForm(wclient, "Learning Project", name="plain")
    form = CreateInstanceForm(wclient, "Learning Project", name="watched", watch=True,
                              watch_options={"timeout": 60})
    assert plain.watchers == () and form.watchers == ()
    assert len(form.children) == len(plain.children) + 1

    first = form.submit()
    form.name_field.value = "watched-too"
    form.create_button.click()
    second = form.value

    watchers = form.watchers
    assert [w.instance_id for w in watchers] == [first.id, second.id]
    assert all(isinstance(w, InstanceStatus) and w in form.children[-1].children for w in watchers)
    assert all(w.state in ("waiting", "done") for w in watchers)
    sim.advance(200)  # past the longest creation time
    assert all(w.join(10) for w in watchers)
    assert [(w.state, w.value.status) for w in watchers] == [("done", "running")] * 2
    assert repr(form) == f"CreateInstanceForm(tenant='Learning Project', instance='{second.id}', state='created')"
    assert_no_secrets(sim, form)


def test_failed_create_starts_no_watcher(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project", name="unwatched", watch=True)
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances", "action": "status",
                                  "status": 503}])
    assert form.submit() is None
    assert form.watchers == () and "503" in form.status_text


def test_default_picks_agree_with_the_cores_spec_completion(wclient):
    from aura_nb.core.models import complete_spec

    for summary in wclient.list_tenants():
        tenant = wclient.get_tenant(summary.id)
        form = CreateInstanceForm(wclient, tenant, name="agree")
        completed = complete_spec(tenant, "agree", {"type": form.choices["type"]})
        assert form.choices == {level: getattr(completed, level) for level in LEVELS}, tenant.name

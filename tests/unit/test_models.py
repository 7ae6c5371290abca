"""Models: tolerant parsing, masking of the one-time password, HTML escaping, choices."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from aura_nb.core import display
from aura_nb.core.errors import InvalidInstanceSpec
from aura_nb.core.models import (
    CreatedInstance,
    Instance,
    InstanceSpec,
    InstanceSummary,
    Snapshot,
    Tenant,
    TenantSummary,
    CHOICE_FIELDS,
    allowed_choices,
    check_id,
    check_instance_name,
    check_spec,
    complete_spec,
    memory_gb,
    parse_size,
    parse_timestamp,
)
from aura_nb.core.errors import InvalidId

CONFIGS = [
    {"type": "free-db", "cloud_provider": "gcp", "region": "europe-west1",
     "region_name": "Belgium (europe-west1)", "memory": "1GB", "storage": "2GB", "version": "5"},
    {"type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
     "region_name": "Belgium (europe-west1)", "memory": "16GB", "storage": "32GB", "version": "5"},
    {"type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
     "region_name": "Belgium (europe-west1)", "memory": "2GB", "storage": "4GB", "version": "5"},
    {"type": "professional-db", "cloud_provider": "aws", "region": "us-east-1",
     "region_name": "US East (N. Virginia)", "memory": "4GB", "storage": "8GB", "version": "5"},
]
TENANT = Tenant.from_api({"id": "t-1", "name": "Learning", "instance_configurations": CONFIGS})
SECRET = "Sup3r-s3cret-pässword!"


def created(**extra):
    data = {"id": "1a2b3c4d", "name": "demo", "tenant_id": "t-1", "cloud_provider": "gcp",
            "region": "europe-west1", "type": "professional-db",
            "connection_url": "neo4j+s://1a2b3c4d.databases.neo4j.io", "username": "neo4j",
            "password": SECRET, "created_at": "2025-06-02T09:00:00Z"}
    data.update(extra)
    return CreatedInstance.from_api(data)


def test_unknown_fields_are_kept_aside_and_missing_optionals_are_none():
    inst = Instance.from_api({"id": "x", "name": "n", "status": "running", "tenant_id": "t",
                              "brand_new_field": 1, "vector_optimized": "true",
                              "secondaries_count": "2"})
    assert inst.extra == {"brand_new_field": 1}
    assert inst.storage is None and inst.memory is None
    assert inst.vector_optimized is True and inst.secondaries_count == 2
    assert Instance.from_api({"id": "x", "name": "n", "status": "running", "tenant_id": "t"}) == \
        Instance.from_api({"id": "x", "name": "n", "status": "running", "tenant_id": "t", "z": 2})


def test_missing_required_fields_and_odd_input_do_not_raise():
    assert TenantSummary.from_api({}) == TenantSummary("", "")
    assert InstanceSummary.from_api(None).id == ""
    assert Tenant.from_api({"id": "t", "name": "n", "instance_configurations": "oops"}) \
        .instance_configurations == ()
    assert Snapshot.from_api({"snapshot_id": "s", "instance_id": "i", "status": "Completed",
                              "exportable": False}).exportable is False


def test_models_are_frozen_and_hashable():
    summary = InstanceSummary.from_api({"id": "a", "name": "b", "tenant_id": "c", "x": [1]})
    with pytest.raises(Exception):
        summary.name = "other"
    assert len({summary, InstanceSummary.from_api({"id": "a", "name": "b", "tenant_id": "c"})}) == 1


def test_created_instance_never_shows_its_password():
    item = created()
    from dataclasses import replace
    saved = replace(item, vault_path=Path("/vault/1a2b3c4d-demo.txt"))
    for obj in (item, saved):
        shown = repr(obj) + str(obj) + obj._repr_html_() + display.table([obj]) + \
            display.ModelList([obj])._repr_html_() + repr([obj])
        assert SECRET not in shown
        assert "••••••••" in shown
    assert "(saved to vault: /vault/1a2b3c4d-demo.txt)" in repr(saved)
    assert item.password == SECRET  # still available to code that needs it


def test_server_values_are_escaped_in_html():
    evil = "<script>alert(1)</script>"
    html_text = display.table([InstanceSummary.from_api({"id": "a", "name": evil,
                                                         "tenant_id": "t"})])
    assert evil not in html_text and "&lt;script&gt;" in html_text
    assert evil not in created(name=evil)._repr_html_()
    assert evil not in Tenant.from_api({"id": "t", "name": evil})._repr_html_()


def test_model_list_is_a_list_rendered_as_one_table():
    items = display.ModelList([TenantSummary("1", "A"), TenantSummary("2", "B")], caption="tenants")
    assert isinstance(items, list) and len(items) == 2
    html_text = items._repr_html_()
    assert html_text.count("<table") == 1 and html_text.count("<tr>") == 3
    assert "<caption>tenants</caption>" in html_text
    assert "none" in display.ModelList([], caption="tenants")._repr_html_()


def test_tenant_region_names_and_repr():
    assert TENANT.region_name("gcp", "europe-west1") == "Belgium (europe-west1)"
    assert TENANT.region_name("gcp", "nowhere1") == "nowhere1"
    assert repr(TENANT) == "Tenant(id='t-1', name='Learning', instance_configurations=<4>)"


def test_allowed_choices_cascade_in_order():
    everything = allowed_choices(TENANT)
    assert everything["type"] == ("free-db", "professional-db")
    assert everything["memory"] == ("1GB", "2GB", "4GB", "16GB")  # sorted by size
    pro = allowed_choices(TENANT, type="professional-db")
    assert pro["cloud_provider"] == ("gcp", "aws")
    gcp = allowed_choices(TENANT, type="professional-db", cloud_provider="gcp")
    assert gcp["region"] == ("europe-west1",)
    assert gcp["memory"] == ("2GB", "16GB")
    sized = allowed_choices(TENANT, "professional-db", "gcp", "europe-west1", "16GB")
    assert sized["storage"] == ("32GB",) and sized["version"] == ("5",)
    assert allowed_choices(TENANT, type="enterprise-db")["cloud_provider"] == ()


def test_check_spec_accepts_an_offered_combination():
    check_spec(InstanceSpec("demo", "t-1", "professional-db", "gcp", "europe-west1", "2GB"), TENANT)
    check_spec(InstanceSpec("demo", "t-1", "professional-db", "gcp", "europe-west1", "16GB",
                            storage="32GB"), TENANT)


@pytest.mark.parametrize("changes, field, listed", [
    ({"type": "enterprise-db"}, "type", "free-db, professional-db"),
    ({"cloud_provider": "azure"}, "cloud_provider", "gcp, aws"),
    ({"region": "us-east-1"}, "region", "europe-west1"),
    ({"memory": "4GB"}, "memory", "2GB, 16GB"),
    ({"version": "4"}, "version", "5"),
    ({"storage": "64GB"}, "storage", "4GB"),
    ({"name": " padded"}, "name", ""),
    ({"name": "x" * 31}, "name", ""),
    ({"tenant_id": "other"}, "tenant_id", ""),
    ({"source_snapshot_id": "snap"}, "source_instance_id", ""),
])
def test_check_spec_names_the_field_and_lists_valid_choices(changes, field, listed):
    base = dict(name="demo", tenant_id="t-1", type="professional-db", cloud_provider="gcp",
                region="europe-west1", memory="2GB")
    base.update(changes)
    with pytest.raises(InvalidInstanceSpec) as info:
        check_spec(InstanceSpec(**base), TENANT)
    assert info.value.field == field
    assert listed in str(info.value)
    assert "\n" not in str(info.value)


def test_spec_to_api_leaves_out_unset_optionals():
    spec = InstanceSpec("demo", "t-1", "free-db", "gcp", "europe-west1", "1GB")
    assert spec.to_api() == {"name": "demo", "tenant_id": "t-1", "type": "free-db",
                             "cloud_provider": "gcp", "region": "europe-west1", "memory": "1GB",
                             "version": "5"}


@pytest.mark.parametrize("text, expected", [
    ("2023-01-20T13:44:42Z", datetime(2023, 1, 20, 13, 44, 42, tzinfo=timezone.utc)),
    ("2023-01-20T13:44:42.12Z", datetime(2023, 1, 20, 13, 44, 42, 120000, tzinfo=timezone.utc)),
    ("2023-01-20T14:44:42+01:00", datetime(2023, 1, 20, 13, 44, 42, tzinfo=timezone.utc)),
    ("2023-01-20 13:44:42", datetime(2023, 1, 20, 13, 44, 42, tzinfo=timezone.utc)),
    ("not a time", None), ("", None), (None, None),
])
def test_parse_timestamp(text, expected):
    assert parse_timestamp(text) == expected


def test_memory_sizes_sort_numerically():
    assert sorted(["16GB", "2GB", "128GB", "odd"], key=memory_gb) == ["2GB", "16GB", "128GB", "odd"]



def test_choice_fields_are_the_cascade_order():
    assert CHOICE_FIELDS == ("type", "cloud_provider", "region", "memory", "version")


@pytest.mark.parametrize("name", ["a", "x" * 30, "é" * 30, "e\u0301" * 30, "my db"])
def test_valid_instance_names(name):
    assert check_instance_name(name) == name


@pytest.mark.parametrize("name, says", [
    ("", "1-30 characters"), (None, "1-30 characters"), ("x" * 31, "31 characters long"),
    (" lead", "without leading or trailing spaces"), ("trail ", "without leading"),
])
def test_invalid_instance_names_get_one_line(name, says):
    with pytest.raises(InvalidInstanceSpec, match=says) as info:
        check_instance_name(name)
    assert info.value.field == "name"


def test_complete_spec_takes_the_first_offered_value_in_cascade_order():
    spec = complete_spec(TENANT, "demo")
    assert (spec.type, spec.cloud_provider, spec.region, spec.memory, spec.version) == \
        ("free-db", "gcp", "europe-west1", "1GB", "5")
    assert spec.storage is None and spec.tenant_id == "t-1" and spec.name == "demo"


def test_complete_spec_fixed_values_narrow_the_rest_smallest_memory_first():
    spec = complete_spec(TENANT, "demo", type="professional-db")
    assert (spec.cloud_provider, spec.region, spec.memory) == ("gcp", "europe-west1", "2GB")
    spec = complete_spec(TENANT, "demo", type="professional-db", cloud_provider="aws")
    assert (spec.region, spec.memory) == ("us-east-1", "4GB")
    check_spec(spec, TENANT)


def test_paid_first_is_the_forms_one_difference_from_the_choice_policy():
    """The form offers paid types first (free-db: one per account); complete_spec takes the
    same order with paid_first=True, and default_choice keeps a pick only while it is offered."""
    from aura_nb.core.rules import allowed_choices, default_choice

    assert allowed_choices(TENANT, paid_first=True)["type"] == ("professional-db", "free-db")
    assert complete_spec(TENANT, "demo", paid_first=True).type == "professional-db"
    assert default_choice(("2GB", "16GB"), "16GB") == "16GB"
    assert default_choice(("2GB", "16GB"), "4GB") == "2GB"
    assert default_choice((), "4GB") is None


def test_complete_spec_uses_preferred_values_only_when_offered():
    preferred = {"type": "professional-db", "cloud_provider": "azure", "memory": "16GB"}
    spec = complete_spec(TENANT, "demo", preferred)
    assert (spec.type, spec.cloud_provider, spec.memory) == ("professional-db", "gcp", "16GB")
    spec = complete_spec(TENANT, "demo", {"memory": "16GB"}, type="professional-db",
                         cloud_provider="aws")
    assert spec.memory == "4GB"  # 16GB is not offered on aws: the first offered one instead


def test_complete_spec_refuses_fixed_values_that_are_not_offered():
    with pytest.raises(InvalidInstanceSpec, match="memory '4GB' is not offered.*2GB, 16GB") as info:
        complete_spec(TENANT, "demo", type="professional-db", memory="4GB")
    assert info.value.field == "memory" and info.value.choices == ("2GB", "16GB")
    with pytest.raises(InvalidInstanceSpec, match="storage"):
        complete_spec(TENANT, "demo", type="professional-db", memory="2GB", storage="64GB")
    with pytest.raises(InvalidInstanceSpec, match="31 characters"):
        complete_spec(TENANT, "x" * 31)
    with pytest.raises(TypeError, match="colour"):
        complete_spec(TENANT, "demo", colour="red")


def test_complete_spec_checks_storage_and_passes_sources_through():
    spec = complete_spec(TENANT, "demo", type="professional-db", memory="16GB", storage="32GB",
                         source_instance_id="1a2b3c4d")
    assert spec.storage == "32GB" and spec.source_instance_id == "1a2b3c4d"
    check_spec(spec, TENANT)


def test_complete_spec_with_nothing_offered_says_so():
    empty = Tenant.from_api({"id": "t-2", "name": "Empty", "instance_configurations": []})
    with pytest.raises(InvalidInstanceSpec, match="offers no type"):
        complete_spec(empty, "demo")


@pytest.mark.parametrize("text, gb", [
    ("8GB", 8.0), ("8 gb", 8.0), ("0.5GB", 0.5), ("512MB", 0.5), ("1TB", 1024.0), ("16", 16.0),
    (4, 4.0),
])
def test_parse_size(text, gb):
    assert parse_size(text) == gb


@pytest.mark.parametrize("text", ["lots", "", "GB", "8 GiB x", None, -1, "-2GB"])
def test_parse_size_refuses_what_is_not_a_size(text):
    with pytest.raises(ValueError, match="like 8GB"):
        parse_size(text)


@pytest.mark.parametrize("kind, value", [
    ("instance id", "db1d1234"), ("snapshot id", "3e5e6e27-bf0a-4898-abb8-5f3050cac418"),
    ("snapshot id", "2023-01-20T18:07:25Z-adhoc"),
    ("tenant id", "6e6bbc2e-2f1c-4ca4-a5f3-2f1e6c3a1b2c"),
])
def test_check_id_accepts_the_forms_of_the_api(kind, value):
    assert check_id(kind, value) == value


@pytest.mark.parametrize("kind, value", [
    ("instance id", "../tenants"), ("instance id", "db1d123"), ("instance id", "db1d1234/x"),
    ("instance id", 12345678), ("snapshot id", "../../x"), ("snapshot id", "a/b"),
    ("tenant id", ".."), ("tenant id", "a?b=c"), ("tenant id", "%2e%2e"),
])
def test_check_id_refuses_path_syntax(kind, value):
    with pytest.raises(InvalidId, match=f"not a valid {kind}") as info:
        check_id(kind, value)
    assert isinstance(info.value, ValueError) and info.value.kind == kind

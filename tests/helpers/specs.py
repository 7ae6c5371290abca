"""Instance specs the simulator accepts, for tests that need an instance and not a choice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aura_nb import InstanceSpec, allowed_choices

if TYPE_CHECKING:
    from aura_nb.core.models import Tenant


def instance_spec(tenant: Tenant, name: str, **changes: Any) -> InstanceSpec:
    """A spec in ``tenant``: professional-db on gcp europe-west1 with the first memory offered
    there (the seeded tenants offer it); ``changes`` replace any field, valid or not."""
    memory = allowed_choices(tenant, "professional-db", "gcp", "europe-west1")["memory"][0]
    fields = dict(name=name, tenant_id=tenant.id, type="professional-db", cloud_provider="gcp",
                  region="europe-west1", memory=memory)
    fields.update(changes)
    return InstanceSpec(**fields)


def learning_spec(client: Any, name: str, **changes: Any) -> InstanceSpec:
    """`instance_spec` in the seeded "Learning Project", looked up with ``client`` (one GET)."""
    return instance_spec(client.find_tenant("Learning Project"), name, **changes)

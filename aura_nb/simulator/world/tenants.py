"""Tenants (projects): the seeded ones, their reads, and matching a body to their configurations."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import catalog
from ..errors import ApiError, bad_request, not_found_tenant
from .core import WorldCore
from .validation import choices


@dataclass
class Tenant:
    """A project; ``owner`` is the role of the client that can see it."""
    id: str
    name: str
    owner: str
    instance_configurations: list


class TenantOps(WorldCore):
    """The world's tenants: ``tenants`` maps id to :class:`Tenant`."""

    def _clear_resources(self) -> None:
        super()._clear_resources()
        self.tenants: dict[str, Tenant] = {}
        for owner, name, configurations in self.account.tenants:
            tenant = Tenant(self._uuid(), name, owner, [dict(c) for c in configurations])
            self.tenants[tenant.id] = tenant

    def _dump_resources(self, state: dict) -> None:
        super()._dump_resources(state)
        state["tenants"] = [asdict(t) for t in self.tenants.values()]

    def _load_resources(self, state: dict) -> None:
        super()._load_resources(state)
        self.tenants = {t["id"]: Tenant(**t) for t in state["tenants"]}

    def _tenant(self, role: str, tenant_id) -> Tenant:
        tenant = self.tenants.get(tenant_id) if isinstance(tenant_id, str) else None
        if tenant is None or tenant.owner != role:
            raise not_found_tenant()
        return tenant

    def list_tenants(self, role: str) -> list[dict]:
        """``GET /v1/tenants``: ``[{id, name}]`` of the caller's tenants."""
        with self.lock:
            return [{"id": t.id, "name": t.name} for t in self.tenants.values() if t.owner == role]

    def get_tenant(self, role: str, tenant_id: str) -> dict:
        """``GET /v1/tenants/{id}`` with its instance configurations. Raises 404."""
        with self.lock:
            t = self._tenant(role, tenant_id)
            return {"id": t.id, "name": t.name,
                    "instance_configurations": [dict(c) for c in t.instance_configurations]}

    def metrics_integration(self, role: str, tenant_id: str) -> dict:
        """``GET /v1/tenants/{id}/metrics-integration``. Raises 404, or 400 with no eligible instance."""
        with self.lock:
            tenant = self._tenant(role, tenant_id)
            eligible = any(i.type in catalog.METRICS_TYPES for i in self._instances_of(role, tenant.id))
            if not eligible:
                raise ApiError(400, "tenant-incapable-of-action",
                               "This tenant has no instances eligible for metrics integration")
            return {"endpoint": f"https://customer-metrics-api.neo4j.io/api/v1/{tenant.id}/metrics"}

    def _match_config(self, tenant: Tenant, body: dict) -> dict:
        """The configuration a create body asks for, or a 400 naming the first field that misses."""
        options = tenant.instance_configurations
        where = []
        for name in ("type", "cloud_provider", "region", "memory", "version"):
            wanted = body[name]
            matching = [c for c in options if c[name] == wanted]
            if not matching:
                context = f" for {' '.join(where)}" if where else ""
                raise bad_request(
                    f"{name} {wanted!r} is not offered{context} in project {tenant.name!r}; "
                    f"choose one of: {choices(c[name] for c in options)}", name)
            options = matching
            where.append(str(wanted))
        return options[0]

"""Customer-managed encryption keys: register, read, list, delete, and check one for a create."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..clock import rfc3339
from ..errors import ApiError, bad_request
from .core import WorldCore
from .validation import CLOUDS, check_name, choices, require_str


@dataclass
class CustomerManagedKey:
    """A registered KMS key: ``pending`` until ``ready_at``, then ``ready``."""
    id: str
    name: str
    tenant_id: str
    owner: str
    cloud_provider: str
    region: str
    instance_type: str
    key_id: str
    created: float
    ready_at: float


class KeyOps(WorldCore):
    """The world's keys: ``cmks`` maps id to :class:`CustomerManagedKey`."""

    def _clear_resources(self) -> None:
        super()._clear_resources()
        self.cmks: dict[str, CustomerManagedKey] = {}

    def _dump_resources(self, state: dict) -> None:
        super()._dump_resources(state)
        state["cmks"] = [asdict(k) for k in self.cmks.values()]

    def _load_resources(self, state: dict) -> None:
        super()._load_resources(state)
        self.cmks = {k["id"]: CustomerManagedKey(**k) for k in state["cmks"]}

    def _key(self, role: str, key_id) -> CustomerManagedKey:
        key = self.cmks.get(key_id) if isinstance(key_id, str) else None
        if key is None or key.owner != role:
            raise ApiError(404, "encryption-key-not-found", f"Encryption Key not found: {key_id}")
        return key

    def _key_status(self, key: CustomerManagedKey) -> str:
        return "ready" if self.now() >= key.ready_at else "pending"

    def key_view(self, key: CustomerManagedKey) -> dict:
        """The key as ``GET /v1/customer-managed-keys/{id}`` shows it."""
        return {"id": key.id, "name": key.name, "created": rfc3339(key.created),
                "cloud_provider": key.cloud_provider, "key_id": key.key_id, "region": key.region,
                "type": key.instance_type, "tenant_id": key.tenant_id,
                "status": self._key_status(key), "instance_type": key.instance_type}

    def _check_key_for(self, role: str, key_id: str, config: dict) -> None:
        """400 unless the caller's key fits the configuration of a create and is ready."""
        key = self._key(role, key_id)
        if (key.instance_type, key.cloud_provider, key.region) != (
                config["type"], config["cloud_provider"], config["region"]):
            raise bad_request("customer_managed_key_id is registered for "
                              f"{key.instance_type} on {key.cloud_provider} {key.region}",
                              "customer_managed_key_id")
        if self._key_status(key) != "ready":
            raise bad_request("customer_managed_key_id is not ready yet; wait until its status "
                              "is ready", "customer_managed_key_id")

    def list_keys(self, role: str, tenant_id: str | None = None) -> list[dict]:
        """``GET /v1/customer-managed-keys[?tenantId=]``: ``[{id, name, tenant_id}]``. 404 for an
        unknown tenant filter."""
        with self.lock:
            if tenant_id is not None:
                self._tenant(role, tenant_id)
            return [{"id": k.id, "name": k.name, "tenant_id": k.tenant_id}
                    for k in self.cmks.values()
                    if k.owner == role and tenant_id in (None, k.tenant_id)]

    def create_key(self, role: str, body: dict) -> dict:
        """``POST /v1/customer-managed-keys``: 202 body in ``pending``. Raises 400, 404."""
        for name in ("key_id", "region", "name", "instance_type", "tenant_id", "cloud_provider"):
            require_str(body, name)
        check_name(body["name"])
        if body["instance_type"] not in ("enterprise-db", "enterprise-ds"):
            raise bad_request("instance_type must be enterprise-db or enterprise-ds", "instance_type")
        if body["cloud_provider"] not in CLOUDS:
            raise bad_request(f"cloud_provider must be one of {', '.join(CLOUDS)}", "cloud_provider")
        with self.lock:
            tenant = self._tenant(role, body["tenant_id"])
            offered = {c["region"] for c in tenant.instance_configurations
                       if (c["type"], c["cloud_provider"]) ==
                       (body["instance_type"], body["cloud_provider"])}
            if body["region"] not in offered:
                raise bad_request(
                    f"region {body['region']!r} does not offer {body['instance_type']} on "
                    f"{body['cloud_provider']} in this project; choose one of: "
                    f"{choices(offered) or '(none)'}", "region")
            now = self.now()
            key = CustomerManagedKey(
                id=self._uuid(), name=body["name"], tenant_id=tenant.id, owner=role,
                cloud_provider=body["cloud_provider"], region=body["region"],
                instance_type=body["instance_type"], key_id=body["key_id"], created=now,
                ready_at=now + self._draw("cmk", "cmk", len(self.cmks)))
            self.cmks[key.id] = key
            return self.key_view(key)

    def get_key(self, role: str, key_id: str) -> dict:
        """``GET /v1/customer-managed-keys/{id}``. Raises 404 ``encryption-key-not-found``."""
        with self.lock:
            return self.key_view(self._key(role, key_id))

    def delete_key(self, role: str, key_id: str) -> None:
        """``DELETE /v1/customer-managed-keys/{id}`` (answered 204). Raises 404, or 400 while an
        instance uses it."""
        with self.lock:
            key = self._key(role, key_id)
            if any(i.customer_managed_key_id == key.id for i in self._instances_of(role)):
                raise ApiError(400, "encryption-key-is-active",
                               f"Can not delete encryption key {key.id}. The key is linked to an "
                               "active instance.")
            del self.cmks[key.id]

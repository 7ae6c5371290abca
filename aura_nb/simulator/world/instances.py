"""Instances: create, read, resize, pause, resume, overwrite, upgrade and delete."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass

from .. import catalog
from ..catalog import gb
from ..clock import rfc3339
from ..errors import ApiError, bad_request, busy, not_found_instance
from .core import WorldCore, _digest
from .validation import check_name, choices, require_bool, require_count, require_str


def connection_url(inst: Instance) -> str:
    """Its Bolt URL; the host is the default database's id (the instance id unless multi-database)."""
    return f"neo4j+s://{inst.default_database_id or inst.id}.databases.neo4j.io"


@dataclass
class Instance:
    """One database. ``since``: when the current status began; ``until``/``then``: the in-flight
    transition ends at virtual time ``until`` with status ``then``."""
    id: str
    name: str
    tenant_id: str
    owner: str
    cloud_provider: str
    region: str
    type: str
    memory: str
    storage: str
    version: str
    created_at: float
    status: str
    since: float = 0.0
    until: float | None = None
    then: str | None = None
    ops: int = 0
    vector_optimized: bool = False
    graph_analytics_plugin: bool = False
    customer_managed_key_id: str | None = None
    secondaries_count: int | None = None
    cdc_enrichment_mode: str | None = None
    multi_database: bool = False       # v2beta1: holds several databases
    default_database_id: str = ""      # v2beta1: its built-in database ("" = the instance id)
    password_digest: str = ""          # sha256 of the neo4j user's password (Bolt logins)


class InstanceOps(WorldCore):
    """The world's instances: ``instances`` maps id to :class:`Instance`; ids are never reused."""

    def _clear_resources(self) -> None:
        super()._clear_resources()
        self.instances: dict[str, Instance] = {}
        self.used_instance_ids: set[str] = set()

    def _dump_resources(self, state: dict) -> None:
        super()._dump_resources(state)
        state["instances"] = [asdict(i) for i in self.instances.values()]
        state["used_instance_ids"] = sorted(self.used_instance_ids)

    def _load_resources(self, state: dict) -> None:
        super()._load_resources(state)
        self.instances = {i["id"]: Instance(**i) for i in state["instances"]}
        self.used_instance_ids = set(state["used_instance_ids"])

    def _new_instance_id(self, tenant_id: str, name: str) -> str:
        """8 hex characters derived from the seed, the tenant and the name, never reused.

        Keyed by name rather than drawn in sequence, so a notebook that creates "tutorial-db"
        gets the same id whether or not other notebooks ran before it in this world."""
        return self._fresh_id(f"{tenant_id}/{name}")

    def _fresh_id(self, key: str) -> str:
        """8 hex characters from the seed, ``key`` and a count; never one in use (instances and
        v2beta1 databases share this space, as their ids share connection URLs)."""
        n = 0
        while True:
            candidate = hashlib.sha256(f"{self.seed}/{key}/{n}".encode()).hexdigest()[:8]
            if candidate not in self.used_instance_ids:
                self.used_instance_ids.add(candidate)
                return candidate
            n += 1


    def _instances_of(self, role: str, tenant_id: str | None = None) -> list[Instance]:
        out = []
        for inst in list(self.instances.values()):
            if self.tenants[inst.tenant_id].owner != role:
                continue
            if tenant_id is not None and inst.tenant_id != tenant_id:
                continue
            if self._settle(inst) is not None:
                out.append(inst)
        return out

    def _instance(self, role: str, instance_id, field_name: str | None = None) -> Instance:
        inst = self.instances.get(instance_id) if isinstance(instance_id, str) else None
        if inst is not None and self.tenants[inst.tenant_id].owner == role:
            inst = self._settle(inst)
        else:
            inst = None
        if inst is None:
            error = not_found_instance(instance_id)
            error.field = field_name
            raise error
        return inst

    @staticmethod
    def instance_view(inst: Instance) -> dict:
        """The instance as ``GET /v1/instances/{id}`` shows it."""
        connectable = inst.status not in ("paused", "pausing")
        view = {
            "id": inst.id,
            "name": inst.name,
            "status": inst.status,
            "connection_url": connection_url(inst) if connectable else "",
            "tenant_id": inst.tenant_id,
            "cloud_provider": inst.cloud_provider,
            "region": inst.region,
            "type": inst.type,
            "memory": inst.memory,
            "storage": inst.storage,
            "created_at": rfc3339(inst.created_at),
            "vector_optimized": inst.vector_optimized,
            "graph_analytics_plugin": inst.graph_analytics_plugin,
        }
        if inst.type == "free-db":          # free instances report graph size, not storage
            del view["storage"]
            view["graph_nodes"] = "0"
            view["graph_relationships"] = "0"
        if inst.type in catalog.METRICS_TYPES:
            view["metrics_integration_url"] = (
                f"https://customer-metrics-api.neo4j.io/api/v1/{inst.tenant_id}/{inst.id}/metrics")
        if inst.customer_managed_key_id:
            view["customer_managed_key_id"] = inst.customer_managed_key_id
        if inst.secondaries_count is not None:
            view["secondaries_count"] = inst.secondaries_count
        if inst.cdc_enrichment_mode is not None:
            view["cdc_enrichment_mode"] = inst.cdc_enrichment_mode
        return view

    def list_instances(self, role: str, tenant_id: str | None = None) -> list[dict]:
        """``GET /v1/instances[?tenantId=]``: summaries. Raises 404 for an unknown tenant filter."""
        with self.lock:
            if tenant_id is not None:
                self._tenant(role, tenant_id)
            return [{"id": i.id, "name": i.name, "tenant_id": i.tenant_id,
                     "cloud_provider": i.cloud_provider, "created_at": rfc3339(i.created_at)}
                    for i in self._instances_of(role, tenant_id)]

    def get_instance(self, role: str, instance_id: str) -> dict:
        """``GET /v1/instances/{id}``. Raises 404 ``db-not-found``."""
        with self.lock:
            return self.instance_view(self._instance(role, instance_id))

    # ----------------------------------------------------------------- instances: create

    def create_instance(self, role: str, body: dict) -> dict:
        """``POST /v1/instances``: the 202 body, the only one that ever holds the password.

        Raises 400 (with ``field``) for a body that does not match the tenant's configurations,
        404 for an unknown tenant/source/snapshot/key, 405 for a second free instance.
        """
        for name in ("tenant_id", "name", "type", "cloud_provider", "region", "memory", "version"):
            require_str(body, name)
        check_name(body["name"])
        storage = require_str(body, "storage", required=False)
        vector = require_bool(body, "vector_optimized")
        plugin = require_bool(body, "graph_analytics_plugin")
        key_id = require_str(body, "customer_managed_key_id", required=False)
        source_id = require_str(body, "source_instance_id", required=False)
        snapshot_id = require_str(body, "source_snapshot_id", required=False)
        with self.lock:
            tenant = self._tenant(role, body["tenant_id"])
            config = self._match_config(tenant, body)
            free = config["type"] == "free-db"
            if not free and not self.account.billing:
                raise ApiError(400, "missing-billing-details", "You must provide billing details "
                               "in the Aura Console before creating an instance")
            if storage is not None and not free and storage != config["storage"]:
                raise bad_request(f"storage {storage!r} does not go with memory {config['memory']}; "
                                  f"use {config['storage']}", "storage")
            self._check_features(config["type"], config["memory"], vector, plugin)
            if key_id is not None:
                self._check_key_for(role, key_id, config)
            if snapshot_id is not None and source_id is None:
                raise bad_request("source_snapshot_id needs source_instance_id", "source_instance_id")
            if source_id is not None:
                source = self._instance(role, source_id, "source_instance_id")
                if snapshot_id is not None:
                    self._usable_snapshot(source, snapshot_id)
            if free and any(i.type == "free-db" for i in self._instances_of(role)):
                raise ApiError(405, "max-free-instances-reached",
                               "You have reached the maximum number of free instances (1) for this "
                               "account; delete the existing free instance first")
            inst = Instance(
                id=self._new_instance_id(tenant.id, body["name"]), name=body["name"],
                tenant_id=tenant.id, owner=role,
                cloud_provider=config["cloud_provider"], region=config["region"],
                type=config["type"], memory=config["memory"], storage=config["storage"],
                version=config["version"], created_at=self.now(), status="creating",
                vector_optimized=bool(vector), graph_analytics_plugin=bool(plugin),
                customer_managed_key_id=key_id)
            if inst.type == "enterprise-db":
                inst.secondaries_count = require_count(body, "secondaries_count", required=False)
            if inst.type in ("enterprise-db", "business-critical"):
                inst.cdc_enrichment_mode = self._cdc_mode(body) or "OFF"
            self.instances[inst.id] = inst
            self._begin(inst, "creating")
            password = secrets.token_urlsafe(32)
            self.issued_passwords.append(password)
            inst.password_digest = _digest(password)
            return {
                "id": inst.id,
                "connection_url": f"neo4j+s://{inst.id}.databases.neo4j.io",
                "username": "neo4j",
                "password": password,
                "tenant_id": inst.tenant_id,
                "cloud_provider": inst.cloud_provider,
                "region": inst.region,
                "type": inst.type,
                "name": inst.name,
                "created_at": rfc3339(inst.created_at),
                "vector_optimized": inst.vector_optimized,
                "graph_analytics_plugin": inst.graph_analytics_plugin,
            }

    @staticmethod
    def _check_features(instance_type: str, memory: str, vector, plugin) -> None:
        if vector and (instance_type == "free-db" or gb(memory) < 4):
            raise bad_request("vector_optimized needs a paid instance with at least 4GB of memory",
                              "vector_optimized")
        if plugin and instance_type not in ("professional-db", "business-critical", "enterprise-db"):
            raise bad_request(f"graph_analytics_plugin is not available for {instance_type}",
                              "graph_analytics_plugin")

    @staticmethod
    def _cdc_mode(body: dict) -> str | None:
        mode = body.get("cdc_enrichment_mode")
        if mode is not None and mode not in ("OFF", "DIFF", "FULL"):
            raise bad_request("cdc_enrichment_mode must be one of OFF, DIFF, FULL",
                              "cdc_enrichment_mode")
        return mode

    # ----------------------------------------------------------------- instances: changes

    @staticmethod
    def _require(inst: Instance, status: str, action: str, field_name: str | None = None) -> None:
        """400 unless the instance is in ``status`` (e.g. only a running instance can be paused)."""
        if inst.status != status:
            raise bad_request(f"Instance {inst.id} is {inst.status}; {action} needs a {status} "
                              "instance", field_name, reason=f"instance-not-{status}")

    def _idle(self, role: str, instance_id: str) -> Instance:
        inst = self._instance(role, instance_id)
        if inst.until is not None:
            raise busy(inst.status)
        return inst

    def update_instance(self, role: str, instance_id: str, body: dict) -> tuple[int, dict]:
        """``PATCH /v1/instances/{id}``: ``(200, instance)`` for a rename or flag change,
        ``(202, instance)`` in ``updating`` for a resize.

        Raises 400 (bad field, nothing to change, size not offered, free-db resize), 404, 409.
        """
        known = ("name", "memory", "storage", "vector_optimized", "graph_analytics_plugin",
                 "secondaries_count", "cdc_enrichment_mode")
        if not any(k in body for k in known):
            raise bad_request(f"Nothing to update: send at least one of {', '.join(known)}")
        name = require_str(body, "name", required=False)
        if name is not None:
            check_name(name)
        memory = require_str(body, "memory", required=False)
        storage = require_str(body, "storage", required=False)
        vector = require_bool(body, "vector_optimized")
        plugin = require_bool(body, "graph_analytics_plugin")
        secondaries = (require_count(body, "secondaries_count")
                       if "secondaries_count" in body else None)
        cdc = self._cdc_mode(body)
        with self.lock:
            inst = self._idle(role, instance_id)
            resize = (memory or inst.memory, storage or inst.storage) != (inst.memory, inst.storage)
            if resize:
                if inst.type == "free-db":
                    raise bad_request("free-db instances cannot be resized", "memory")
                self._require(inst, "running", "a resize", "memory")
                config = self._size_config(inst, inst.type, memory, storage)
            self._check_features(inst.type, config["memory"] if resize else inst.memory,
                                 vector, plugin)
            if secondaries is not None and inst.type != "enterprise-db":
                raise bad_request("secondaries_count applies to enterprise-db only",
                                  "secondaries_count")
            if cdc is not None and inst.type not in ("enterprise-db", "business-critical"):
                raise bad_request("cdc_enrichment_mode applies to enterprise-db and "
                                  "business-critical only", "cdc_enrichment_mode")
            if name is not None:
                inst.name = name
            if vector is not None:
                inst.vector_optimized = vector
            if plugin is not None:
                inst.graph_analytics_plugin = plugin
            if secondaries is not None:
                inst.secondaries_count = secondaries
            if cdc is not None:
                inst.cdc_enrichment_mode = cdc
            if not resize:
                return 200, self.instance_view(inst)
            inst.memory, inst.storage = config["memory"], config["storage"]
            self._begin(inst, "updating")
            return 202, self.instance_view(inst)

    def _size_config(self, inst: Instance, instance_type: str, memory: str | None,
                     storage: str | None) -> dict:
        """The tenant's configuration for ``inst`` at a new size (and maybe type), or a 400."""
        memory = memory or inst.memory
        options = [c for c in self.tenants[inst.tenant_id].instance_configurations
                   if (c["type"], c["cloud_provider"], c["region"]) ==
                   (instance_type, inst.cloud_provider, inst.region)]
        if not options:
            raise bad_request(f"{instance_type} is not offered on {inst.cloud_provider} "
                              f"{inst.region} in this project", "type")
        sized = [c for c in options if c["memory"] == memory]
        if not sized:
            raise bad_request(f"memory {memory!r} is not offered for {instance_type} on "
                              f"{inst.cloud_provider} {inst.region}; choose one of: "
                              f"{choices(c['memory'] for c in options)}", "memory")
        if storage is not None and storage != sized[0]["storage"]:
            raise bad_request(f"storage {storage!r} does not go with memory {memory}; use "
                              f"{sized[0]['storage']}", "storage")
        return sized[0]

    def delete_instance(self, role: str, instance_id: str) -> dict:
        """``DELETE /v1/instances/{id}``: 202 body in ``destroying``; 404 once it is being or was
        destroyed; 409 while another operation runs."""
        with self.lock:
            inst = self._instance(role, instance_id)
            if inst.status == "destroying":
                raise not_found_instance(instance_id)
            if inst.until is not None:
                raise busy(inst.status)
            self._begin(inst, "destroying")
            return self.instance_view(inst)

    def _start(self, role: str, instance_id: str, required: str, status: str, action: str) -> dict:
        """Begin transition ``status`` on an idle instance that is in ``required``."""
        with self.lock:
            inst = self._idle(role, instance_id)
            self._require(inst, required, action)
            self._begin(inst, status)
            return self.instance_view(inst)

    def pause_instance(self, role: str, instance_id: str) -> dict:
        """``POST /v1/instances/{id}/pause``: 202 body in ``pausing``. 400 unless running; 404; 409."""
        return self._start(role, instance_id, "running", "pausing", "pause")

    def resume_instance(self, role: str, instance_id: str) -> dict:
        """``POST /v1/instances/{id}/resume``: 202 body in ``resuming``. 400 unless paused; 404; 409."""
        return self._start(role, instance_id, "paused", "resuming", "resume")

    def overwrite_instance(self, role: str, instance_id: str, body: dict) -> dict:
        """``POST /v1/instances/{id}/overwrite``: 202 body in ``overwriting``.

        Raises 400, 404 (target, source or snapshot), 409 (either busy), 420 (free-db target),
        500 (source bigger than target, as the service does).
        """
        source_id = require_str(body, "source_instance_id")
        snapshot_id = require_str(body, "source_snapshot_id", required=False)
        with self.lock:
            target = self._instance(role, instance_id)
            if target.type == "free-db":
                raise ApiError(420, "action-unsupported", "Action unsupported for this tier")
            if target.until is not None:
                raise busy(target.status)
            self._require(target, "running", "overwrite")
            source = self._instance(role, source_id, "source_instance_id")
            if snapshot_id is not None:
                self._usable_snapshot(source, snapshot_id)
            elif source.id == target.id:
                raise bad_request("An instance cannot overwrite itself; to roll back, restore one "
                                  "of its snapshots", "source_instance_id")
            elif source.until is not None:
                raise busy(source.status)
            if gb(target.memory) < gb(source.memory):
                raise ApiError(500, "internal-server-error",
                               f"Cannot clone database {source.id} into smaller database "
                               f"{target.id}.")
            self._begin(target, "overwriting")
            return self.instance_view(target)

    def upgrade_instance(self, role: str, instance_id: str, body: dict) -> dict:
        """``POST /v1/instances/{id}/upgrade``: professional-db -> business-critical, 200 body.

        Optional ``memory`` and ``storage`` (both or neither). Raises 400, 404, 409.
        """
        memory = require_str(body, "memory", required=False)
        storage = require_str(body, "storage", required=False)
        if (memory is None) != (storage is None):
            raise bad_request("give both memory and storage, or neither",
                              "storage" if storage is None else "memory")
        with self.lock:
            inst = self._idle(role, instance_id)
            if inst.type != "professional-db":
                raise bad_request(f"Only professional-db instances can be upgraded; {inst.id} is "
                                  f"{inst.type}", "type")
            self._require(inst, "running", "upgrade")
            config = self._size_config(inst, "business-critical", memory, storage)
            inst.type, inst.memory, inst.storage = "business-critical", config["memory"], config["storage"]
            inst.cdc_enrichment_mode = inst.cdc_enrichment_mode or "OFF"
            self._begin(inst, "updating")
            return self.instance_view(inst)

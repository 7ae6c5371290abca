"""Instances as v2beta1 serves them: under a project, with ``legacy_status`` and v2beta1 type names.

There is one set of instances. A v2beta1 create is checked and carried out by the v1 create (so
both surfaces validate against the same project configurations and agree on every instance), then
marked multi-database when asked; the views here only reshape what v1 keeps.
"""

from __future__ import annotations

from ..clock import rfc3339
from ..errors import ApiError, bad_request
from .core import WorldCore
from .instances import Instance, connection_url

#: v2beta1 request type name -> the instance type the service keeps (and reports).
V2_TYPES = {"free": "free-db", "professional": "professional-db",
            "business-critical": "business-critical", "virtual-dedicated-cloud": "enterprise-db"}
#: Tiers on which ``multi_database: true`` is allowed (v2beta1 names).
MULTI_DATABASE_TYPES = ("business-critical", "virtual-dedicated-cloud")
GRAPH_ANALYTICS = ("unavailable", "serverless", "plugin")
_TYPE_HINT = "Input should be 'virtual-dedicated-cloud', 'business-critical', 'professional' or 'free'"


def _invalid(field: str, message: str) -> ApiError:
    """A 400 in the field-keyed validation shape."""
    return ApiError(400, "validation-error", message, field, shape="validation")


class ProjectInstanceOps(WorldCore):
    """``/v2beta1/organizations/{org}/projects/{project}/instances...`` over the v1 instances."""

    def _project_instance(self, role: str, org_id, project_id, instance_id) -> Instance:
        """The caller's instance in that project (settled), or a 404."""
        tenant = self._project(role, org_id, project_id)
        inst = self.instances.get(instance_id) if isinstance(instance_id, str) else None
        if inst is not None and inst.tenant_id == tenant.id:
            inst = self._settle(inst)
        else:
            inst = None
        if inst is None:
            raise ApiError(404, "instance-not-found", f"Instance not found: {instance_id}")
        return inst

    @staticmethod
    def graph_analytics(inst: Instance) -> str:
        """``plugin`` with the plugin on, ``unavailable`` on free, else ``serverless``."""
        if inst.graph_analytics_plugin:
            return "plugin"
        return "unavailable" if inst.type == "free-db" else "serverless"

    def project_instance_view(self, inst: Instance) -> dict:
        """``InstanceDetails``: ``legacy_status`` and no ``status``, url, project or created_at."""
        return {"id": inst.id, "name": inst.name, "type": inst.type,
                "cloud_provider": inst.cloud_provider, "region": inst.region,
                "memory": inst.memory,
                "storage": None if inst.type == "free-db" else inst.storage,
                "multi_database": inst.multi_database,
                "graph_analytics": self.graph_analytics(inst),
                "vector_optimized": inst.vector_optimized, "legacy_status": inst.status}

    def list_project_instances(self, role: str, org_id: str, project_id: str) -> list[dict]:
        """``GET .../instances``: ``[{id, name, cloud_provider, created_at}]``. Raises 404."""
        with self.lock:
            tenant = self._project(role, org_id, project_id)
            return [{"id": i.id, "name": i.name, "cloud_provider": i.cloud_provider,
                     "created_at": rfc3339(i.created_at)}
                    for i in self._instances_of(role, tenant.id)]

    def get_project_instance(self, role: str, org_id: str, project_id: str,
                             instance_id: str) -> dict:
        """``GET .../instances/{instance_id}``. Raises 404."""
        with self.lock:
            return self.project_instance_view(
                self._project_instance(role, org_id, project_id, instance_id))

    def create_project_instance(self, role: str, org_id: str, project_id: str,
                                body: dict) -> dict:
        """``POST .../instances``: the 202 ``CreateInstanceResponse``, with the password once.

        ``name`` and ``type`` (v2beta1 names) are required; ``cloud_provider``, ``region`` and
        ``memory`` default to the project's first offer that fits what was given; unknown fields
        are ignored. Raises 400 (validation shape for the type; ``multi-database-tier-not-
        supported``; v1's field errors for a configuration not offered), 404, 405.
        """
        with self.lock:
            tenant = self._project(role, org_id, project_id)
            if body.get("name") is None:
                raise _invalid("name", "Missing data for required field.")
            wanted = body.get("type")
            if wanted not in V2_TYPES:
                raise _invalid("type", _TYPE_HINT)
            multi = body.get("multi_database", False)
            if not isinstance(multi, bool):
                raise _invalid("multi_database", "Input should be a valid boolean")
            if multi and wanted not in MULTI_DATABASE_TYPES:
                raise ApiError(400, "multi-database-tier-not-supported",
                               "Multi-database instances are not supported by the provided tier",
                               shape="pair")
            analytics = body.get("graph_analytics")
            if analytics is not None and analytics not in GRAPH_ANALYTICS:
                raise _invalid("graph_analytics",
                               "Input should be 'unavailable', 'serverless' or 'plugin'")
            v1_body = {"tenant_id": tenant.id, "name": body["name"], "type": V2_TYPES[wanted],
                       "vector_optimized": body.get("vector_optimized"),
                       "graph_analytics_plugin": True if analytics == "plugin" else None}
            options = [c for c in tenant.instance_configurations if c["type"] == v1_body["type"]]
            if not options:
                offered = [n for n, t in V2_TYPES.items()
                           if any(c["type"] == t for c in tenant.instance_configurations)]
                raise bad_request(f"type {wanted!r} is not offered in project {tenant.name!r}; "
                                  f"choose one of: {', '.join(offered) or '(none)'}", "type")
            keys = ("cloud_provider", "region", "memory", "version")
            for key in keys:
                given = body.get(key) if key != "version" else None
                v1_body[key] = options[0][key] if given is None else given
                options = [c for c in options if c[key] == v1_body[key]]
                if not options:     # v1's matcher names this field (the later ones are unchecked)
                    self._match_config(tenant, {**{k: "" for k in keys}, **v1_body})
            created = self.create_instance(role, v1_body)
            inst = self.instances[created["id"]]
            if multi:
                self._make_multi_database(inst)
            return {"id": inst.id, "name": inst.name, "project_id": tenant.id,
                    "connection_url": connection_url(inst), "username": created["username"],
                    "password": created["password"], "cloud_provider": inst.cloud_provider,
                    "region": inst.region, "type": inst.type, "created_at": created["created_at"],
                    "memory": inst.memory,
                    "storage": None if inst.type == "free-db" else inst.storage,
                    "vector_optimized": inst.vector_optimized,
                    "multi_database": inst.multi_database,
                    "default_database_id": inst.default_database_id or inst.id,
                    "legacy_status": inst.status}

    def delete_project_instance(self, role: str, org_id: str, project_id: str,
                                instance_id: str) -> dict:
        """``DELETE .../instances/{instance_id}``: 202 body in ``destroying``. Raises 404, 409."""
        with self.lock:
            inst = self._project_instance(role, org_id, project_id, instance_id)
            if inst.status == "destroying":
                raise ApiError(404, "instance-not-found", f"Instance not found: {instance_id}")
            self.delete_instance(role, inst.id)
            return self.project_instance_view(inst)

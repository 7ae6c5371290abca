"""The URL layout of the Aura API v1, mapped onto :class:`~aura_nb.simulator.world.World` calls.

Each handler receives a :class:`Call` (who is calling, path parameters, query, JSON body) and
returns ``(status, data)``; the HTTP layer wraps ``data`` as ``{"data": ...}`` (``None`` means no
body at all, as for the 204 of a key deletion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from . import world
from .world import World


@dataclass
class Call:
    """One authenticated API request, already parsed."""
    world: World
    role: str
    params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)


def _ok(data):
    return 200, data


def _accepted(data):
    return 202, data


# Handlers, in the order of the spec's paths. -----------------------------------------------

def list_tenants(c: Call):
    """``GET /v1/tenants``."""
    return _ok(c.world.list_tenants(c.role))


def get_tenant(c: Call):
    """``GET /v1/tenants/{tenantId}``."""
    return _ok(c.world.get_tenant(c.role, c.params["tenantId"]))


def get_metrics_integration(c: Call):
    """``GET /v1/tenants/{tenantId}/metrics-integration``."""
    return _ok(c.world.metrics_integration(c.role, c.params["tenantId"]))


def list_instances(c: Call):
    """``GET /v1/instances``."""
    return _ok(c.world.list_instances(c.role, c.query.get("tenantId")))


def create_instance(c: Call):
    """``POST /v1/instances``."""
    return _accepted(c.world.create_instance(c.role, c.body))


def instance_sizing(c: Call):
    """``POST /v1/instances/sizing``."""
    return _ok(world.instance_sizing(c.body))


def get_instance(c: Call):
    """``GET /v1/instances/{instanceId}``."""
    return _ok(c.world.get_instance(c.role, c.params["instanceId"]))


def update_instance(c: Call):
    """``PATCH /v1/instances/{instanceId}``."""
    return c.world.update_instance(c.role, c.params["instanceId"], c.body)


def delete_instance(c: Call):
    """``DELETE /v1/instances/{instanceId}``."""
    return _accepted(c.world.delete_instance(c.role, c.params["instanceId"]))


def pause_instance(c: Call):
    """``POST /v1/instances/{instanceId}/pause``."""
    return _accepted(c.world.pause_instance(c.role, c.params["instanceId"]))


def resume_instance(c: Call):
    """``POST /v1/instances/{instanceId}/resume``."""
    return _accepted(c.world.resume_instance(c.role, c.params["instanceId"]))


def overwrite_instance(c: Call):
    """``POST /v1/instances/{instanceId}/overwrite``."""
    return _accepted(c.world.overwrite_instance(c.role, c.params["instanceId"], c.body))


def upgrade_instance(c: Call):
    """``POST /v1/instances/{instanceId}/upgrade``."""
    return _ok(c.world.upgrade_instance(c.role, c.params["instanceId"], c.body))


def list_snapshots(c: Call):
    """``GET /v1/instances/{instanceId}/snapshots``."""
    return _ok(c.world.list_snapshots(c.role, c.params["instanceId"], c.query.get("date")))


def create_snapshot(c: Call):
    """``POST /v1/instances/{instanceId}/snapshots``."""
    return _accepted(c.world.create_snapshot(c.role, c.params["instanceId"]))


def get_snapshot(c: Call):
    """``GET /v1/instances/{instanceId}/snapshots/{snapshotId}``."""
    return _ok(c.world.get_snapshot(c.role, c.params["instanceId"], c.params["snapshotId"]))


def restore_snapshot(c: Call):
    """``POST /v1/instances/{instanceId}/snapshots/{snapshotId}/restore``."""
    return _accepted(c.world.restore_snapshot(c.role, c.params["instanceId"],
                                              c.params["snapshotId"]))


def list_keys(c: Call):
    """``GET /v1/customer-managed-keys``."""
    return _ok(c.world.list_keys(c.role, c.query.get("tenantId")))


def create_key(c: Call):
    """``POST /v1/customer-managed-keys``."""
    return _accepted(c.world.create_key(c.role, c.body))


def get_key(c: Call):
    """``GET /v1/customer-managed-keys/{customerManagedKeyId}``."""
    return _ok(c.world.get_key(c.role, c.params["customerManagedKeyId"]))


def delete_key(c: Call):
    """``DELETE /v1/customer-managed-keys/{customerManagedKeyId}``."""
    c.world.delete_key(c.role, c.params["customerManagedKeyId"])
    return 204, None


def list_sessions(c: Call):
    """``GET /v1/graph-analytics/sessions``."""
    return _ok(c.world.list_sessions(c.role, c.query.get("instanceId"), c.query.get("tenantId")))


def create_session(c: Call):
    """``POST /v1/graph-analytics/sessions``."""
    return c.world.create_session(c.role, c.body)


def session_sizing(c: Call):
    """``POST /v1/graph-analytics/sessions/sizing``."""
    return _ok(world.session_sizing(c.body))


def get_session(c: Call):
    """``GET /v1/graph-analytics/sessions/{sessionId}``."""
    return _ok(c.world.get_session(c.role, c.params["sessionId"]))


def delete_session(c: Call):
    """``DELETE /v1/graph-analytics/sessions/{sessionId}``."""
    return _accepted(c.world.delete_session(c.role, c.params["sessionId"]))


#: (path template, {method: handler}). Literal segments come before parameters
#: (``/instances/sizing`` before ``/instances/{instanceId}``).
API_ROUTES = [
    ("/v1/tenants", {"GET": list_tenants}),
    ("/v1/tenants/{tenantId}", {"GET": get_tenant}),
    ("/v1/tenants/{tenantId}/metrics-integration", {"GET": get_metrics_integration}),
    ("/v1/instances", {"GET": list_instances, "POST": create_instance}),
    ("/v1/instances/sizing", {"POST": instance_sizing}),
    ("/v1/instances/{instanceId}", {"GET": get_instance, "PATCH": update_instance,
                                    "DELETE": delete_instance}),
    ("/v1/instances/{instanceId}/pause", {"POST": pause_instance}),
    ("/v1/instances/{instanceId}/resume", {"POST": resume_instance}),
    ("/v1/instances/{instanceId}/overwrite", {"POST": overwrite_instance}),
    ("/v1/instances/{instanceId}/upgrade", {"POST": upgrade_instance}),
    ("/v1/instances/{instanceId}/snapshots", {"GET": list_snapshots, "POST": create_snapshot}),
    ("/v1/instances/{instanceId}/snapshots/{snapshotId}", {"GET": get_snapshot}),
    ("/v1/instances/{instanceId}/snapshots/{snapshotId}/restore", {"POST": restore_snapshot}),
    ("/v1/customer-managed-keys", {"GET": list_keys, "POST": create_key}),
    ("/v1/customer-managed-keys/{customerManagedKeyId}", {"GET": get_key, "DELETE": delete_key}),
    ("/v1/graph-analytics/sessions", {"GET": list_sessions, "POST": create_session}),
    ("/v1/graph-analytics/sessions/sizing", {"POST": session_sizing}),
    ("/v1/graph-analytics/sessions/{sessionId}", {"GET": get_session, "DELETE": delete_session}),
]


def compile_routes(routes) -> list[tuple[re.Pattern, str, dict]]:
    """``[(regex, template, methods)]``: each ``{name}`` becomes a named group of one segment."""
    compiled = []
    for template, methods in routes:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        compiled.append((re.compile(f"^{pattern}$"), template, methods))
    return compiled


class Router:
    """Finds the route for a path: ``match(path) -> (template, methods, params)`` or ``None``."""

    def __init__(self, routes):
        self._routes = compile_routes(routes)

    def match(self, path: str):
        """The first route whose template matches ``path``."""
        for regex, template, methods in self._routes:
            found = regex.match(path)
            if found:
                return template, methods, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

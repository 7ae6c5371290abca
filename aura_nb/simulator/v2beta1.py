"""The URL layout of the Aura API v2beta1 core, mapped onto the same `World` as v1.

The core: organizations, projects, instances, databases and backups, over the same
:class:`~aura_nb.simulator.world.World` as v1.

Handlers take a :class:`~aura_nb.simulator.routes.Call` and return ``(status, data)`` like the v1
ones; the HTTP layer (token, rate limit, faults, ``{"data": ...}`` envelope) is shared.
"""

from __future__ import annotations

from .routes import Call

ORG = "/v2beta1/organizations/{org_id}"
PROJECT = ORG + "/projects/{project_id}"
INSTANCE = PROJECT + "/instances/{instance_id}"
DATABASE = INSTANCE + "/databases/{database_id}"


def _path(c: Call, *names: str) -> list[str]:
    return [c.params[name] for name in names]


def list_organizations(c: Call):
    """``GET /v2beta1/organizations``."""
    return 200, c.world.list_organizations(c.role)


def get_organization(c: Call):
    """``GET /v2beta1/organizations/{org_id}``."""
    return 200, c.world.get_organization(c.role, c.params["org_id"])


def list_projects(c: Call):
    """``GET .../projects[?status=]``."""
    return 200, c.world.list_projects(c.role, c.params["org_id"], c.query.get("status"))


def get_project(c: Call):
    """``GET .../projects/{project_id}`` (not in the published document; the CLI has it)."""
    return 200, c.world.get_project(c.role, *_path(c, "org_id", "project_id"))


def list_instances(c: Call):
    """``GET .../projects/{project_id}/instances``."""
    return 200, c.world.list_project_instances(c.role, *_path(c, "org_id", "project_id"))


def create_instance(c: Call):
    """``POST .../projects/{project_id}/instances``."""
    return 202, c.world.create_project_instance(c.role, *_path(c, "org_id", "project_id"), c.body)


def get_instance(c: Call):
    """``GET .../instances/{instance_id}``."""
    return 200, c.world.get_project_instance(
        c.role, *_path(c, "org_id", "project_id", "instance_id"))


def delete_instance(c: Call):
    """``DELETE .../instances/{instance_id}``."""
    return 202, c.world.delete_project_instance(
        c.role, *_path(c, "org_id", "project_id", "instance_id"))


def list_databases(c: Call):
    """``GET .../instances/{instance_id}/databases``."""
    return 200, c.world.list_databases(c.role, *_path(c, "org_id", "project_id", "instance_id"))


def create_database(c: Call):
    """``POST .../instances/{instance_id}/databases``."""
    return 201, c.world.create_database(
        c.role, *_path(c, "org_id", "project_id", "instance_id"), c.body)


def _database_path(c: Call) -> list[str]:
    return _path(c, "org_id", "project_id", "instance_id", "database_id")


def get_database(c: Call):
    """``GET .../databases/{database_id}``."""
    return 200, c.world.get_database(c.role, *_database_path(c))


def delete_database(c: Call):
    """``DELETE .../databases/{database_id}``."""
    return 202, c.world.delete_database(c.role, *_database_path(c))


def list_backups(c: Call):
    """``GET .../databases/{database_id}/backups``."""
    return 200, c.world.list_backups(c.role, *_database_path(c))


def create_backup(c: Call):
    """``POST .../databases/{database_id}/backups``."""
    return 202, c.world.create_backup(c.role, *_database_path(c))


def get_backup(c: Call):
    """``GET .../backups/{backup_id}``."""
    return 200, c.world.get_backup(c.role, *_database_path(c), c.params["backup_id"])


def restore_database(c: Call):
    """``POST .../databases/{database_id}/restore``."""
    return 202, c.world.restore_database(c.role, *_database_path(c), c.body)


V2_ROUTES = [
    ("/v2beta1/organizations", {"GET": list_organizations}),
    (ORG, {"GET": get_organization}),
    (ORG + "/projects", {"GET": list_projects}),
    (PROJECT, {"GET": get_project}),
    (PROJECT + "/instances", {"GET": list_instances, "POST": create_instance}),
    (INSTANCE, {"GET": get_instance, "DELETE": delete_instance}),
    (INSTANCE + "/databases", {"GET": list_databases, "POST": create_database}),
    (DATABASE, {"GET": get_database, "DELETE": delete_database}),
    (DATABASE + "/backups", {"GET": list_backups, "POST": create_backup}),
    (DATABASE + "/backups/{backup_id}", {"GET": get_backup}),
    (DATABASE + "/restore", {"POST": restore_database}),
]

"""Organizations and projects (v2beta1): each client's one organization owns its tenants as projects.

A v2beta1 project is a v1 tenant under another name: the project id is the tenant id, so a client
that takes the organization from v2beta1 and the project from ``GET /v1/tenants`` (as the GDS
client does) gets one consistent picture. Organization ids are derived from the seed and the role
(no draw from the world's random stream, so v1 ids are unchanged by this module).
"""

from __future__ import annotations

import hashlib
import uuid

from ..errors import ApiError, bad_request
from .core import WorldCore
from .tenants import Tenant

#: The organization each role belongs to, by name.
ORGANIZATION_NAMES = {"primary": "Simulated Organization", "other": "Other Organization"}
#: Values of the ``status`` filter on ``GET .../projects``; every seeded project is active.
PROJECT_STATUSES = ("deletion_request", "deleted", "active")


class OrganizationOps(WorldCore):
    """Organizations (one per role) and the projects they own (the role's tenants)."""

    def organization_id(self, role: str) -> str:
        """The UUID of ``role``'s organization: the same for the same seed."""
        digest = hashlib.sha256(f"{self.seed}/organization/{role}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _organization_view(self, role: str) -> dict:
        return {"id": self.organization_id(role), "name": ORGANIZATION_NAMES[role]}

    def _organization(self, role: str, org_id) -> None:
        """404 unless ``org_id`` is the caller's organization."""
        if org_id != self.organization_id(role):
            raise ApiError(404, "organization-not-found", f"Organization not found: {org_id}")

    def _project(self, role: str, org_id, project_id) -> Tenant:
        """The caller's project ``project_id`` in organization ``org_id``, or a 404."""
        self._organization(role, org_id)
        tenant = self.tenants.get(project_id) if isinstance(project_id, str) else None
        if tenant is None or tenant.owner != role:
            raise ApiError(404, "project-not-found", f"Project not found: {project_id}")
        return tenant

    def list_organizations(self, role: str) -> list[dict]:
        """``GET /v2beta1/organizations``: the caller's one organization."""
        return [self._organization_view(role)]

    def get_organization(self, role: str, org_id: str) -> dict:
        """``GET /v2beta1/organizations/{org_id}``. Raises 404."""
        self._organization(role, org_id)
        return self._organization_view(role)

    def list_projects(self, role: str, org_id: str, status: str | None = None) -> list[dict]:
        """``GET .../projects[?status=]``: ``[{id, name}]``, active projects unless ``status``
        says otherwise (none of the simulator's projects is being deleted). Raises 400, 404."""
        if status is not None and status not in PROJECT_STATUSES:
            raise bad_request(f"status must be one of {', '.join(PROJECT_STATUSES)}", "status")
        with self.lock:
            self._organization(role, org_id)
            if status not in (None, "active"):
                return []
            return [{"id": t.id, "name": t.name} for t in self.tenants.values() if t.owner == role]

    def get_project(self, role: str, org_id: str, project_id: str) -> dict:
        """``GET .../projects/{project_id}``: ``{id, name}``. Raises 404."""
        with self.lock:
            tenant = self._project(role, org_id, project_id)
            return {"id": tenant.id, "name": tenant.name}

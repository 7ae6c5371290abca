"""Graph-analytics sessions: get-or-create, read, list, delete, with their own error shape."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .. import catalog
from ..clock import spaced_utc
from ..errors import ApiError, bad_request
from .core import WorldCore
from .validation import choices, require_str

SESSION_LIFETIME = 7 * 24 * 3600     # virtual seconds until a session expires
_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass
class Session:
    """A graph-analytics session: ``""``, ``Creating``, ``Ready`` at ``ready_at``, ``Expired``."""
    id: str
    name: str
    tenant_id: str
    owner: str
    memory: str
    ttl: str
    instance_id: str
    database_uuid: str
    cloud_provider: str
    region: str
    created: float
    ready_at: float
    expires_at: float


class SessionOps(WorldCore):
    """The world's sessions: ``sessions`` maps id to :class:`Session`."""

    def _clear_resources(self) -> None:
        super()._clear_resources()
        self.sessions: dict[str, Session] = {}

    def _dump_resources(self, state: dict) -> None:
        super()._dump_resources(state)
        state["sessions"] = [asdict(s) for s in self.sessions.values()]

    def _load_resources(self, state: dict) -> None:
        super()._load_resources(state)
        self.sessions = {s["id"]: Session(**s) for s in state["sessions"]}

    def _session_status(self, session: Session) -> str:
        now = self.now()
        if now >= session.expires_at:
            return "Expired"
        if now >= session.ready_at:
            return "Ready"
        return "" if now < session.created + 5 else "Creating"

    def session_view(self, session: Session) -> dict:
        """The session as ``GET /v1/graph-analytics/sessions/{id}`` shows it."""
        return {"id": session.id, "name": session.name, "memory": session.memory,
                "instance_id": session.instance_id, "database_uuid": session.database_uuid,
                "status": self._session_status(session),
                "created_at": spaced_utc(session.created),
                "host": f"{session.id}.sessions.simulator.neo4j.io",
                "expiry_date": spaced_utc(session.expires_at), "ttl": session.ttl,
                "user_id": self.user_ids[session.owner], "tenant_id": session.tenant_id,
                "cloud_provider": session.cloud_provider, "region": session.region}

    def _session(self, role: str, session_id) -> Session:
        session = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None or session.owner != role:
            raise ApiError(404, "", f"session with id `{session_id}` not found", shape="session")
        return session

    def list_sessions(self, role: str, instance_id: str | None = None,
                      tenant_id: str | None = None) -> list[dict]:
        """``GET /v1/graph-analytics/sessions[?instanceId=&tenantId=]``. Raises 404 for an
        unknown filter."""
        with self.lock:
            if tenant_id is not None:
                self._tenant(role, tenant_id)
            if instance_id is not None:
                self._instance(role, instance_id)
            return [self.session_view(s) for s in self.sessions.values()
                    if s.owner == role and tenant_id in (None, s.tenant_id)
                    and instance_id in (None, s.instance_id)]

    def create_session(self, role: str, body: dict) -> tuple[int, dict]:
        """``POST /v1/graph-analytics/sessions``, get-or-create by (name, project).

        Returns ``(200, session)`` when one with the same parameters exists, ``(202, session)``
        when created. Raises 400, 404, and 409 when the name exists with other parameters.
        """
        name = require_str(body, "name")
        if not name:
            raise bad_request("name must not be empty", "name")
        memory = require_str(body, "memory", required=False) or "8GB"
        if memory not in catalog.SESSION_MEMORY:
            raise bad_request(f"memory must be one of {', '.join(catalog.SESSION_MEMORY)}", "memory")
        ttl = require_str(body, "ttl", required=False) or "1h"
        match = _DURATION_RE.match(ttl)
        if not match or not any(match.groups()):
            raise bad_request("ttl must be a duration such as 30m, 1h or 1h30m", "ttl")
        instance_id = require_str(body, "instance_id", required=False)
        database_uuid = require_str(body, "database_uuid", required=False)
        with self.lock:
            if instance_id is not None:
                inst = self._instance(role, instance_id, "instance_id")
                tenant_id, cloud, region = inst.tenant_id, inst.cloud_provider, inst.region
            else:
                for required in ("tenant_id", "cloud_provider", "region"):
                    if body.get(required) is None:
                        raise bad_request(f"give instance_id, or tenant_id, cloud_provider and "
                                          f"region; {required} is missing", required)
                cloud = require_str(body, "cloud_provider")
                region = require_str(body, "region")
                tenant = self._tenant(role, require_str(body, "tenant_id"))
                tenant_id = tenant.id
                regions = {c["region"] for c in tenant.instance_configurations
                           if c["cloud_provider"] == cloud}
                if region not in regions:
                    raise bad_request(f"region {region!r} on {cloud!r} is not available in this "
                                      f"project; choose one of: {choices(regions) or '(none)'}",
                                      "region")
            for existing in self.sessions.values():
                if (existing.name, existing.tenant_id) != (name, tenant_id):
                    continue
                if self._session_status(existing) == "Expired":
                    continue
                if existing.memory != memory:
                    raise ApiError(409, "", f"session `{name}` already exists for project "
                                   f"`{tenant_id}` with different parameters: Memory (is: "
                                   f"{existing.memory}, requested: {memory})", shape="session")
                return 200, self.session_view(existing)
            if instance_id is not None:
                session_id = f"{instance_id}-{self._hex(8)}"
            else:
                session_id = f"s-{self._hex(8)}-{self._hex(4)}-{self._hex(1)}"
            now = self.now()
            session = Session(
                id=session_id, name=name, tenant_id=tenant_id, owner=role, memory=memory,
                ttl=ttl, instance_id=instance_id or "", database_uuid=database_uuid or self._uuid(),
                cloud_provider=cloud, region=region, created=now,
                ready_at=now + self._draw("session", session_id, 0),
                expires_at=now + SESSION_LIFETIME)
            self.sessions[session.id] = session
            return 202, self.session_view(session)

    def get_session(self, role: str, session_id: str) -> dict:
        """``GET /v1/graph-analytics/sessions/{id}``. Raises 404 (sessions' error shape)."""
        with self.lock:
            return self.session_view(self._session(role, session_id))

    def delete_session(self, role: str, session_id: str) -> dict:
        """``DELETE /v1/graph-analytics/sessions/{id}``: ``{id}`` (answered 202). Raises 404."""
        with self.lock:
            session = self._session(role, session_id)
            del self.sessions[session.id]
            return {"id": session.id}

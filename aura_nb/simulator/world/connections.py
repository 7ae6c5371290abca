"""What the Bolt endpoint asks of the world: which instance a host name means, and its login.

An instance's host is ``<id>.databases.neo4j.io`` where ``<id>`` is the id in its
``connection_url`` (the instance id, or a multi-database instance's default database id).
"""

from __future__ import annotations

import hmac

from .core import WorldCore, _digest

#: The domain of every instance's host name.
DOMAIN = "databases.neo4j.io"
#: The user every instance's password belongs to.
USER = "neo4j"


class ConnectionOps(WorldCore):
    """Host lookup and password checks for :mod:`aura_nb.simulator.bolt`."""

    def _instance_for_host(self, host: str):
        name = host.lower().rstrip(".")
        label, _, domain = name.partition(".")
        if domain != DOMAIN:
            return None
        for inst in list(self.instances.values()):
            if label in (inst.id, inst.default_database_id) and self._settle(inst) is not None:
                return inst
        return None

    def bolt_target(self, host: str) -> dict | None:
        """``{instance_id, status, type, version, databases}`` for an instance's host name, or
        ``None`` when no instance has that host (never had, or deleted): the name does not
        resolve. ``databases`` lists its database names, the default first."""
        with self.lock:
            inst = self._instance_for_host(host)
            if inst is None:
                return None
            return {"instance_id": inst.id, "status": inst.status, "type": inst.type,
                    "version": inst.version,
                    "databases": [db.name for db in self._databases_of(inst)]}

    def bolt_login(self, instance_id: str, user, password) -> bool:
        """Whether ``user``/``password`` log in to the instance (constant-time comparison)."""
        with self.lock:
            inst = self.instances.get(instance_id)
            expected = inst.password_digest if inst is not None else ""
        if not (isinstance(user, str) and isinstance(password, str)):
            return False
        given = _digest(password)
        # compare both parts always, so the time taken says nothing about which one was wrong
        good_password = hmac.compare_digest(given, expected or "-" * len(given))
        good_user = hmac.compare_digest(user.encode("utf-8", "surrogatepass"), USER.encode())
        return good_user and good_password and bool(expected)

"""Databases of an instance and their backups (v2beta1), including restoring one from a backup.

A single-database instance has exactly one database, whose id is the instance id; only a
multi-database instance can add, delete or restore databases. A backup is a snapshot of one
database: the backups of an instance's default database are its v1 snapshots, so both surfaces
see the same history. Databases have no status of their own; a restore makes one busy for a
drawn ``restoring`` duration.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..clock import rfc3339
from ..errors import ApiError
from .core import WorldCore
from .instances import Instance
from .snapshots import Snapshot

#: Databases a multi-database instance may hold, its default one included.
MAX_DATABASES = 10
DEFAULT_DATABASE_NAME = "neo4j"
_NAME_RE = re.compile(r"^[a-z][a-z0-9.-]{2,62}$")


@dataclass
class Database:
    """One database of a multi-database instance; ``until``: a restore in flight ends then."""
    id: str
    instance_id: str
    name: str
    created: float
    until: float | None = None
    restores: int = 0


def _conflict(reason: str, message: str) -> ApiError:
    return ApiError(409, reason, message, shape="pair")


class DatabaseOps(WorldCore):
    """``databases`` maps a multi-database instance's id to its databases, default first."""

    def _clear_resources(self) -> None:
        super()._clear_resources()
        self.databases: dict[str, list[Database]] = {}

    def _dump_resources(self, state: dict) -> None:
        super()._dump_resources(state)
        state["databases"] = [asdict(d) for dbs in self.databases.values() for d in dbs]

    def _load_resources(self, state: dict) -> None:
        super()._load_resources(state)
        self.databases = {}
        for d in state.get("databases", []):          # files saved before v2beta1 have none
            self.databases.setdefault(d["instance_id"], []).append(Database(**d))

    def _settle(self, inst: Instance) -> Instance | None:
        """Also forget the databases of an instance that is gone."""
        instance_id = inst.id
        settled = super()._settle(inst)
        if settled is None:
            self.databases.pop(instance_id, None)
        return settled

    def _make_multi_database(self, inst: Instance) -> None:
        """Turn a just-created instance into a multi-database one with its default database."""
        inst.multi_database = True
        inst.default_database_id = self._fresh_id(f"{inst.id}/database")
        self.databases[inst.id] = [Database(inst.default_database_id, inst.id,
                                            DEFAULT_DATABASE_NAME, inst.created_at)]

    def _databases_of(self, inst: Instance) -> list[Database]:
        if inst.multi_database:
            return self.databases.setdefault(inst.id, [])
        return [Database(inst.id, inst.id, DEFAULT_DATABASE_NAME, inst.created_at)]

    def _database(self, role, org_id, project_id, instance_id, database_id):
        """``(instance, database)`` for a database path, or a 404."""
        inst = self._project_instance(role, org_id, project_id, instance_id)
        for db in self._databases_of(inst):
            if db.id == database_id:
                return inst, db
        raise ApiError(404, "aura-database-not-found", f"Database not found: {database_id}",
                       shape="pair")

    def _restoring(self, db: Database) -> bool:
        return db.until is not None and self.now() < db.until

    @staticmethod
    def database_view(db: Database) -> dict:
        """``DatabaseSummary``: ``{id, name}``."""
        return {"id": db.id, "name": db.name}

    def _ready(self, inst: Instance, db: Database, action: str) -> None:
        """409 unless the instance is running with nothing in flight and the database is idle."""
        if inst.status != "running" or inst.until is not None:
            raise _conflict("instance-not-running",
                            f"Cannot {action}: instance {inst.id} is {inst.status}")
        if self._restoring(db):
            raise _conflict("database-restoring", f"Cannot {action}: database {db.id} is restoring")

    # ----------------------------------------------------------------- databases

    def list_databases(self, role, org_id, project_id, instance_id) -> list[dict]:
        """``GET .../instances/{instance_id}/databases``. Raises 404."""
        with self.lock:
            inst = self._project_instance(role, org_id, project_id, instance_id)
            return [self.database_view(db) for db in self._databases_of(inst)]

    def get_database(self, role, org_id, project_id, instance_id, database_id) -> dict:
        """``GET .../databases/{database_id}``. Raises 404 ``aura-database-not-found``."""
        with self.lock:
            return self.database_view(
                self._database(role, org_id, project_id, instance_id, database_id)[1])

    def create_database(self, role, org_id, project_id, instance_id, body: dict) -> dict:
        """``POST .../databases`` (answered 201): ``{id, name}``.

        Raises 404; 409 ``multi-db-only`` on a single-database instance (terminal), 409 while the
        instance is not running; 422 for a bad or taken name or a full instance.
        """
        with self.lock:
            inst = self._project_instance(role, org_id, project_id, instance_id)
            if not inst.multi_database:
                raise _conflict("multi-db-only", "Only multi database Instances can add databases")
            name = body.get("name")
            if not isinstance(name, str) or not _NAME_RE.match(name):
                raise ApiError(422, "validation-error",
                               "3 to 63 characters: lower-case letters, digits, dots and dashes, "
                               "starting with a letter", "name", shape="validation")
            databases = self._databases_of(inst)
            if inst.status != "running" or inst.until is not None:
                raise _conflict("instance-not-running", f"Cannot add a database: instance "
                                f"{inst.id} is {inst.status}")
            if name in {db.name for db in databases} or name == "system":
                raise ApiError(422, "database-name-taken",
                               f"A database called {name!r} exists already", shape="pair")
            if len(databases) >= MAX_DATABASES:
                raise ApiError(422, "database-limit-reached", f"This instance holds the most "
                               f"databases it can ({MAX_DATABASES})", shape="pair")
            db = Database(self._fresh_id(f"{inst.id}/database"), inst.id, name, self.now())
            databases.append(db)
            return self.database_view(db)

    def delete_database(self, role, org_id, project_id, instance_id, database_id) -> dict:
        """``DELETE .../databases/{database_id}`` (answered 202): ``{id}``.

        Raises 404 (also for a second delete), 409 for the default database, a single-database
        instance or a busy one.
        """
        with self.lock:
            inst, db = self._database(role, org_id, project_id, instance_id, database_id)
            if not inst.multi_database:
                raise _conflict("multi-db-only", "Only multi database Instances can delete "
                                "databases; delete the instance instead")
            if db.id == inst.default_database_id:
                raise _conflict("default-database", "The default database cannot be deleted")
            self._ready(inst, db, "delete the database")
            self.databases[inst.id].remove(db)
            self.snapshots[inst.id] = [s for s in self.snapshots.get(inst.id, [])
                                       if s.database_id != db.id]
            return {"id": db.id}

    # ----------------------------------------------------------------- backups

    def _backup_key(self, inst: Instance, db: Database) -> str:
        """The ``database_id`` a snapshot of ``db`` carries ("" for the default database)."""
        return "" if db.id in (inst.id, inst.default_database_id) else db.id

    def _backups(self, inst: Instance, db: Database) -> list[Snapshot]:
        key = self._backup_key(inst, db)
        return [s for s in self.snapshots.get(inst.id, []) if s.database_id == key]

    def backup_view(self, snap: Snapshot) -> dict:
        """``DatabaseBackup``: exportable once completed."""
        status = self.snapshot_status(snap)
        return {"id": snap.snapshot_id, "timestamp": rfc3339(snap.started), "status": status,
                "exportable": status == "Completed" and snap.exportable}

    def _backup(self, inst, db, backup_id) -> Snapshot:
        for snap in self._backups(inst, db):
            if snap.snapshot_id == backup_id:
                return snap
        raise ApiError(404, "snapshot-not-found", f"Backup not found: {backup_id}", shape="pair")

    def list_backups(self, role, org_id, project_id, instance_id, database_id) -> list[dict]:
        """``GET .../backups``: completed backups only (a running one shows up once done)."""
        with self.lock:
            inst, db = self._database(role, org_id, project_id, instance_id, database_id)
            return [self.backup_view(s) for s in self._backups(inst, db)
                    if self.snapshot_status(s) == "Completed"]

    def create_backup(self, role, org_id, project_id, instance_id, database_id) -> dict:
        """``POST .../backups`` (answered 202): ``{id}``. Raises 404; 409 when not running,
        restoring or already backing up."""
        with self.lock:
            inst, db = self._database(role, org_id, project_id, instance_id, database_id)
            self._ready(inst, db, "take a backup")
            if any(self.snapshot_status(s) != "Completed" for s in self._backups(inst, db)):
                raise _conflict("backup-in-progress", "A backup of this database is in progress")
            return {"id": self._take_snapshot(inst, self._backup_key(inst, db)).snapshot_id}

    def get_backup(self, role, org_id, project_id, instance_id, database_id, backup_id) -> dict:
        """``GET .../backups/{backup_id}``: any status. Raises 404."""
        with self.lock:
            inst, db = self._database(role, org_id, project_id, instance_id, database_id)
            return self.backup_view(self._backup(inst, db, backup_id))

    def restore_database(self, role, org_id, project_id, instance_id, database_id,
                         body: dict) -> dict:
        """``POST .../restore`` with ``{"id": backup id}`` (answered 202): the database in
        ``restoring``. Raises 400 (plain text, as the service), 404 ``snapshot-not-found``, 409
        (busy, backup not completed), 422 on a single-database instance."""
        backup_id = body.get("id")
        if backup_id is None:
            raise ApiError(400, "bad-request", "- at '': missing property 'id'", shape="text")
        if not isinstance(backup_id, str):
            raise ApiError(400, "bad-request", "- at '/id': got " + type(backup_id).__name__
                           + ", want string", shape="text")
        with self.lock:
            inst, db = self._database(role, org_id, project_id, instance_id, database_id)
            if not inst.multi_database:
                raise ApiError(422, "multi-db-only", "Restore is only supported for Multi "
                               "Database Instances", shape="pair")
            snap = self._backup(inst, db, backup_id)
            self._ready(inst, db, "restore")
            if self.snapshot_status(snap) != "Completed":
                raise _conflict("backup-not-completed", f"Backup {backup_id} is not completed")
            db.until = self.now() + self._draw("restoring", db.id, db.restores)
            db.restores += 1
            return {"aura_database_id": db.id, "instance_id": inst.id, "name": db.name,
                    "status": "restoring", "nodes": 0, "relationships": 0,
                    "available_actions": {"take_backup": {
                        "enabled": False, "reason": "cannot-take-backup-in-current-state",
                        "message": "Cannot take a backup of a database with the status restoring"}}}

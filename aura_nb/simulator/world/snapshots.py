"""Snapshots of instances: take, list by day, read, and restore."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from ..clock import day_of, rfc3339
from ..errors import ApiError, bad_request, busy
from .core import WorldCore
from .instances import Instance


@dataclass
class Snapshot:
    """A snapshot: ``Pending`` then ``InProgress`` from ``started``, ``Completed`` at ``done_at``."""
    snapshot_id: str
    instance_id: str
    profile: str
    started: float
    done_at: float
    exportable: bool = True


class SnapshotOps(WorldCore):
    """The world's snapshots: ``snapshots`` maps an instance id to its snapshots, oldest first."""

    def _clear_resources(self) -> None:
        super()._clear_resources()
        self.snapshots: dict[str, list[Snapshot]] = {}

    def _dump_resources(self, state: dict) -> None:
        super()._dump_resources(state)
        state["snapshots"] = [asdict(s) for snaps in self.snapshots.values() for s in snaps]

    def _load_resources(self, state: dict) -> None:
        super()._load_resources(state)
        self.snapshots = {}
        for s in state["snapshots"]:
            self.snapshots.setdefault(s["instance_id"], []).append(Snapshot(**s))

    def _snapshot_id(self, instance_id: str) -> str:
        """A UUID derived from the seed, the instance and how many snapshots it already has, so
        it does not depend on what else happened in the world (snapshots are never deleted)."""
        n = len(self.snapshots.get(instance_id, []))
        digest = hashlib.sha256(f"{self.seed}/{instance_id}/snapshot/{n}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


    def snapshot_status(self, snap: Snapshot) -> str:
        """``Pending`` for the first tenth of its duration, ``InProgress``, then ``Completed``."""
        now = self.now()
        if now >= snap.done_at:
            return "Completed"
        if now < snap.started + (snap.done_at - snap.started) / 10:
            return "Pending"
        return "InProgress"

    def snapshot_view(self, snap: Snapshot) -> dict:
        """The snapshot as the API shows it."""
        return {"instance_id": snap.instance_id, "snapshot_id": snap.snapshot_id,
                "profile": snap.profile, "status": self.snapshot_status(snap),
                "timestamp": rfc3339(snap.started), "exportable": snap.exportable}

    def _snapshot(self, inst: Instance, snapshot_id) -> Snapshot:
        for snap in self.snapshots.get(inst.id, []):
            if snap.snapshot_id == snapshot_id:
                return snap
        raise ApiError(404, "snapshot-not-found", f"Snapshot not found: {snapshot_id}")

    def _usable_snapshot(self, source: Instance, snapshot_id: str) -> Snapshot:
        snap = self._snapshot(source, snapshot_id)
        if self.snapshot_status(snap) != "Completed" or not snap.exportable:
            raise bad_request(f"Snapshot {snapshot_id} is not a completed, exportable snapshot",
                              "source_snapshot_id")
        return snap

    def list_snapshots(self, role: str, instance_id: str, date: str | None = None) -> list[dict]:
        """``GET /v1/instances/{id}/snapshots[?date=YYYY-MM-DD]``: that virtual day (default today).

        Raises 400 for a malformed date, 404 for an unknown instance.
        """
        if date is not None:
            try:
                datetime.strptime(date, "%Y-%m-%d")
            except ValueError:
                raise bad_request(f"date {date!r} must be YYYY-MM-DD", "date") from None
        with self.lock:
            inst = self._instance(role, instance_id)
            day = date or day_of(self.now())
            return [self.snapshot_view(s) for s in self.snapshots.get(inst.id, [])
                    if day_of(s.started) == day]

    def create_snapshot(self, role: str, instance_id: str) -> dict:
        """``POST /v1/instances/{id}/snapshots``: ``{snapshot_id}``. 400 unless running; 404; 409."""
        with self.lock:
            inst = self._idle(role, instance_id)
            self._require(inst, "running", "a snapshot")
            now = self.now()
            snap = Snapshot(snapshot_id=self._snapshot_id(inst.id), instance_id=inst.id,
                            profile="AdHoc",
                            started=now, done_at=now + self._draw("snapshot", inst.id, inst.ops))
            inst.ops += 1
            self.snapshots.setdefault(inst.id, []).append(snap)
            return {"snapshot_id": snap.snapshot_id}

    def get_snapshot(self, role: str, instance_id: str, snapshot_id: str) -> dict:
        """``GET /v1/instances/{id}/snapshots/{sid}``. Raises 404."""
        with self.lock:
            return self.snapshot_view(self._snapshot(self._instance(role, instance_id), snapshot_id))

    def restore_snapshot(self, role: str, instance_id: str, snapshot_id: str) -> dict:
        """``POST /v1/instances/{id}/snapshots/{sid}/restore``: 202 body in ``restoring``.

        Raises 400 (snapshot not completed, instance not running), 404, 409.
        """
        with self.lock:
            inst = self._instance(role, instance_id)
            snap = self._snapshot(inst, snapshot_id)
            if inst.until is not None:
                raise busy(inst.status)
            self._require(inst, "running", "restore")
            if self.snapshot_status(snap) != "Completed":
                raise bad_request(f"Snapshot {snapshot_id} is not completed yet",
                                  reason="snapshot-not-completed")
            self._begin(inst, "restoring")
            return self.instance_view(inst)

"""Typed seam: what the waiting layer uses of a client, as a `Protocol`.

`AuraClient` satisfies it; tests and tools may pass anything else that does. Nothing here
imports the client, so `aura_nb.core.waiting` can name this type without an import cycle.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .models import Instance, InstanceSummary, Snapshot
from .pacing import RateLimiter

__all__ = ["StatusSource"]


@runtime_checkable
class StatusSource(Protocol):
    """What waiting needs: status reads, the server's clock, the request budget, and the
    actions this client sent (to tell "resume in flight" from "stuck paused")."""

    speed: float
    pacer: RateLimiter

    def server_now(self) -> float: ...

    def get_instance(self, instance_id: str) -> Instance: ...

    def get_snapshot(self, instance_id: str, snapshot_id: str) -> Snapshot: ...

    def list_instances(self, tenant_id: str | None = None) -> list[InstanceSummary]: ...

    def recent_action(self, instance_id: str, within: float | None = None) -> str | None: ...

    def last_action(self, instance_id: str) -> tuple[str, float] | None: ...

    def pause_instance(self, instance_id: str) -> Instance | None: ...

    def resume_instance(self, instance_id: str) -> Instance | None: ...

"""Typed seams: what the waiting layer and the workshop use of a client, as `Protocol`s.

`AuraClient` satisfies both; tests and tools may pass anything else that does. Nothing here
imports the client, so `aura_nb.core.waiting` and `aura_nb.workshop` can name these types without
an import cycle.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol, runtime_checkable

from .models import CreatedInstance, Instance, InstanceSummary, Snapshot, Tenant
from .pacing import RateLimiter
from .rules import InstanceSpec
from .vault import Vault

__all__ = ["StatusSource", "WorkshopClient"]


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


@runtime_checkable
class WorkshopClient(StatusSource, Protocol):
    """What the workshop tools need on top of `StatusSource`: tenants, creates with the vault,
    deletes, overwrites, live-name lookups and waits."""

    vault: Vault

    def describe(self) -> str: ...

    def find_tenant(self, name_or_id: str | None = None) -> Tenant: ...

    def find_live_instances(self, name: str, tenant_id: str | None = None
                            ) -> list[Instance]: ...

    def create_instance(self, spec: InstanceSpec, *, validate: bool = True
                        ) -> CreatedInstance: ...

    def delete_instance(self, instance_id: str) -> Instance | None: ...

    def overwrite_instance(self, instance_id: str, source_instance_id: str,
                           source_snapshot_id: str | None = None) -> Instance | None: ...

    def wait_for_instance(self, instance_id: str, status: str = "running",
                          timeout: float = 1200,
                          on_progress: Callable[[Any], None] | None = None,
                          **options: Any) -> Instance: ...

    def wait_for_instances(self, ids: Iterable[Any], status: str = "running",
                           timeout: float = 1800,
                           on_progress: Callable[[Any], None] | None = None,
                           **options: Any) -> dict[str, Instance]: ...

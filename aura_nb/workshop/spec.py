"""What a class gets and what it may cost: the instance settings and the instructor's guardrails.

Both are checked before any request is sent; every guardrail value is validated when it is made
(``Guardrails(max_memory="lots")`` is an error, never "no limit").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from aura_nb.core.errors import AuraError
from aura_nb.core.rules import InstanceSpec, complete_spec, parse_size

__all__ = ["ClassSpec", "Guardrails", "GuardrailViolation", "TenantNotChosen", "WorkshopError"]


class WorkshopError(AuraError):
    """Raised when a workshop step cannot go ahead (no seed instance to reset from, an attendee
    without an instance, settings that differ from the manifest's, a vault that cannot be
    written). Nothing was changed."""


class TenantNotChosen(WorkshopError, ValueError):
    """Raised before anything is created when the tenant (project) to use is unclear: several are
    visible and none was chosen, or the one named does not exist. ``candidates`` lists the names
    the API key sees; the front-end says how to choose (``tenant=``, ``--tenant``)."""

    def __init__(self, message: str, *, candidates: tuple[str, ...] = ()) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


class GuardrailViolation(WorkshopError, ValueError):
    """Raised before any request is sent when provisioning would break the instructor's limits
    (maximum instances, allowed instance types, maximum memory), or when a limit itself is not a
    usable value."""


@dataclass(frozen=True)
class ClassSpec:
    """The instance settings every attendee gets. ``None`` fields are chosen from what the tenant
    offers when provisioning (``aura_nb.core.rules.complete_spec``): the first cloud provider and
    region listed, the smallest memory; ``storage`` stays the API's default."""

    type: str = "professional-db"
    cloud_provider: str | None = None
    region: str | None = None
    memory: str | None = None
    version: str = "5"
    storage: str | None = None

    def complete(self, tenant: Any, name: str, seed: str | None = None) -> InstanceSpec:
        """The instance spec for one attendee: these settings, the ``None`` ones completed from the
        tenant's configurations by ``aura_nb.core.rules.complete_spec`` (no request is sent).
        Raises ``InvalidInstanceSpec`` listing the valid choices when a setting is not offered."""
        return complete_spec(tenant, name, source_instance_id=seed, **asdict(self))

    @classmethod
    def of(cls, spec: InstanceSpec) -> "ClassSpec":
        """The class settings of a complete instance spec."""
        return cls(type=spec.type, cloud_provider=spec.cloud_provider, region=spec.region,
                   memory=spec.memory, version=spec.version, storage=spec.storage)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (what the manifest stores)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Guardrails:
    """Limits the instructor sets; checked before any request is sent.

    ``max_instances``: instances the workshop may own in total (a positive whole number);
    ``allowed_types``: instance types that may be created (empty = any); ``max_memory``: largest
    memory size per instance such as ``"8GB"`` (``None`` = any). ``free-db`` is refused for more
    than one attendee (the API allows one per account). Raises :class:`GuardrailViolation` at
    construction for a value that is not usable (``max_memory="lots"``, ``max_instances=0``)."""

    max_instances: int = 50
    allowed_types: tuple[str, ...] = ("professional-db",)
    max_memory: str | None = "8GB"

    def __post_init__(self) -> None:
        count = self.max_instances
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise GuardrailViolation(f"max instances {count!r} is not usable: give a whole number of at least 1")
        types = self.allowed_types
        if isinstance(types, str) or not all(isinstance(t, str) and t.strip() == t and t for t in types):
            raise GuardrailViolation(
                f"allowed types {types!r} are not usable: give instance type names such as 'professional-db'"
            )
        object.__setattr__(self, "allowed_types", tuple(types))
        memory = self.max_memory
        if memory is not None:
            try:
                usable = isinstance(memory, str) and parse_size(memory) > 0
            except ValueError:
                usable = False
            if not usable:
                raise GuardrailViolation(
                    f"max memory {memory!r} is not a size: give one such as '8GB' (or none for no limit)"
                )

    def check(self, spec: ClassSpec, count: int) -> None:
        """Raise :class:`GuardrailViolation` (one line) when ``count`` instances of ``spec`` break a limit."""
        if count > self.max_instances:
            raise GuardrailViolation(
                f"{count} attendees need {count} instances but the limit is {self.max_instances}; "
                "raise max_instances or shorten the roster"
            )
        if self.allowed_types and spec.type not in self.allowed_types:
            raise GuardrailViolation(
                f"instance type {spec.type!r} is not allowed for this workshop (allowed: "
                f"{', '.join(self.allowed_types)}); choose an allowed type or allow it"
            )
        if spec.type == "free-db" and count > 1:
            raise GuardrailViolation(
                "free-db allows one instance per account, so it cannot serve a class; use professional-db"
            )
        if self.max_memory and spec.memory and parse_size(spec.memory) > parse_size(self.max_memory):
            raise GuardrailViolation(
                f"memory {spec.memory} is above this workshop's limit of {self.max_memory}; "
                "choose a smaller size or raise max_memory"
            )

"""What the Aura API returns, as frozen dataclasses built with tolerant ``from_api(dict)``.

What a create may ask for (`InstanceSpec`, `complete_spec`, the id, name and size rules) lives
in `aura_nb.core.rules`; this module re-exports those names, which were at home here before.

Unknown fields are kept in ``extra`` (not shown, not compared); missing optional fields become
``None``. Timestamps stay the strings the API sent (RFC 3339, UTC); `parse_timestamp` turns one
into a ``datetime``. `CreatedInstance` never shows its password in ``repr``, ``str`` or HTML.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Mapping

from . import display
from .rules import (  # re-exported: models was their home before rules.py
    CHOICE_FIELDS,
    NAME_MAX,
    InstanceSpec,
    allowed_choices,
    check_id,
    check_instance_name,
    check_spec,
    complete_spec,
    memory_gb,
    parse_size,
)

__all__ = [
    "TenantSummary",
    "Tenant",
    "InstanceConfiguration",
    "InstanceSummary",
    "Instance",
    "CreatedInstance",
    "Snapshot",
    "InstanceSpec",
    "CHOICE_FIELDS",
    "NAME_MAX",
    "allowed_choices",
    "check_spec",
    "check_instance_name",
    "check_id",
    "complete_spec",
    "parse_timestamp",
    "parse_size",
    "memory_gb",
]


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC ``datetime`` from an RFC 3339 string (``2023-01-20T13:44:42Z``, fractions and
    offsets accepted) or a datetime; ``None`` for empty or unparsable input."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat accepts only 0, 3 or 6 fraction digits: normalise to 6.
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _number(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


_FEATURE_FLAGS = {"vector_optimized": _flag, "graph_analytics_plugin": _flag}


class _Model:
    """Shared behaviour: tolerant construction from an API dict and notebook display."""

    _converters: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def from_api(cls, data: Mapping[str, Any] | None):
        """Build the model from one API object; unknown keys go to ``extra``, missing ones are
        ``None`` (``""`` for required text). Never raises for odd shapes: a non-dict is empty."""
        data = dict(data) if isinstance(data, Mapping) else {}
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for name, spec in names.items():
            if name == "extra" or not spec.init:
                continue
            convert = cls._converters.get(name, _text)
            value = convert(data.get(name))
            if value is None and spec.default is dataclasses.MISSING and \
                    spec.default_factory is dataclasses.MISSING:
                value = ""
            if value is not None or spec.default is dataclasses.MISSING:
                kwargs[name] = value
        if "extra" in names:
            kwargs["extra"] = {k: v for k, v in data.items() if k not in names}
        return cls(**kwargs)

    def _repr_html_(self) -> str:
        title = f"{type(self).__name__} {getattr(self, 'id', '')}".strip()
        return display.record(self, title=title)


@dataclass(frozen=True)
class TenantSummary(_Model):
    """A tenant (project) as listed by ``GET /v1/tenants``: ``id`` and ``name``."""

    id: str
    name: str
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class InstanceConfiguration(_Model):
    """One combination a tenant offers: type, cloud provider, region, memory, storage, version."""

    type: str
    cloud_provider: str
    region: str
    region_name: str
    memory: str
    storage: str | None = None
    version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _configurations(value: Any) -> tuple[InstanceConfiguration, ...]:
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(InstanceConfiguration.from_api(v) for v in value if isinstance(v, Mapping))


@dataclass(frozen=True)
class Tenant(_Model):
    """A tenant (project) with its ``instance_configurations`` (``GET /v1/tenants/{id}``): the
    authoritative list of the combinations a create may use."""

    id: str
    name: str
    instance_configurations: tuple[InstanceConfiguration, ...] = field(default=(), repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _converters: ClassVar[Mapping[str, Any]] = {"instance_configurations": _configurations}
    _display_fields: ClassVar[tuple[str, ...]] = ("id", "name", "configurations")

    def _display_value(self, name: str) -> Any:
        if name == "configurations":
            return f"{len(self.instance_configurations)} combinations"
        return getattr(self, name)

    def __repr__(self) -> str:
        return (f"Tenant(id={self.id!r}, name={self.name!r}, "
                f"instance_configurations=<{len(self.instance_configurations)}>)")

    def region_name(self, cloud_provider: str, region: str) -> str:
        """The human name of a region (``"Belgium (europe-west1)"``), or the code if unknown."""
        for config in self.instance_configurations:
            if config.cloud_provider == cloud_provider and config.region == region:
                return config.region_name or region
        return region

    def _repr_html_(self) -> str:
        head = display.record(self, title=f"Tenant {self.name}")
        return head + display.table(
            self.instance_configurations,
            columns=("type", "cloud_provider", "region", "region_name", "memory", "storage",
                     "version"),
            caption="instance configurations",
        )


@dataclass(frozen=True)
class InstanceSummary(_Model):
    """An instance as listed by ``GET /v1/instances``: no status or size (fetch the id for those)."""

    id: str
    name: str
    tenant_id: str
    cloud_provider: str | None = None
    created_at: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Instance(_Model):
    """An instance's details (``GET /v1/instances/{id}``, also the body of pause, resume, delete,
    overwrite, restore and rename). ``connection_url`` is empty while paused; ``storage`` is
    absent for free-db; the other optional fields appear only for some tiers."""

    id: str
    name: str
    status: str
    tenant_id: str
    cloud_provider: str | None = None
    region: str | None = None
    type: str | None = None
    memory: str | None = None
    storage: str | None = None
    connection_url: str | None = None
    created_at: str | None = None
    metrics_integration_url: str | None = field(default=None, repr=False)
    customer_managed_key_id: str | None = field(default=None, repr=False)
    graph_nodes: str | None = field(default=None, repr=False)
    graph_relationships: str | None = field(default=None, repr=False)
    secondaries_count: int | None = field(default=None, repr=False)
    cdc_enrichment_mode: str | None = field(default=None, repr=False)
    vector_optimized: bool | None = field(default=None, repr=False)
    graph_analytics_plugin: bool | None = field(default=None, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _converters: ClassVar[Mapping[str, Any]] = {"secondaries_count": _number, **_FEATURE_FLAGS}


@dataclass(frozen=True)
class CreatedInstance(_Model):
    """The answer to a create (``POST /v1/instances``), the only time the API returns the
    instance's password. aura_nb writes it to the vault before returning this object;
    ``vault_path`` says where. The password is never shown by repr, str or HTML: read it from
    the vault file (or the ``password`` attribute) only where you need it."""

    id: str
    name: str
    tenant_id: str
    cloud_provider: str | None = None
    region: str | None = None
    type: str | None = None
    connection_url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    created_at: str | None = None
    vector_optimized: bool | None = field(default=None, repr=False)
    graph_analytics_plugin: bool | None = field(default=None, repr=False)
    vault_path: Path | None = field(default=None, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _converters: ClassVar[Mapping[str, Any]] = {"vault_path": lambda v: None, **_FEATURE_FLAGS}
    _display_fields: ClassVar[tuple[str, ...]] = (
        "id", "name", "tenant_id", "type", "cloud_provider", "region", "connection_url",
        "username", "password", "created_at",
    )

    @property
    def masked_password(self) -> str:
        """What is shown instead of the password: a mask and where the real one was saved."""
        where = f"saved to vault: {self.vault_path}" if self.vault_path else "not saved to a vault"
        return f"{display.mask(self.password) or '(none)'}  ({where})"

    def _display_value(self, name: str) -> Any:
        return self.masked_password if name == "password" else getattr(self, name)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={self._display_value(n)!r}" for n in self._display_fields)
        return f"CreatedInstance({shown})"

    def __str__(self) -> str:
        return (f"Created instance {self.id} {self.name!r} ({self.type}, {self.cloud_provider} "
                f"{self.region}) at {self.connection_url}, user {self.username}, "
                f"password {self.masked_password}")

    def _repr_html_(self) -> str:
        return display.record(self, title=f"Created instance {self.id}")


@dataclass(frozen=True)
class Snapshot(_Model):
    """A snapshot of an instance (``GET /v1/instances/{id}/snapshots[/{snapshot_id}]``).
    ``status`` is ``Pending``, ``InProgress``, ``Completed``, ``Failed`` or ``Cancelled``."""

    instance_id: str
    snapshot_id: str
    status: str
    profile: str | None = None
    timestamp: str | None = None
    exportable: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _converters: ClassVar[Mapping[str, Any]] = {"exportable": _flag}

    @property
    def id(self) -> str:
        """Same as ``snapshot_id``."""
        return self.snapshot_id


# --- v2beta1: organizations and projects --------------------------------------------------


@dataclass(frozen=True)
class Organization(_Model):
    """An organization as ``GET /v2beta1/organizations`` lists it: ``id`` and ``name``. Each API
    client belongs to one; it owns the client's projects."""

    id: str
    name: str
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Project(_Model):
    """A project as the console and v2beta1 name it; v1 calls it a tenant, with the same ``id``.
    ``organization_id`` is the organization it was listed under."""

    id: str
    name: str
    organization_id: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

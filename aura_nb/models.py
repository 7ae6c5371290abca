"""Frozen dataclasses for what the Aura API returns, built with tolerant ``from_api(dict)``.

Unknown fields are kept in ``extra`` (not shown, not compared); missing optional fields become
``None``. Timestamps stay the strings the API sent (RFC 3339, UTC); `parse_timestamp` turns one
into a ``datetime``. `CreatedInstance` never shows its password in ``repr``, ``str`` or HTML.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping

from . import display
from .errors import InvalidId, InvalidInstanceSpec

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


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(GB|G|MB|M|TB|T)?\s*", re.IGNORECASE)
_UNIT_GB = {"": 1.0, "G": 1.0, "GB": 1.0, "M": 1 / 1024, "MB": 1 / 1024, "T": 1024.0,
            "TB": 1024.0}


def parse_size(text: str | int | float) -> float:
    """Gigabytes in a size as the API writes it (``"8GB"``; also ``"8 gb"``, ``"512MB"``,
    ``"1TB"``, or a bare number of GB). Raises ``ValueError`` with one line for anything else
    (``"lots"``), so a guardrail is never silently turned off."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"size {text!r} is negative; give a size like 8GB")
        return float(text)
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"size {text!r} is not a size like 8GB")
    return float(match.group(1)) * _UNIT_GB[(match.group(2) or "").upper()]


#: The form of each kind of id the kit puts into a URL path or a vault file name. Instance ids
#: are 8 hex characters; snapshot ids are UUIDs (old examples: ``2023-01-20T18:07:25Z-adhoc``);
#: tenant ids are UUIDs. None of them may hold ``/``, ``..`` or other path syntax.
_ID_FORMS = {
    "instance id": (re.compile(r"[0-9a-f]{8}"), "8 hex characters like db1d1234"),
    "snapshot id": (re.compile(r"[A-Za-z0-9][A-Za-z0-9:_-]{0,99}"),
                    "a snapshot id like 3e5e6e27-bf0a-4898-abb8-5f3050cac418"),
    "tenant id": (re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}"),
                  "a tenant id like 6e6bbc2e-2f1c-4ca4-a5f3-2f1e6c3a1b2c"),
    "organization id": (re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}"),
                        "an organization id like c4ea09e5-44b2-418e-9aae-0c98c37d1f38"),
}


def check_id(kind: str, value: Any) -> str:
    """Return ``value`` when it has the form of a ``kind`` id (``"instance id"``,
    ``"snapshot id"``, ``"tenant id"``); raise `InvalidId` with one line otherwise. The one home
    of the id rules: callers' ids are checked before they become URL segments, servers' ids
    before they become vault file names."""
    pattern, form = _ID_FORMS[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise InvalidId(f"{shown} is not a valid {kind}: expected {form}", kind=kind,
                        value=value)
    return value


def memory_gb(value: str | None) -> float:
    """`parse_size` for sorting: ``inf`` for a missing or unparsable size (sorts last)."""
    try:
        return parse_size(value)  # type: ignore[arg-type]
    except ValueError:
        return float("inf")


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


@dataclass(frozen=True)
class InstanceSpec:
    """What to create: the body of ``POST /v1/instances``. ``storage`` and the ``source_*``
    fields are optional (the ``source_*`` pair clones an existing instance or snapshot)."""

    name: str
    tenant_id: str
    type: str
    cloud_provider: str
    region: str
    memory: str
    version: str = "5"
    storage: str | None = None
    source_instance_id: str | None = None
    source_snapshot_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The JSON body for ``POST /v1/instances`` (optional fields only when set)."""
        body = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        return body

    def _repr_html_(self) -> str:
        return display.record(self, title=f"Instance spec {self.name}")


# --- choices offered by a tenant -------------------------------------------------------------

#: The fields a create chooses from a tenant's configurations, in cascade order: each narrows
#: what the next may be (forms, magics, the workshop and `complete_spec` all follow it).
CHOICE_FIELDS = ("type", "cloud_provider", "region", "memory", "version")
#: The longest instance name the API accepts.
NAME_MAX = 30


def check_instance_name(name: Any) -> str:
    """Return ``name`` when it is a valid instance name: text of 1-30 characters (counted after
    Unicode NFC) without leading or trailing spaces. Raises `InvalidInstanceSpec` (field
    ``name``) with one line saying what to change."""
    if not isinstance(name, str) or not name:
        raise InvalidInstanceSpec(f"name must be 1-{NAME_MAX} characters, got {name!r}",
                                  field="name")
    length = len(unicodedata.normalize("NFC", name))
    if length > NAME_MAX:
        raise InvalidInstanceSpec(
            f"name {name!r} is {length} characters long; it must be 1-{NAME_MAX} characters",
            field="name")
    if name != name.strip():
        raise InvalidInstanceSpec(
            f"name {name!r} must be 1-{NAME_MAX} characters without leading or trailing spaces",
            field="name")
    return name


def _not_offered(tenant: Tenant, key: str, value: Any, offered: tuple[str, ...],
                 above: list[str]) -> InvalidInstanceSpec:
    """The one wording for a choice the tenant does not offer, given the choices above it."""
    context = f" for {', '.join(above)}" if above else ""
    return InvalidInstanceSpec(
        f"{key} {value!r} is not offered by tenant {tenant.name!r}{context}; "
        f"choose one of: {', '.join(offered) or '(none)'}", field=key, choices=offered)


def _ordered(values: Iterable[str | None], key: str) -> tuple[str, ...]:
    seen = list(dict.fromkeys(v for v in values if v))
    if key in ("memory", "storage"):
        seen.sort(key=memory_gb)
    return tuple(seen)


def allowed_choices(
    tenant: Tenant,
    type: str | None = None,
    cloud_provider: str | None = None,
    region: str | None = None,
    memory: str | None = None,
) -> dict[str, tuple[str, ...]]:
    """For each of ``type, cloud_provider, region, memory, version`` (and ``storage``), the values
    the tenant offers given the choices already made above it in that order.

    A choice that is not offered leaves the fields below it empty. Pure: sends no request."""
    chosen = {"type": type, "cloud_provider": cloud_provider, "region": region, "memory": memory}
    remaining = list(tenant.instance_configurations)
    result: dict[str, tuple[str, ...]] = {}
    for key in (*CHOICE_FIELDS, "storage"):
        result[key] = _ordered((getattr(c, key) for c in remaining), key)
        value = chosen.get(key)
        if value is not None:
            remaining = [c for c in remaining if getattr(c, key) == value]
    return result


def check_spec(spec: InstanceSpec, tenant: Tenant) -> None:
    """Check a spec against the tenant's ``instance_configurations`` without sending anything.

    Raises `InvalidInstanceSpec` naming the first offending field and listing the valid
    choices for it."""
    if spec.tenant_id != tenant.id:
        raise InvalidInstanceSpec(
            f"tenant_id {spec.tenant_id!r} is not the tenant being checked "
            f"({tenant.name!r}, id {tenant.id})", field="tenant_id", choices=(tenant.id,))
    check_instance_name(spec.name)
    if spec.source_snapshot_id and not spec.source_instance_id:
        raise InvalidInstanceSpec(
            "source_snapshot_id needs source_instance_id (the instance the snapshot belongs to)",
            field="source_instance_id")
    choices = allowed_choices(tenant, spec.type, spec.cloud_provider, spec.region, spec.memory)
    above: list[str] = []
    for key in (*CHOICE_FIELDS, "storage"):
        value = getattr(spec, key)
        if key == "storage" and value is None:
            break
        if value not in choices[key]:
            raise _not_offered(tenant, key, value, choices[key], above)
        above.append(f"{key} {value}")


_SPEC_EXTRAS = ("storage", "source_instance_id", "source_snapshot_id")


def complete_spec(tenant: Tenant, name: str, preferred: Mapping[str, str | None] | None = None,
                  **fixed: str | None) -> InstanceSpec:
    """The one way to complete an `InstanceSpec` from a tenant's configurations. Sends nothing.

    Going down `CHOICE_FIELDS` (type, cloud provider, region, memory, version): a value in
    ``fixed`` must be offered given the choices above it, else `InvalidInstanceSpec` lists the
    valid ones; else the ``preferred`` value is used when offered; else the first offered value
    (memory: the smallest). ``fixed`` may also hold ``storage`` (checked) and the ``source_*``
    fields (passed through). ``None`` values count as not given. The name is checked with
    `check_instance_name`. Raises ``TypeError`` for an unknown field."""
    check_instance_name(name)
    preferred = {k: v for k, v in (preferred or {}).items() if v is not None}
    fixed = {k: v for k, v in fixed.items() if v is not None}
    unknown = sorted(set(preferred) - set(CHOICE_FIELDS) - {"storage"}) + \
        sorted(set(fixed) - set(CHOICE_FIELDS) - set(_SPEC_EXTRAS))
    if unknown:
        raise TypeError(f"complete_spec() got unknown field(s): {', '.join(unknown)}")
    picks: dict[str, str] = {}
    above: list[str] = []
    for key in (*CHOICE_FIELDS, "storage"):
        offered = allowed_choices(tenant, **{k: v for k, v in picks.items()
                                             if k not in ("version", "storage")})[key]
        if key in fixed:
            if fixed[key] not in offered:
                raise _not_offered(tenant, key, fixed[key], offered, above)
            picks[key] = fixed[key]
        elif key == "storage":
            if preferred.get(key) in offered:
                picks[key] = preferred[key]
            break  # storage is optional: the API picks the tier's default when it is absent
        elif preferred.get(key) in offered:
            picks[key] = preferred[key]  # type: ignore[assignment]
        elif offered:
            picks[key] = offered[0]
        else:
            context = f" for {', '.join(above)}" if above else ""
            raise InvalidInstanceSpec(f"tenant {tenant.name!r} offers no {key}{context}",
                                      field=key)
        above.append(f"{key} {picks[key]}")
    extras = {k: fixed[k] for k in ("source_instance_id", "source_snapshot_id") if k in fixed}
    return InstanceSpec(name=name, tenant_id=tenant.id, **picks, **extras)


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

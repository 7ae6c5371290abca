"""What a create may ask for: `InstanceSpec` and the rules it is checked and completed by.

One home each: the cascade order of the choice fields (`CHOICE_FIELDS`), what a tenant offers
given the choices above, in the order defaults are taken from (`allowed_choices`; ``paid_first``
puts paid instance types first, `TYPE_ORDER`), the one choice policy (`default_choice`), checking
a spec against it (`check_spec`), completing one (`complete_spec`), the instance name rule
(`check_instance_name`, `NAME_MAX`), the form of each kind of id (`check_id`) and sizes like
``8GB`` (`parse_size`). Pure: nothing here sends a request. `aura_nb.core.models` re-exports
these names, their home before.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from . import display
from .errors import InvalidId, InvalidInstanceSpec

if TYPE_CHECKING:
    from .models import Tenant

__all__ = [
    "InstanceSpec",
    "CHOICE_FIELDS",
    "NAME_MAX",
    "TYPE_ORDER",
    "allowed_choices",
    "default_choice",
    "type_rank",
    "check_spec",
    "check_instance_name",
    "check_id",
    "complete_spec",
    "parse_size",
    "memory_gb",
]


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
#: The order ``paid_first`` offers instance types in, so the default is the most useful one:
#: databases before data science, the smaller paid tier first. ``free-db`` comes last (still
#: offered) because an account may have only one, so a learner's second create would fail.
#: Types not listed here go after the listed paid ones, in the tenant's order.
TYPE_ORDER = ("professional-db", "business-critical", "enterprise-db", "professional-ds",
              "enterprise-ds")


def type_rank(instance_type: str) -> tuple[int, int]:
    """Sort key for instance types: `TYPE_ORDER` first, unknown paid types next, ``free-db`` last."""
    if instance_type == "free-db":
        return (2, 0)
    if instance_type in TYPE_ORDER:
        return (0, TYPE_ORDER.index(instance_type))
    return (1, 0)


def default_choice(offered: Iterable[str], preferred: str | None = None) -> str | None:
    """The one choice policy: ``preferred`` when it is offered, else the first value offered
    (`allowed_choices` orders them: memory smallest first, types by `type_rank` when
    ``paid_first``), else ``None`` when nothing is."""
    offered = tuple(offered)
    if preferred is not None and preferred in offered:
        return preferred
    return offered[0] if offered else None


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


def _ordered(values: Iterable[str | None], key: str, paid_first: bool) -> tuple[str, ...]:
    seen = list(dict.fromkeys(v for v in values if v))
    if key in ("memory", "storage"):
        seen.sort(key=memory_gb)
    elif key == "type" and paid_first:
        seen.sort(key=type_rank)
    return tuple(seen)


def allowed_choices(
    tenant: Tenant,
    type: str | None = None,
    cloud_provider: str | None = None,
    region: str | None = None,
    memory: str | None = None,
    *,
    paid_first: bool = False,
) -> dict[str, tuple[str, ...]]:
    """For each of ``type, cloud_provider, region, memory, version`` (and ``storage``), the values
    the tenant offers given the choices already made above it in that order: memory and storage
    smallest first, types in the tenant's order or, with ``paid_first``, by `type_rank`.

    A choice that is not offered leaves the fields below it empty. Pure: sends no request."""
    chosen = {"type": type, "cloud_provider": cloud_provider, "region": region, "memory": memory}
    remaining = list(tenant.instance_configurations)
    result: dict[str, tuple[str, ...]] = {}
    for key in (*CHOICE_FIELDS, "storage"):
        result[key] = _ordered((getattr(c, key) for c in remaining), key, paid_first)
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
                  *, paid_first: bool = False, **fixed: str | None) -> InstanceSpec:
    """The one way to complete an `InstanceSpec` from a tenant's configurations. Sends nothing.

    Going down `CHOICE_FIELDS` (type, cloud provider, region, memory, version): a value in
    ``fixed`` must be offered given the choices above it, else `InvalidInstanceSpec` lists the
    valid ones; else `default_choice`: the ``preferred`` value when offered, else the first
    offered value in `allowed_choices` order (memory: the smallest; ``paid_first``: paid types
    first). ``fixed`` may also hold ``storage`` (checked) and the ``source_*``
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
                                             if k not in ("version", "storage")},
                                  paid_first=paid_first)[key]
        if key in fixed:
            if fixed[key] not in offered:
                raise _not_offered(tenant, key, fixed[key], offered, above)
            picks[key] = fixed[key]
        elif key == "storage":
            if preferred.get(key) in offered:
                picks[key] = preferred[key]
            break  # storage is optional: the API picks the tier's default when it is absent
        elif offered:
            picks[key] = default_choice(offered, preferred.get(key))  # type: ignore[assignment]
        else:
            context = f" for {', '.join(above)}" if above else ""
            raise InvalidInstanceSpec(f"tenant {tenant.name!r} offers no {key}{context}",
                                      field=key)
        above.append(f"{key} {picks[key]}")
    extras = {k: fixed[k] for k in ("source_instance_id", "source_snapshot_id") if k in fixed}
    return InstanceSpec(name=name, tenant_id=tenant.id, **picks, **extras)

"""Finding a tenant, instance or project by id or name; `AuraClient`'s ``find_*`` methods call these.

Every look-up here is a function of a client, built on its own ``list_*``/``get_*`` calls (one
listing, then one ``GET`` per match where the details are needed); none sends anything else.
Two rules live here: an exact id wins over a name (`_one_by_id_or_name`), and what a *live*
instance is (`live_instances`: neither gone nor ``destroying``), on which "does a live instance
have this name?" (`find_live_instances`, the check every front-end makes before a create) and
the workshop's adoption of instances by name are built.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from . import config
from .errors import AmbiguousName, NameNotFound, NotFound
from .lifecycle import DESTROYING
from .models import Instance, InstanceSummary, Project, Tenant, parse_timestamp

if TYPE_CHECKING:
    from .models import TenantSummary

__all__ = ["Listings", "find_tenant", "find_instance", "live_instances", "find_live_instances",
           "find_live_instance", "find_project"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _one_by_id_or_name(items: list[Any], wanted: str, plural: str,
                       not_found: Callable[[], NameNotFound]) -> Any:
    """The one item whose id is ``wanted``, else whose name is: the matching rule of
    `AuraClient.find_tenant`, `~AuraClient.find_instance` and `~AuraClient.find_project`.
    Raises ``not_found()`` or `AmbiguousName` (several ``plural`` with that name)."""
    matches = [i for i in items if i.id == wanted] or [i for i in items if i.name == wanted]
    if not matches:
        raise not_found()
    if len(matches) > 1:
        ids = ", ".join(i.id for i in matches)
        raise AmbiguousName(f"{len(matches)} {plural} are named {wanted!r} (ids {ids}); pass "
                            "the id instead", candidates=[i.id for i in matches])
    return matches[0]


class Listings(Protocol):
    """The calls of a client (`AuraClient`) the look-ups are built on."""

    default_tenant: str | None

    def list_tenants(self) -> list[TenantSummary]: ...
    def get_tenant(self, tenant_id: str) -> Tenant: ...
    def list_instances(self, tenant_id: str | None = None) -> list[InstanceSummary]: ...
    def get_instance(self, instance_id: str) -> Instance: ...
    def list_projects(self, organization_id: str | None = None) -> list[Project]: ...


def find_tenant(client: Listings, name_or_id: str | None = None, *,
                choose: str = "pass one to find_tenant()") -> Tenant:
    """The tenant with this exact name or id; with ``None``, the client's ``tenant``
    setting, else ``AURA_TENANT``, else the only tenant there is.
    ``GET /v1/tenants`` then ``GET /v1/tenants/{tenantId}``. ``choose`` says, in the caller's
    terms, how to name one when there are several (a magic's option, not a Python call).

    Raises `NameNotFound` (listing the names that exist) or `AmbiguousName`."""
    wanted = name_or_id or client.default_tenant or config.tenant()
    tenants = client.list_tenants()
    listing = ", ".join(f"{t.name!r}" for t in tenants) or "(none)"
    if wanted is None:
        if len(tenants) == 1:
            return client.get_tenant(tenants[0].id)
        if not tenants:
            raise NameNotFound("this client sees no tenants (GET /v1/tenants returned none)")
        raise AmbiguousName(
            f"this client sees {len(tenants)} tenants: {listing}; {choose} or set AURA_TENANT",
            candidates=[t.id for t in tenants])
    found = _one_by_id_or_name(tenants, wanted, "tenants", lambda: NameNotFound(
        f"no tenant is named {wanted!r} (or has that id); this client sees: {listing}",
        candidates=[t.name for t in tenants]))
    return client.get_tenant(found.id)


def find_instance(client: Listings, name_or_id: str, tenant_id: str | None = None) -> InstanceSummary:
    """The instance with this exact id or name (in one tenant, or all).
    ``GET /v1/instances[?tenantId=]``. Raises `NameNotFound` or `AmbiguousName`."""
    instances = client.list_instances(tenant_id)

    def not_found() -> NameNotFound:
        names = sorted({i.name for i in instances})
        shown = ", ".join(repr(n) for n in names[:10]) + (", …" if len(names) > 10 else "")
        where = f"tenant {tenant_id}" if tenant_id else "any tenant"
        return NameNotFound(f"no instance named {name_or_id!r} (or with that id) in {where}; "
                            f"existing names: {shown or '(none)'}", candidates=names)

    return _one_by_id_or_name(instances, name_or_id, "instances", not_found)


def live_instances(client: Listings, summaries: Iterable[InstanceSummary]) -> Iterator[Instance]:
    """The live ones among ``summaries``, in their order and as they are read: ``GET
    /v1/instances/{instanceId}`` per summary (lazily: stop iterating, stop sending); one gone
    (404, deleted since the listing) or ``destroying`` (deleted, name kept while it goes) is
    left out. An instance whose GET has no ``created_at`` gets the listing's. The kit's one
    rule of what a live instance is."""
    for summary in summaries:
        try:
            instance = client.get_instance(summary.id)
        except NotFound:
            continue
        if instance.status != DESTROYING:
            yield dataclasses.replace(instance, created_at=instance.created_at or summary.created_at)


def find_live_instances(client: Listings, name: str, tenant_id: str | None = None) -> list[Instance]:
    """Every live instance called ``name`` (in one tenant, or all), oldest first: one
    listing (``GET /v1/instances[?tenantId=]``), names compared after Unicode NFC, then
    ``GET /v1/instances/{instanceId}`` per match. Instances gone (404) or ``destroying``
    are left out. The core's one "does this name exist?" check, used before a create."""
    wanted = unicodedata.normalize("NFC", name)
    named = (s for s in client.list_instances(tenant_id)
             if unicodedata.normalize("NFC", s.name or "") == wanted)
    return sorted(live_instances(client, named),
                  key=lambda i: (parse_timestamp(i.created_at) or _EPOCH, i.id))


def find_live_instance(client: Listings, name: str, tenant_id: str | None = None) -> Instance | None:
    """The one live instance called ``name``, or ``None``; see `find_live_instances`.
    Raises `AmbiguousName` when several live instances have that name."""
    live = find_live_instances(client, name, tenant_id)
    if len(live) > 1:
        ids = ", ".join(i.id for i in live)
        raise AmbiguousName(f"{len(live)} live instances are named {name!r} (ids {ids}); "
                            "pass an id, or delete the extra ones",
                            candidates=[i.id for i in live])
    return live[0] if live else None


def find_project(client: Listings, name_or_id: str) -> Project:
    """The project with this exact id or name, in any of this client's organizations.
    Raises `NameNotFound` (listing the names that exist) or `AmbiguousName`."""
    projects = client.list_projects()
    listing = ", ".join(f"{p.name!r}" for p in projects) or "(none)"
    return _one_by_id_or_name(projects, name_or_id, "projects", lambda: NameNotFound(
        f"no project is named {name_or_id!r} (or has that id); this client sees: {listing}",
        candidates=[p.name for p in projects]))

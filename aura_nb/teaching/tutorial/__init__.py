"""Helpers the teaching notebooks share, composed from aura_nb's public API.

The notebooks are one learner's journey (notebook 03 creates the instance that 04-06 use), yet
each must also run on its own, and twice in a row. These helpers make that possible without a
``def`` in a notebook: they find the tutorial's instances by name or create them
(get-or-create), bring them back to ``running``, and clean up everything the notebooks made.

Every instance the notebooks create has a name starting with ``nb-`` (`NOTEBOOK_PREFIX`), so
`delete_notebook_instances` (notebook 99) knows exactly what to remove. Notebook 12's helpers
(organizations, projects, a multi-database instance, Neo4j's CLI) live in `.projects` and are
re-exported here.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping


from aura_nb.core import config
from aura_nb.core.client import AuraClient
from aura_nb.core.errors import BadRequest, VaultEntryNotFound
from aura_nb.core.history import redact_header
from aura_nb.core.lifecycle import DESTROYING, PAUSED, PAUSING, SETTLES_TO, is_transitional
from aura_nb.core.models import Instance, InstanceSpec, Tenant, allowed_choices, complete_spec, parse_size
from . import projects
from .connection import check_connected, unless_unreachable
from .projects import *  # noqa: F401,F403 - notebook 12's helpers, as tutorial.<name>

__all__ = [
    "NOTEBOOK_PREFIX",
    "TUTORIAL_NAME",
    "tutorial_name",
    "SIMULATOR_TENANT",
    "tenant",
    "tutorial_spec",
    "bearer_headers",
    "throwaway_simulator",
    "RequestPreview",
    "preview_create",
    "next_size",
    "room_for_another",
    "NO_FAULTS",
    "check_connected",
    "unless_unreachable",
    "simulator_admin",
    "faults_on",
    "room_in",
    "present",
    "tour_instance",
    "get_or_create",
    "ready_instance",
    "tutorial_instance",
    "notebook_instances",
    "delete_notebook_instances",
    "forget_deleted_credentials",
    *projects.__all__,
]

#: Every instance a notebook creates is named with this prefix.
NOTEBOOK_PREFIX = "nb-"
#: The instance notebook 03 creates and 04-06 use.
TUTORIAL_NAME = "nb-tutorial"
#: The simulator's tenant the notebooks use when ``AURA_TENANT`` is not set.
SIMULATOR_TENANT = "Learning Project"
#: What the tutorial instance is, where the tenant offers it: small, hence cheap on the real API
#: (professional-db starts at 2GB; a tenant that offers less still gets its smallest size).
PREFERRED = {"type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
             "memory": "2GB", "version": "5"}


def tenant(client: AuraClient, simulator_tenant: str = SIMULATOR_TENANT) -> Tenant:
    """The tenant (project) a notebook works in: ``AURA_TENANT`` when set; else, on a simulator
    that has it, ``simulator_tenant`` (the default world's ``Learning Project``); else the
    account's only tenant. ``GET /v1/tenants`` then ``GET /v1/tenants/{tenantId}``.
    Raises `NameNotFound` or `AmbiguousName` (set ``AURA_TENANT`` to choose)."""
    if config.tenant() or client.default_tenant or client.mode != "simulator":
        return client.find_tenant()
    if any(t.name == simulator_tenant for t in client.list_tenants()):
        return client.find_tenant(simulator_tenant)
    return client.find_tenant()


def tutorial_name() -> str:
    """The tutorial instance's name: ``AURA_TUTORIAL_INSTANCE`` (a workshop hand-out names the
    attendee's own instance there), else `TUTORIAL_NAME`."""
    return config.tutorial_instance() or TUTORIAL_NAME


def tutorial_spec(tenant: Tenant, name: str | None = None, **choices: str) -> InstanceSpec:
    """A spec for a small instance the tenant offers, named ``name`` (default `tutorial_name`):
    `PREFERRED`, overridden by ``choices``
    (``memory="2GB"``...), each level falling back to the first offered value when the tenant
    lacks it (smallest memory first): `aura_nb.core.models.complete_spec` with these preferences.
    Sends nothing. Raises `InvalidInstanceSpec` when the tenant offers no configuration."""
    return complete_spec(tenant, name or tutorial_name(), {**PREFERRED, **choices})


def bearer_headers(client: AuraClient) -> tuple[str, dict[str, str]]:
    """The base URL and the headers for the later notebooks' own ``requests`` calls:
    ``Authorization: Bearer ...`` and ``Accept: application/json``. The token is the client's
    own (fetched with the request notebook 01 teaches, when it has none yet, and shown as its
    exchange): the token endpoint allows 15 tokens an hour per client id, so a notebook takes one
    token, not one for the kit and one for you. Never print the headers. Raises what the
    client's token request raises (`AuthenticationFailed`...)."""
    token = client.transport.tokens.get()
    return client.credentials.base_url, {"Authorization": f"Bearer {token.access_token}",
                                         "Accept": "application/json"}


@contextmanager
def throwaway_simulator(client: AuraClient) -> Iterator[Any]:
    """A fresh simulator in this process, with the service's limits (125 requests a minute and
    15 tokens an hour per client id), for an experiment that must not spend your own client id's
    budget: notebook 01's token-per-call loop. Yields it (``base_url``, ``client_id``,
    ``client_secret``), stopped afterwards; yields ``None`` and starts nothing when ``client``
    talks to the real API, where the experiment would lock your client id out for an hour."""
    if client.mode != "simulator":
        yield None
        return
    from aura_nb.simulator import Simulator

    with Simulator(seed=0).start() as sim:
        yield sim


@dataclass(frozen=True)
class RequestPreview:
    """A request the kit *would* send (a dry run): method, URL, headers (the token masked) and
    JSON body. ``print`` it, or `as_curl` it."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None

    def __str__(self) -> str:
        lines = [f"{self.method} {self.url}   (a dry run: not sent)"]
        lines += [f"{k}: {redact_header(k, v)}" for k, v in self.headers.items()]
        if self.body is not None:
            lines.append(json.dumps(self.body, indent=2, ensure_ascii=False))
        return "\n".join(lines)

    __repr__ = __str__


def preview_create(client: AuraClient, spec: InstanceSpec) -> RequestPreview:
    """The exact request ``client.create_instance(spec)`` would send, without sending it: the
    spec is validated first (``GET /v1/tenants/{tenantId}`` when the tenant is not cached).
    Raises `InvalidInstanceSpec` as ``create_instance`` would, before anything is sent."""
    client.validate_spec(spec)
    return RequestPreview("POST", f"{client.base_url}/v1/instances",
                          {"Authorization": "Bearer <token>", "Content-Type": "application/json"},
                          spec.to_api())


def next_size(tenant: Tenant, instance: Instance) -> str | None:
    """The smallest memory the tenant offers for the instance's type, provider and region that
    is larger than its own (what a resize can ask for); for a type with one size (``free-db``)
    the next size any type offers there, so that the API says why it refuses; ``None`` when
    there is none at all. Sends nothing."""
    for type_ in (instance.type, None):
        offered = allowed_choices(tenant, type=type_, cloud_provider=instance.cloud_provider,
                                  region=instance.region)["memory"]
        larger = [m for m in offered if parse_size(m) > parse_size(instance.memory)]
        if larger:
            return min(larger, key=parse_size)
    return None


def room_for_another(instance: Instance) -> bool:
    """Whether the account may hold one more instance besides ``instance``: not when that is a
    ``free-db`` (a Free account holds one; a second create answers ``405``), and then one line
    says so. Sends nothing."""
    if instance.type == "free-db":
        print(f"{instance.name} is a free-db: a Free account holds one instance, so this step "
              "is skipped (a second create would answer 405).")
        return False
    return True


#: What a cell that needs the simulator's faults prints in real mode.
NO_FAULTS = ("Skipped: the real API cannot be made to fail on purpose; this step needs the "
             "simulator's faults (simulator mode).")


def simulator_admin(client: AuraClient) -> Any:
    """The simulator's admin surface (`aura_nb.simulator.remote.SimulatorAdmin`: faults on and
    off) in simulator mode; ``None`` in real mode, where one line says that the steps needing
    it are skipped. Sends nothing."""
    if client.mode != "simulator":
        print("Real mode: no simulator admin surface; the steps that need the simulator's "
              "faults say so and send nothing.")
        return None
    from aura_nb.simulator.remote import SimulatorAdmin

    return SimulatorAdmin(client.base_url)


def faults_on(admin: Any) -> bool:
    """Whether a step that makes the simulator misbehave can run: ``admin`` is not ``None``
    (see `simulator_admin`); else one line (`NO_FAULTS`) says why it is skipped."""
    if admin is None:
        print(NO_FAULTS)
    return admin is not None


def room_in(client: AuraClient, tenant: Tenant) -> bool:
    """Whether one more instance may be created in ``tenant`` next to the tutorial's: not when
    that is a ``free-db`` (`room_for_another` prints why). ``GET /v1/instances`` and a ``GET``
    of the tutorial instance when it exists; creates nothing."""
    found = client.find_live_instance(tutorial_name(), tenant.id)
    return found is None or room_for_another(found)


def present(instance: Instance | None, name: str) -> bool:
    """Whether ``instance`` exists; when it is ``None``, one line says the step that needs
    ``name`` is skipped (an earlier cell said why)."""
    if instance is None:
        print(f"Skipped: there is no {name} (an earlier cell says why).")
    return instance is not None


def tour_instance(client: AuraClient, form: Any, timeout: float = 1200) -> Instance:
    """The instance notebook 09's widgets work on, ``running``: the one named in ``form``
    (a `CreateInstanceForm`) when a previous run made it, else the one ``form.submit()``
    creates (what clicking Create does). When the account refuses that create (a Free
    account holds one instance; paid types need billing details), one line says so and the
    tutorial instance (`tutorial_instance`) is used instead. ``GET /v1/instances``, then
    what ``submit`` and `ready_instance` send."""
    spec = form.spec()
    instance = client.find_live_instance(spec.name, spec.tenant_id)
    if instance is None:
        created = form.submit()
        if created is None:
            print(f"The form could not create {spec.name} (its status line says why); the tour "
                  f"goes on with {tutorial_name()}.")
            return tutorial_instance(client, timeout)
        instance = client.get_instance(created.id)
    return _running(client, instance, timeout)


def get_or_create(client: AuraClient, spec: InstanceSpec) -> Instance:
    """The instance named ``spec.name`` in ``spec.tenant_id``: found by name if a previous run
    made it, else created with ``client.create_instance(spec)`` (``POST /v1/instances``; the
    one-time password goes to the vault before that returns). On an account without billing
    details (``400 missing-billing-details``: AuraDB Free) it says so in one line and creates a
    ``free-db`` of that name instead. Does not wait.
    Raises what ``client.find_live_instance`` and ``create_instance`` raise."""
    found = client.find_live_instance(spec.name, spec.tenant_id)
    if found is not None:
        return found
    try:
        created = client.create_instance(spec)
    except BadRequest as refused:
        if refused.reason != "missing-billing-details" or spec.type == "free-db":
            raise
        print(f"{spec.type} needs billing details on this account; creating a free-db instead")
        created = client.create_instance(complete_spec(
            client.get_tenant(spec.tenant_id), spec.name, PREFERRED, type="free-db"))
    return client.get_instance(created.id)


def ready_instance(client: AuraClient, spec: InstanceSpec, timeout: float = 1200) -> Instance:
    """`get_or_create`, then bring the instance to ``running``: resume it if it is paused (or
    pausing), wait while it is busy. ``POST /v1/instances/{id}/resume``, polls
    ``GET /v1/instances/{id}``. Raises `InstanceWaitTimeout`, `InstanceStatusUnreachable`."""
    return _running(client, get_or_create(client, spec), timeout)


def _running(client: AuraClient, instance: Instance, timeout: float) -> Instance:
    """``instance`` brought to ``running``: resumed if paused (or pausing), waited for if busy."""
    if instance.status == PAUSING:
        instance = client.wait_for_instance(instance.id, "paused", timeout)
    if instance.status == PAUSED:
        client.resume_instance(instance.id)
    return client.wait_for_instance(instance.id, "running", timeout)


def tutorial_instance(client: AuraClient, timeout: float = 1200) -> Instance:
    """The tutorial instance (`tutorial_name` in `tenant`), running: the one notebook 03
    created, or created now when a notebook runs on its own. See `ready_instance`."""
    return ready_instance(client, tutorial_spec(tenant(client)), timeout)


def notebook_instances(client: AuraClient) -> list[str]:
    """Names of the instances the notebooks made (`NOTEBOOK_PREFIX`) that still exist, in every
    tenant, sorted. ``GET /v1/instances``."""
    return sorted(i.name for i in client.list_instances() if i.name.startswith(NOTEBOOK_PREFIX))


def delete_notebook_instances(client: AuraClient, timeout: float = 600) -> list[str]:
    """Delete every instance whose name starts with `NOTEBOOK_PREFIX` (in every tenant), wait
    until they are gone, and remove the vault's credentials files of notebook instances that no
    longer exist (`forget_deleted_credentials`). Returns the names
    deleted, sorted. ``GET /v1/instances``, ``DELETE /v1/instances/{id}``, polls
    ``GET /v1/instances/{id}``. Raises `Conflict` when one is busy for longer than ``timeout``
    allows, `InstanceWaitTimeout`."""
    doomed = [i for i in client.list_instances() if i.name.startswith(NOTEBOOK_PREFIX)]
    for summary in doomed:
        instance = client.get_instance(summary.id)
        if instance.status == DESTROYING:
            continue
        if is_transitional(instance.status):  # busy: 409 until it settles
            client.wait_for_instance(instance.id, SETTLES_TO[instance.status], timeout)
        client.delete_instance(instance.id)
    client.wait_for_instances([i.id for i in doomed], status="deleted", timeout=timeout)
    forget_deleted_credentials(client)
    return sorted(i.name for i in doomed)


def forget_deleted_credentials(client: AuraClient) -> int:
    """Remove the vault's credentials files of notebook instances (`NOTEBOOK_PREFIX`) of this
    client's API and account that no longer exist; returns how many. ``GET /v1/tenants``,
    ``GET /v1/instances``. The vault is shared across APIs and accounts: an entry of another
    API (``AURA_API_BASE_URL``) or of a tenant this key does not see stays, and so does an entry
    that does not say whose it is (written by an older aura_nb): those are named in one printed
    line, for you to check."""
    live = {i.id for i in client.list_instances()}
    owned, unscoped = client.vault.owned_by(client.base_url, (t.id for t in client.list_tenants()))
    removed = 0
    for entry in owned:
        if entry.instance_name.startswith(NOTEBOOK_PREFIX) and entry.instance_id not in live:
            try:
                client.vault.path_for(entry.instance_id).unlink()
                removed += 1
            except (VaultEntryNotFound, FileNotFoundError):
                pass
    kept = [e for e in unscoped if e.instance_name.startswith(NOTEBOOK_PREFIX) and e.instance_id not in live]
    if kept:
        print(f"Kept {len(kept)} vault file(s) that do not say which API they belong to "
              f"({', '.join(e.instance_id for e in kept)}): delete them yourself if their instances are gone")
    return removed

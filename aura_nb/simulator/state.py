"""The simulated world: tenants, instances, snapshots, keys, sessions and tokens.

Lifecycle is computed lazily from the virtual clock. An operation such as pause does not start a
timer; it records "status is ``pausing`` until virtual time T, then ``paused``". Whoever reads the
instance afterwards first *settles* it: if the clock has passed T, the status moves on. No
background threads, and a world saved to a file and loaded again keeps progressing.

Every public method takes the caller's *role* (``"primary"`` for the simulator's configured client,
``"other"`` for the second account) so that each client sees only its own tenants, and raises
:class:`~aura_nb.simulator.errors.ApiError` with the service's status, reason and message when a
request cannot be carried out. Methods return plain dicts shaped like the API's ``data``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import secrets
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from . import catalog
from .catalog import gb
from .clock import VirtualClock, day_of, rfc3339, spaced_utc
from .errors import ApiError, bad_request, busy, not_found_instance, not_found_tenant

STATE_FORMAT = 1
CLOUDS = ("gcp", "aws", "azure")
INSTANCE_TYPES = ("free-db", "professional-db", "business-critical", "enterprise-db",
                  "professional-ds", "enterprise-ds")
#: Marks a transition whose end is the instance's disappearance.
GONE = ""
#: Status after each transitional status.
NEXT_STATUS = {"creating": "running", "pausing": "paused", "resuming": "running",
               "updating": "running", "overwriting": "running", "restoring": "running",
               "destroying": GONE}
#: Types that report a metrics integration URL (and make a tenant eligible for one).
METRICS_TYPES = ("enterprise-db", "business-critical", "enterprise-ds")
SESSION_LIFETIME = 7 * 24 * 3600     # virtual seconds until a session expires
_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass
class Tenant:
    """A project; ``owner`` is the role of the client that can see it."""
    id: str
    name: str
    owner: str
    instance_configurations: list


@dataclass
class Instance:
    """One database. ``since``: when the current status began; ``until``/``then``: the in-flight
    transition ends at virtual time ``until`` with status ``then``."""
    id: str
    name: str
    tenant_id: str
    owner: str
    cloud_provider: str
    region: str
    type: str
    memory: str
    storage: str
    version: str
    created_at: float
    status: str
    since: float = 0.0
    until: float | None = None
    then: str | None = None
    ops: int = 0
    vector_optimized: bool = False
    graph_analytics_plugin: bool = False
    customer_managed_key_id: str | None = None
    secondaries_count: int | None = None
    cdc_enrichment_mode: str | None = None


@dataclass
class Snapshot:
    """A snapshot: ``Pending`` then ``InProgress`` from ``started``, ``Completed`` at ``done_at``."""
    snapshot_id: str
    instance_id: str
    profile: str
    started: float
    done_at: float
    exportable: bool = True


@dataclass
class CustomerManagedKey:
    """A registered KMS key: ``pending`` until ``ready_at``, then ``ready``."""
    id: str
    name: str
    tenant_id: str
    owner: str
    cloud_provider: str
    region: str
    instance_type: str
    key_id: str
    created: float
    ready_at: float


@dataclass
class Session:
    """A graph-analytics session: ``""``, ``Creating``, ``Ready`` at ``ready_at``, ``Expired``."""
    id: str
    name: str
    tenant_id: str
    owner: str
    memory: str
    ttl: str
    instance_id: str
    database_uuid: str
    cloud_provider: str
    region: str
    created: float
    ready_at: float
    expires_at: float


def _digest(token: str) -> str:
    """Tokens are kept (and saved) only as hashes."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_str(body: dict, name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"Missing required field: {name}", name)
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string", name)
    return value


def _require_bool(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false", name)
    return value


def _require_count(body: dict, name: str, required: bool = True) -> int:
    value = body.get(name)
    if value is None and not required:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(f"{name} must be a non-negative integer", name)
    return value


def _check_name(name: str, field_name: str = "name") -> None:
    if not 1 <= len(name) <= 30:
        raise bad_request(f"{field_name} must be 1 to 30 characters long", field_name)
    if name != name.strip():
        raise bad_request(f"{field_name} must not start or end with whitespace", field_name)


def _choices(values) -> str:
    """Sorted, de-duplicated, sizes in numeric order: ``1GB, 2GB, 16GB``."""
    unique = set(values)
    try:
        ordered = sorted(unique, key=gb)
    except ValueError:
        ordered = sorted(unique)
    return ", ".join(ordered)


class World:
    """Everything the simulated service knows, behind one lock.

    ``World(seed, clock, durations)`` builds the seeded world: the tenants of
    :data:`catalog.SEEDED_TENANTS` with ids drawn from ``random.Random(seed)``. Public methods
    take the lock themselves; ``lock`` is re-entrant so a caller may hold it around several calls.
    """

    def __init__(self, seed: int = 0, clock: VirtualClock | None = None,
                 durations: dict | None = None):
        self.seed = seed
        self.clock = clock or VirtualClock()
        self.durations = dict(catalog.DEFAULT_DURATIONS)
        for name, (lo, hi) in (durations or {}).items():
            if name not in self.durations:
                raise ValueError(f"unknown duration {name!r}; known: {', '.join(self.durations)}")
            if not 0 <= lo <= hi:
                raise ValueError(f"duration {name!r} needs 0 <= shortest <= longest")
            self.durations[name] = (lo, hi)
        self.lock = threading.RLock()
        self.tokens: dict[str, tuple[str, float]] = {}   # sha256(token) -> (role, expires_at)
        self.issued_tokens: list[str] = []       # secrets handed out by this process (never saved),
        self.issued_passwords: list[str] = []    # listed by GET /_simulator/secrets for scans
        self.tokens_issued = 0
        self.reset()

    # ----------------------------------------------------------------- set-up and persistence

    def reset(self) -> None:
        """Go back to the seeded world. Issued tokens stay valid."""
        with self.lock:
            self._rng = random.Random(self.seed)
            self.tenants: dict[str, Tenant] = {}
            self.instances: dict[str, Instance] = {}
            self.snapshots: dict[str, list[Snapshot]] = {}
            self.cmks: dict[str, CustomerManagedKey] = {}
            self.sessions: dict[str, Session] = {}
            self.used_instance_ids: set[str] = set()
            self.user_ids = {"primary": self._uuid(), "other": self._uuid()}
            for owner, name, configurations in catalog.SEEDED_TENANTS:
                tenant = Tenant(self._uuid(), name, owner, [dict(c) for c in configurations])
                self.tenants[tenant.id] = tenant

    def to_state(self) -> dict:
        """The world as JSON-ready data (tokens only as hashes, never passwords)."""
        with self.lock:
            version, internal, gauss = self._rng.getstate()
            return {
                "format": STATE_FORMAT,
                "seed": self.seed,
                "now": self.clock.now(),
                "saved_at": time.time(),
                "rng": [version, list(internal), gauss],
                "user_ids": self.user_ids,
                "tenants": [asdict(t) for t in self.tenants.values()],
                "instances": [asdict(i) for i in self.instances.values()],
                "snapshots": [asdict(s) for snaps in self.snapshots.values() for s in snaps],
                "cmks": [asdict(k) for k in self.cmks.values()],
                "sessions": [asdict(s) for s in self.sessions.values()],
                "used_instance_ids": sorted(self.used_instance_ids),
                "tokens": {h: list(v) for h, v in self.tokens.items()},
                "tokens_issued": self.tokens_issued,
            }

    def load_state(self, state: dict) -> None:
        """Replace the world with ``state`` (from :meth:`to_state`).

        The clock resumes where it was saved plus the real time since, times the speed: the
        simulated cloud kept working while the simulator was stopped.
        Raises ValueError for a file of another format.
        """
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported simulator state format {state.get('format')!r}")
        with self.lock:
            self.seed = state["seed"]
            version, internal, gauss = state["rng"]
            self._rng.setstate((version, tuple(internal), gauss))
            self.user_ids = dict(state["user_ids"])
            self.tenants = {t["id"]: Tenant(**t) for t in state["tenants"]}
            self.instances = {i["id"]: Instance(**i) for i in state["instances"]}
            self.snapshots = {}
            for s in state["snapshots"]:
                self.snapshots.setdefault(s["instance_id"], []).append(Snapshot(**s))
            self.cmks = {k["id"]: CustomerManagedKey(**k) for k in state["cmks"]}
            self.sessions = {s["id"]: Session(**s) for s in state["sessions"]}
            self.used_instance_ids = set(state["used_instance_ids"])
            self.tokens = {h: (v[0], v[1]) for h, v in state["tokens"].items()}
            self.tokens_issued = state.get("tokens_issued", 0)
            downtime = max(0.0, time.time() - state["saved_at"])
            self.clock.reset(start=state["now"] + self.clock.speed * downtime)

    def save(self, path: str) -> None:
        """Write the state to ``path`` atomically (temporary file, then rename), mode 0600."""
        data = json.dumps(self.to_state(), separators=(",", ":"))
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".aura-sim-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # ----------------------------------------------------------------- ids, time, lifecycle

    def now(self) -> float:
        """Current virtual time (POSIX seconds)."""
        return self.clock.now()

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _hex(self, digits: int) -> str:
        return f"{self._rng.getrandbits(4 * digits):0{digits}x}"

    def _new_instance_id(self, tenant_id: str, name: str) -> str:
        """8 hex characters derived from the seed, the tenant and the name, never reused.

        Keyed by name rather than drawn in sequence, so a notebook that creates "tutorial-db"
        gets the same id whether or not other notebooks ran before it in this world."""
        n = 0
        while True:
            key = f"{self.seed}/{tenant_id}/{name}/{n}".encode()
            candidate = hashlib.sha256(key).hexdigest()[:8]
            if candidate not in self.used_instance_ids:
                self.used_instance_ids.add(candidate)
                return candidate
            n += 1

    def _snapshot_id(self, instance_id: str) -> str:
        """A UUID derived from the seed, the instance and how many snapshots it already has, so
        it does not depend on what else happened in the world (snapshots are never deleted)."""
        n = len(self.snapshots.get(instance_id, []))
        digest = hashlib.sha256(f"{self.seed}/{instance_id}/snapshot/{n}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _draw(self, kind: str, key: str, n: int) -> float:
        """A duration for operation ``n`` of ``key``: the same for the same seed, whatever the order."""
        lo, hi = self.durations[kind]
        return random.Random(f"{self.seed}/{key}/{n}/{kind}").uniform(lo, hi)

    def _begin(self, inst: Instance, status: str) -> None:
        """Start a transition: ``status`` now, the next status after a drawn duration."""
        inst.since = self.now()
        inst.until = inst.since + self._draw(status, inst.id, inst.ops)
        inst.ops += 1
        inst.status = status
        inst.then = NEXT_STATUS[status]

    def _settle(self, inst: Instance) -> Instance | None:
        """Apply a finished transition; ``None`` if the instance is gone."""
        if inst.until is not None and self.now() >= inst.until:
            if inst.then == GONE:
                del self.instances[inst.id]
                self.snapshots.pop(inst.id, None)
                return None
            inst.status, inst.since, inst.until, inst.then = inst.then, inst.until, None, None
        return inst

    def status_since(self, instance_id: str) -> tuple[str, float] | None:
        """``(status, virtual time it began)`` of an instance, ``None`` once it is gone.

        For tests: when did this instance really become ``running``?
        """
        with self.lock:
            inst = self.instances.get(instance_id)
            if inst is None or self._settle(inst) is None:
                return None
            return inst.status, inst.since

    def transition_end(self, instance_id: str) -> float | None:
        """Virtual time at which the instance's current operation ends (``None`` if idle/unknown).

        For tests: the exact moment an instance becomes ``running``.
        """
        with self.lock:
            inst = self.instances.get(instance_id)
            return None if inst is None else inst.until

    # ----------------------------------------------------------------- tokens

    def issue_token(self, role: str, ttl: float) -> str:
        """A new opaque access token for ``role``, valid for ``ttl`` virtual seconds."""
        token = secrets.token_urlsafe(40)
        with self.lock:
            now = self.now()
            # Forget tokens long expired; recently expired ones must still answer 403, not 401.
            for key in [k for k, (_, exp) in self.tokens.items() if exp < now - 86400]:
                del self.tokens[key]
            self.tokens[_digest(token)] = (role, now + ttl)
            self.tokens_issued += 1
            self.issued_tokens.append(token)
        return token

    def role_for_token(self, token: str) -> str:
        """The role a bearer token belongs to.

        Raises ApiError 401 for an unknown token and 403 for an expired one (gateway shape).
        """
        with self.lock:
            entry = self.tokens.get(_digest(token))
            if entry is None:
                raise ApiError(401, "unauthorized", "Access token is invalid", shape="middleware")
            role, expires_at = entry
            if self.now() >= expires_at:
                raise ApiError(403, "forbidden", "Access token has expired", shape="middleware")
            return role

    # ----------------------------------------------------------------- tenants

    def _tenant(self, role: str, tenant_id) -> Tenant:
        tenant = self.tenants.get(tenant_id) if isinstance(tenant_id, str) else None
        if tenant is None or tenant.owner != role:
            raise not_found_tenant()
        return tenant

    def list_tenants(self, role: str) -> list[dict]:
        """``GET /v1/tenants``: ``[{id, name}]`` of the caller's tenants."""
        with self.lock:
            return [{"id": t.id, "name": t.name} for t in self.tenants.values() if t.owner == role]

    def get_tenant(self, role: str, tenant_id: str) -> dict:
        """``GET /v1/tenants/{id}`` with its instance configurations. Raises 404."""
        with self.lock:
            t = self._tenant(role, tenant_id)
            return {"id": t.id, "name": t.name,
                    "instance_configurations": [dict(c) for c in t.instance_configurations]}

    def metrics_integration(self, role: str, tenant_id: str) -> dict:
        """``GET /v1/tenants/{id}/metrics-integration``. Raises 404, or 400 with no eligible instance."""
        with self.lock:
            tenant = self._tenant(role, tenant_id)
            eligible = any(i.type in METRICS_TYPES for i in self._instances_of(role, tenant.id))
            if not eligible:
                raise ApiError(400, "tenant-incapable-of-action",
                               "This tenant has no instances eligible for metrics integration")
            return {"endpoint": f"https://customer-metrics-api.neo4j.io/api/v1/{tenant.id}/metrics"}

    def _match_config(self, tenant: Tenant, body: dict) -> dict:
        """The configuration a create body asks for, or a 400 naming the first field that misses."""
        options = tenant.instance_configurations
        where = []
        for name in ("type", "cloud_provider", "region", "memory", "version"):
            wanted = body[name]
            matching = [c for c in options if c[name] == wanted]
            if not matching:
                context = f" for {' '.join(where)}" if where else ""
                raise bad_request(
                    f"{name} {wanted!r} is not offered{context} in project {tenant.name!r}; "
                    f"choose one of: {_choices(c[name] for c in options)}", name)
            options = matching
            where.append(str(wanted))
        return options[0]

    # ----------------------------------------------------------------- instances: reads

    def _instances_of(self, role: str, tenant_id: str | None = None) -> list[Instance]:
        out = []
        for inst in list(self.instances.values()):
            if self.tenants[inst.tenant_id].owner != role:
                continue
            if tenant_id is not None and inst.tenant_id != tenant_id:
                continue
            if self._settle(inst) is not None:
                out.append(inst)
        return out

    def _instance(self, role: str, instance_id, field_name: str | None = None) -> Instance:
        inst = self.instances.get(instance_id) if isinstance(instance_id, str) else None
        if inst is not None and self.tenants[inst.tenant_id].owner == role:
            inst = self._settle(inst)
        else:
            inst = None
        if inst is None:
            error = not_found_instance(instance_id)
            error.field = field_name
            raise error
        return inst

    @staticmethod
    def instance_view(inst: Instance) -> dict:
        """The instance as ``GET /v1/instances/{id}`` shows it."""
        connectable = inst.status not in ("paused", "pausing")
        view = {
            "id": inst.id,
            "name": inst.name,
            "status": inst.status,
            "connection_url": f"neo4j+s://{inst.id}.databases.neo4j.io" if connectable else "",
            "tenant_id": inst.tenant_id,
            "cloud_provider": inst.cloud_provider,
            "region": inst.region,
            "type": inst.type,
            "memory": inst.memory,
            "storage": inst.storage,
            "created_at": rfc3339(inst.created_at),
            "vector_optimized": inst.vector_optimized,
            "graph_analytics_plugin": inst.graph_analytics_plugin,
        }
        if inst.type == "free-db":          # free instances report graph size, not storage
            del view["storage"]
            view["graph_nodes"] = "0"
            view["graph_relationships"] = "0"
        if inst.type in METRICS_TYPES:
            view["metrics_integration_url"] = (
                f"https://customer-metrics-api.neo4j.io/api/v1/{inst.tenant_id}/{inst.id}/metrics")
        if inst.customer_managed_key_id:
            view["customer_managed_key_id"] = inst.customer_managed_key_id
        if inst.secondaries_count is not None:
            view["secondaries_count"] = inst.secondaries_count
        if inst.cdc_enrichment_mode is not None:
            view["cdc_enrichment_mode"] = inst.cdc_enrichment_mode
        return view

    def list_instances(self, role: str, tenant_id: str | None = None) -> list[dict]:
        """``GET /v1/instances[?tenantId=]``: summaries. Raises 404 for an unknown tenant filter."""
        with self.lock:
            if tenant_id is not None:
                self._tenant(role, tenant_id)
            return [{"id": i.id, "name": i.name, "tenant_id": i.tenant_id,
                     "cloud_provider": i.cloud_provider, "created_at": rfc3339(i.created_at)}
                    for i in self._instances_of(role, tenant_id)]

    def get_instance(self, role: str, instance_id: str) -> dict:
        """``GET /v1/instances/{id}``. Raises 404 ``db-not-found``."""
        with self.lock:
            return self.instance_view(self._instance(role, instance_id))

    # ----------------------------------------------------------------- instances: create

    def create_instance(self, role: str, body: dict) -> dict:
        """``POST /v1/instances``: the 202 body, the only one that ever holds the password.

        Raises 400 (with ``field``) for a body that does not match the tenant's configurations,
        404 for an unknown tenant/source/snapshot/key, 405 for a second free instance.
        """
        for name in ("tenant_id", "name", "type", "cloud_provider", "region", "memory", "version"):
            _require_str(body, name)
        _check_name(body["name"])
        storage = _require_str(body, "storage", required=False)
        vector = _require_bool(body, "vector_optimized")
        plugin = _require_bool(body, "graph_analytics_plugin")
        key_id = _require_str(body, "customer_managed_key_id", required=False)
        source_id = _require_str(body, "source_instance_id", required=False)
        snapshot_id = _require_str(body, "source_snapshot_id", required=False)
        with self.lock:
            tenant = self._tenant(role, body["tenant_id"])
            config = self._match_config(tenant, body)
            free = config["type"] == "free-db"
            if storage is not None and not free and storage != config["storage"]:
                raise bad_request(f"storage {storage!r} does not go with memory {config['memory']}; "
                                  f"use {config['storage']}", "storage")
            self._check_features(config["type"], config["memory"], vector, plugin)
            if key_id is not None:
                self._check_key_for(role, key_id, config)
            if snapshot_id is not None and source_id is None:
                raise bad_request("source_snapshot_id needs source_instance_id", "source_instance_id")
            if source_id is not None:
                source = self._instance(role, source_id, "source_instance_id")
                if snapshot_id is not None:
                    self._usable_snapshot(source, snapshot_id)
            if free and any(i.type == "free-db" for i in self._instances_of(role)):
                raise ApiError(405, "max-free-instances-reached",
                               "You have reached the maximum number of free instances (1) for this "
                               "account; delete the existing free instance first")
            inst = Instance(
                id=self._new_instance_id(tenant.id, body["name"]), name=body["name"], tenant_id=tenant.id, owner=role,
                cloud_provider=config["cloud_provider"], region=config["region"],
                type=config["type"], memory=config["memory"], storage=config["storage"],
                version=config["version"], created_at=self.now(), status="creating",
                vector_optimized=bool(vector), graph_analytics_plugin=bool(plugin),
                customer_managed_key_id=key_id)
            if inst.type == "enterprise-db":
                inst.secondaries_count = _require_count(body, "secondaries_count", required=False)
            if inst.type in ("enterprise-db", "business-critical"):
                inst.cdc_enrichment_mode = self._cdc_mode(body) or "OFF"
            self.instances[inst.id] = inst
            self._begin(inst, "creating")
            password = secrets.token_urlsafe(32)
            self.issued_passwords.append(password)
            return {
                "id": inst.id,
                "connection_url": f"neo4j+s://{inst.id}.databases.neo4j.io",
                "username": "neo4j",
                "password": password,
                "tenant_id": inst.tenant_id,
                "cloud_provider": inst.cloud_provider,
                "region": inst.region,
                "type": inst.type,
                "name": inst.name,
                "created_at": rfc3339(inst.created_at),
                "vector_optimized": inst.vector_optimized,
                "graph_analytics_plugin": inst.graph_analytics_plugin,
            }

    @staticmethod
    def _check_features(instance_type: str, memory: str, vector, plugin) -> None:
        if vector and (instance_type == "free-db" or gb(memory) < 4):
            raise bad_request("vector_optimized needs a paid instance with at least 4GB of memory",
                              "vector_optimized")
        if plugin and instance_type not in ("professional-db", "business-critical", "enterprise-db"):
            raise bad_request(f"graph_analytics_plugin is not available for {instance_type}",
                              "graph_analytics_plugin")

    @staticmethod
    def _cdc_mode(body: dict) -> str | None:
        mode = body.get("cdc_enrichment_mode")
        if mode is not None and mode not in ("OFF", "DIFF", "FULL"):
            raise bad_request("cdc_enrichment_mode must be one of OFF, DIFF, FULL",
                              "cdc_enrichment_mode")
        return mode

    def _check_key_for(self, role: str, key_id: str, config: dict) -> None:
        key = self._key(role, key_id)
        if (key.instance_type, key.cloud_provider, key.region) != (
                config["type"], config["cloud_provider"], config["region"]):
            raise bad_request("customer_managed_key_id is registered for "
                              f"{key.instance_type} on {key.cloud_provider} {key.region}",
                              "customer_managed_key_id")
        if self._key_status(key) != "ready":
            raise bad_request("customer_managed_key_id is not ready yet; wait until its status "
                              "is ready", "customer_managed_key_id")

    # ----------------------------------------------------------------- instances: changes

    @staticmethod
    def _require(inst: Instance, status: str, action: str, field_name: str | None = None) -> None:
        """400 unless the instance is in ``status`` (e.g. only a running instance can be paused)."""
        if inst.status != status:
            raise bad_request(f"Instance {inst.id} is {inst.status}; {action} needs a {status} "
                              "instance", field_name, reason=f"instance-not-{status}")

    def _idle(self, role: str, instance_id: str) -> Instance:
        inst = self._instance(role, instance_id)
        if inst.until is not None:
            raise busy(inst.status)
        return inst

    def update_instance(self, role: str, instance_id: str, body: dict) -> tuple[int, dict]:
        """``PATCH /v1/instances/{id}``: ``(200, instance)`` for a rename or flag change,
        ``(202, instance)`` in ``updating`` for a resize.

        Raises 400 (bad field, nothing to change, size not offered, free-db resize), 404, 409.
        """
        known = ("name", "memory", "storage", "vector_optimized", "graph_analytics_plugin",
                 "secondaries_count", "cdc_enrichment_mode")
        if not any(k in body for k in known):
            raise bad_request(f"Nothing to update: send at least one of {', '.join(known)}")
        name = _require_str(body, "name", required=False)
        if name is not None:
            _check_name(name)
        memory = _require_str(body, "memory", required=False)
        storage = _require_str(body, "storage", required=False)
        vector = _require_bool(body, "vector_optimized")
        plugin = _require_bool(body, "graph_analytics_plugin")
        secondaries = (_require_count(body, "secondaries_count")
                       if "secondaries_count" in body else None)
        cdc = self._cdc_mode(body)
        with self.lock:
            inst = self._idle(role, instance_id)
            resize = (memory or inst.memory, storage or inst.storage) != (inst.memory, inst.storage)
            if resize:
                if inst.type == "free-db":
                    raise bad_request("free-db instances cannot be resized", "memory")
                self._require(inst, "running", "a resize", "memory")
                config = self._size_config(inst, inst.type, memory, storage)
            self._check_features(inst.type, config["memory"] if resize else inst.memory,
                                 vector, plugin)
            if secondaries is not None and inst.type != "enterprise-db":
                raise bad_request("secondaries_count applies to enterprise-db only",
                                  "secondaries_count")
            if cdc is not None and inst.type not in ("enterprise-db", "business-critical"):
                raise bad_request("cdc_enrichment_mode applies to enterprise-db and "
                                  "business-critical only", "cdc_enrichment_mode")
            if name is not None:
                inst.name = name
            if vector is not None:
                inst.vector_optimized = vector
            if plugin is not None:
                inst.graph_analytics_plugin = plugin
            if secondaries is not None:
                inst.secondaries_count = secondaries
            if cdc is not None:
                inst.cdc_enrichment_mode = cdc
            if not resize:
                return 200, self.instance_view(inst)
            inst.memory, inst.storage = config["memory"], config["storage"]
            self._begin(inst, "updating")
            return 202, self.instance_view(inst)

    def _size_config(self, inst: Instance, instance_type: str, memory: str | None,
                     storage: str | None) -> dict:
        """The tenant's configuration for ``inst`` at a new size (and maybe type), or a 400."""
        memory = memory or inst.memory
        options = [c for c in self.tenants[inst.tenant_id].instance_configurations
                   if (c["type"], c["cloud_provider"], c["region"]) ==
                   (instance_type, inst.cloud_provider, inst.region)]
        if not options:
            raise bad_request(f"{instance_type} is not offered on {inst.cloud_provider} "
                              f"{inst.region} in this project", "type")
        sized = [c for c in options if c["memory"] == memory]
        if not sized:
            raise bad_request(f"memory {memory!r} is not offered for {instance_type} on "
                              f"{inst.cloud_provider} {inst.region}; choose one of: "
                              f"{_choices(c['memory'] for c in options)}", "memory")
        if storage is not None and storage != sized[0]["storage"]:
            raise bad_request(f"storage {storage!r} does not go with memory {memory}; use "
                              f"{sized[0]['storage']}", "storage")
        return sized[0]

    def delete_instance(self, role: str, instance_id: str) -> dict:
        """``DELETE /v1/instances/{id}``: 202 body in ``destroying``; 404 once it is being or was
        destroyed; 409 while another operation runs."""
        with self.lock:
            inst = self._instance(role, instance_id)
            if inst.status == "destroying":
                raise not_found_instance(instance_id)
            if inst.until is not None:
                raise busy(inst.status)
            self._begin(inst, "destroying")
            return self.instance_view(inst)

    def _start(self, role: str, instance_id: str, required: str, status: str, action: str) -> dict:
        """Begin transition ``status`` on an idle instance that is in ``required``."""
        with self.lock:
            inst = self._idle(role, instance_id)
            self._require(inst, required, action)
            self._begin(inst, status)
            return self.instance_view(inst)

    def pause_instance(self, role: str, instance_id: str) -> dict:
        """``POST /v1/instances/{id}/pause``: 202 body in ``pausing``. 400 unless running; 404; 409."""
        return self._start(role, instance_id, "running", "pausing", "pause")

    def resume_instance(self, role: str, instance_id: str) -> dict:
        """``POST /v1/instances/{id}/resume``: 202 body in ``resuming``. 400 unless paused; 404; 409."""
        return self._start(role, instance_id, "paused", "resuming", "resume")

    def overwrite_instance(self, role: str, instance_id: str, body: dict) -> dict:
        """``POST /v1/instances/{id}/overwrite``: 202 body in ``overwriting``.

        Raises 400, 404 (target, source or snapshot), 409 (either busy), 420 (free-db target),
        500 (source bigger than target, as the service does).
        """
        source_id = _require_str(body, "source_instance_id")
        snapshot_id = _require_str(body, "source_snapshot_id", required=False)
        with self.lock:
            target = self._instance(role, instance_id)
            if target.type == "free-db":
                raise ApiError(420, "action-unsupported", "Action unsupported for this tier")
            if target.until is not None:
                raise busy(target.status)
            self._require(target, "running", "overwrite")
            source = self._instance(role, source_id, "source_instance_id")
            if snapshot_id is not None:
                self._usable_snapshot(source, snapshot_id)
            elif source.id == target.id:
                raise bad_request("An instance cannot overwrite itself; to roll back, restore one "
                                  "of its snapshots", "source_instance_id")
            elif source.until is not None:
                raise busy(source.status)
            if gb(target.memory) < gb(source.memory):
                raise ApiError(500, "internal-server-error",
                               f"Cannot clone database {source.id} into smaller database "
                               f"{target.id}.")
            self._begin(target, "overwriting")
            return self.instance_view(target)

    def upgrade_instance(self, role: str, instance_id: str, body: dict) -> dict:
        """``POST /v1/instances/{id}/upgrade``: professional-db -> business-critical, 200 body.

        Optional ``memory`` and ``storage`` (both or neither). Raises 400, 404, 409.
        """
        memory = _require_str(body, "memory", required=False)
        storage = _require_str(body, "storage", required=False)
        if (memory is None) != (storage is None):
            raise bad_request("give both memory and storage, or neither",
                              "storage" if storage is None else "memory")
        with self.lock:
            inst = self._idle(role, instance_id)
            if inst.type != "professional-db":
                raise bad_request(f"Only professional-db instances can be upgraded; {inst.id} is "
                                  f"{inst.type}", "type")
            self._require(inst, "running", "upgrade")
            config = self._size_config(inst, "business-critical", memory, storage)
            inst.type, inst.memory, inst.storage = "business-critical", config["memory"], config["storage"]
            inst.cdc_enrichment_mode = inst.cdc_enrichment_mode or "OFF"
            self._begin(inst, "updating")
            return self.instance_view(inst)

    # ----------------------------------------------------------------- snapshots

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

    # ----------------------------------------------------------------- customer-managed keys

    def _key(self, role: str, key_id) -> CustomerManagedKey:
        key = self.cmks.get(key_id) if isinstance(key_id, str) else None
        if key is None or key.owner != role:
            raise ApiError(404, "encryption-key-not-found", f"Encryption Key not found: {key_id}")
        return key

    def _key_status(self, key: CustomerManagedKey) -> str:
        return "ready" if self.now() >= key.ready_at else "pending"

    def key_view(self, key: CustomerManagedKey) -> dict:
        """The key as ``GET /v1/customer-managed-keys/{id}`` shows it."""
        return {"id": key.id, "name": key.name, "created": rfc3339(key.created),
                "cloud_provider": key.cloud_provider, "key_id": key.key_id, "region": key.region,
                "type": key.instance_type, "tenant_id": key.tenant_id,
                "status": self._key_status(key), "instance_type": key.instance_type}

    def list_keys(self, role: str, tenant_id: str | None = None) -> list[dict]:
        """``GET /v1/customer-managed-keys[?tenantId=]``: ``[{id, name, tenant_id}]``. 404 for an
        unknown tenant filter."""
        with self.lock:
            if tenant_id is not None:
                self._tenant(role, tenant_id)
            return [{"id": k.id, "name": k.name, "tenant_id": k.tenant_id}
                    for k in self.cmks.values()
                    if k.owner == role and tenant_id in (None, k.tenant_id)]

    def create_key(self, role: str, body: dict) -> dict:
        """``POST /v1/customer-managed-keys``: 202 body in ``pending``. Raises 400, 404."""
        for name in ("key_id", "region", "name", "instance_type", "tenant_id", "cloud_provider"):
            _require_str(body, name)
        _check_name(body["name"])
        if body["instance_type"] not in ("enterprise-db", "enterprise-ds"):
            raise bad_request("instance_type must be enterprise-db or enterprise-ds", "instance_type")
        if body["cloud_provider"] not in CLOUDS:
            raise bad_request(f"cloud_provider must be one of {', '.join(CLOUDS)}", "cloud_provider")
        with self.lock:
            tenant = self._tenant(role, body["tenant_id"])
            offered = {c["region"] for c in tenant.instance_configurations
                       if (c["type"], c["cloud_provider"]) ==
                       (body["instance_type"], body["cloud_provider"])}
            if body["region"] not in offered:
                raise bad_request(
                    f"region {body['region']!r} does not offer {body['instance_type']} on "
                    f"{body['cloud_provider']} in this project; choose one of: "
                    f"{_choices(offered) or '(none)'}", "region")
            now = self.now()
            key = CustomerManagedKey(
                id=self._uuid(), name=body["name"], tenant_id=tenant.id, owner=role,
                cloud_provider=body["cloud_provider"], region=body["region"],
                instance_type=body["instance_type"], key_id=body["key_id"], created=now,
                ready_at=now + self._draw("cmk", "cmk", len(self.cmks)))
            self.cmks[key.id] = key
            return self.key_view(key)

    def get_key(self, role: str, key_id: str) -> dict:
        """``GET /v1/customer-managed-keys/{id}``. Raises 404 ``encryption-key-not-found``."""
        with self.lock:
            return self.key_view(self._key(role, key_id))

    def delete_key(self, role: str, key_id: str) -> None:
        """``DELETE /v1/customer-managed-keys/{id}`` (answered 204). Raises 404, or 400 while an
        instance uses it."""
        with self.lock:
            key = self._key(role, key_id)
            if any(i.customer_managed_key_id == key.id for i in self._instances_of(role)):
                raise ApiError(400, "encryption-key-is-active",
                               f"Can not delete encryption key {key.id}. The key is linked to an "
                               "active instance.")
            del self.cmks[key.id]

    # ----------------------------------------------------------------- graph-analytics sessions

    def _session_status(self, session: Session) -> str:
        now = self.now()
        if now >= session.expires_at:
            return "Expired"
        if now >= session.ready_at:
            return "Ready"
        return "" if now < session.created + 5 else "Creating"

    def session_view(self, session: Session) -> dict:
        """The session as ``GET /v1/graph-analytics/sessions/{id}`` shows it."""
        return {"id": session.id, "name": session.name, "memory": session.memory,
                "instance_id": session.instance_id, "database_uuid": session.database_uuid,
                "status": self._session_status(session),
                "created_at": spaced_utc(session.created),
                "host": f"{session.id}.sessions.simulator.neo4j.io",
                "expiry_date": spaced_utc(session.expires_at), "ttl": session.ttl,
                "user_id": self.user_ids[session.owner], "tenant_id": session.tenant_id,
                "cloud_provider": session.cloud_provider, "region": session.region}

    def _session(self, role: str, session_id) -> Session:
        session = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None or session.owner != role:
            raise ApiError(404, "", f"session with id `{session_id}` not found", shape="session")
        return session

    def list_sessions(self, role: str, instance_id: str | None = None,
                      tenant_id: str | None = None) -> list[dict]:
        """``GET /v1/graph-analytics/sessions[?instanceId=&tenantId=]``. Raises 404 for an
        unknown filter."""
        with self.lock:
            if tenant_id is not None:
                self._tenant(role, tenant_id)
            if instance_id is not None:
                self._instance(role, instance_id)
            return [self.session_view(s) for s in self.sessions.values()
                    if s.owner == role and tenant_id in (None, s.tenant_id)
                    and instance_id in (None, s.instance_id)]

    def create_session(self, role: str, body: dict) -> tuple[int, dict]:
        """``POST /v1/graph-analytics/sessions``, get-or-create by (name, project).

        Returns ``(200, session)`` when one with the same parameters exists, ``(202, session)``
        when created. Raises 400, 404, and 409 when the name exists with other parameters.
        """
        name = _require_str(body, "name")
        if not name:
            raise bad_request("name must not be empty", "name")
        memory = _require_str(body, "memory", required=False) or "8GB"
        if memory not in catalog.SESSION_MEMORY:
            raise bad_request(f"memory must be one of {', '.join(catalog.SESSION_MEMORY)}", "memory")
        ttl = _require_str(body, "ttl", required=False) or "1h"
        match = _DURATION_RE.match(ttl)
        if not match or not any(match.groups()):
            raise bad_request("ttl must be a duration such as 30m, 1h or 1h30m", "ttl")
        instance_id = _require_str(body, "instance_id", required=False)
        database_uuid = _require_str(body, "database_uuid", required=False)
        with self.lock:
            if instance_id is not None:
                inst = self._instance(role, instance_id, "instance_id")
                tenant_id, cloud, region = inst.tenant_id, inst.cloud_provider, inst.region
            else:
                for required in ("tenant_id", "cloud_provider", "region"):
                    if body.get(required) is None:
                        raise bad_request(f"give instance_id, or tenant_id, cloud_provider and "
                                          f"region; {required} is missing", required)
                cloud = _require_str(body, "cloud_provider")
                region = _require_str(body, "region")
                tenant = self._tenant(role, _require_str(body, "tenant_id"))
                tenant_id = tenant.id
                regions = {c["region"] for c in tenant.instance_configurations
                           if c["cloud_provider"] == cloud}
                if region not in regions:
                    raise bad_request(f"region {region!r} on {cloud!r} is not available in this "
                                      f"project; choose one of: {_choices(regions) or '(none)'}",
                                      "region")
            for existing in self.sessions.values():
                if (existing.name, existing.tenant_id) != (name, tenant_id):
                    continue
                if self._session_status(existing) == "Expired":
                    continue
                if existing.memory != memory:
                    raise ApiError(409, "", f"session `{name}` already exists for project "
                                   f"`{tenant_id}` with different parameters: Memory (is: "
                                   f"{existing.memory}, requested: {memory})", shape="session")
                return 200, self.session_view(existing)
            if instance_id is not None:
                session_id = f"{instance_id}-{self._hex(8)}"
            else:
                session_id = f"s-{self._hex(8)}-{self._hex(4)}-{self._hex(1)}"
            now = self.now()
            session = Session(
                id=session_id, name=name, tenant_id=tenant_id, owner=role, memory=memory,
                ttl=ttl, instance_id=instance_id or "", database_uuid=database_uuid or self._uuid(),
                cloud_provider=cloud, region=region, created=now,
                ready_at=now + self._draw("session", session_id, 0),
                expires_at=now + SESSION_LIFETIME)
            self.sessions[session.id] = session
            return 202, self.session_view(session)

    def get_session(self, role: str, session_id: str) -> dict:
        """``GET /v1/graph-analytics/sessions/{id}``. Raises 404 (sessions' error shape)."""
        with self.lock:
            return self.session_view(self._session(role, session_id))

    def delete_session(self, role: str, session_id: str) -> dict:
        """``DELETE /v1/graph-analytics/sessions/{id}``: ``{id}`` (answered 202). Raises 404."""
        with self.lock:
            session = self._session(role, session_id)
            del self.sessions[session.id]
            return {"id": session.id}


# --------------------------------------------------------------------- sizing estimates

_INSTANCE_SIZES = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def _round_up(gigabytes: float, sizes) -> tuple[int, bool]:
    """Smallest offered size that holds ``gigabytes``, and whether even the largest is too small."""
    for size in sizes:
        if size >= gigabytes:
            return size, False
    return sizes[-1], True


def instance_sizing(body: dict) -> dict:
    """``POST /v1/instances/sizing``: a deterministic estimate for a graph-data-science instance.

    Raises 400 for missing or negative counts or an unknown instance type.
    """
    nodes = _require_count(body, "node_count")
    rels = _require_count(body, "relationship_count")
    instance_type = _require_str(body, "instance_type", required=False)
    if instance_type is not None and instance_type not in INSTANCE_TYPES:
        raise bad_request(f"instance_type must be one of {', '.join(INSTANCE_TYPES)}",
                          "instance_type")
    categories = body.get("algorithm_categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise bad_request("algorithm_categories must be a list of strings", "algorithm_categories")
    needed = (nodes * 1000 + rels * 2000) / 1e9 * (1 + 0.15 * len(categories))
    minimum = max(1, math.ceil(needed))
    recommended, exceeded = _round_up(minimum, _INSTANCE_SIZES)
    return {"did_exceed_maximum": exceeded, "min_required_memory": f"{minimum}GB",
            "recommended_size": f"{recommended}GB"}


def session_sizing(body: dict) -> dict:
    """``POST /v1/graph-analytics/sessions/sizing``: a deterministic session-size estimate.

    Raises 400 for missing or negative counts.
    """
    nodes = _require_count(body, "node_count")
    rels = _require_count(body, "relationship_count")
    node_props = _require_count(body, "node_property_count", required=False)
    labels = _require_count(body, "node_label_count", required=False)
    rel_props = _require_count(body, "relationship_property_count", required=False)
    categories = body.get("algorithm_categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise bad_request("algorithm_categories must be a list of strings", "algorithm_categories")
    raw = (nodes * (64 + 8 * node_props + 8 * labels) + rels * (48 + 8 * rel_props)) / 1e9
    estimated = max(1, math.ceil(raw * (1 + 0.1 * len(categories))))
    sizes = [gb(m) for m in catalog.SESSION_MEMORY]
    recommended, _ = _round_up(estimated, sizes)
    return {"estimated_memory": f"{estimated}GB", "recommended_size": f"{recommended}GB"}

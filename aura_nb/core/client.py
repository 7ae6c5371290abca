"""`AuraClient`: one method per Aura API resource call, answers turned into models.

The HTTP side (session, the request funnel, tokens, server clock, exchange recording, the time
budget of a call) lives in `aura_nb.core.transport`; every method here calls
``self.transport.call`` or ``self.transport.send``. What the methods add: ids checked before
they become URL segments, answers turned into `aura_nb.core.models`, the one-time password written
to the vault before `create_instance` returns, and "unknown whether created" as its own outcome
(`aura_nb.core.recovery`). The find-by-name methods call `aura_nb.core.lookup`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import threading
import time
from datetime import date, datetime
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import quote

from . import config, waiting
from .credentials import ClientCredentials, is_loopback_url, normalize_base_url, \
    resolve_credentials
from .display import ModelList
from .errors import (
    ApiError,
    CreateResponseLost,
    InvalidInstanceSpec,
    NotFound,
    ServerError,
    TransportError,
    VaultUnwritable,
    VaultWriteFailed,
    error_line,
)
from .history import History
from .lifecycle import ActionLog
from .models import (
    CreatedInstance,
    Instance,
    InstanceSummary,
    Organization,
    Project,
    Snapshot,
    Tenant,
    TenantSummary,
)
from . import intents, lookup
from .intents import Journal, resolve_open
from .interrupts import CreateOutcome, finish_despite_interrupt
from .pacing import RateLimiter
from .recovery import lost_create
from .rules import InstanceSpec, check_id, check_spec
from .transport import Transport
from .vault import Vault

__all__ = ["AuraClient", "ClientSettings"]

log = logging.getLogger("aura_nb")

def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _segment(kind: str, value: str) -> str:
    """An id as a URL path segment: checked against its kind's form (`check_id`; raises
    `InvalidId` before anything is sent) and percent-escaped, so ``../tenants`` can never turn
    a call into a request to another endpoint."""
    return quote(check_id(kind, value), safe="")


def _instance_path(instance_id: str, *rest: str) -> str:
    """``/instances/{instanceId}[/rest...]`` with the id checked and escaped (`_segment`)."""
    return "/".join(("/instances", _segment("instance id", instance_id), *rest))


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    """How an `AuraClient` behaves; ``None`` means the environment's value (`aura_nb.core.config`).

    * ``tenant``: tenant name or id `find_tenant` uses by default (``AURA_TENANT``).
    * ``timeout``: the time budget of one call in seconds, retries, backoff and name resolution
      included (``AURA_TIMEOUT``, 30); `AuraClient.time_budget` changes it for a block of calls.
    * ``rate_limit``: requests per minute (server time) the client allows itself
      (``AURA_RATE_LIMIT``, 125; 0 = no pacing; lowered by itself when 429 answers show a
      tighter limit). ``burst``: how many may go at once.
    * ``speed``: server seconds per real second: 1 for the real API; a simulator's speed factor
      (default for a loopback URL: ``AURA_SIMULATOR_SPEED``). The rate window, backoff and
      polling intervals shrink by the same factor.
    * ``poll_interval``: longest gap in real seconds between status requests of a wait that
      names none (``AURA_POLL_INTERVAL``; unset: the waits' schedule, learned from earlier ones).
    * ``vault_dir``: where one-time passwords go (``AURA_VAULT_DIR``).
    * ``journal_dir``: the create intent journal (`aura_nb.core.intents`;
      ``$AURA_NB_HOME/intents``): clients that share it never send the same create twice.
    * ``history_size``: exchanges kept in `AuraClient.history`.
    * ``max_retries``/``max_429_resends``: the transport's bounds on resending (see
      `aura_nb.core.transport`).
    * ``note``: a line `AuraClient.describe` adds (why this client was chosen).
    * ``clock``/``sleep``: injectable for tests (token expiry, waiting).
    """

    tenant: str | None = None
    timeout: float | None = None
    rate_limit: int | None = None
    burst: int | None = None
    speed: float | None = None
    poll_interval: float | None = None
    vault_dir: Any = None
    journal_dir: Any = None
    history_size: int = 50
    max_retries: int = 4
    max_429_resends: int = 3
    note: str = ""
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


_SETTING_NAMES = frozenset(f.name for f in dataclasses.fields(ClientSettings))


class AuraClient:
    """A client for the Aura API (``/v1``) or the local simulator.

    Credentials come from the arguments, else ``AURA_CLIENT_ID``/``AURA_CLIENT_SECRET`` in the
    environment or ``.env`` (raises `CredentialsUnavailable` when there are none;
    `aura_nb.connect` starts the simulator instead), or from ``credentials``, an already
    resolved `ClientCredentials` whose ``source`` is kept (then pass no id, secret or base URL:
    ``ValueError``). ``client.credentials.source`` says where they came from.
    How it behaves comes from ``settings`` (a `ClientSettings`), and any of its fields can be
    given as a keyword instead, e.g. ``AuraClient(timeout=10, rate_limit=0)``.

    ``mode`` is ``"simulator"`` for a loopback or plain-http base URL, else ``"real"``
    (``AURA_NB_MODE=real``: always ``"real"``, speed 1 unless given, so the real-mode path can
    be tried against a local simulator);
    ``insecure`` is True for plain http beyond loopback (a room's shared simulator, allowed only
    with ``AURA_ALLOW_HTTP=1``; one warning is logged when such a client is made).
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        *,
        credentials: ClientCredentials | None = None,
        settings: ClientSettings | None = None,
        **overrides: Any,
    ) -> None:
        unknown = sorted(set(overrides) - _SETTING_NAMES)
        if unknown:
            raise TypeError(f"AuraClient got unexpected keyword arguments {unknown}; the "
                            f"settings are {sorted(_SETTING_NAMES)}")
        settings = dataclasses.replace(settings or ClientSettings(), **overrides)
        if credentials is None:
            credentials = resolve_credentials(client_id, client_secret, base_url)
        elif client_id is not None or client_secret is not None or base_url is not None:
            raise ValueError("pass either credentials or client_id/client_secret/base_url")
        else:
            credentials = dataclasses.replace(
                credentials, base_url=normalize_base_url(credentials.base_url))
        self.credentials: ClientCredentials = credentials
        self.base_url = self.credentials.base_url
        self.api_url = self.base_url + "/v1"
        #: "simulator" or "real"; AURA_NB_MODE=real makes a simulator's URL count as real too.
        self.mode = self.credentials.mode
        #: Plain http to a host beyond loopback (a room's shared simulator, AURA_ALLOW_HTTP=1).
        self.insecure = self.base_url.startswith("http://") and not is_loopback_url(self.base_url)
        if self.insecure:
            log.warning("AURA_ALLOW_HTTP: talking plain http to %s; the client secret and access "
                        "tokens cross the network unencrypted (use this only for a simulator on "
                        "a trusted network)", self.base_url)
        speed = settings.speed
        if speed is None:
            speed = config.simulator_speed() if self.mode == "simulator" else 1.0
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = float(speed)
        #: Longest gap (real seconds) between status requests of a wait that names none;
        #: ``None`` (AURA_POLL_INTERVAL unset): the waits' learned schedule.
        self.poll_interval = config.poll_interval() if settings.poll_interval is None \
            else settings.poll_interval
        self.default_tenant = settings.tenant
        self.note = settings.note
        self.vault = Vault(settings.vault_dir, api_base_url=self.base_url)  # entries say whose they are
        #: The create intent journal (``$AURA_NB_HOME/intents``), shared by every process.
        self.intents = Journal(settings.journal_dir)
        self._sleep = settings.sleep
        #: The HTTP layer: session, retries, funnel, tokens, server clock, history.
        self.transport = Transport(
            credentials, speed=self.speed,
            timeout=float(config.timeout() if settings.timeout is None else settings.timeout),
            rate_limit=config.rate_limit() if settings.rate_limit is None
            else int(settings.rate_limit),
            burst=settings.burst, history_size=settings.history_size,
            max_retries=settings.max_retries, max_429_resends=settings.max_429_resends,
            clock=settings.clock, sleep=settings.sleep)
        self._lock = threading.Lock()
        #: The last lifecycle action sent for each instance (waiting reads it).
        self.actions = ActionLog(self.speed)
        self._tenant_cache: dict[str, tuple[Tenant, float]] = {}

    # --- description -----------------------------------------------------------------------

    @property
    def timeout(self) -> float:
        """The time budget of one call, in seconds (``AURA_TIMEOUT``; see `time_budget`)."""
        return self.transport.timeout

    @property
    def pacer(self) -> RateLimiter:
        """The token bucket every request of this client (and every thread) takes a slot from."""
        return self.transport.pacer

    @property
    def history(self) -> History:
        """The last exchanges (request and answer, secrets redacted), newest last."""
        return self.transport.history

    @property
    def token_requests(self) -> int:
        """How many access tokens this client has fetched (one per hour of use is normal)."""
        return self.transport.tokens.requests

    @property
    def token_expires_in(self) -> float | None:
        """Seconds until the cached access token expires (by the client's ``clock``; negative
        once it has expired and no request has replaced it yet), or ``None`` before the first
        token. Read-only and sends nothing; the token itself is never exposed. The client renews
        the token on its own shortly before this reaches 0."""
        return self.transport.tokens.expires_in()

    @property
    def request_count(self) -> int:
        """How many HTTP requests this client has sent to ``/v1`` and to the token endpoint,
        retries included (each one takes a slot from `pacer`, whether or not pacing is on).
        A request whose connection could not be opened counts too; the simulator's admin
        calls made by `aura_nb.connect` (``/_simulator/...``) do not. Read-only."""
        return self.pacer.acquired

    @property
    def client_id(self) -> str:
        """The API client id (not a secret: shown in full by `describe`)."""
        return self.credentials.client_id

    def describe(self) -> str:
        """One line saying which API this client talks to (for the real API also where the
        credentials came from); never contains the secret."""
        who = f"as client {self.client_id}"
        if self.insecure and self.mode == "simulator":
            return (f"Simulator mode: shared Aura API simulator at {self.base_url} over plain "
                    f"http (AURA_ALLOW_HTTP) {who}")
        if self.mode == "simulator":
            if self.note:
                return f"Simulator mode: local Aura API simulator at {self.base_url} ({self.note})."
            return f"Simulator mode: local Aura API simulator at {self.base_url} {who}"
        return f"Real mode: {self.base_url} {who} ({self.credentials.source_text})"

    def __repr__(self) -> str:
        return f"<AuraClient {self.mode} {self.base_url} client {self.client_id}>"

    def close(self) -> None:
        """Close pooled connections. The client can still be used afterwards (new ones open)."""
        self.transport.close()

    def __enter__(self) -> "AuraClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextlib.contextmanager
    def time_budget(self, seconds: float) -> Iterator[None]:
        """``with client.time_budget(10): ...``: each call this thread makes in the block gets
        ``seconds`` in all (retries, backoff and name resolution included) instead of
        ``timeout``. Forms and magics use it to answer within 10 s."""
        with self.transport.time_budget(seconds):
            yield

    # --- server clock ----------------------------------------------------------------------

    def server_now(self) -> float:
        """Estimated server time (POSIX seconds) from the last ``Date`` header, advanced at
        ``speed``; the local wall clock before any answer has arrived. Sends nothing."""
        return self.transport.server_now()

    @property
    def server_clock_known(self) -> bool:
        """True once an answer's ``Date`` header has told the server's time."""
        return self.transport.server_clock_known

    def server_time(self) -> datetime:
        """`server_now` as an aware UTC ``datetime``."""
        return self.transport.server_time()

    # --- any endpoint ------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None) -> Any:
        """Call any ``/v1`` (or ``/v2beta1``) endpoint through the funnel and return the
        unwrapped ``data``.

        ``path`` is like ``"/v1/tenants"``, ``"/tenants"`` or ``"/v2beta1/organizations"``;
        ``json`` is the request body (POST/PATCH send ``{}`` when it is ``None``). Raises the
        `ApiError` subclass for an error answer, `TransportError` when no answer came."""
        if path.startswith(self.base_url):
            path = path[len(self.base_url):]
        prefix = "/v2beta1" if path.startswith("/v2beta1/") else "/v1"
        if path.startswith(prefix + "/"):
            path = path[len(prefix):]
        if not path.startswith("/"):
            path = "/" + path
        return self.transport.call(method, path, json=json, params=params, prefix=prefix)

    # --- tenants ---------------------------------------------------------------------------

    def list_tenants(self) -> list[TenantSummary]:
        """All tenants (projects) this client can see. ``GET /v1/tenants``."""
        data = self.transport.call("GET", "/tenants") or []
        return ModelList((TenantSummary.from_api(t) for t in data), caption="tenants")

    def get_tenant(self, tenant_id: str) -> Tenant:
        """One tenant with its instance configurations. ``GET /v1/tenants/{tenantId}``.
        Raises `NotFound` for an unknown id."""
        path = f"/tenants/{_segment('tenant id', tenant_id)}"
        tenant = Tenant.from_api(self.transport.call("GET", path))
        with self._lock:
            self._tenant_cache[tenant.id] = (tenant, time.monotonic())
        return tenant

    def _tenant_for(self, tenant_id: str, max_age: float = 600.0) -> Tenant:
        with self._lock:
            cached = self._tenant_cache.get(tenant_id)
        if cached and time.monotonic() - cached[1] < max_age:
            return cached[0]
        return self.get_tenant(tenant_id)

    # --- instances -------------------------------------------------------------------------

    def list_instances(self, tenant_id: str | None = None) -> list[InstanceSummary]:
        """Instance summaries (id, name, tenant, cloud, created_at; no status) of one tenant, or
        of every tenant when ``tenant_id`` is ``None``. ``GET /v1/instances[?tenantId=]``."""
        params = {"tenantId": tenant_id} if tenant_id else None
        data = self.transport.call("GET", "/instances", params=params) or []
        return ModelList((InstanceSummary.from_api(i) for i in data), caption="instances")

    def get_instance(self, instance_id: str) -> Instance:
        """An instance's details including ``status``. ``GET /v1/instances/{instanceId}``.
        Raises `NotFound` when there is no such instance (or it is gone)."""
        return Instance.from_api(self.transport.call("GET", _instance_path(instance_id)))

    def validate_spec(self, spec: InstanceSpec, tenant: Tenant | None = None) -> None:
        """Check a spec against its tenant's ``instance_configurations`` without creating
        anything (fetches the tenant with ``GET /v1/tenants/{tenantId}`` unless given or
        recently fetched). Raises `InvalidInstanceSpec` listing the valid choices."""
        if tenant is None:
            try:
                tenant = self._tenant_for(spec.tenant_id)
            except NotFound:
                raise InvalidInstanceSpec(
                    f"tenant_id {spec.tenant_id!r} is not a tenant this client can see; "
                    "list them with client.list_tenants()", field="tenant_id") from None
        check_spec(spec, tenant)

    def _note_action(self, instance_id: str, action: str) -> None:
        self.actions.note(instance_id, action, self.server_now())

    def recent_action(self, instance_id: str, within: float | None = None) -> str | None:
        """`ActionLog.recent` for the instance: the last lifecycle action sent, if recent."""
        return self.actions.recent(instance_id, within)

    def last_action(self, instance_id: str) -> tuple[str, float] | None:
        """`ActionLog.last` for the instance: ``(action, server time it was sent)``."""
        return self.actions.last(instance_id)

    def create_instance(self, spec: InstanceSpec, *, validate: bool = True,
                        show_once: Callable[[VaultWriteFailed], None] | None = None,
                        notify: Callable[[str], None] | None = None) -> CreatedInstance:
        """Create an instance. ``POST /v1/instances``.

        The spec is first checked against the tenant's configurations (`validate_spec`;
        nothing is sent when it is invalid). The returned credentials are written to the vault
        *before* this returns; ``vault_path`` says where. The request is never resent after a
        timeout, a dropped connection or a 5xx.

        Every create goes through the intent journal (`aura_nb.core.intents`): it is recorded
        before it is sent, and an earlier create of the same name in the tenant that got no
        answer (from any front-end or process) is resolved first, by listing until the
        instance shows up or ``AURA_CREATE_GRACE`` has passed. An interrupt (Ctrl-C, SIGTERM)
        while the request is in flight waits for its answer within the call's budget, saves the
        password, then raises ``KeyboardInterrupt``; a second interrupt abandons the wait.
        ``notify`` gets the lines saying so (default: printed on stderr).

        Raises `InvalidInstanceSpec`, the `ApiError` subclass for an error answer,
        `CreateResponseLost` when the request may have been carried out but no answer came
        (it names the instance found by that name, if any), or when an earlier unanswered
        create turns out to have made the instance (nothing is sent then),
        `EarlierCreateUnresolved` when such an earlier create could not be settled within the
        call's budget (nothing sent), `TransportError` with ``sent`` False when nothing left
        (no connection, no access token), `VaultUnwritable` before sending
        when the vault cannot be written, `VaultWriteFailed` when writing failed after the
        create (``error.rescue_path`` is where the credentials went instead, ``error.created``
        holds them), `InvalidId` when the answer's id is not an instance id.

        A front-end that shows the person who asked what happened passes ``show_once``: then a
        failed vault write is handed to it as that `VaultWriteFailed` value (shown once: its
        message never holds the password, ``.created.password`` does) and the create returns
        normally, ``vault_path`` being the rescue file or ``None``. The form, ``%aura create``
        and the workshop all take this one way."""
        if validate:
            self.validate_spec(spec)
        return self._create(
            spec.tenant_id, spec.name,
            lambda: self.transport.call("POST", "/instances", json=spec.to_api()),
            lambda why: lost_create(self.transport, spec, why),
            show_once=show_once, notify=notify)

    def create_project_instance(self, project: Project | str, body: Mapping[str, Any], *,
                                show_once: Callable[[VaultWriteFailed], None] | None = None,
                                notify: Callable[[str], None] | None = None) -> CreatedInstance:
        """Create an instance in a project with the v2beta1 surface
        (``POST /v2beta1/organizations/{org}/projects/{projectId}/instances``; ``body`` as that
        endpoint takes it, ``name`` included). Journalled, interrupt-safe and vault-first like
        `create_instance` (no spec check: v2beta1 takes fields v1 does not know); raises like
        it. ``project`` is a `Project` (from `list_projects`/`find_project`) or its id or name
        (then found with `find_project`)."""
        if isinstance(project, str):
            project = self.find_project(project)
        path = (f"/organizations/{_segment('organization id', project.organization_id)}"
                f"/projects/{_segment('tenant id', project.id)}/instances")  # project = tenant
        name = str(body.get("name", ""))

        def lost(why: str) -> CreateResponseLost:
            return CreateResponseLost(
                f"The create request for {name!r} got no answer ({why}), so it may have "
                f"succeeded; it was not resent. The next create of that name in project "
                f"{project.id} checks for it first", name=name, tenant_id=project.id)

        return self._create(
            project.id, name,
            lambda: {**self.transport.call("POST", path, json=dict(body), prefix="/v2beta1"),
                     "tenant_id": project.id},
            lost, show_once=show_once, notify=notify)

    def _create(self, tenant_id: str, name: str, send: Callable[[], Any],
                lost: Callable[[str], CreateResponseLost], *,
                show_once: Callable[[VaultWriteFailed], None] | None,
                notify: Callable[[str], None] | None) -> CreatedInstance:
        """The one way a create is sent: vault checked, intent claimed, earlier open intents
        resolved, an access token in hand, the intent recorded, ``send()`` run to its end even
        through one interrupt, the outcome recorded, the password saved."""
        notify = notify or _to_stderr
        self.vault.check_writable()
        budget = self.transport.budget
        deadline = time.monotonic() + budget
        asked_at = time.time()
        with self.intents.claim(self.base_url, tenant_id, name, timeout=budget) as claim:
            resolve_open(self, claim, asked_at=asked_at, deadline=deadline, notify=notify,
                         sleep=self._sleep)
            self._token_or_never_sent(name)
            try:
                intent = claim.begin(self.server_now())
            except OSError as exc:
                raise VaultUnwritable(
                    f"the create intent journal {claim.path} cannot be written ({exc}); "
                    f"nothing was sent", directory=claim.path.parent) from None
            outcome = finish_despite_interrupt(lambda: self._within(budget, send), budget,
                                               name, notify)
            if outcome.abandoned:  # a second interrupt: the intent stays open ("sent")
                notify(f"Abandoned the create of {name!r}: whether it was created stays "
                       "unknown; the next create of that name checks first.")
                raise outcome.interrupted
            try:
                created = self._settle_create(claim, intent, outcome, lost, show_once)
            except BaseException as exc:
                if outcome.interrupted is None:
                    raise
                notify(f"The create of {name!r} ended: {error_line(exc)}")
                raise outcome.interrupted from exc
        if outcome.interrupted is not None:
            notify(f"The create of {name!r} finished: instance {created.id}, credentials in "
                   f"{created.vault_path or 'no file (shown once)'}.")
            raise outcome.interrupted
        return created

    def _within(self, budget: float, send: Callable[[], Any]) -> Any:
        """``send()`` with the time budget of the thread that asked (it runs in a worker)."""
        with self.transport.time_budget(budget):
            return send()

    def _token_or_never_sent(self, name: str) -> None:
        """Fetch an access token now unless one is cached, so that a token endpoint outage
        is "never sent", not "unknown whether created". Raises `AuthenticationFailed` when
        refused, `TransportError` (``sent`` False) when the endpoint failed."""
        try:
            self.transport.tokens.get()
        except (TransportError, ApiError) as exc:
            raise TransportError(
                f"no access token ({error_line(exc)}): the create of {name!r} was never sent",
                method="POST", path="/oauth/token", sent=False) from exc

    def _settle_create(self, claim: Any, intent: Any, outcome: CreateOutcome,
                       lost: Callable[[str], CreateResponseLost],
                       show_once: Callable[[VaultWriteFailed], None] | None) -> CreatedInstance:
        """Record in the journal how the create ended, save the password, and return the
        instance or raise the create's error."""
        exc = outcome.error
        if isinstance(exc, TransportError):
            if not exc.sent:
                claim.settle(intent, intents.NOT_SENT, note=error_line(exc))
                raise exc
            error = lost(str(exc))
            if error.instance is not None:  # its listing found what the create made
                claim.settle(intent, intents.CREATED, instance_id=error.instance.id,
                             note="found by a listing after the answer was lost; password "
                                  "not captured")
            else:
                claim.settle(intent, intents.UNKNOWN, note=error_line(exc))
            raise error from exc
        if exc is not None:
            # a 5xx may hide a create the service carried out; other answers refuse it
            state = intents.UNKNOWN if isinstance(exc, ServerError) or \
                not isinstance(exc, ApiError) else intents.REFUSED
            claim.settle(intent, state, note=error_line(exc))
            raise exc
        created = CreatedInstance.from_api(outcome.answer)
        if not created.id:
            claim.settle(intent, intents.UNKNOWN, note="the answer has no instance id")
            raise ApiError(202, "", ["the create answer has no instance id"],
                           method="POST", path="/v1/instances")
        check_id("instance id", created.id)  # it becomes a file name: no path syntax allowed
        self._note_action(created.id, "create")
        try:
            path = self.vault.save(created)
        except VaultWriteFailed as unsaved:
            claim.settle(intent, intents.CREATED, instance_id=created.id,
                         password=str(unsaved.rescue_path or ""), note="password not in the vault")
            if show_once is None:
                raise
            show_once(unsaved)
            path = unsaved.rescue_path
        else:
            claim.settle(intent, intents.CREATED, instance_id=created.id, password=str(path))
        return dataclasses.replace(created, vault_path=path)

    @staticmethod
    def _instance_or_none(data: Any) -> Instance | None:
        if isinstance(data, Mapping) and data.get("id"):
            return Instance.from_api(data)
        return None

    def update_instance(self, instance_id: str, *, name: str | None = None,
                        memory: str | None = None, storage: str | None = None) -> Instance | None:
        """Rename and/or resize. ``PATCH /v1/instances/{instanceId}`` with only the fields given.
        Returns the instance, or ``None`` when the API answers with an empty body (resizes may).
        Raises ``ValueError`` when nothing is given, `Conflict` (409) while another operation
        runs, `BadRequest` for a size the tenant does not offer."""
        body = {k: v for k, v in (("name", name), ("memory", memory), ("storage", storage))
                if v is not None}
        if not body:
            raise ValueError("update_instance needs at least one of name, memory, storage")
        path = _instance_path(instance_id)
        if memory is not None or storage is not None:
            self._note_action(instance_id, "resize")
        return self._instance_or_none(self.transport.call("PATCH", path, json=body))

    def rename_instance(self, instance_id: str, name: str) -> Instance | None:
        """Give an instance a new name. ``PATCH /v1/instances/{instanceId}`` ``{"name": …}``.
        Raises like `update_instance`."""
        return self.update_instance(instance_id, name=name)

    def resize_instance(self, instance_id: str, memory: str, storage: str | None = None
                        ) -> Instance | None:
        """Change memory (and storage). ``PATCH /v1/instances/{instanceId}``; the instance goes
        ``updating`` then ``running``. Raises like `update_instance`."""
        return self.update_instance(instance_id, memory=memory, storage=storage)

    def _lifecycle(self, instance_id: str, action: str, method: str, path: str,
                   body: Any = None) -> Instance | None:
        self._note_action(instance_id, action)
        return self._instance_or_none(self.transport.call(method, path, json=body))

    def pause_instance(self, instance_id: str) -> Instance | None:
        """Pause a running instance (keeps data, stops compute billing).
        ``POST /v1/instances/{instanceId}/pause``. Raises `Conflict` (409) while busy,
        `BadRequest` when it is not running, `NotFound`."""
        return self._lifecycle(instance_id, "pause", "POST", _instance_path(instance_id, "pause"))

    def resume_instance(self, instance_id: str) -> Instance | None:
        """Resume a paused instance. ``POST /v1/instances/{instanceId}/resume``.
        Raises `Conflict` (409) when it is not paused or busy, `NotFound`."""
        return self._lifecycle(instance_id, "resume", "POST", _instance_path(instance_id, "resume"))

    def delete_instance(self, instance_id: str) -> Instance | None:
        """Delete an instance (its data cannot be recovered). ``DELETE /v1/instances/{id}``.

        Returns the instance in ``destroying``, or ``None`` when a retried DELETE found it
        already gone (404 after a retry counts as done). Raises `NotFound` when it did not exist
        to begin with, `Conflict` (409) while another operation runs."""
        path = _instance_path(instance_id)
        self._note_action(instance_id, "delete")
        response = self.transport.send("DELETE", path)
        retries = getattr(response.raw, "retries", None)
        if response.status_code == 404 and retries is not None and retries.history:
            log.info("DELETE %s was retried and the instance is gone: done", path)
            return None
        return self._instance_or_none(self.transport.unwrap(response, "DELETE", "/v1" + path))

    def overwrite_instance(self, instance_id: str, source_instance_id: str,
                           source_snapshot_id: str | None = None) -> Instance | None:
        """Replace an instance's data with another instance's (a fresh snapshot of it, or
        ``source_snapshot_id``). ``POST /v1/instances/{instanceId}/overwrite``.
        Raises `Conflict` while busy, `ApiError` 420 for free instances, `ServerError` 500 when
        the target is smaller than the source."""
        body = {"source_instance_id": check_id("instance id", source_instance_id)}
        if source_snapshot_id:
            body["source_snapshot_id"] = check_id("snapshot id", source_snapshot_id)
        return self._lifecycle(instance_id, "overwrite", "POST",
                               _instance_path(instance_id, "overwrite"), body)

    # --- snapshots -------------------------------------------------------------------------

    def list_snapshots(self, instance_id: str, date: date | str | None = None) -> list[Snapshot]:
        """The instance's snapshots of one day (default: today, server time).
        ``GET /v1/instances/{instanceId}/snapshots[?date=YYYY-MM-DD]``. Raises `NotFound`."""
        params = None
        if date is not None:
            params = {"date": date.isoformat() if hasattr(date, "isoformat") else str(date)}
        path = _instance_path(instance_id, "snapshots")
        data = self.transport.call("GET", path, params=params) or []
        return ModelList((Snapshot.from_api(s) for s in data), caption="snapshots")

    def create_snapshot(self, instance_id: str) -> str:
        """Take an on-demand snapshot and return its id (poll it with `wait_for_snapshot`).
        ``POST /v1/instances/{instanceId}/snapshots``. Raises `Conflict` while busy, `NotFound`."""
        data = self.transport.call("POST", _instance_path(instance_id, "snapshots"))
        snapshot_id = data.get("snapshot_id") if isinstance(data, Mapping) else None
        if not snapshot_id:
            raise ApiError(202, "", ["the snapshot answer has no snapshot_id"], method="POST",
                           path="/v1" + _instance_path(instance_id, "snapshots"))
        return str(snapshot_id)

    def get_snapshot(self, instance_id: str, snapshot_id: str) -> Snapshot:
        """One snapshot's details. ``GET /v1/instances/{instanceId}/snapshots/{snapshotId}``.
        Raises `NotFound`."""
        path = _instance_path(instance_id, "snapshots", _segment("snapshot id", snapshot_id))
        return Snapshot.from_api(self.transport.call("GET", path))

    def restore_snapshot(self, instance_id: str, snapshot_id: str) -> Instance | None:
        """Roll the instance back, in place, to one of its snapshots (status ``restoring``).
        ``POST /v1/instances/{instanceId}/snapshots/{snapshotId}/restore``.
        Raises `Conflict` while busy, `NotFound`."""
        path = _instance_path(instance_id, "snapshots", _segment("snapshot id", snapshot_id),
                              "restore")
        return self._lifecycle(instance_id, "restore", "POST", path)

    # --- waiting ---------------------------------------------------------------------------

    def wait_for_instance(self, instance_id: str, status: str = "running", timeout: float = 1200,
                          on_progress: Callable[[Any], None] | None = None, **options: Any
                          ) -> Instance:
        """Poll ``GET /v1/instances/{instanceId}`` until the instance has ``status``; see
        `aura_nb.core.waiting.wait_for_instance` for the options (``poll_interval``, ``cancel``...).
        Raises `InstanceWaitTimeout`, `InstanceStatusUnreachable`, `WaitCancelled`."""
        return waiting.wait_for_instance(self, instance_id, status, timeout, on_progress,
                                         **self._poll_options(options))

    def wait_for_instances(self, ids: Iterable[Any], status: str = "running",
                           timeout: float = 1800, on_progress: Callable[[Any], None] | None = None,
                           **options: Any) -> dict[str, Instance]:
        """Wait for many instances under the client's request budget, spending status requests
        (``GET /v1/instances/{instanceId}``) where they are likely to pay off; see
        `aura_nb.core.waiting.wait_for_instances`. Raises `WaitIncomplete`, `WaitCancelled`."""
        return waiting.wait_for_instances(self, ids, status, timeout, on_progress,
                                          **self._poll_options(options))

    def wait_for_snapshot(self, instance_id: str, snapshot_id: str, timeout: float = 600,
                          on_progress: Callable[[Any], None] | None = None, **options: Any
                          ) -> Snapshot:
        """Poll ``GET /v1/instances/{instanceId}/snapshots/{snapshotId}`` until ``Completed``.
        Raises `InstanceStatusUnreachable` when it fails, `InstanceWaitTimeout`."""
        return waiting.wait_for_snapshot(self, instance_id, snapshot_id, timeout, on_progress,
                                         **self._poll_options(options))

    def _poll_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """A wait's options, with the client's ``poll_interval`` where the caller named none."""
        if options.get("poll_interval") is None and self.poll_interval is not None:
            options["poll_interval"] = self.poll_interval
        return options

    # --- finding by name (the rules are in aura_nb.core.lookup) -----------------------------

    def find_tenant(self, name_or_id: str | None = None, *,
                    choose: str = "pass one to find_tenant()") -> Tenant:
        """`aura_nb.core.lookup.find_tenant`: by name or id, else the default tenant."""
        return lookup.find_tenant(self, name_or_id, choose=choose)

    def find_instance(self, name_or_id: str, tenant_id: str | None = None) -> InstanceSummary:
        """`aura_nb.core.lookup.find_instance`: the instance with this exact id or name."""
        return lookup.find_instance(self, name_or_id, tenant_id)

    def find_live_instances(self, name: str, tenant_id: str | None = None) -> list[Instance]:
        """`aura_nb.core.lookup.find_live_instances`: every live instance called ``name``."""
        return lookup.find_live_instances(self, name, tenant_id)

    def find_live_instance(self, name: str, tenant_id: str | None = None) -> Instance | None:
        """`aura_nb.core.lookup.find_live_instance`: the one live instance called ``name``."""
        return lookup.find_live_instance(self, name, tenant_id)

    def find_project(self, name_or_id: str) -> Project:
        """`aura_nb.core.lookup.find_project`: the project with this exact id or name."""
        return lookup.find_project(self, name_or_id)

    # --- organizations and projects (v2beta1) ---------------------------------------------

    def list_organizations(self) -> list[Organization]:
        """The organizations this client belongs to (an API client has one).
        ``GET /v2beta1/organizations``."""
        data = self.transport.call("GET", "/organizations", prefix="/v2beta1") or []
        return ModelList((Organization.from_api(o) for o in data), caption="organizations")

    def list_projects(self, organization_id: str | None = None) -> list[Project]:
        """The active projects of one organization, or of every organization this client
        belongs to when ``None``. A project is what v1 calls a tenant, with the same id.
        ``GET /v2beta1/organizations/{org_id}/projects``. Raises `NotFound` for an unknown id."""
        if organization_id is None:
            organizations = [o.id for o in self.list_organizations()]
        else:
            organizations = [check_id("organization id", organization_id)]
        projects = []
        for org in organizations:
            data = self.transport.call("GET", f"/organizations/{org}/projects", prefix="/v2beta1") or []
            projects += [Project.from_api({**p, "organization_id": org}) for p in data]
        return ModelList(projects, caption="projects")

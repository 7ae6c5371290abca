"""CreateInstanceForm: name plus cascading choices that only offer what the tenant allows."""

from __future__ import annotations

import html
import json
import threading
from typing import Any, Mapping

import ipywidgets as widgets

from aura_nb.core.display import MASKED
from aura_nb.core.errors import InvalidInstanceSpec, VaultWriteFailed
from aura_nb.core.rules import (  # TYPE_ORDER, type_rank: still importable from here
    CHOICE_FIELDS, NAME_MAX, TYPE_ORDER, InstanceSpec, allowed_choices,  # noqa: F401
    check_instance_name, default_choice, type_rank)
from .base import Form, error_line, log, status_html
from .status import InstanceStatus

LEVELS = CHOICE_FIELDS
_LABELS = {
    "type": "Type",
    "cloud_provider": "Cloud",
    "region": "Region",
    "memory": "Memory",
    "version": "Version",
}
MASK = MASKED  # what the password line shows instead of the password
_READY_LINE = "Pick a name and a configuration, then click Create."


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid instance name (the core's `check_instance_name`), or None."""
    if not name:
        return f"Type a name for the instance (1-{NAME_MAX} characters)."
    try:
        check_instance_name(name)
    except InvalidInstanceSpec as exc:
        return f"The {exc}."
    return None


def preset_choices(choices: Any) -> dict[str, str]:
    """Normalise a ``choices=`` preset to ``{level: value}`` (``None`` values dropped).

    ``choices`` is a mapping with keys among ``type, cloud_provider, region, memory, version``,
    an ``InstanceSpec`` (its five choice fields), or None. Raises ``TypeError`` naming an unknown
    key (the values themselves are checked against the tenant by the form, not here).
    """
    if choices is None:
        return {}
    if isinstance(choices, InstanceSpec):
        choices = {level: getattr(choices, level) for level in LEVELS}
    elif not isinstance(choices, Mapping):
        raise TypeError(f"choices must be a mapping or an InstanceSpec, not {type(choices).__name__}")
    unknown = [key for key in choices if key not in LEVELS]
    if unknown:
        raise TypeError(f"unknown choice {', '.join(map(repr, unknown))}: use {', '.join(LEVELS)}")
    return {level: str(value) for level, value in choices.items() if value is not None}


class CreateInstanceForm(Form):
    """Create an Aura instance: a validated name and dropdowns built from the tenant's offer.

    The dropdowns cascade type -> cloud provider -> region -> memory (storage shown) -> version;
    each one offers only what the tenant's ``instance_configurations`` allow given the choices
    above it (the core's ``allowed_choices``), so an invalid combination cannot be picked. A
    summary shows the request body. Create (``POST /v1/instances`` through
    ``client.create_instance``, which writes the one-time password to the vault before it
    returns) then shows the id, connection URL, username, the masked password and the vault path.
    The password can be revealed for ``reveal_seconds``; after that (or on Hide) it is blanked, so
    outside that window no widget holds it.

    Types are offered in `TYPE_ORDER`, so the default is a paid database type whenever the
    tenant offers one (``free-db``, one per account, stays available further down).

    ``tenant`` is a ``Tenant``, a tenant name or id, or None (``AURA_TENANT`` or the only tenant).
    ``choices`` presets the dropdowns (see `choose`): a mapping such as
    ``{"type": "professional-db", "memory": "2GB"}`` or an ``InstanceSpec``; levels left out get
    the usual defaults. It is applied again by each ``set_tenant``. A preset the tenant does not
    offer leaves its dropdown empty and shows a one-line error naming the offered values; Create
    stays disabled (nothing is sent) until a valid pick is made. An unknown key raises
    ``TypeError``.

    With ``watch=True`` every instance the form creates gets an `InstanceStatus` below the form,
    waiting in the background until it is ``running`` (``watch_options`` go to
    ``InstanceStatus``: ``status``, ``timeout``, ``poll_interval``...); see `watchers`.

    ``value`` is the ``CreatedInstance`` (None until one is created); ``on_submit(cb)`` calls
    ``cb(created)`` after each creation. Errors are shown in the form, never raised by a click.
    """

    def __init__(self, client: Any, tenant: Any = None, *, name: str = "",
                 choices: Mapping[str, str] | InstanceSpec | None = None, watch: bool = False,
                 watch_options: Mapping[str, Any] | None = None, reveal_seconds: float = 20.0) -> None:
        self._client = client
        self._tenant = None
        self._created = None
        self._cascading = False
        self._presets = preset_choices(choices)
        self._pending: dict[str, str] = {}
        self._choice_problem: str | None = None
        self._watch_options = dict(watch_options or {})
        self._reveal_seconds = reveal_seconds
        self._reveal_timer: threading.Timer | None = None
        self._reveal_lock = threading.Lock()
        self._submit_lock = threading.Lock()  # one create in flight per form, whatever calls it
        self._last_notice = ""  # the core's last line about the create in flight

        self.name_field = widgets.Text(value=name, description="Name", placeholder=f"1-{NAME_MAX} characters",
                                  continuous_update=True)
        self.name_hint = widgets.HTML(value="")
        self._tenant_label = widgets.HTML(value="")
        self.dropdowns = {
            level: widgets.Dropdown(options=[], description=_LABELS[level]) for level in LEVELS
        }
        self.request_preview = widgets.HTML(value="")
        self.allow_duplicate = widgets.Checkbox(value=False, indent=False,
                                                description="Create another with this name")
        self.allow_duplicate.layout.display = "none"  # offered once a live namesake was found
        self.create_button = widgets.Button(description="Create", button_style="primary",
                                             icon="plus", disabled=True)
        self.result = widgets.HTML(value="")
        self.password_line = widgets.HTML(value="")
        self.reveal_button = widgets.Button(description="Reveal password", icon="eye",
                                             layout=widgets.Layout(width="auto"),
                                             tooltip=f"Shows the password for {reveal_seconds:g} s")
        self.result_box = widgets.VBox([self.result, widgets.HBox([self.password_line, self.reveal_button])])
        self.result_box.layout.display = "none"

        self.name_field.observe(self._on_name_change, names="value")
        self.dropdowns["type"].observe(self._on_type_change, names="value")
        self.dropdowns["cloud_provider"].observe(self._on_cloud_change, names="value")
        self.dropdowns["region"].observe(self._on_region_change, names="value")
        self.dropdowns["memory"].observe(self._on_memory_change, names="value")
        self.dropdowns["version"].observe(self._on_version_change, names="value")
        self.create_button.on_click(self._on_create_click)
        self.reveal_button.on_click(self._on_reveal_click)

        super().__init__([
            self._tenant_label,
            self.name_field,
            self.name_hint,
            *self.dropdowns.values(),
            self.request_preview,
            self.allow_duplicate,
            self.create_button,
            self.result_box,
        ])
        self._watch_box: widgets.VBox | None = None
        if watch:  # below the status line, one InstanceStatus per instance created
            self._watch_box = widgets.VBox([])
            self.children = (*self.children, self._watch_box)
        self._on_name_change(None)
        self.set_tenant(tenant)

    # -- public API ----------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The ``CreatedInstance`` from the last successful Create, or None."""
        return self._created

    @property
    def tenant(self) -> Any:
        """The ``Tenant`` whose configurations the dropdowns offer (None if none could be loaded)."""
        return self._tenant

    @property
    def choices(self) -> dict[str, Any]:
        """The current pick at every level, e.g. ``{"type": "professional-db", ..., "version": "5"}``.

        A level with nothing picked (an invalid preset, or nothing offered) is None.
        """
        return {level: self.dropdowns[level].value for level in LEVELS}

    @property
    def watchers(self) -> tuple[InstanceStatus, ...]:
        """The `InstanceStatus` views of the instances created so far (empty unless ``watch=True``)."""
        return tuple(self._watch_box.children) if self._watch_box is not None else ()

    def choose(self, **choices: str) -> None:
        """Pick values as a learner would in the dropdowns, e.g. ``choose(memory="2GB")``.

        Keywords are levels (``type, cloud_provider, region, memory, version``). They go through
        the same cascade as a click, top to bottom: the levels below the highest one given keep
        their picks when still offered, else take the first offered. A value the tenant does not
        offer given the picks above it leaves that dropdown empty (and the ones below it) and
        shows a one-line error listing what is offered; Create stays disabled, nothing is sent.
        The choices are also remembered as presets for a later ``set_tenant``. Sends no request.
        Raises ``TypeError`` for an unknown keyword.
        """
        wanted = preset_choices(choices)
        self._presets.update(wanted)
        self._pending.update(wanted)
        if wanted:
            self._fill_from(min(LEVELS.index(level) for level in wanted))

    def set_tenant(self, tenant: Any) -> None:
        """Offer ``tenant``'s configurations (a ``Tenant``, a name or id, or None for the default).

        Loading by name or id uses ``GET /v1/tenants`` and ``GET /v1/tenants/{tenantId}``; a
        failure is shown in the form and leaves it without a tenant (Create stays disabled).
        """
        try:
            with self._budget(self._client):
                if tenant is None or isinstance(tenant, str):
                    tenant = self._client.find_tenant(tenant)
                elif not hasattr(tenant, "instance_configurations"):  # a TenantSummary
                    tenant = self._client.get_tenant(tenant.id)
        except Exception as exc:
            self._tenant = None
            self._tenant_label.value = ""
            self._choice_problem = None
            self._fill_from(0)
            self._fail(exc)
            return
        self._tenant = tenant
        count = len(tenant.instance_configurations)
        self._tenant_label.value = (
            f"<b>Tenant</b> {html.escape(tenant.name)} <code>{html.escape(tenant.id)}</code>"
            f" \u2014 {count} configuration{'s' if count != 1 else ''} offered"
        )
        self._choice_problem = None
        self._pending = dict(self._presets)
        self._fill_from(0)  # shows the error of a preset the tenant does not offer
        if not count:
            self._state = "error"
            self._show("error", f"Tenant {tenant.name!r} offers no instance configurations.")
        elif self._choice_problem is None:
            self._state = "ready"
            self._show("info", _READY_LINE)

    def spec(self) -> Any:
        """The ``InstanceSpec`` the current fields describe (the name as typed, unchecked)."""
        picks = self.choices
        return InstanceSpec(
            name=self.name_field.value,
            tenant_id=self._tenant.id if self._tenant else "",
            type=picks["type"],
            cloud_provider=picks["cloud_provider"],
            region=picks["region"],
            memory=picks["memory"],
            version=picks["version"],
            storage=self._storage_for(picks),
        )

    def submit(self) -> Any:
        """Create the instance the form describes; same as clicking Create.

        Nothing is sent when the name or a choice is invalid (``client.validate_spec``), when
        the vault cannot be written (``create_instance`` checks first: the one-time password
        would be lost), or when a live instance in the tenant already has the name
        (``client.find_live_instances``, one listing) and `allow_duplicate` is not ticked. Then
        ``client.create_instance`` sends ``POST /v1/instances``. While one create is in flight
        (a second click queued by the kernel, another thread) a further call does nothing and
        returns None. Returns the ``CreatedInstance`` or None; errors (refused credentials, 5xx,
        a lost response) are shown in the form, not raised.
        """
        if not self._submit_lock.acquire(blocking=False):
            log.debug("CreateInstanceForm: a create is already in flight; this one is ignored")
            return None
        try:
            return self._submit_once()
        finally:
            self._submit_lock.release()

    def _submit_once(self) -> Any:
        problem = name_problem(self.name_field.value) or self._choice_problem
        if self._tenant is None or problem:
            self._state = "error"
            self._show("error", problem or "No tenant loaded: fix the error above, then call set_tenant().")
            return None
        self._hide_password()
        self.result_box.layout.display = "none"
        self._last_notice = ""
        spec = self.spec()
        created = None
        with self._working(self.create_button, f"Creating {spec.name!r}\u2026"), \
                self._budget(self._client):
            try:
                self._client.validate_spec(spec, tenant=self._tenant)
                if not self.allow_duplicate.value and self._name_taken(spec):
                    return None
                unsaved: list[VaultWriteFailed] = []  # created, but its vault file was not written
                created = self._client.create_instance(spec, show_once=unsaved.append,
                                                       notify=self._on_create_notice)
            except KeyboardInterrupt:  # the core finished (or abandoned) the create first
                self._state = "interrupted"
                self._show("warn", self._last_notice or f"Interrupted: the create of {spec.name!r} "
                           "was stopped; list the instances before creating it again.")
                raise
            except Exception as exc:
                self._fail(exc)
            else:
                self._record_created(created)
                if unsaved:
                    self._show_unsaved(unsaved[0])
                else:
                    self._show("ok", f"Created {created.name!r} ({created.id}); its password is in the vault.")
        if created is not None:
            self._watch(created)
            self._notify(created)
        return created

    def reveal_password(self) -> None:
        """Show the new instance's password for ``reveal_seconds``, then blank it again.

        The password is read back from the vault file (``client.vault.load``), which also proves
        it was saved. While shown it lives in one HTML widget; it is blanked by a timer, by Hide or
        by the next Create, so widget state saved outside that window never contains it.
        """
        created = self._created
        if created is None:
            return
        try:
            password = self._client.vault.load(created.id).password
        except Exception as exc:
            self._show("error", f"Could not read the password back from the vault: {error_line(exc)}")
            return
        self._show_password_for_a_while(password)

    def _show_password_for_a_while(self, password: str) -> None:
        """Put ``password`` in the password line for ``reveal_seconds``, then blank it again."""
        with self._reveal_lock:
            self._cancel_timer()
            self.password_line.value = (
                f"<b>Password</b> <code>{html.escape(password)}</code> "
                f"<i>(hidden again in {self._reveal_seconds:g} s)</i>"
            )
            self.reveal_button.description = "Hide password"
            self.reveal_button.icon = "eye-slash"
            self._reveal_timer = threading.Timer(self._reveal_seconds, self._hide_password)
            self._reveal_timer.daemon = True
            self._reveal_timer.start()

    # -- handlers --------------------------------------------------------------------------------
    def _on_name_change(self, change: Any) -> None:
        if change is not None:  # a new name: a duplicate warning and its tick no longer apply
            self.allow_duplicate.value = False
            self.allow_duplicate.layout.display = "none"
        problem = name_problem(self.name_field.value)
        if change is None and not self.name_field.value:
            problem = None  # nothing typed yet: the ready line asks for a name, no warning
        self.name_hint.value = status_html("warn", problem) if problem else ""
        self.create_button.disabled = not self._can_submit()
        self._update_summary()

    def _on_type_change(self, change: Any) -> None:
        if not self._cascading:
            self._fill_from(1)

    def _on_cloud_change(self, change: Any) -> None:
        if not self._cascading:
            self._fill_from(2)

    def _on_region_change(self, change: Any) -> None:
        if not self._cascading:
            self._fill_from(3)

    def _on_memory_change(self, change: Any) -> None:
        if not self._cascading:
            self._fill_from(4)

    def _on_version_change(self, change: Any) -> None:
        if not self._cascading:
            self._update_summary()

    def _on_create_click(self, button: widgets.Button) -> None:
        self.submit()

    def _on_create_notice(self, line: str) -> None:
        """A line from the core while it creates (an earlier create being resolved, an
        interrupt held back until the answer came): shown in the status line."""
        self._last_notice = line
        self._show("info", line)

    def _on_reveal_click(self, button: widgets.Button) -> None:
        if self._reveal_timer is not None:
            self._hide_password()
        else:
            self.reveal_password()

    # -- internals ---------------------------------------------------------------------------------
    def _can_submit(self) -> bool:
        return (
            self._tenant is not None
            and name_problem(self.name_field.value) is None
            and all(self.dropdowns[level].value is not None for level in LEVELS)
        )

    def _fill_from(self, start: int) -> None:
        """Rebuild the dropdowns from level ``start`` down, keeping picks that stay valid.

        A pending preset for a level is picked when offered; when not, that level is left empty
        (so are the levels below it, whose presets stay pending) and its error is shown until a
        later pick completes the cascade. Observers are muted while options and values are set
        programmatically, so one user choice recomputes the cascade exactly once.
        """
        picks = {level: self.dropdowns[level].value for level in LEVELS[:start]}
        problem = None
        self._cascading = True
        try:
            for level in LEVELS[start:]:
                offered = self._offered(level, picks)
                dropdown = self.dropdowns[level]
                keep = default_choice(offered, dropdown.value)
                if offered and level in self._pending:
                    wanted = self._pending.pop(level)
                    keep = wanted if wanted in offered else None
                    if keep is None:
                        problem = self._preset_problem(level, wanted, offered, picks)
                dropdown.options = [(self._label(level, value, picks), value) for value in offered]
                dropdown.value = keep
                picks[level] = keep
        finally:
            self._cascading = False
        if problem is not None:
            self._choice_problem = problem
            self._state = "error"
            self._show("error", problem)
        elif self._choice_problem is not None and None not in picks.values():
            self._choice_problem = None
            self._state = "ready"
            self._show("info", _READY_LINE)
        self.create_button.disabled = not self._can_submit()
        self._update_summary()

    def _offered(self, level: str, picks: dict[str, Any]) -> tuple[str, ...]:
        """What the tenant offers at ``level`` given ``picks`` above it (types in `TYPE_ORDER`)."""
        if self._tenant is None or None in picks.values():
            return ()
        return allowed_choices(self._tenant, **picks, paid_first=True)[level]

    def _preset_problem(self, level: str, wanted: str, offered: tuple[str, ...],
                        picks: dict[str, Any]) -> str:
        context = ", ".join(f"{key} {value}" for key, value in picks.items())
        return (f"Preset {level} {wanted!r} is not offered by tenant {self._tenant.name!r}"
                f"{' for ' + context if context else ''}; pick one of: {', '.join(offered)}.")

    def _watch(self, created: Any) -> None:
        """With ``watch=True``: add an `InstanceStatus` for ``created`` and start it."""
        if self._watch_box is None:
            return
        status = InstanceStatus(self._client, created.id, **self._watch_options)
        self._watch_box.children = (*self._watch_box.children, status)
        status.start()

    def _label(self, level: str, value: str, picks: dict[str, Any]) -> str:
        if level == "region":
            return self._tenant.region_name(picks["cloud_provider"], value)
        if level == "memory":
            storages = self._storages(dict(picks, memory=value))
            if storages:
                return f"{value} memory, {' or '.join(storages)} storage"
        return value

    def _storages(self, picks: dict[str, Any]) -> tuple[str, ...]:
        above = {level: picks[level] for level in LEVELS[:4] if level in picks}
        return allowed_choices(self._tenant, **above)["storage"]

    def _storage_for(self, picks: dict[str, Any]) -> str | None:
        if self._tenant is None or any(picks[level] is None for level in LEVELS):
            return None
        storages = self._storages(picks)
        return storages[0] if len(storages) == 1 else None

    def _update_summary(self) -> None:
        if self._tenant is None or not self._can_submit():
            self.request_preview.value = ""
            return
        body = self.spec().to_api()
        self.request_preview.value = (
            "<b>Request</b> <code>POST /v1/instances</code>"
            f"<pre style='margin:2px 0'>{html.escape(json.dumps(body, indent=2))}</pre>"
        )

    def _show_created(self, created: Any) -> None:
        rows = [
            ("Instance id", created.id),
            ("Name", created.name),
            ("Connection URL", created.connection_url),
            ("Username", created.username),
            ("Credentials file", str(created.vault_path)),
        ]
        cells = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
            f"<td><code>{html.escape(str(v))}</code></td></tr>"
            for k, v in rows
        )
        self.result.value = f"<table>{cells}</table>"
        self.password_line.value = f"<b>Password</b> <code>{MASK}</code>"
        self.reveal_button.layout.display = None
        self.result_box.layout.display = None

    def _name_taken(self, spec: InstanceSpec) -> bool:
        """True (and shown, with the duplicate checkbox offered) when the name is live already."""
        live = self._client.find_live_instances(spec.name, self._tenant.id)
        if not live:
            return False
        ids = ", ".join(f"{i.id} ({i.status})" for i in live)
        mine = self._created is not None and any(i.id == self._created.id for i in live)
        made = (f" (this form created {self._created.id} just now; its credentials are in "
                f"{self._created.vault_path})" if mine else "")
        self._state = "duplicate"
        self.allow_duplicate.layout.display = None
        self._show("warn", f"{spec.name!r} is already the name of {ids} in {self._tenant.name!r}"
                           f"{made}; nothing was sent. Pick another name, or tick "
                           "'Create another with this name' and click Create again.")
        return True

    def _record_created(self, created: Any) -> None:
        self._created = created
        self._show_created(created)
        self._state = "created"
        self.allow_duplicate.value = False  # each extra namesake needs its own tick
        self.allow_duplicate.layout.display = "none"

    def _show_unsaved(self, exc: VaultWriteFailed) -> None:
        """The vault write failed after the create: point to the rescue file, or show the
        password once (the one exception to the no-secret-output rule, as Reveal does it)."""
        created = exc.created
        if exc.rescue_path is not None:
            self._show("warn", f"Created {created.name!r} ({created.id}) but the vault could not be "
                               f"written; its credentials are in the rescue file {exc.rescue_path} "
                               "(mode 0600): move them somewhere safe.")
            return
        self._show("error", f"Created {created.name!r} ({created.id}) but its password could not be "
                            "saved anywhere: copy it now from the line above, it is shown once for "
                            f"{self._reveal_seconds:g} s.")
        self._show_password_for_a_while(created.password)
        self.reveal_button.layout.display = "none"  # nothing to read back later

    def _cancel_timer(self) -> None:
        if self._reveal_timer is not None:
            self._reveal_timer.cancel()
            self._reveal_timer = None

    def _hide_password(self) -> None:
        with self._reveal_lock:
            self._cancel_timer()
            self.password_line.value = f"<b>Password</b> <code>{MASK}</code>" if self._created else ""
            self.reveal_button.description = "Reveal password"
            self.reveal_button.icon = "eye"

    def _secret_parts(self) -> tuple[widgets.Widget, ...]:
        return (self.password_line,)

    def _repr_fields(self) -> list[tuple[str, Any]]:
        fields: list[tuple[str, Any]] = [("tenant", self._tenant.name if self._tenant else None)]
        if self._created is not None:
            fields.append(("instance", self._created.id))
        return fields + [("state", self._state)]


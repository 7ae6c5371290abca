"""TenantPicker: choose one of the account's tenants (projects) and see what it offers."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import ipywidgets as widgets

from aura_nb.core.rules import memory_gb
from .base import Form


def configuration_summary(tenant: Any) -> str:
    """One line describing a tenant's ``instance_configurations`` (types, clouds, regions, sizes)."""
    configs = list(tenant.instance_configurations)
    if not configs:
        return "no instance configurations offered"
    types = sorted({c.type for c in configs})
    clouds = sorted({c.cloud_provider for c in configs})
    regions = {(c.cloud_provider, c.region) for c in configs}
    memories = sorted({c.memory for c in configs}, key=memory_gb)
    size = memories[0] if len(memories) == 1 else f"{memories[0]} to {memories[-1]}"
    return (f"{len(configs)} configurations: {', '.join(types)} on {', '.join(clouds)}; "
            f"{len(regions)} region{'s' if len(regions) != 1 else ''}; memory {size}")


class TenantPicker(Form):
    """A dropdown of the account's tenants (``GET /v1/tenants``), auto-selected when there is one.

    Choosing a tenant loads it (``GET /v1/tenants/{tenantId}``) and shows its id and a summary of
    its instance configurations. ``value`` is the chosen ``Tenant`` (None before a choice);
    ``on_submit(cb)`` calls ``cb(tenant)`` each time one is loaded, e.g.
    ``picker.on_submit(form.set_tenant)``. ``client`` may be given later with ``set_client``
    (``credentials_form.on_submit(picker.set_client)``). ``tenant`` preselects by name or id.
    """

    def __init__(self, client: Any = None, *, tenant: str | None = None) -> None:
        self._client = None
        self._tenant = None
        self._wanted = tenant
        self._loading = False
        self.dropdown = widgets.Dropdown(options=[], value=None, description="Tenant")
        self.details = widgets.HTML(value="")
        self.dropdown.observe(self._on_tenant_change, names="value")
        super().__init__([self.dropdown, self.details])
        self._state = "no client"
        if client is not None:
            self.set_client(client)

    @property
    def value(self) -> Any:
        """The chosen ``Tenant`` with its configurations, or None."""
        return self._tenant

    def set_client(self, client: Any) -> None:
        """Use ``client`` and list its tenants (``GET /v1/tenants``); errors show in the picker."""
        self._client = client
        self._tenant = None
        self.details.value = ""
        try:
            with self._budget(client):
                summaries = list(client.list_tenants())
        except Exception as exc:
            self._set_options([])
            self._fail(exc)
            return
        names = Counter(t.name for t in summaries)
        self._set_options([
            (t.name if names[t.name] == 1 else f"{t.name} ({t.id[:8]})", t.id) for t in summaries
        ])
        if not summaries:
            self._state = "empty"
            self._show("warn", "This account has no tenants (projects).")
            return
        wanted = self._wanted
        chosen = next((t.id for t in summaries if wanted in (t.id, t.name)), None) if wanted else None
        if chosen is None and len(summaries) == 1:
            chosen = summaries[0].id
        if chosen is None:
            self._state = "choose"
            self._show("info", f"{len(summaries)} tenants: choose one.")
        else:
            self.dropdown.value = chosen  # loads it through the observer

    def submit(self) -> Any:
        """Load the selected tenant (``GET /v1/tenants/{tenantId}``) and notify; returns it or None."""
        tenant_id = self.dropdown.value
        if self._client is None or tenant_id is None:
            self._show("error", "Choose a tenant first." if self._client else "Connect first: no client yet.")
            return None
        self.dropdown.disabled = True
        self._state = "working"
        try:
            with self._budget(self._client):
                tenant = self._client.get_tenant(tenant_id)
        except Exception as exc:
            self._tenant = None
            self.details.value = ""
            self._fail(exc)
            return None
        finally:
            self.dropdown.disabled = False
        self._tenant = tenant
        self.details.value = (
            f"<code>{html.escape(tenant.id)}</code> \u2014 {html.escape(configuration_summary(tenant))}"
        )
        self._state = "ready"
        self._show("ok", f"Using tenant {tenant.name!r}.")
        self._notify(tenant)
        return tenant

    def _on_tenant_change(self, change: Any) -> None:
        if not self._loading and change["new"] is not None:
            self.submit()

    def _set_options(self, options: list[tuple[str, str]]) -> None:
        self._loading = True
        try:
            self.dropdown.options = options
            self.dropdown.value = None
        finally:
            self._loading = False

    def _repr_fields(self) -> list[tuple[str, Any]]:
        return [("tenant", self._tenant.name if self._tenant else None), ("state", self._state)]


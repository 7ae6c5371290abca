"""InstanceTable: a tenant's instances with per-row pause, resume and guarded delete."""

from __future__ import annotations

import functools
import html
import re
import threading
from datetime import datetime, timezone
from typing import Any, NamedTuple

import ipywidgets as widgets

from aura_nb.core.errors import NotFound
from aura_nb.core.display import duration_text
from aura_nb.core.lifecycle import ACTIONS
from .base import Form

COLUMNS = ("Name", "Id", "Status", "Type", "Memory", "Region", "Age", "Actions")
#: Fits a notebook column at 1280 px with the file browser open (about 50em at least): text
#: columns share the rest and wrap; the actions are three icon buttons.
_GRID = "minmax(7em,2fr) 5.5em 6.5em minmax(6em,1.2fr) 4.5em minmax(6em,1.5fr) 5.5em 8.4em"
_CELL = "overflow-wrap:anywhere;line-height:1.3;padding:2px 0"


class RowActions(NamedTuple):
    """The three action buttons of one row (icon buttons; their tooltips say what they do)."""

    pause: Any
    resume: Any
    delete: Any


class InstanceTable(Form):
    """The instances of one tenant with status, type, memory, region and age; refresh; actions.

    ``GET /v1/instances?tenantId=`` returns summaries only (id, name, created_at ...), so every
    row's status, type, memory and region cost one ``GET /v1/instances/{id}``. A refresh fetches
    details for at most ``max_details`` instances (oldest first) and says when it stopped there;
    the client's pacing keeps the calls within the rate limit.

    Row buttons pause (``POST /v1/instances/{id}/pause``), resume (``.../resume``) or delete
    (``DELETE /v1/instances/{id}``) an instance; delete asks for the instance name to be typed
    before it is sent. ``value`` is a tuple of the rows (``Instance`` where fetched, else the
    summary); ``submit()`` refreshes; ``on_submit(cb)`` calls ``cb(value)`` after each refresh or
    action.

    The grid fits a notebook column at 1280 px with JupyterLab's file browser open: text columns
    wrap, and the row actions are three compact icon buttons (tooltips Pause, Resume, Delete).
    Refresh (the button) works in a background thread: the status line counts the detail calls
    and `cancel_button` stops it (see `start_refresh`); ``refresh()`` works in the calling thread.
    Documented parts: `refresh_button`, `cancel_button`, `grid`, `action_buttons(id)` (a `RowActions`),
    `row_texts(id)`, and the delete confirmation `confirm_box` with `confirm_prompt`,
    `confirm_text`, `confirm_button` and `keep_button`.
    """

    def __init__(self, client: Any, tenant: Any = None, *, max_details: int = 25, load: bool = True) -> None:
        self._client = client
        self._tenant = None
        self._max_details = max_details
        self._rows: list[Any] = []
        self._pending: Any = None  # the row waiting for a typed delete confirmation

        self._heading = widgets.HTML(value="")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(self._on_refresh_click)
        self.cancel_button = widgets.Button(description="Cancel", icon="stop",
                                            tooltip="Stop this refresh")
        self.cancel_button.layout.display = "none"
        self.cancel_button.on_click(self._on_cancel_click)
        self._cancelled = threading.Event()
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_template_columns=_GRID, grid_gap="2px 8px",
                                                          width="100%", align_items="center"))
        self._actions: dict[str, RowActions] = {}
        self.confirm_prompt = widgets.HTML(value="")
        self.confirm_text = widgets.Text(placeholder="instance name", continuous_update=True)
        self.confirm_button = widgets.Button(description="Delete", button_style="danger", icon="trash",
                                              disabled=True)
        self.keep_button = widgets.Button(description="Keep it")
        self.confirm_text.observe(self._on_confirm_change, names="value")
        self.confirm_button.on_click(self._on_confirm_click)
        self.keep_button.on_click(self._on_keep_click)
        self.confirm_box = widgets.HBox([self.confirm_prompt, self.confirm_text, self.confirm_button,
                                         self.keep_button], layout=widgets.Layout(flex_flow="row wrap"))
        self.confirm_box.layout.display = "none"
        super().__init__([
            widgets.HBox([self._heading, self.refresh_button, self.cancel_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.grid,
            self.confirm_box,
        ])
        self._resolve_tenant(tenant)
        if load and self._tenant is not None:
            self.refresh()

    # -- public API ----------------------------------------------------------------------------
    @property
    def value(self) -> tuple[Any, ...]:
        """The rows shown: an ``Instance`` per row where fetched, else its ``InstanceSummary``."""
        return tuple(self._rows)

    def set_tenant(self, tenant: Any) -> None:
        """Show ``tenant``'s instances (a ``Tenant``/summary, name, id or None) and refresh."""
        self._resolve_tenant(tenant)
        if self._tenant is not None:
            self.refresh()

    def refresh(self) -> tuple[Any, ...]:
        """Reload the rows: one list call plus one detail call per instance (up to ``max_details``).

        On failure the previous rows stay and the error is shown on the status line.
        """
        return self._refresh(threading.Event())

    def start_refresh(self) -> threading.Thread | None:
        """Refresh in a background thread (what the Refresh button does), so the kernel stays
        responsive; the status line counts the detail calls and `cancel_button` stops between
        two of them (the previous rows stay). None when a refresh is running already; `join()`
        waits for it."""
        if self._busy():
            return None
        self._cancelled = threading.Event()
        return self._in_background("aura-nb-table-refresh", self._refresh, self._cancelled)

    def cancel(self) -> None:
        """Stop a background refresh before its next detail call (same as Cancel)."""
        self._cancelled.set()

    def _refresh(self, cancelled: threading.Event) -> tuple[Any, ...]:
        if self._tenant is None:
            self._show("error", "No tenant: pass one to set_tenant().")
            return self.value
        self.cancel_button.layout.display = None
        with self._working(self.refresh_button, "Loading instances\u2026"):
            try:
                with self._budget(self._client):
                    loaded = self._load_rows(cancelled)
            except Exception as exc:
                self._fail(exc)
                return self.value
            finally:
                self.cancel_button.layout.display = "none"
            if loaded is None:
                self._state = "ready"
                self._show("warn", "Refresh cancelled; the rows shown are from before.")
                return self.value
            rows, skipped = loaded
            self._rows = rows
            self._close_confirm()
            self._render()
            self._state = "ready"
            note = f"; status shown for the first {self._max_details} only" if skipped else ""
            self._show("ok", f"{len(rows)} instance{'s' if len(rows) != 1 else ''} in "
                             f"{self._tenant.name!r}{note}.")
        self._notify(self.value)
        return self.value

    def submit(self) -> tuple[Any, ...]:
        """Same as Refresh."""
        return self.refresh()

    def pause(self, instance_id: str) -> None:
        """Pause one instance (``POST /v1/instances/{id}/pause``); the outcome shows in the table."""
        self._act(instance_id, "pause", self._client.pause_instance, "Pausing")

    def resume(self, instance_id: str) -> None:
        """Resume one instance (``POST /v1/instances/{id}/resume``); the outcome shows in the table."""
        self._act(instance_id, "resume", self._client.resume_instance, "Resuming")

    def action_buttons(self, instance_id: str) -> RowActions:
        """The `RowActions` (pause, resume, delete buttons) of the row showing ``instance_id``.
        Raises ``KeyError`` when no row shows it."""
        return self._actions[instance_id]

    def row_texts(self, instance_id: str) -> dict[str, str]:
        """The texts the row of ``instance_id`` shows, by column name (``Actions`` left out).
        Raises ``KeyError`` when no row shows it."""
        width = len(COLUMNS)
        cells = self.grid.children
        for start in range(width, len(cells), width):
            texts = [_text_of(cell) for cell in cells[start:start + width - 1]]
            if texts[1] == instance_id:
                return dict(zip(COLUMNS[:-1], texts))
        raise KeyError(instance_id)

    def ask_delete(self, instance_id: str) -> None:
        """Open the delete confirmation for one row (same as its Delete button)."""
        row = self._row(instance_id)
        if row is None:
            return
        self._pending = row
        self.confirm_prompt.value = (
            f"Type <b>{html.escape(row.name)}</b> to delete <code>{html.escape(row.id)}</code>:"
        )
        self.confirm_text.value = ""
        self.confirm_button.disabled = True
        self.confirm_box.layout.display = None

    # -- handlers --------------------------------------------------------------------------------
    def _on_refresh_click(self, button: widgets.Button) -> None:
        self.start_refresh()

    def _on_cancel_click(self, button: widgets.Button) -> None:
        self.cancel()

    def _on_pause_click(self, instance_id: str, button: widgets.Button) -> None:
        self.pause(instance_id)

    def _on_resume_click(self, instance_id: str, button: widgets.Button) -> None:
        self.resume(instance_id)

    def _on_delete_click(self, instance_id: str, button: widgets.Button) -> None:
        self.ask_delete(instance_id)

    def _on_confirm_change(self, change: Any) -> None:
        self.confirm_button.disabled = not self._confirmed()

    def _on_confirm_click(self, button: widgets.Button) -> None:
        row = self._pending
        if row is None or not self._confirmed():
            self._show("error", "Type the instance name exactly to confirm the delete.")
            return
        self._close_confirm()
        self._act(row.id, "delete", self._client.delete_instance, "Deleting")

    def _on_keep_click(self, button: widgets.Button) -> None:
        self._close_confirm()
        self._show("info", "Nothing deleted.")

    # -- internals ---------------------------------------------------------------------------------
    def _resolve_tenant(self, tenant: Any) -> None:
        try:
            if tenant is None or isinstance(tenant, str):
                with self._budget(self._client):
                    tenant = self._client.find_tenant(tenant)
        except Exception as exc:
            self._tenant = None
            self._heading.value = ""
            self._fail(exc)
            return
        self._tenant = tenant
        self._heading.value = f"<b>Instances in {html.escape(tenant.name)}</b>"

    def _load_rows(self, cancelled: threading.Event) -> tuple[list[Any], int] | None:
        """The rows and how many got no detail call; None when ``cancelled`` was set."""
        summaries = sorted(self._client.list_instances(tenant_id=self._tenant.id),
                           key=lambda s: (str(s.created_at), s.name, s.id))
        rows: list[Any] = []
        details = min(len(summaries), self._max_details)
        for index, summary in enumerate(summaries):
            if index >= self._max_details:
                rows.append(summary)
                continue
            if cancelled.is_set():
                return None
            self._show("info", f"Loading instances\u2026 {index + 1} of {details}")
            try:
                rows.append(self._client.get_instance(summary.id))
            except NotFound:  # deleted between the list and the detail call
                continue
        return rows, max(0, len(summaries) - self._max_details)

    def _row(self, instance_id: str) -> Any:
        return next((row for row in self._rows if row.id == instance_id), None)

    def _confirmed(self) -> bool:
        return self._pending is not None and self.confirm_text.value == self._pending.name

    def _close_confirm(self) -> None:
        self._pending = None
        self.confirm_text.value = ""
        self.confirm_box.layout.display = "none"

    def _act(self, instance_id: str, action: str, call: Any, verb: str) -> None:
        row = self._row(instance_id)
        if row is None:
            self._show("error", f"No instance {instance_id!r} in this table; click Refresh.")
            return
        self._state = "working"
        self._set_buttons_disabled(True)
        self._show("info", f"{verb} {row.name!r} ({row.id})\u2026")
        try:
            with self._budget(self._client):
                result = call(instance_id)
                if result is None:  # some 202 answers carry no body: read the instance back
                    result = self._client.get_instance(instance_id)
        except Exception as exc:
            self._fail(exc)
            self._render()
            return
        self._rows = [result if r.id == instance_id else r for r in self._rows]
        self._render()
        self._state = "ready"
        self._show("ok", f"{action.capitalize()} accepted: {result.name!r} ({result.id}) is now "
                         f"{getattr(result, 'status', 'changing')}.")
        self._notify(self.value)

    def _set_buttons_disabled(self, disabled: bool) -> None:
        for actions in self._actions.values():
            for button in actions:
                button.disabled = disabled

    def _render(self) -> None:
        now = _server_now(self._client)
        cells: list[widgets.Widget] = [widgets.HTML(value=f"<b>{name}</b>") for name in COLUMNS]
        self._actions = {}
        for row in self._rows:
            status = getattr(row, "status", None)
            region = getattr(row, "region", None)
            values = (
                row.name,
                row.id,
                status or "\u2026",
                getattr(row, "type", None) or "",
                getattr(row, "memory", None) or "",
                region or "",
                _age(row.created_at, now),
            )
            cells.extend(widgets.HTML(value=f'<div style="{_CELL}">{html.escape(str(v))}</div>')
                         for v in values)
            cells.append(self._row_buttons(row.id, status))
        old = self.grid.children
        self.grid.children = cells
        for cell in old:  # drop the replaced widgets from the kernel's widget registry
            for part in getattr(cell, "children", ()):
                part.close()
            cell.close()

    def _row_buttons(self, instance_id: str, status: str | None) -> widgets.HBox:
        compact = {"width": "2.6em", "padding": "0", "margin": "0 2px 0 0"}
        pause = widgets.Button(icon="pause", tooltip="Pause", layout=widgets.Layout(**compact),
                               disabled=status not in ACTIONS["pause"].starts_from)
        resume = widgets.Button(icon="play", tooltip="Resume", layout=widgets.Layout(**compact),
                                disabled=status not in ACTIONS["resume"].starts_from)
        delete = widgets.Button(icon="trash", tooltip="Delete\u2026", button_style="danger",
                                layout=widgets.Layout(**compact),
                                disabled=status == ACTIONS["delete"].in_flight)
        pause.on_click(functools.partial(self._on_pause_click, instance_id))
        resume.on_click(functools.partial(self._on_resume_click, instance_id))
        delete.on_click(functools.partial(self._on_delete_click, instance_id))
        self._actions[instance_id] = RowActions(pause, resume, delete)
        return widgets.HBox([pause, resume, delete])

    def _repr_fields(self) -> list[tuple[str, Any]]:
        return [("tenant", self._tenant.name if self._tenant else None),
                ("instances", len(self._rows)), ("state", self._state)]


def _server_now(client: Any) -> datetime:
    """The API's clock (the simulator's is virtual), estimated from its last ``Date`` header."""
    server_time = getattr(client, "server_time", None)
    return server_time() if callable(server_time) else datetime.now(timezone.utc)


def _age(created_at: Any, now: datetime) -> str:
    if isinstance(created_at, str):
        try:
            created_at = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        except ValueError:
            return ""
    if not isinstance(created_at, datetime):
        return ""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=timezone.utc)
    return duration_text((now - created_at).total_seconds())


def _text_of(cell: Any) -> str:
    """The plain text of a table cell (its HTML with the tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", cell.value))

"""ClassTable: the instructor's view of a workshop (attendee, instance, status, age; bulk actions).

A thin front-end over ``aura_nb.workshop.Workshop``: every button calls one workshop method and
shows its one-line outcome on the status line. Teardown asks for the workshop prefix to be typed
before anything is deleted.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from aura_nb.widgets.base import Form

__all__ = ["ClassTable"]

_HEADERS = ("Attendee", "Instance", "Id", "Status", "Age")
_STATUS_COLOURS = {"running": "#1b7f3b", "paused": "#555555", "failed": "#b3261e", "missing": "#b3261e",
                   "deleted": "#888888"}


class ClassTable(Form):
    """The class at a glance: one row per attendee with instance, status and age.

    ``ClassTable(workshop)`` shows the rows (refreshing statuses with one
    ``GET /v1/instances/{id}`` per instance unless ``load=False``). Buttons: Refresh, Pause all,
    Resume all (``workshop.pause_all``/``resume_all``; with ``wait=False``, the default, they
    return once the requests are sent and the table shows ``pausing``/``resuming``), and Teardown,
    which first lists what would be deleted and then needs the workshop prefix typed to delete.
    ``value`` is the tuple of ``StatusRow``; ``submit()`` refreshes; ``on_submit(cb)`` is called
    with the rows after each refresh or action. Errors show as one line; nothing secret is shown.
    Documented parts: `refresh_button`, `pause_button`, `resume_button`, `teardown_button`,
    `table_html` (the rows as an HTML table), and the teardown confirmation `confirm_box` with
    `confirm_prompt`, `confirm_text`, `confirm_button` and `keep_button`.
    """

    def __init__(self, workshop: Any, *, load: bool = True, wait: bool = False) -> None:
        self._workshop = workshop
        self._wait = wait
        self._rows: tuple[Any, ...] = ()
        self._heading = widgets.HTML(value="")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.pause_button = widgets.Button(description="Pause all", icon="pause")
        self.resume_button = widgets.Button(description="Resume all", icon="play")
        self.teardown_button = widgets.Button(description="Teardown…", icon="trash", button_style="warning")
        self.table_html = widgets.HTML(value="")
        self.confirm_prompt = widgets.HTML(value="")
        self.confirm_text = widgets.Text(placeholder="workshop prefix", continuous_update=True)
        self.confirm_button = widgets.Button(description="Delete all", button_style="danger", icon="trash",
                                             disabled=True)
        self.keep_button = widgets.Button(description="Keep them")
        self.confirm_box = widgets.HBox([self.confirm_prompt, self.confirm_text, self.confirm_button,
                                         self.keep_button], layout=widgets.Layout(flex_flow="row wrap"))
        self.confirm_box.layout.display = "none"
        self.refresh_button.on_click(self._on_refresh_click)
        self.pause_button.on_click(self._on_pause_click)
        self.resume_button.on_click(self._on_resume_click)
        self.teardown_button.on_click(self._on_teardown_click)
        self.confirm_text.observe(self._on_confirm_change, names="value")
        self.confirm_button.on_click(self._on_confirm_click)
        self.keep_button.on_click(self._on_keep_click)
        self._buttons = [self.refresh_button, self.pause_button, self.resume_button, self.teardown_button]
        super().__init__([
            self._heading,
            widgets.HBox(self._buttons, layout=widgets.Layout(flex_flow="row wrap")),
            self.table_html,
            self.confirm_box,
        ])
        self._heading.value = f"<b>Workshop {html.escape(workshop.prefix)}</b>"
        if load:
            self.refresh()
        else:
            self._render(workshop.status(refresh=False))

    # -- public API ----------------------------------------------------------------------------
    @property
    def value(self) -> tuple[Any, ...]:
        """The rows shown (``aura_nb.workshop.StatusRow``), one per attendee."""
        return self._rows

    def submit(self) -> tuple[Any, ...]:
        """Same as :meth:`refresh`."""
        return self.refresh()

    def refresh(self) -> tuple[Any, ...]:
        """Fetch every instance's status (one ``GET /v1/instances/{id}`` each) and redraw.
        On failure the previous rows stay and the error is on the status line."""
        return self._run(self.refresh_button, "Refreshing statuses…", self._do_refresh)

    def pause_all(self) -> tuple[Any, ...]:
        """Pause every instance of the workshop (see ``Workshop.pause_all``), then redraw."""
        return self._run(self.pause_button, "Pausing every instance…", lambda: self._bulk("pause"))

    def resume_all(self) -> tuple[Any, ...]:
        """Resume every instance of the workshop (see ``Workshop.resume_all``), then redraw."""
        return self._run(self.resume_button, "Resuming every instance…", lambda: self._bulk("resume"))

    def ask_teardown(self) -> Any:
        """List what teardown would delete (a dry run, nothing deleted) and ask for the prefix."""
        return self._run(self.teardown_button, "Listing what teardown would delete…", self._dry_run)

    def confirm_teardown(self, typed: str) -> Any:
        """Delete the workshop's instances if ``typed`` is the workshop prefix (as the box does)."""
        self.confirm_text.value = typed
        if self.confirm_button.disabled:
            self._show("warn", f"Type {self._workshop.prefix!r} exactly to delete; nothing was deleted.")
            return None
        return self._run(self.confirm_button, "Deleting the workshop's instances…", self._delete)

    # -- handlers ------------------------------------------------------------------------------
    def _on_refresh_click(self, _button: Any) -> None:
        self.refresh()

    def _on_pause_click(self, _button: Any) -> None:
        self.pause_all()

    def _on_resume_click(self, _button: Any) -> None:
        self.resume_all()

    def _on_teardown_click(self, _button: Any) -> None:
        self.ask_teardown()

    def _on_confirm_change(self, change: dict) -> None:
        self.confirm_button.disabled = change["new"] != self._workshop.prefix

    def _on_confirm_click(self, _button: Any) -> None:
        self.confirm_teardown(self.confirm_text.value)

    def _on_keep_click(self, _button: Any) -> None:
        self._hide_confirm()
        self._state = "ready"
        self._show("info", "Teardown cancelled; nothing was deleted.")

    # -- work ----------------------------------------------------------------------------------
    def _run(self, button: widgets.Button, message: str, work: Any) -> Any:
        for other in self._buttons:
            other.disabled = True
        try:
            with self._working(button, message):
                result = work()
        except Exception as exc:  # shown as one line in the widget, never a traceback
            self._fail(exc)
            return None
        finally:
            for other in self._buttons:
                other.disabled = False
            self.confirm_button.disabled = self.confirm_text.value != self._workshop.prefix
        self._notify(self._rows)
        return result

    def _do_refresh(self) -> tuple[Any, ...]:
        self._render(self._workshop.status(refresh=True))
        self._state = "ready"
        self._show("ok", self._counts())
        return self._rows

    def _bulk(self, action: str) -> Any:
        method = self._workshop.pause_all if action == "pause" else self._workshop.resume_all
        report = method(wait=self._wait)
        self._render(self._workshop.status(refresh=False))
        self._state = "error" if report.failed else "ready"
        kind = "warn" if report.failed else "ok"
        failed = "; ".join(f"{a}: {r}" for a, r in list(report.failed.items())[:3])
        self._show(kind, report.summary() + (f" ({failed})" if failed else ""))
        return report

    def _dry_run(self) -> Any:
        report = self._workshop.teardown(yes=False)
        self._state = "confirm"
        prefix = html.escape(self._workshop.prefix)
        orphans = f" {len(report.orphans)} orphan(s) with the prefix are not in the manifest and stay." \
            if report.orphans else ""
        self.confirm_prompt.value = (
            f"Delete {len(report.planned)} instance(s) of workshop <b>{prefix}</b>? Their data cannot be "
            f"recovered.{html.escape(orphans)} Type <code>{prefix}</code> to confirm:"
        )
        self.confirm_text.value = ""
        self.confirm_button.disabled = True
        self.confirm_box.layout.display = "flex"
        self._show("warn", report.summary() + "; waiting for the typed confirmation")
        return report

    def _delete(self) -> Any:
        report = self._workshop.teardown(yes=True)
        self._hide_confirm()
        self._render(self._workshop.status(refresh=False))
        self._state = "error" if report.failed else "done"
        self._show("warn" if report.failed else "ok", report.summary())
        return report

    def _hide_confirm(self) -> None:
        self.confirm_text.value = ""
        self.confirm_button.disabled = True
        self.confirm_box.layout.display = "none"

    # -- drawing -------------------------------------------------------------------------------
    def _counts(self) -> str:
        counts: dict[str, int] = {}
        for row in self._rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no attendees"
        return f"{len(self._rows)} attendees: {detail}"

    def _render(self, rows: Any) -> None:
        self._rows = tuple(rows)
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in _HEADERS)
        body = []
        for row in self._rows:
            colour = _STATUS_COLOURS.get(row.status, "#8a5a00")
            cells = (
                html.escape(row.attendee),
                html.escape(row.instance_name),
                f"<code>{html.escape(row.instance_id or '-')}</code>",
                f"<span style='color:{colour}'>{html.escape(row.status)}</span>",
                html.escape(row.age_text),
            )
            body.append("<tr>" + "".join(f"<td style='padding:2px 8px;overflow-wrap:anywhere'>{c}</td>"
                                         for c in cells) + "</tr>")
        self.table_html.value = (
            "<table class='aura-nb-class-table' style='width:100%;table-layout:auto'><thead><tr>" + head + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>"
        )

    def _repr_fields(self) -> list[tuple[str, Any]]:
        return [("prefix", self._workshop.prefix), ("attendees", len(self._rows)), ("state", self._state)]

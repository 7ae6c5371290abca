"""ClassTable: the instructor's view of a workshop (attendee, instance, status, age; bulk actions).

A thin front-end over ``aura_nb.workshop.Workshop``: every button calls one workshop method in
the background, counts its per-attendee progress events on the status line, can be cancelled
between two attendees, and redraws the rows from the workshop's manifest. Teardown asks for the
workshop prefix to be typed before anything is deleted.
"""

from __future__ import annotations

import html
import threading
from typing import Any, Callable

import ipywidgets as widgets

from aura_nb.core.lifecycle import DESTROYING, PAUSED, RUNNING
from .base import Form

__all__ = ["ClassTable", "COLUMNS", "ACTIONS"]

COLUMNS = ("Attendee", "Instance", "Id", "Status", "Age")
#: What `ClassTable.start` accepts (the four buttons; ``teardown`` is the typed confirmation's).
ACTIONS = ("refresh", "pause", "resume", "teardown")
#: Colours of the row statuses: the API's (`lifecycle`) and the manifest's own words.
_STATUS_COLOURS = {RUNNING: "#1b7f3b", PAUSED: "#555555", "failed": "#b3261e", "missing": "#b3261e",
                   "deleted": "#888888", DESTROYING: "#888888"}
#: How the status line names each kind of progress event (see ``WorkshopEvent.kind``).
_COUNTED = {"status": "read", "changed": "sent", "skipped": "already there", "deleted": "deleted",
            "gone": "already gone", "ready": "ready", "failed": "failed", "cancelled": "not sent"}
_VERBS = {"refresh": "Refreshing statuses", "pause": "Pausing every instance",
          "resume": "Resuming every instance", "plan": "Listing what teardown would delete",
          "teardown": "Deleting the workshop's instances"}


class ClassTable(Form):
    """The class at a glance: one row per attendee with instance, status and age.

    ``ClassTable(workshop)`` shows the rows (refreshing statuses with one
    ``GET /v1/instances/{id}`` per instance unless ``load=False``). Buttons: Refresh, Pause all,
    Resume all (``workshop.pause_all``/``resume_all``; with ``wait=False``, the default, they
    return once the requests are sent and the table shows ``pausing``/``resuming``), and Teardown,
    which first lists what would be deleted and then needs the workshop prefix typed to delete.

    A click works in a background thread (the kernel stays responsive): the status line counts
    the workshop's per-attendee progress events (``2 of 3 done: 2 sent``), `progress` fills, the
    rows follow the manifest, and `cancel_button` stops before the next attendee: requests
    already sent are finished and reported, the rest are reported as not sent. `join()` waits for
    the work. The methods `refresh`, `pause_all`, `resume_all`, `ask_teardown` and
    `confirm_teardown` do the same in the calling thread (for notebooks and tests); `start`
    starts one in the background as the buttons do. After every action, and whenever the
    workshop's manifest changes (a ``workshop.teardown(yes=True)`` run elsewhere too), the rows
    show each attendee's current status from the manifest (``deleted`` after a teardown).

    Documented parts: `heading`, `refresh_button`, `pause_button`, `resume_button`,
    `teardown_button`, `cancel_button`, `progress` (a ``FloatProgress``, shown while working),
    `table` (the rows as HTML), `row_texts(attendee)`, and the teardown confirmation
    `confirm_box` with `confirm_prompt`, `confirm_text`, `confirm_button` and `keep_button`.
    ``value`` is the tuple of ``StatusRow``; ``submit()`` refreshes; ``on_submit(cb)`` is called
    with the rows after each refresh or action. Errors show as one line; nothing secret is shown.
    """

    def __init__(self, workshop: Any, *, load: bool = True, wait: bool = False) -> None:
        self._workshop = workshop
        self._wait = wait
        self._rows: tuple[Any, ...] = ()
        self._draw_lock = threading.Lock()
        self._cancel = threading.Event()
        self._running = False  # an action is under way (in the background or the calling thread)
        self.heading = widgets.HTML(value=f"<b>Workshop {html.escape(workshop.prefix)}</b>")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.pause_button = widgets.Button(description="Pause all", icon="pause")
        self.resume_button = widgets.Button(description="Resume all", icon="play")
        self.teardown_button = widgets.Button(description="Teardown…", icon="trash", button_style="warning")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop",
                                            tooltip="Send no further request; what was sent is reported")
        self.cancel_button.layout.display = "none"
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                              layout=widgets.Layout(width="12em", display="none"))
        self.table = widgets.HTML(value="")
        self.confirm_prompt = widgets.HTML(value="")
        self.confirm_text = widgets.Text(placeholder="workshop prefix", continuous_update=True)
        self.confirm_button = widgets.Button(description="Delete all", button_style="danger", icon="trash",
                                             disabled=True)
        self.keep_button = widgets.Button(description="Keep them")
        self.confirm_box = widgets.HBox([self.confirm_prompt, self.confirm_text, self.confirm_button,
                                         self.keep_button], layout=widgets.Layout(flex_flow="row wrap"))
        self.confirm_box.layout.display = "none"
        self.refresh_button.on_click(lambda _b: self.start("refresh"))
        self.pause_button.on_click(lambda _b: self.start("pause"))
        self.resume_button.on_click(lambda _b: self.start("resume"))
        self.teardown_button.on_click(lambda _b: self._launch("plan"))
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.confirm_text.observe(self._on_confirm_change, names="value")
        self.confirm_button.on_click(lambda _b: self.start("teardown"))
        self.keep_button.on_click(self._on_keep_click)
        self._buttons = (self.refresh_button, self.pause_button, self.resume_button, self.teardown_button)
        super().__init__([
            self.heading,
            widgets.HBox([*self._buttons, self.cancel_button, self.progress],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.table,
            self.confirm_box,
        ])
        workshop.manifest.on_change(self._on_manifest_change)
        if load:
            self.refresh()
        else:
            self._redraw()

    # -- public API ----------------------------------------------------------------------------
    @property
    def value(self) -> tuple[Any, ...]:
        """The rows shown (``aura_nb.workshop.StatusRow``), one per attendee."""
        return self._rows

    def row_texts(self, attendee: str) -> dict[str, str]:
        """The texts the row of ``attendee`` shows, by column name (`COLUMNS`).
        Raises ``KeyError`` when no row shows that attendee."""
        for row in self._rows:
            if row.attendee == attendee:
                return dict(zip(COLUMNS, _texts(row)))
        raise KeyError(attendee)

    def submit(self) -> tuple[Any, ...]:
        """Same as :meth:`refresh`."""
        return self.refresh()

    def refresh(self) -> tuple[Any, ...]:
        """Fetch every instance's status (one ``GET /v1/instances/{id}`` each) and redraw, in the
        calling thread. On failure the previous rows stay and the error is on the status line."""
        self._perform("refresh", threading.Event())
        return self._rows

    def pause_all(self) -> Any:
        """Pause every instance (``Workshop.pause_all``) in the calling thread, then redraw; the
        ``BulkReport``, or None on an error (shown on the status line)."""
        return self._perform("pause", threading.Event())

    def resume_all(self) -> Any:
        """Resume every instance (``Workshop.resume_all``) in the calling thread, then redraw; the
        ``BulkReport``, or None on an error (shown on the status line)."""
        return self._perform("resume", threading.Event())

    def ask_teardown(self) -> Any:
        """List what teardown would delete (a dry run, nothing deleted) and open the confirmation
        that asks for the prefix; the dry-run ``TeardownReport``."""
        return self._perform("plan", threading.Event())

    def confirm_teardown(self, typed: str) -> Any:
        """Delete the workshop's instances in the calling thread if ``typed`` is the workshop
        prefix (as the confirmation does); the ``TeardownReport``, else None (nothing deleted)."""
        self.confirm_text.value = typed
        if not self._typed_ok():
            self._show("warn", f"Type {self._workshop.prefix!r} exactly to delete; nothing was deleted.")
            return None
        return self._perform("teardown", threading.Event())

    def start(self, action: str) -> threading.Thread | None:
        """Start ``action`` (one of `ACTIONS`) in a background thread, as its button does; None
        when other work is running already or, for ``teardown``, the prefix is not typed.
        `cancel()` stops it before the next attendee; `join()` waits for it."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
        if action == "teardown" and not self._typed_ok():
            self._show("warn", f"Type {self._workshop.prefix!r} exactly to delete; nothing was deleted.")
            return None
        return self._launch(action)

    def cancel(self) -> None:
        """Send no further request for the running work (same as Cancel): attendees already
        started finish and are reported, the others are reported as not sent."""
        if self._running and not self._cancel.is_set():
            self._cancel.set()
            self._show("warn", "Cancelling: no further request will be sent; finishing those already sent\u2026")

    def close(self) -> None:
        """Stop following the workshop's manifest and close the widget."""
        self._workshop.manifest.on_change(self._on_manifest_change, remove=True)
        super().close()

    # -- handlers ------------------------------------------------------------------------------
    def _on_confirm_change(self, change: dict) -> None:
        self.confirm_button.disabled = self._running or change["new"] != self._workshop.prefix

    def _on_keep_click(self, _button: Any) -> None:
        self._hide_confirm()
        self._state = "ready"
        self._show("info", "Teardown cancelled; nothing was deleted.")

    def _on_manifest_change(self, _record: Any) -> None:
        try:
            self._redraw()
            if not self._running and self._state == "ready":  # changed elsewhere: keep the counts true
                self._show("ok", self._counts())
        except Exception:  # a drawing problem must never break the workshop operation
            pass

    # -- work ----------------------------------------------------------------------------------
    def _launch(self, action: str) -> threading.Thread | None:
        cancel = threading.Event()
        return self._in_background(f"aura-nb-class-{action}", self._perform, action, cancel,
                                   before=lambda: setattr(self, "_cancel", cancel))

    def _perform(self, action: str, cancel: threading.Event) -> Any:
        """Run one action with progress and Cancel; shows its outcome; the report (None on error)."""
        self._cancel = cancel
        counts: dict[str, int] = {}
        verb = _VERBS[action]

        def progress(event: Any) -> None:
            counts[event.kind] = counts.get(event.kind, 0) + 1
            self._redraw()
            done = ", ".join(f"{n} {_COUNTED[k]}" for k, n in counts.items() if k in _COUNTED)
            step = f" {event.done} of {event.total} done" if event.total else ""
            after = ("cancelling: nothing more will be sent" if cancel.is_set()
                     else "Cancel stops before the next one")
            self._show("info", f"{verb}\u2026{step}: {done or event.message} ({after})")
            if event.total:  # last, so an observer of `progress` sees the line of this event
                self.progress.value = event.done / event.total

        self._set_working(True)
        self._state = "working"
        self._show("info", f"{verb}\u2026")
        try:
            result = self._work(action)(progress, cancel)
        except Exception as exc:  # shown as one line in the widget, never a traceback
            self._fail(exc)
            return None
        finally:
            self._set_working(False)
            try:
                self._redraw()
            except Exception:
                pass
        self._notify(self._rows)
        return result

    def _work(self, action: str) -> Callable[[Any, threading.Event], Any]:
        return {"refresh": self._do_refresh, "pause": self._bulk("pause"), "resume": self._bulk("resume"),
                "plan": self._dry_run, "teardown": self._delete}[action]

    def _set_working(self, working: bool) -> None:
        self._running = working
        for button in self._buttons:
            button.disabled = working
        self.cancel_button.layout.display = None if working else "none"
        self.progress.value = 0.0
        self.progress.layout.display = None if working else "none"
        self.confirm_button.disabled = working or not self._typed_ok()

    def _do_refresh(self, progress: Any, cancel: threading.Event) -> tuple[Any, ...]:
        self._workshop.status(refresh=True, on_progress=progress, cancel=cancel)
        self._redraw()
        if cancel.is_set():
            self._state = "cancelled"
            self._show("warn", "Refresh cancelled; rows not read again keep their last known status. "
                       + self._counts())
        else:
            self._state = "ready"
            self._show("ok", self._counts())
        return self._rows

    def _bulk(self, action: str) -> Callable[[Any, threading.Event], Any]:
        def run(progress: Any, cancel: threading.Event) -> Any:
            method = self._workshop.pause_all if action == "pause" else self._workshop.resume_all
            report = method(wait=self._wait, on_progress=progress, cancel=cancel)
            self._outcome(report, done_state="ready")
            return report
        return run

    def _dry_run(self, progress: Any, cancel: threading.Event) -> Any:
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
        self.confirm_box.layout.display = "flex"
        self._show("warn", report.summary() + "; waiting for the typed confirmation")
        return report

    def _delete(self, progress: Any, cancel: threading.Event) -> Any:
        self._hide_confirm()
        report = self._workshop.teardown(yes=True, on_progress=progress, cancel=cancel)
        self._outcome(report, done_state="done")
        return report

    def _outcome(self, report: Any, done_state: str) -> None:
        """Show a bulk report: its summary, the first failures, and who was not sent anything."""
        self._redraw()
        failed = "; ".join(f"{a}: {r}" for a, r in list(report.failed.items())[:3])
        line = report.summary() + (f" ({failed})" if failed else "")
        if report.cancelled:
            self._state = "cancelled"
            line += f". Not sent: {', '.join(report.cancelled)}; run it again to finish."
        else:
            self._state = "error" if report.failed else done_state
        self._show("info" if getattr(report, "empty", False) else "ok" if report.ok else "warn", line)

    def _typed_ok(self) -> bool:
        return self.confirm_text.value == self._workshop.prefix

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

    def _redraw(self) -> None:
        """Draw the rows from the manifest's last known statuses (no request)."""
        rows = tuple(self._workshop.status(refresh=False))
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in COLUMNS)
        body = []
        for row in rows:
            texts = [html.escape(text) for text in _texts(row)]
            colour = _STATUS_COLOURS.get(row.status, "#8a5a00")
            texts[2] = f"<code>{texts[2]}</code>"
            texts[3] = f"<span style='color:{colour}'>{texts[3]}</span>"
            body.append("<tr>" + "".join(f"<td style='padding:2px 8px;overflow-wrap:anywhere'>{c}</td>"
                                         for c in texts) + "</tr>")
        drawn = ("<table class='aura-nb-class-table' style='width:100%;table-layout:auto'><thead><tr>"
                 + head + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")
        with self._draw_lock:
            self._rows = rows
            self.table.value = drawn

    def _repr_fields(self) -> list[tuple[str, Any]]:
        return [("prefix", self._workshop.prefix), ("attendees", len(self._rows)), ("state", self._state)]


def _texts(row: Any) -> tuple[str, str, str, str, str]:
    """The plain texts of one row, in `COLUMNS` order."""
    return (row.attendee, row.instance_name, row.instance_id or "-", row.status, row.age_text)

"""InstanceStatus: a live view while the client waits for an instance to reach a status."""

from __future__ import annotations

import html
import re
import threading
import time
from typing import Any

import ipywidgets as widgets

from aura_nb.core.errors import InstanceWaitTimeout, WaitCancelled
from aura_nb.core.display import duration_text
from aura_nb.core.lifecycle import RUNNING
from .base import Form, error_line

#: Typical server seconds to reach a status, only for drawing the progress bar.
TYPICAL_SECONDS = {RUNNING: 180.0}


class InstanceStatus(Form):
    """Watch an instance until it reaches ``status`` (default ``running``), with a cancel button.

    It drives the core's ``client.wait_for_instance`` (which polls ``GET /v1/instances/{id}``)
    and updates its widgets from ``on_progress``: current status, elapsed time and a progress bar.
    Aura reports no percentage, so the bar measures time against a typical duration (``typical``
    server seconds, default 3 min for ``running``, 1 min otherwise, scaled by the client's speed)
    and stretches when an operation takes longer. It ends on one clear line: success, failure,
    timeout or cancel.

    ``start()`` waits in a background thread so the kernel stays responsive (JupyterLab);
    ``run()`` waits in the calling thread, so the final state is fixed when the cell ends (tests,
    nbval). Both return the widget. ``value`` is the final ``Instance`` (None until success);
    ``on_submit(cb)`` calls ``cb(instance)`` on success, in the waiting thread after ``start()``.
    ``wait_options`` go to ``wait_for_instance`` (``poll_interval``, ``sleep``...).
    """

    def __init__(self, client: Any, instance_id: str, *, status: str = "running",
                 timeout: float = 1200, typical: float | None = None, **wait_options: Any) -> None:
        self._client = client
        self._instance_id = getattr(instance_id, "id", instance_id)
        self._target = status
        self._timeout = timeout
        self._wait_options = wait_options
        self._instance = None
        self._last_status: str | None = None
        self._cancel_event = threading.Event()

        self._title = widgets.HTML(value="")
        self._set_title(f"to be <b>{status}</b>")
        self.current_status = widgets.HTML(value="status: not checked yet")
        if typical is None:
            typical = TYPICAL_SECONDS.get(status, 60.0)
        self._typical = min(float(timeout), typical / float(getattr(client, "speed", 1.0) or 1.0))
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=self._typical,
                                               description="elapsed", bar_style="info")
        self.elapsed_label = widgets.Label(value="0 s")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.cancel_button.on_click(self._on_cancel_click)
        super().__init__([
            self._title,
            widgets.HBox([self.current_status]),
            widgets.HBox([self.progress, self.elapsed_label, self.cancel_button]),
        ])
        self._state = "idle"

    # -- public API ----------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The ``Instance`` once it reached the target status, else None."""
        return self._instance

    @property
    def instance_id(self) -> str:
        """The id of the instance being watched."""
        return self._instance_id

    @property
    def last_status(self) -> str | None:
        """The status the last check saw (None before the first check)."""
        return self._last_status

    @property
    def title(self) -> str:
        """The heading's text without markup: what is awaited, or what was reached."""
        return re.sub(r"<[^>]+>", "", self._title.value)

    def start(self) -> "InstanceStatus":
        """Wait in a background daemon thread and return at once; a no-op if already waiting."""
        self._in_background(f"aura-nb-wait-{self._instance_id}", self._wait, before=self._begin)
        return self

    def run(self) -> "InstanceStatus":
        """Wait in the calling thread until success, failure, timeout or cancel; return self."""
        if self._busy():
            raise RuntimeError("This InstanceStatus is already waiting in the background; call join().")
        self._begin()
        self._wait()
        return self

    def submit(self) -> "InstanceStatus":
        """Same as ``start()``: begin waiting in the background."""
        return self.start()

    def cancel(self) -> None:
        """Ask the wait to stop at its next check (same as the Cancel button)."""
        self._cancel_event.set()

    # -- handlers --------------------------------------------------------------------------------
    def _on_cancel_click(self, button: widgets.Button) -> None:
        self.cancel()
        button.disabled = True
        self._show("info", "Cancelling\u2026")

    def _on_wait_progress(self, event: Any) -> None:
        self._last_status = event.status
        self.current_status.value = f"status: <b>{event.status}</b> (check {event.polls})"
        elapsed = float(event.elapsed)
        if elapsed > 0.9 * self.progress.max:  # slower than usual: stretch, never fill up
            self.progress.max = elapsed / 0.9
        self.progress.value = elapsed
        self.elapsed_label.value = duration_text(elapsed)

    # -- internals ---------------------------------------------------------------------------------
    def _begin(self) -> None:
        self._cancel_event.clear()
        self._instance = None
        self._state = "waiting"
        self.progress.bar_style = "info"
        self.progress.max = self._typical
        self.progress.value = 0.0
        self.cancel_button.disabled = False
        self._show("info", f"Waiting for {self._instance_id} to be {self._target}\u2026")

    def _wait(self) -> None:
        started = time.monotonic()
        instance = None
        try:
            with self._budget(self._client):  # per status request; the wait has `timeout`
                instance = self._client.wait_for_instance(
                    self._instance_id,
                    status=self._target,
                    timeout=self._timeout,
                    on_progress=self._on_wait_progress,
                    cancel=self._cancel_event,
                    **self._wait_options,
                )
        except InstanceWaitTimeout as exc:
            self._end("timeout", "warning", "warn", error_line(exc))
        except WaitCancelled:
            self._end("cancelled", "warning", "warn", self._cancelled_line())
        except KeyboardInterrupt:  # run() in the kernel's thread, interrupted: never left "waiting"
            self._end("cancelled", "warning", "warn", self._cancelled_line())
            raise
        except Exception as exc:
            self._end("failed", "danger", "error", error_line(exc))
        else:
            took = duration_text(time.monotonic() - started)
            self._instance = instance
            self.progress.value = self.progress.max
            if instance is None:  # waiting for "deleted" ends with the instance gone
                self.current_status.value = "status: <b>deleted</b>"
                self._end("done", "success", "ok", f"{self._instance_id} is gone (waited {took}).")
            else:
                self.current_status.value = f"status: <b>{instance.status}</b>"
                self._end("done", "success", "ok",
                          f"{instance.name!r} ({instance.id}) is {instance.status} (waited {took}).")
        finally:
            self.cancel_button.disabled = True
        if self._state == "done":
            self._notify(instance)

    def _cancelled_line(self) -> str:
        seen = f" (last status: {self._last_status})" if self._last_status else ""
        return (f"Stopped waiting for {self._instance_id}{seen}. Aura carries on; "
                "run or start() again to keep watching.")

    def _set_title(self, words: str) -> None:
        self._title.value = f"Instance <code>{html.escape(self._instance_id)}</code> {words}"

    def _end(self, state: str, bar_style: str, kind: str, text: str) -> None:
        self._state = state
        if state == "done":
            reached = self._instance.status if self._instance is not None else "deleted"
            self._set_title(f"is <b>{html.escape(reached)}</b>")
        else:
            self._set_title(f"did not reach <b>{html.escape(self._target)}</b> ({state})")
        self.progress.bar_style = bar_style
        self._show(kind, text)

    def _repr_fields(self) -> list[tuple[str, Any]]:
        return [("instance", self._instance_id), ("target", self._target), ("state", self._state)]

"""Pieces every aura_nb form shares: the one-line status, the busy button, callbacks, repr.

A form shows its outcome by setting the value of one private ``HTML`` widget. That is the only
output method used in ``aura_nb.widgets``: it looks the same in JupyterLab, Notebook 7, nbconvert
and nbval, unlike ``with out: print(...)`` (see shared/TESTING.md).
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from typing import Any, Callable, Iterator

import ipywidgets as widgets

from aura_nb.core import config
from aura_nb.core import errors
from .static import static_html

log = logging.getLogger("aura_nb.widgets")

_COLOURS = {"ok": "#1b7f3b", "error": "#b3261e", "warn": "#8a5a00", "info": "#444444"}
_MARKS = {"ok": "\u2713 ", "error": "\u2717 ", "warn": "! ", "info": ""}
_MAX_LINE = 400


def error_line(exc: BaseException) -> str:
    """One line a learner can act on for ``exc``, never a traceback: the core's
    `aura_nb.core.errors.error_line`, cut to the width of a form's status line."""
    return errors.error_line(exc, limit=_MAX_LINE)


def status_html(kind: str, text: str) -> str:
    """Render ``text`` as one escaped, coloured line; ``kind`` is ok, error, warn or info."""
    colour = _COLOURS.get(kind, _COLOURS["info"])
    return (
        f'<span class="aura-nb-status aura-nb-{kind}" style="color:{colour}">'
        f"{_MARKS.get(kind, '')}{html.escape(text)}</span>"
    )


class Form(widgets.VBox):
    """Base of the aura_nb forms: a ``VBox`` with a status line, ``state`` and ``on_submit``.

    Subclasses build their private children, call ``super().__init__(children=...)`` and
    implement ``value`` and ``submit()``. ``state`` is a short word shown in the repr
    (``ready``, ``working``, ``error`` ...). Nothing secret may ever go into a child widget.
    """

    def __init__(self, children: list[widgets.Widget], **kwargs: Any) -> None:
        self._status = widgets.HTML(value="")
        self._callbacks: list[Callable[[Any], Any]] = []
        self._state = "ready"
        self._status_text = ""
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        super().__init__(children=[*children, self._status], **kwargs)

    # -- public surface shared by every form -------------------------------------------------
    @property
    def state(self) -> str:
        """A short word describing where the form is (``ready``, ``working``, ``error`` ...)."""
        return self._state

    @property
    def status_text(self) -> str:
        """The text of the status line, without markup (handy in tests and scripts)."""
        return self._status_text

    def on_submit(self, callback: Callable[[Any], Any], remove: bool = False) -> None:
        """Register ``callback(value)`` to run after each successful submit (``remove`` undoes it).

        A callback that raises does not break the form: its error is shown on the status line.
        """
        if remove:
            self._callbacks = [cb for cb in self._callbacks if cb is not callback]
        else:
            self._callbacks.append(callback)

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={val!r}" for key, val in self._repr_fields())
        return f"{type(self).__name__}({fields})"

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the form's background work (a click's) ends, or ``timeout`` seconds pass;
        True when nothing is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def static_html(self) -> str:
        """The form as plain HTML in its current state (labels, chosen values, status line).

        Also part of the form's display as ``text/html``, so a notebook read without a kernel
        (``jupyter nbconvert --to html``, GitHub, nbviewer) still shows the form as it was.
        """
        return static_html(self, secret=self._secret_parts())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        """ipywidgets' bundle (the live view and ``text/plain``) plus a static ``text/html``."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        return {**bundle, "text/html": self.static_html()}

    # -- helpers for subclasses ----------------------------------------------------------------
    def _repr_fields(self) -> list[tuple[str, Any]]:
        return [("state", self._state)]

    def _show(self, kind: str, text: str) -> None:
        self._status_text = text
        self._status.value = status_html(kind, text)

    def _fail(self, exc: BaseException, state: str = "error") -> None:
        """Show ``exc`` as one line and move to ``state``; logs the class only, never the text."""
        log.debug("%s: %s raised by an action", type(self).__name__, type(exc).__name__)
        self._state = state
        self._show("error", error_line(exc))

    def _notify(self, value: Any) -> None:
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception as exc:  # a learner's callback must not leave the form half-updated
                self._show("error", f"on_submit callback failed: {error_line(exc)}")

    @contextlib.contextmanager
    def _working(self, button: widgets.Button, message: str) -> Iterator[None]:
        """Disable ``button`` and show ``message`` while the body runs; re-enable it after."""
        button.disabled = True
        self._state = "working"
        self._show("info", message)
        try:
            yield
        finally:
            button.disabled = not self._can_submit()

    def _in_background(self, name: str, target: Callable[..., Any], *args: Any,
                       before: Callable[[], Any] | None = None) -> threading.Thread | None:
        """Run ``target(*args)`` in a daemon thread so the kernel stays responsive (widget
        updates from a thread reach the front-end); None when one is running already.
        ``before`` runs first, in the caller's thread, only when the work starts."""
        with self._thread_lock:
            if self._thread is not None and self._thread.is_alive():
                return None
            if before is not None:
                before()
            self._thread = threading.Thread(target=target, args=args, name=name, daemon=True)
            self._thread.start()
            return self._thread

    def _busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @staticmethod
    def _budget(client: Any) -> contextlib.AbstractContextManager[None]:
        """Each call ``client`` makes in this block (this thread) gets the interactive time
        budget, `config.interactive_timeout()` (10 s, retries included)."""
        return client.time_budget(config.interactive_timeout())

    def _secret_parts(self) -> tuple[widgets.Widget, ...]:
        """Children that may hold a secret for a while (drawn masked in `static_html`)."""
        return ()

    def _can_submit(self) -> bool:
        return True

"""CredentialsForm: API client id and secret in, a connected AuraClient out."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from aura_nb.core import config
from aura_nb.core.client import AuraClient
from aura_nb.core.credentials import mode_for, save_env
from aura_nb.core.display import duration_text
from aura_nb.core.errors import AuthenticationFailed, ConfigurationError
from aura_nb.session import embedded_client
from .base import Form, error_line


class CredentialsForm(Form):
    """Enter Aura API credentials, get a token and hand on a ready client.

    Fields: client id (Text), client secret (Password, blanked as soon as it is read), base URL,
    a "use the local simulator" switch and "save to .env". The id and base URL are pre-filled
    from the environment or ``.env``; the secret is only reported as set or not set. Leaving the
    secret blank uses the configured one. Connect builds an ``AuraClient`` and lists tenants
    (``POST /oauth/token`` then ``GET /v1/tenants``) so a wrong id or secret is reported at once,
    in the form. With the simulator switch on it uses the kit's embedded simulator instead. The
    client gets the front-ends' timeout (`aura_nb.core.config.interactive_timeout`, 10 s).

    Clicking Connect works in a background thread (the kernel stays responsive): the status line
    counts the seconds, and Cancel (`cancel_button`) stops waiting at once (a late answer is
    dropped; nothing is saved). `join()` waits for it. ``submit()`` connects in the calling
    thread, for scripts and tests.

    Documented children: `client_id_field`, `secret_field` (a ``Password``, blanked when read),
    `secret_hint`, `base_url_field`, `simulator_checkbox`, `save_checkbox`, `connect_button`,
    `cancel_button`.

    ``value`` and ``client`` are the connected client (None until a Connect succeeds; a failed
    Connect resets them to None so stale credentials are never used); ``on_submit(cb)`` calls
    ``cb(client)`` after each successful Connect. ``env_file`` is where "save to .env" writes
    (default: the ``.env`` python-dotenv finds from the current folder, else ``./.env``).
    """

    def __init__(self, *, base_url: str | None = None, use_simulator: bool | None = None,
                 env_file: str | os.PathLike[str] | None = None) -> None:
        self._client_obj = None
        self._env_file = Path(env_file) if env_file else _default_env_file()
        found = _configured()
        if use_simulator is None:
            use_simulator = not (found["client_id"] or found["secret_set"]) and base_url is None

        wide = widgets.Layout(width="28em")
        self.client_id_field = widgets.Text(value=found["client_id"] or "", description="Client id",
                                       placeholder="from the Aura console, API keys",
                                       layout=wide)
        self.secret_field = widgets.Password(value="", description="Secret",
                                        placeholder="blank: use the configured one",
                                        layout=wide)
        self.secret_hint = widgets.HTML(value=self._secret_note(found["secret_set"]))
        self.base_url_field = widgets.Text(value=base_url or found["base_url"] or "", description="Base URL",
                                      placeholder="https://api.neo4j.io", layout=wide)
        self.simulator_checkbox = widgets.Checkbox(value=bool(use_simulator), description="Use the local simulator",
                                           indent=False)
        self.save_checkbox = widgets.Checkbox(value=False, indent=False,
                                      description=f"Save to {self._env_file.name} (mode 0600)")
        self.save_checkbox.tooltip = str(self._env_file)
        self.connect_button = widgets.Button(description="Connect", button_style="primary", icon="plug")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop",
                                            tooltip="Stop waiting for this Connect")
        self.cancel_button.layout.display = "none"
        self._attempt: threading.Event | None = None  # set when the running Connect is cancelled

        self.simulator_checkbox.observe(self._on_simulator_change, names="value")
        self.connect_button.on_click(self._on_connect_click)
        self.cancel_button.on_click(self._on_cancel_click)
        super().__init__([
            self.simulator_checkbox,
            self.client_id_field,
            widgets.HBox([self.secret_field, self.secret_hint]),
            self.base_url_field,
            self.save_checkbox,
            widgets.HBox([self.connect_button, self.cancel_button]),
        ])
        self._on_simulator_change(None)

    # -- public API ----------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The connected ``AuraClient``, or None."""
        return self._client_obj

    @property
    def value(self) -> Any:
        """Same as ``client``."""
        return self._client_obj

    def submit(self) -> Any:
        """Connect with the form's fields in the calling thread; return the client or None.

        Reads and blanks the secret, builds the client, fetches a token and lists tenants. Errors
        (nothing configured, refused credentials, a bad URL, 5xx, no connection) are shown in the
        form as one line and leave ``client`` None and ``.env`` untouched.
        """
        secret = self.secret_field.value
        self.secret_field.value = ""
        return self._connect_with(secret, threading.Event())

    def start(self) -> threading.Thread | None:
        """Connect in a background thread (what Connect does); None if one is running already.
        `join()` waits for it."""
        if self._busy():
            return None
        secret = self.secret_field.value
        self.secret_field.value = ""
        return self._in_background("aura-nb-connect", self._connect_with, secret, threading.Event())

    def cancel(self) -> None:
        """Stop waiting for the running Connect (same as Cancel): the form is ready again."""
        attempt = self._attempt
        if attempt is None or attempt.is_set():
            return
        attempt.set()
        self._client_obj = None
        self._state = "cancelled"
        self._show("warn", "Stopped waiting; nothing was saved. Check the base URL and the "
                           "network, then Connect again.")
        self._end_attempt()

    # -- handlers --------------------------------------------------------------------------------
    def _on_connect_click(self, button: widgets.Button) -> None:
        self.start()

    def _on_cancel_click(self, button: widgets.Button) -> None:
        self.cancel()

    def _on_simulator_change(self, change: Any) -> None:
        real = not self.simulator_checkbox.value
        for field in (self.client_id_field, self.secret_field, self.base_url_field, self.save_checkbox):
            field.disabled = not real

    # -- internals ---------------------------------------------------------------------------------
    def _connect_with(self, secret: str, cancelled: threading.Event) -> Any:
        """One Connect attempt; its outcome is dropped when ``cancelled`` is set meanwhile."""
        self._attempt = cancelled
        self.connect_button.disabled = True
        self.cancel_button.layout.display = None
        self._state = "working"
        ticker = threading.Thread(target=self._tick, args=(cancelled, time.monotonic()),
                                  name="aura-nb-connect-ticker", daemon=True)
        self._show("info", "Connecting\u2026")
        ticker.start()
        client, line = None, ""
        try:
            client = self._connect(secret or None)
            tenants = client.list_tenants()
        except Exception as exc:
            client = None
            line = self._failure_line(exc, typed=bool(secret))
        else:
            count = len(tenants)
            line = f"{client.describe().rstrip('.')} \u2014 {count} tenant{'s' if count != 1 else ''}."
        if cancelled.is_set():  # the learner stopped waiting: drop this late answer
            return None
        cancelled.set()  # stops the ticker
        self._client_obj = client
        if client is None:
            self._state = "error"
            self._show("error", line)
        else:
            self._state = "connected"
            saved = self._maybe_save(secret)
            self._show("ok" if not saved.startswith("Not saved") else "warn", f"{line} {saved}".strip())
        secret = ""
        self._end_attempt()
        if client is not None:
            self._notify(client)
        return client

    def _tick(self, stop: threading.Event, started: float) -> None:
        """Count the seconds on the status line while a Connect waits (until ``stop`` is set)."""
        while not stop.wait(1.0):
            waited = duration_text(time.monotonic() - started)
            self._show("info", f"Connecting\u2026 {waited} (Cancel stops waiting)")

    def _end_attempt(self) -> None:
        self.cancel_button.layout.display = "none"
        self.connect_button.disabled = False

    def _failure_line(self, exc: BaseException, *, typed: bool) -> str:
        """One line for a failed Connect; a refused secret points to the form, not the environment."""
        if not isinstance(exc, AuthenticationFailed):
            return error_line(exc)
        which = "the secret typed above" if typed else "the configured secret (environment or .env)"
        status = f" ({exc.status_code})" if exc.status_code else ""
        return (f"The API refused client id {self.client_id_field.value.strip()!r} with {which}"
                f"{status}. Check the id, type the secret again (Aura console, API keys) and "
                "click Connect; nothing was saved.")

    def _connect(self, secret: str | None) -> Any:
        if self.simulator_checkbox.value:
            return _simulator_client()
        return AuraClient(client_id=self.client_id_field.value.strip() or None,
                          client_secret=secret,
                          base_url=self.base_url_field.value.strip() or None,
                          timeout=config.interactive_timeout())

    def _maybe_save(self, secret: str) -> str:
        if not self.save_checkbox.value or self.simulator_checkbox.value:
            return ""
        values = {"AURA_CLIENT_ID": self.client_id_field.value.strip()}
        if secret:
            values["AURA_CLIENT_SECRET"] = secret
        if self.base_url_field.value.strip():
            values["AURA_BASE_URL"] = self.base_url_field.value.strip()
        values = {k: v for k, v in values.items() if v}
        try:
            path = save_env(self._env_file, values)
        except OSError as exc:
            return f"Not saved to {self._env_file}: {exc.strerror or type(exc).__name__}."
        return f"Saved {', '.join(values)} to {path} (mode 0600)."

    @staticmethod
    def _secret_note(is_set: bool) -> str:
        return ("<i>secret: set (environment or .env)</i>" if is_set else "<i>secret: not set</i>")

    def _repr_fields(self) -> list[tuple[str, Any]]:
        mode = getattr(self._client_obj, "mode", None)
        if mode is None and self.simulator_checkbox.value:
            mode = "simulator"
        elif mode is None:
            try:
                mode = mode_for(self.base_url_field.value.strip())
            except ConfigurationError:  # a bad AURA_NB_MODE: said when connecting, not by a repr
                mode = "unknown"
        return [("mode", mode), ("state", self._state)]


def _default_env_file() -> Path:
    return config.dotenv_path() or Path.cwd() / ".env"


def _configured() -> dict[str, Any]:
    """What the environment and ``.env`` configure: id, base URL and whether a secret is set."""
    return {
        "client_id": config.lookup("AURA_CLIENT_ID")[0],
        "secret_set": config.lookup("AURA_CLIENT_SECRET")[0] is not None,
        "base_url": config.lookup("AURA_BASE_URL")[0],
    }


def _simulator_client() -> Any:
    """A client for the kit's embedded in-process simulator (started on first use)."""
    return embedded_client(note="local simulator chosen in the form",
                           timeout=config.interactive_timeout())

"""CredentialsForm: API client id and secret in, a connected AuraClient out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dotenv
import ipywidgets as widgets

from aura_nb import config
from aura_nb.client import AuraClient
from aura_nb.credentials import is_simulator_url
from aura_nb.session import embedded_client
from aura_nb.widgets.base import Form


def save_env(path: str | os.PathLike[str], values: dict[str, str]) -> Path:
    """Set ``values`` in the ``.env`` file at ``path``, keeping every other line; mode 0600.

    Each key is written with python-dotenv's ``set_key``, which rewrites the file through a
    temporary file in the same folder and ``os.replace`` (atomic) and keeps the file's mode. An
    existing file is narrowed to 0600 before the first write; a new one is created with 0600.
    Raises OSError when the folder is not writable.
    """
    path = Path(path)
    if path.exists():
        os.chmod(path, 0o600)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    for key, value in values.items():
        dotenv.set_key(path, key, value, quote_mode="always")
    os.chmod(path, 0o600)
    return path


class CredentialsForm(Form):
    """Enter Aura API credentials, get a token and hand on a ready client.

    Fields: client id (Text), client secret (Password, blanked as soon as it is read), base URL,
    a "use the local simulator" switch and "save to .env". The id and base URL are pre-filled
    from the environment or ``.env``; the secret is only reported as set or not set. Leaving the
    secret blank uses the configured one. Connect builds an ``AuraClient`` and lists tenants
    (``POST /oauth/token`` then ``GET /v1/tenants``) so a wrong id or secret is reported at once,
    in the form. With the simulator switch on it uses the kit's embedded simulator instead.

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

        self.simulator_checkbox.observe(self._on_simulator_change, names="value")
        self.connect_button.on_click(self._on_connect_click)
        super().__init__([
            self.simulator_checkbox,
            self.client_id_field,
            widgets.HBox([self.secret_field, self.secret_hint]),
            self.base_url_field,
            self.save_checkbox,
            self.connect_button,
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
        """Connect with the form's fields (same as clicking Connect); return the client or None.

        Reads and blanks the secret, builds the client, fetches a token and lists tenants. Errors
        (nothing configured, refused credentials, a bad URL, 5xx, no connection) are shown in the
        form as one line and leave ``client`` None and ``.env`` untouched.
        """
        secret = self.secret_field.value
        self.secret_field.value = ""
        client = None
        with self._working(self.connect_button, "Connecting\u2026"):
            try:
                client = self._connect(secret or None)
                tenants = client.list_tenants()
            except Exception as exc:
                client = None
                self._client_obj = None
                self._fail(exc)
            else:
                self._client_obj = client
                self._state = "connected"
                message = f"{client.describe().rstrip('.')} \u2014 {len(tenants)} tenant{'s' if len(tenants) != 1 else ''}."
                saved = self._maybe_save(secret)
                self._show("ok" if not saved.startswith("Not saved") else "warn",
                           f"{message} {saved}".strip())
            finally:
                secret = ""
        if client is not None:
            self._notify(client)
        return client

    # -- handlers --------------------------------------------------------------------------------
    def _on_connect_click(self, button: widgets.Button) -> None:
        self.submit()

    def _on_simulator_change(self, change: Any) -> None:
        real = not self.simulator_checkbox.value
        for field in (self.client_id_field, self.secret_field, self.base_url_field, self.save_checkbox):
            field.disabled = not real

    # -- internals ---------------------------------------------------------------------------------
    def _connect(self, secret: str | None) -> Any:
        if self.simulator_checkbox.value:
            return _simulator_client()
        return AuraClient(client_id=self.client_id_field.value.strip() or None,
                          client_secret=secret,
                          base_url=self.base_url_field.value.strip() or None)

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
        if mode is None:
            simulated = self.simulator_checkbox.value or is_simulator_url(self.base_url_field.value.strip())
            mode = "simulator" if simulated else "real"
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
    return embedded_client(note="local simulator chosen in the form")

"""A JupyterHub's REST API and, through its proxy, each user's Jupyter server: what
``provision --hub`` and ``teardown --hub`` send (`aura_nb.workshop.hub` decides what).

Every request carries the hub token (``Authorization: token ...``), never shown; every refusal or
silence is one :class:`HubError` line. The token needs the scopes `SCOPES`, and no more.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import quote

import requests

from .spec import WorkshopError

__all__ = ["SCOPES", "ENV_ROUTE", "Hub", "HubError", "HubUser", "UserServer", "hub_token"]

#: The hub token's scopes, and no more: list the users (their names and whether they are admins),
#: start servers and read their state, reach the servers' APIs. ``read:users`` is not needed
#: (checked on JupyterHub 6.1: ``list:users`` shows ``admin``, ``servers`` the server's state).
SCOPES = ("list:users", "servers", "access:servers")
ENV_ROUTE = "aura-nb/env-file"


class HubError(WorkshopError):
    """The hub refused, did not answer, or answered something unusable. One line, never the
    token."""


def hub_token(token_file: str | os.PathLike | None = None) -> str:
    """The hub API token: the first line of ``token_file``, else ``JUPYTERHUB_API_TOKEN``.
    Raises :class:`HubError` saying how to give one."""
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip().splitlines()[0:1]
        except OSError as exc:
            raise HubError(f"cannot read the hub token file {token_file} ({exc.strerror}); check the path") from None
        if token and token[0].strip():
            return token[0].strip()
        raise HubError(f"the hub token file {token_file} is empty; put the service's token in it")
    token_text = (os.environ.get("JUPYTERHUB_API_TOKEN") or "").strip()
    if not token_text:
        raise HubError("no hub token: set JUPYTERHUB_API_TOKEN or pass --hub-token-file FILE "
                       f"(a token with the scopes {', '.join(SCOPES)})")
    return token_text


@dataclass(frozen=True)
class HubUser:
    """A hub user as the REST API shows it: ``name``, ``admin``, and their default server's
    ``ready``, ``pending`` (``"spawn"``...) and ``url`` (``/user/<name>/``, empty when none)."""

    name: str
    admin: bool = False
    ready: bool = False
    pending: str = ""
    url: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "HubUser":
        server = (data.get("servers") or {}).get("") or {}
        return cls(name=str(data.get("name") or ""), admin=bool(data.get("admin")),
                   ready=bool(server.get("ready")), pending=str(server.get("pending") or data.get("pending") or ""),
                   url=str(server.get("url") or ""))


class Hub:
    """The hub's REST API and, through its proxy, each user's Jupyter server.

    ``Hub(url, token)``: ``url`` is what attendees open (``http://127.0.0.1:8000``); every request
    carries ``Authorization: token ...`` and gives up after ``timeout`` seconds. Raises
    :class:`HubError` (one line) for refusals and silence."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0, poll: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.poll = poll
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"token {token}"

    def __repr__(self) -> str:
        return f"Hub({self.url!r})"

    def close(self) -> None:
        self._session.close()

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        """One request to ``url + path``; an answer outside ``ok`` raises :class:`HubError`."""
        try:
            answer = self._session.request(method, self.url + path, timeout=self.timeout,
                                           allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise HubError(f"the hub at {self.url} did not answer {method} {path} "
                           f"({exc.__class__.__name__}); is it running?") from None
        if answer.status_code in ok:
            return answer
        if answer.status_code in (401, 403):
            raise HubError(f"the hub refused {method} {path} ({answer.status_code}): give the token's "
                           f"service the scopes {', '.join(SCOPES)}")
        try:
            message = str(answer.json().get("message") or "")
        except ValueError:
            message = ""
        raise HubError(f"{method} {path} -> {answer.status_code}" + (f": {' '.join(message.split())[:200]}" if message else ""))

    # ---------------------------------------------------------------- users and servers
    def users(self) -> list[HubUser]:
        """Every hub user (``GET /hub/api/users``), by name."""
        data = self.call("GET", "/hub/api/users").json()
        return sorted((HubUser.from_api(u) for u in data), key=lambda u: u.name)

    def user(self, name: str) -> HubUser | None:
        """One user (``GET /hub/api/users/{name}``), ``None`` when the hub has no such user."""
        answer = self.call("GET", f"/hub/api/users/{quote(name, safe='')}", ok=(200, 404))
        return HubUser.from_api(answer.json()) if answer.status_code == 200 else None

    def running(self, name: str, timeout: float, progress: Callable[[str], None]) -> tuple[HubUser, bool]:
        """The user with their server ready: ``(user, started_now)``. Starts it when it is not
        running (``POST /hub/api/users/{name}/server``) and polls the user until it is ready.
        Raises :class:`HubError` when the user is missing or the server does not start."""
        user = self.user(name)
        if user is None:
            raise HubError(f"the hub has no user {name!r}")
        if user.ready:
            return user, False
        if not user.pending:
            self.call("POST", f"/hub/api/users/{quote(name, safe='')}/server", ok=(201, 202, 400))
        started = time.monotonic()
        progress("starting their server")
        said = 0.0
        while True:
            user = self.user(name)
            if user is None:
                raise HubError(f"the hub has no user {name!r} any more")
            if user.ready:
                return user, True
            waited = time.monotonic() - started
            if not user.pending and waited > self.poll * 4:
                raise HubError("the server stopped while starting (the hub's log says why)")
            if waited > timeout:
                raise HubError(f"the server was not ready after {timeout:g} s")
            if waited - said >= 5:
                said = waited
                progress(f"server still starting ({waited:.0f} s)")
            self._sleep(self.poll)

    def server(self, user: HubUser) -> "UserServer":
        """That user's Jupyter server, reached through the hub's proxy."""
        return UserServer(self, user.url or f"/user/{quote(user.name, safe='')}/")


class UserServer:
    """One user's Jupyter server: the contents API and the kit's ``.env`` extension."""

    def __init__(self, hub: Hub, prefix: str) -> None:
        self.hub = hub
        self.prefix = prefix.rstrip("/")

    def _contents(self, path: str) -> str:
        return f"{self.prefix}/api/contents/{quote(path)}"

    def folder(self, path: str) -> list[str] | None:
        """The names in folder ``path`` (hidden ones left out, as the contents API does), or
        ``None`` when there is no such folder."""
        answer = self.hub.call("GET", self._contents(path), ok=(200, 404))
        model = answer.json() if answer.status_code == 200 else {}
        return [m["name"] for m in model.get("content") or []] if model.get("type") == "directory" else None

    def stat(self, path: str) -> dict | None:
        """The contents model of file ``path`` without its content but with its SHA-256
        (``None`` when absent). A server too old to hash gives the content, hashed here."""
        answer = self.hub.call("GET", self._contents(path), ok=(200, 404), params={"content": 0, "hash": 1})
        if answer.status_code == 404:
            return None
        model = answer.json()
        if not model.get("hash"):
            full = self.hub.call("GET", self._contents(path), params={"format": "base64", "type": "file"}).json()
            model["hash"] = hashlib.sha256(base64.b64decode(full.get("content") or "")).hexdigest()
        return model

    def make_folder(self, path: str) -> None:
        self.hub.call("PUT", self._contents(path), ok=(200, 201), json={"type": "directory"})

    def put_text(self, path: str, text: str) -> None:
        """Write ``text`` byte for byte (a notebook too: saved as a file, not re-serialised)."""
        self.hub.call("PUT", self._contents(path), ok=(200, 201),
                      json={"type": "file", "format": "text", "content": text})

    def delete(self, path: str) -> None:
        self.hub.call("DELETE", self._contents(path), ok=(204, 404))

    def env_state(self, folder: str) -> dict:
        """``{"exists", "mode", "sha256"}`` of ``<folder>/.env``. Raises :class:`HubError` when
        the server does not load the kit's extension."""
        answer = self.hub.call("GET", f"{self.prefix}/{ENV_ROUTE}/{quote(folder)}", ok=(200, 404))
        if answer.status_code == 404 or "json" not in answer.headers.get("Content-Type", ""):
            raise HubError("this server does not load aura_nb's server extension, so .env cannot be written "
                           "with mode 0600; add --ServerApp.jpserver_extensions=aura_nb.workshop.hub_server=True "
                           "to the hub's Spawner.args (README: a class on JupyterHub)")
        return answer.json()

    def put_env(self, folder: str, text: str) -> dict:
        return self.hub.call("PUT", f"{self.prefix}/{ENV_ROUTE}/{quote(folder)}", json={"content": text}).json()

    def delete_env(self, folder: str) -> None:
        self.hub.call("DELETE", f"{self.prefix}/{ENV_ROUTE}/{quote(folder)}", ok=(204,))

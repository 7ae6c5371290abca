"""A Jupyter server extension that writes a workshop hand-out's ``.env`` with mode 0600.

Jupyter's contents API cannot do it: it refuses hidden files (``.env``) unless the server allows
them, and it creates files with the server's umask, so a password would be readable by every
account on the machine. Loaded into each attendee's server (``jupyterhub_config.py``:
``--ServerApp.jpserver_extensions=aura_nb.workshop.hub_server=True``), it serves one URL,
``<server>/aura-nb/env-file/<folder>``, for the file ``<folder>/.env`` under the server's root:

- ``GET``: ``{"exists": bool, "mode": "0600" | null, "sha256": hex | null}`` (never the content);
- ``PUT`` with ``{"content": text}``: writes it atomically with mode 0600 (the vault's writer),
  answers as ``GET``; the folder must exist (the contents API makes it);
- ``DELETE``: removes the file (``204``, also when it was not there).

It writes nothing else, no other name than ``.env``, and nothing outside the server's root
folder. Requests need the same permission as the contents API (an attendee's own login, or a hub
token with ``access:servers`` for that server).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from aura_nb.core.vault import write_private

ENV_NAME = ".env"
ROUTE = "aura-nb/env-file"


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "aura_nb.workshop.hub_server"}]


def env_file_state(path: Path) -> dict:
    """What a caller may learn about the file: whether it exists, its mode, its SHA-256."""
    try:
        data = path.read_bytes()
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return {"exists": False, "mode": None, "sha256": None}
    return {"exists": True, "mode": f"{mode:04o}", "sha256": hashlib.sha256(data).hexdigest()}


class EnvFileHandler(APIHandler):
    """``GET``/``PUT``/``DELETE`` ``<base>/aura-nb/env-file/<folder>`` (see the module docstring)."""

    auth_resource = "contents"

    def _target(self, folder: str) -> Path:
        root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        parts = [p for p in folder.strip("/").split("/") if p]
        if not parts or any(p in (".", "..") or p.startswith(".") for p in parts):
            raise web.HTTPError(400, "give a folder under the server's root, without hidden or '..' parts")
        base = root.joinpath(*parts).resolve()
        if root not in base.parents:
            raise web.HTTPError(400, "the folder must be under the server's root")
        return base / ENV_NAME

    @web.authenticated
    @authorized
    def get(self, folder: str) -> None:
        self.finish(json.dumps(env_file_state(self._target(folder))))

    @web.authenticated
    @authorized
    def put(self, folder: str) -> None:
        target = self._target(folder)
        if not target.parent.is_dir():
            raise web.HTTPError(404, "no such folder: make it first (contents API)")
        try:
            content = json.loads(self.request.body or b"{}")["content"]
        except (ValueError, KeyError, TypeError):
            raise web.HTTPError(400, 'send JSON {"content": "..."}') from None
        if not isinstance(content, str):
            raise web.HTTPError(400, "content must be text")
        write_private(target, content)
        self.finish(json.dumps(env_file_state(target)))

    @web.authenticated
    @authorized
    def delete(self, folder: str) -> None:
        target = self._target(folder)
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        self.set_status(204)
        self.finish()


def _load_jupyter_server_extension(serverapp) -> None:  # noqa: ANN001 - jupyter_server's ServerApp
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, ROUTE, "(.*)"), EnvFileHandler)])

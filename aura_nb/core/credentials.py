"""API client credentials and where they come from: explicit argument -> environment -> ``.env``.

`ClientCredentials` never shows its secret (its repr masks it); `resolve_credentials` raises
`CredentialsUnavailable` naming every variable and place it looked at, never a value.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import config
from .envfile import set_env_values
from .display import mask
from .errors import ConfigurationError, CredentialsUnavailable
from .vault import write_private

__all__ = [
    "save_env",
    "ClientCredentials",
    "resolve_credentials",
    "credentials_configured",
    "normalize_base_url",
    "is_loopback_url",
    "is_simulator_url",
    "mode_for",
    "SOURCES",
]

#: Where credentials can come from (`ClientCredentials.source` joins several with ``+``), and
#: how `ClientCredentials.source_text` words each.
SOURCES = {
    "argument": "arguments",
    "environment": "the environment",
    ".env": ".env",
    "simulator default": "the simulator's default client",
}


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is ``localhost`` or a loopback address (the local simulator).
    The simulator restates this rule in `aura_nb.simulator.loopback`: it imports nothing of
    the client."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_simulator_url(url: str) -> bool:
    """True for a simulator's URL: a loopback host, or any plain ``http://`` URL (the real API is
    https only; `normalize_base_url` accepts http beyond loopback only with AURA_ALLOW_HTTP=1)."""
    return is_loopback_url(url) or urlsplit(url.strip()).scheme == "http"


def mode_for(base_url: str) -> str:
    """The one reading of the mode for an API at ``base_url``: ``"real"`` when
    ``AURA_NB_MODE=real`` (read now, each call) or the URL is not a simulator's, else
    ``"simulator"``. The client, its transport, `aura_nb.connect` and the forms all ask here.
    Raises `ConfigurationError` for a bad ``AURA_NB_MODE``."""
    if config.nb_mode() == "real" or not is_simulator_url(base_url):
        return "real"
    return "simulator"


def normalize_base_url(url: str) -> str:
    """Check and tidy an API base URL: scheme and host only, no trailing slash or ``/v1``.

    Raises `ConfigurationError` for anything else, and for plain ``http://`` to a non-loopback
    host (the client secret must never travel unencrypted) unless ``AURA_ALLOW_HTTP=1`` opts in
    for a room's shared simulator."""
    raw = (url or "").strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"AURA_BASE_URL must look like https://api.neo4j.io (scheme and host), got {raw!r}"
        )
    path = parts.path.rstrip("/")
    if path in ("/v1",):
        path = ""
    if path or parts.query or parts.fragment:
        raise ConfigurationError(
            f"AURA_BASE_URL must be the API host without a path (like https://api.neo4j.io), "
            f"got {raw!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError("AURA_BASE_URL must not contain a user name or password")
    if parts.scheme == "http" and not is_loopback_url(raw) and not config.allow_http():
        raise ConfigurationError(
            f"AURA_BASE_URL {parts.scheme}://{parts.netloc} uses plain http; use https:// "
            "(plain http is accepted only for a local simulator on 127.0.0.1, or for a room's "
            "shared simulator with AURA_ALLOW_HTTP=1)"
        )
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class ClientCredentials:
    """An API client id and secret plus the base URL they belong to.

    ``source`` says where they were found: ``"argument"``, ``"environment"``, ``".env"`` (id
    and secret from different places are joined with ``+``, like ``".env+environment"``), or
    ``"simulator default"`` when `aura_nb.connect` picked a simulator's own default client
    because nothing was configured. The repr masks the secret (a client id is not a secret: shown as is)."""

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = config.DEFAULT_BASE_URL
    source: str = "argument"

    @property
    def mode(self) -> str:
        """`mode_for` the base URL: ``"simulator"`` for a loopback address or plain http (the
        real API is https only) unless ``AURA_NB_MODE=real``, else ``"real"``."""
        return mode_for(self.base_url)

    @property
    def source_text(self) -> str:
        """`source` in words for a sentence: ``"credentials from the environment"``,
        ``"credentials from arguments and .env"``, ``"the simulator's default client"``."""
        if self.source == "simulator default":
            return SOURCES[self.source]
        places = [SOURCES.get(part, part) for part in self.source.split("+") if part]
        return "credentials from " + " and ".join(places or ["an unknown place"])

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(client_id={self.client_id!r}, "
            f"client_secret={mask(self.client_secret)!r}, base_url={self.base_url!r}, source={self.source!r})"
        )

    __str__ = __repr__


def _looked_for(name: str) -> str:
    return "/".join(config.VARIABLES[name].names)


def resolve_credentials(
    client_id: str | None = None,
    client_secret: str | None = None,
    base_url: str | None = None,
) -> ClientCredentials:
    """Find the client id, secret and base URL: explicit argument, then the environment, then
    ``.env`` (found from the current directory upwards), each value on its own.

    Raises `CredentialsUnavailable` when the id or the secret is missing everywhere (the message
    names the variables and places looked at), `ConfigurationError` for a malformed base URL."""
    sources = []
    values = {}
    for name, explicit in (("AURA_CLIENT_ID", client_id), ("AURA_CLIENT_SECRET", client_secret)):
        if explicit is not None and str(explicit).strip():
            values[name], source = str(explicit).strip(), "argument"
        else:
            values[name], source = config.lookup(name)
        sources.append(source)

    missing = [name for name in ("AURA_CLIENT_ID", "AURA_CLIENT_SECRET") if not values[name]]
    if missing:
        dotenv = config.dotenv_path()
        where = f".env at {dotenv}" if dotenv else "a .env file (none found from this folder up)"
        what = " and ".join(_looked_for(n) for n in missing)
        found = [n for n in ("AURA_CLIENT_ID", "AURA_CLIENT_SECRET") if n not in missing]
        partial = f" ({found[0]} is set)" if found else ""
        raise CredentialsUnavailable(
            f"No Aura API credentials: looked for {what} as arguments, in the environment and in "
            f"{where}{partial}. Set both, copy .env.example to .env and fill it in, or call "
            "aura_nb.connect() with nothing configured to use the local simulator"
        )

    if base_url is not None and str(base_url).strip():
        url = str(base_url)
    else:
        url = config.base_url()
    distinct = sorted(set(s for s in sources if s))
    return ClientCredentials(
        client_id=values["AURA_CLIENT_ID"],
        client_secret=values["AURA_CLIENT_SECRET"],
        base_url=normalize_base_url(url),
        source="+".join(distinct),
    )


def credentials_configured() -> bool:
    """True when a client id and secret are available from the environment or ``.env``."""
    try:
        resolve_credentials()
    except CredentialsUnavailable:
        return False
    except ConfigurationError:
        return True  # configured, just malformed: let the caller see that error
    return True


def save_env(path: str | os.PathLike[str], values: dict[str, str]) -> Path:
    """Set ``values`` in the ``.env`` file at ``path``, keeping every other line; mode 0600.

    The values are written by `aura_nb.core.envfile` (they read back exactly, never expanded)
    and the file is replaced atomically (`aura_nb.core.vault.write_private`: temporary file,
    fsync, ``os.replace``) with mode 0600. Raises OSError when the folder is not writable.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return write_private(path, set_env_values(text, values))

"""Every environment variable aura_nb reads, with its default, in one place.

Values are read per call (never at import), from the process environment first and then from a
``.env`` file found from the current directory upwards (python-dotenv; the file never overrides
the environment and is never copied into ``os.environ``). `.env.example` documents every
variable in `VARIABLES` for the user (a test keeps the two in step).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dotenv import find_dotenv

from .errors import ConfigurationError

__all__ = [
    "Variable",
    "VARIABLES",
    "DEFAULT_BASE_URL",
    "dotenv_path",
    "lookup",
    "get",
    "base_url",
    "tenant",
    "nb_home",
    "vault_dir",
    "timeout",
    "rate_limit",
    "simulator_speed",
    "simulator_account",
    "nb_mode",
    "allow_http",
    "tutorial_instance",
]

DEFAULT_BASE_URL = "https://api.neo4j.io"


@dataclass(frozen=True)
class Variable:
    """One setting: its environment variable, accepted aliases, default and meaning."""

    name: str
    meaning: str
    default: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The variable's name followed by its aliases, in lookup order."""
        return (self.name, *self.aliases)


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("AURA_CLIENT_ID", "API client id (Aura console > API keys)", None,
                 ("AURA_API_CLIENT_ID",)),
        Variable("AURA_CLIENT_SECRET", "API client secret", None, ("AURA_API_CLIENT_SECRET",)),
        Variable("AURA_BASE_URL", "API host without /v1", DEFAULT_BASE_URL),
        Variable("AURA_TENANT", "tenant (project) name or id used when a call needs one", None),
        Variable("AURA_NB_HOME", "folder for the vault, hand-outs and simulator state",
                 "~/.aura_nb"),
        Variable("AURA_VAULT_DIR", "where one-time instance credentials are written",
                 "$AURA_NB_HOME/vault"),
        Variable("AURA_TIMEOUT", "time budget of one API call in seconds (retries, backoff and "
                 "name resolution included)", "30"),
        Variable("AURA_RATE_LIMIT", "requests per minute the client allows itself (0 = off)",
                 "125"),
        Variable("AURA_POLL_INTERVAL", "longest gap in seconds between two status requests "
                 "while waiting (empty: the kit's schedule, learned from earlier waits)", None),
        Variable("AURA_CREATE_GRACE", "seconds (server time) after an unanswered create during "
                 "which a listing without the instance does not prove it was not created; a "
                 "later create of that name waits until then", "120"),
        Variable("AURA_SIMULATOR_SPEED", "speed factor of a simulator the kit starts itself", "10"),
        Variable("AURA_SIMULATOR_ACCOUNT", "kind of account a simulator the kit starts plays: "
                 "free, professional or enterprise (empty: the default world)", None),
        Variable("AURA_NB_MODE", "real = treat any API, a loopback simulator too, as a real "
                 "account (no simulator admin surface, speed 1); auto = decide by the URL",
                 "auto"),
        Variable("AURA_TUTORIAL_INSTANCE", "name of the instance notebooks 03-06 create or use "
                 "(a workshop's hub hand-out sets the attendee's own)", "nb-tutorial"),
        Variable("AURA_ALLOW_HTTP", "1 = allow plain http to a non-loopback host (a room's "
                 "shared simulator; the secret travels unencrypted)", "0"),
    )
}


def dotenv_path() -> Path | None:
    """The ``.env`` file that would be read (searched from the current directory upwards), or
    ``None`` when there is none."""
    found = find_dotenv(usecwd=True)
    return Path(found) if found else None


def _dotenv_values() -> dict[str, str]:
    path = dotenv_path()
    if path is None:
        return {}
    from .envfile import read_env  # values read back exactly: never ${VAR}-expanded

    return read_env(path)


def lookup(
    name: str, environ: Mapping[str, str] | None = None, dotenv: Mapping[str, str] | None = None
) -> tuple[str | None, str | None]:
    """Find a variable (or one of its aliases): ``(value, source)`` where source is
    ``"environment"`` or ``".env"``, or ``(None, None)`` when unset. Empty values count as unset.

    ``environ``/``dotenv`` replace ``os.environ`` and the ``.env`` file (for tests)."""
    names = VARIABLES[name].names if name in VARIABLES else (name,)
    env = os.environ if environ is None else environ
    for candidate in names:
        value = (env.get(candidate) or "").strip()
        if value:
            return value, "environment"
    file_values = _dotenv_values() if dotenv is None else dotenv
    for candidate in names:
        value = (file_values.get(candidate) or "").strip()
        if value:
            return value, ".env"
    return None, None


def get(name: str) -> str | None:
    """The value of a setting from the environment or ``.env``, else its default (or ``None``)."""
    value, _ = lookup(name)
    if value is not None:
        return value
    return VARIABLES[name].default if name in VARIABLES else None


def _number(name: str, minimum: float) -> float:
    raw = get(name)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        default = VARIABLES[name].default
        raise ConfigurationError(
            f"{name} must be a number, got {raw!r}; unset it to use "
            + (f"the default {default}" if default else "the kit's default")
        ) from None
    if not math.isfinite(value) or value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum:g} (and finite), got {raw!r}")
    return value


def base_url() -> str:
    """``AURA_BASE_URL`` or ``https://api.neo4j.io`` (not yet validated; see credentials)."""
    return get("AURA_BASE_URL") or DEFAULT_BASE_URL


def tenant() -> str | None:
    """``AURA_TENANT``: the tenant (project) name or id to use when a call needs one."""
    return get("AURA_TENANT")


def nb_home() -> Path:
    """``AURA_NB_HOME`` (default ``~/.aura_nb``), user-expanded."""
    return Path(os.path.expanduser(get("AURA_NB_HOME") or "~/.aura_nb"))


def vault_dir() -> Path:
    """``AURA_VAULT_DIR`` (default ``$AURA_NB_HOME/vault``), user-expanded."""
    value, _ = lookup("AURA_VAULT_DIR")
    return Path(os.path.expanduser(value)) if value else nb_home() / "vault"


def timeout() -> float:
    """``AURA_TIMEOUT`` in seconds (default 30). Raises `ConfigurationError` if not > 0."""
    return _number("AURA_TIMEOUT", 0.001)


#: Seconds one call from a form or ``%aura`` may wait for an answer, so that an interactive
#: front-end never sits silent for long (the CLI and scripts keep ``AURA_TIMEOUT``).
INTERACTIVE_TIMEOUT = 10.0


def interactive_timeout() -> float:
    """The timeout the forms and ``%aura`` give the clients they make: `INTERACTIVE_TIMEOUT`,
    or ``AURA_TIMEOUT`` when that is smaller."""
    return min(INTERACTIVE_TIMEOUT, timeout())


def rate_limit() -> int:
    """``AURA_RATE_LIMIT`` in requests per minute (default 125, 0 = no pacing).
    Raises `ConfigurationError` when negative or not a number."""
    return int(_number("AURA_RATE_LIMIT", 0))


def poll_interval() -> float | None:
    """``AURA_POLL_INTERVAL`` in seconds, or ``None`` when unset (waits then follow their learned
    schedule). Raises `ConfigurationError` when not a positive number."""
    if not get("AURA_POLL_INTERVAL"):
        return None
    return _number("AURA_POLL_INTERVAL", 0.001)


def create_grace() -> float:
    """``AURA_CREATE_GRACE`` in server seconds (default 120): how long after an unanswered
    ``POST /v1/instances`` a listing must have been taken to prove the create did not happen.
    The reference documents no figure for how long a create may take to be listed (only that
    an instance takes minutes to run); 120 s is the kit's own choice, four times the default
    call budget. Raises `ConfigurationError` when negative or not a number."""
    return _number("AURA_CREATE_GRACE", 0)


def simulator_speed() -> float:
    """``AURA_SIMULATOR_SPEED`` (default 10). Raises `ConfigurationError` if not > 0."""
    return _number("AURA_SIMULATOR_SPEED", 0.001)


def simulator_account() -> str | None:
    """``AURA_SIMULATOR_ACCOUNT`` lower-cased (``free``, ``professional``, ``enterprise``), or
    ``None`` for the default world. The simulator checks the kind when it starts."""
    value = get("AURA_SIMULATOR_ACCOUNT")
    return value.strip().lower() if value and value.strip() else None


NB_MODES = ("auto", "real")


def nb_mode() -> str:
    """``AURA_NB_MODE``: ``"auto"`` (default: a loopback or plain-http URL is a simulator) or
    ``"real"`` (every API is treated as a real account, so the real-mode path can be tried
    against a local simulator). Raises `ConfigurationError` for another value."""
    raw = (get("AURA_NB_MODE") or "auto").strip().lower()
    if raw not in NB_MODES:
        raise ConfigurationError(f"AURA_NB_MODE must be auto or real, got {raw!r}")
    return raw


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def allow_http() -> bool:
    """``AURA_ALLOW_HTTP`` (default off): True lets the client use plain ``http://`` to a host
    that is not a loopback address, for a simulator shared by a room. Raises
    `ConfigurationError` for a value that is not one of 1/0, true/false, yes/no, on/off."""
    raw = (get("AURA_ALLOW_HTTP") or "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(f"AURA_ALLOW_HTTP must be 1 or 0, got {raw!r}")



def tutorial_instance() -> str:
    """``AURA_TUTORIAL_INSTANCE``: the instance notebooks 03-06 create or use (default
    ``nb-tutorial``). A workshop's hub hand-out (`.env`) names the attendee's own instance, so
    that each attendee of a class sharing one project works on theirs."""
    return get("AURA_TUTORIAL_INSTANCE") or VARIABLES["AURA_TUTORIAL_INSTANCE"].default or ""

"""`connect()`: a ready client for the configured API, or for an embedded simulator.

With real credentials configured (arguments, environment or ``.env``) it returns a client for
them. With nothing configured at all it starts one in-process simulator per Python process (a
daemon thread, speed ``AURA_SIMULATOR_SPEED``) and returns a client for that, so every notebook
works offline. ``client.describe()`` says which mode is active.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

import requests

from .core import config
from .core.client import AuraClient
from .core.errors import ConfigurationError, CredentialsUnavailable
from .core.credentials import ClientCredentials, is_simulator_url, normalize_base_url, \
    resolve_credentials

__all__ = ["connect", "embedded_simulator", "stop_embedded_simulator", "is_embedded"]

log = logging.getLogger("aura_nb")

#: The client the simulator knows by default (docs/DESIGN.md, "Default world").
DEFAULT_SIMULATOR_CLIENT = ("simulator-client", "simulator-secret")

_embedded: Any = None
_embedded_lock = threading.Lock()


def is_embedded(base_url: str) -> bool:
    """Whether ``base_url`` is this process's embedded simulator (which stops with the process,
    so no other process may be given its URL)."""
    sim = _embedded
    return sim is not None and sim.base_url.rstrip("/") == base_url.rstrip("/")


def embedded_simulator() -> Any:
    """The process's embedded `aura_nb.simulator.Simulator`, started on first use (seed 0,
    speed ``AURA_SIMULATOR_SPEED``, account kind ``AURA_SIMULATOR_ACCOUNT``, on 127.0.0.1 with
    a free port) and stopped at exit. Raises `ConfigurationError` for an unknown account kind."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            from .simulator import Simulator

            account = config.simulator_account()
            try:
                sim = Simulator(seed=0, speed=config.simulator_speed(), account=account)
            except ValueError as exc:
                raise ConfigurationError(
                    f"AURA_SIMULATOR_ACCOUNT={account!r} is not an account kind the simulator "
                    f"knows ({exc}); use free, professional or enterprise, or unset it") from None
            _embedded = sim.start()
            atexit.register(_embedded.stop)
            log.info("started an embedded Aura API simulator at %s", _embedded.base_url)
        return _embedded


def stop_embedded_simulator() -> None:
    """Stop the process's embedded simulator, if one runs; the next `embedded_simulator()` starts
    a fresh one with the settings then in force (``AURA_SIMULATOR_ACCOUNT`` and speed)."""
    global _embedded
    with _embedded_lock:
        if _embedded is not None:
            _embedded.stop()
            _embedded = None


def _simulator_speed(base_url: str) -> float:
    """Ask a simulator for its speed factor (``GET /_simulator/clock``); fall back to
    ``AURA_SIMULATOR_SPEED`` when it does not say (a shared simulator beyond loopback refuses
    its admin surface to other machines)."""
    from .simulator.remote import SimulatorAdmin

    try:
        with SimulatorAdmin(base_url, timeout=2) as admin:
            speed = admin.speed()
        if speed > 0:
            return speed
    except (requests.RequestException, ValueError, TypeError, AttributeError):
        pass
    return config.simulator_speed()


def connect(**overrides: Any) -> AuraClient:
    """A ready `AuraClient`. Keyword arguments go to `AuraClient` (``client_id``,
    ``client_secret``, ``base_url``, ``credentials``, ``timeout``, ``rate_limit``, ``speed``,
    ``vault_dir``...).

    Credentials resolve explicit -> environment -> ``.env``; ``client.credentials.source`` says
    which. When neither a client id nor a secret is configured anywhere, the client talks to the
    simulator at ``AURA_BASE_URL`` when that is a simulator's URL (loopback, or plain http, which
    beyond loopback needs ``AURA_ALLOW_HTTP=1``) with its default client, else to an embedded
    simulator started once per process (source ``"simulator default"`` either way). For a
    simulator URL the speed factor is asked from the simulator. With ``AURA_NB_MODE=real`` the
    configured API, a loopback simulator too, is treated as a real account: credentials are
    required, no simulator is started or asked anything, speed 1.
    Raises `CredentialsUnavailable` when only one of id/secret is configured (a half-finished
    setup is reported, never silently replaced by the simulator) or none in real mode,
    `ConfigurationError` for bad settings."""
    client_id = overrides.pop("client_id", None)
    client_secret = overrides.pop("client_secret", None)
    base_url = overrides.pop("base_url", None)
    credentials = overrides.pop("credentials", None)
    if credentials is not None:
        if client_id is not None or client_secret is not None or base_url is not None:
            raise ValueError("pass either credentials or client_id/client_secret/base_url")
        return _client_for(credentials, overrides)
    try:
        credentials = resolve_credentials(client_id, client_secret, base_url)
    except CredentialsUnavailable as exc:
        partly = client_id or client_secret or config.lookup("AURA_CLIENT_ID")[0] \
            or config.lookup("AURA_CLIENT_SECRET")[0]
        if partly:
            raise
        if config.nb_mode() == "real":
            raise CredentialsUnavailable(
                f"AURA_NB_MODE=real needs an account's client id and secret, and never starts a "
                f"simulator by itself. {exc}") from None
        url = base_url or config.lookup("AURA_BASE_URL")[0]
        if url and is_simulator_url(url):
            # A simulator of one's own (python -m aura_nb.simulator) with its default client.
            return _client_for(
                _simulator_default(*DEFAULT_SIMULATOR_CLIENT, normalize_base_url(url)),
                overrides, note="no credentials configured: the simulator's default client")
        overrides.setdefault("note", "no real credentials configured")
        return embedded_client(**overrides)
    return _client_for(credentials, overrides)


def embedded_client(**overrides: Any) -> AuraClient:
    """A client for the process's embedded simulator (started on first use), whatever real
    credentials are configured: the forms' "use local simulator" choice. Keyword arguments go to
    `AuraClient`."""
    sim = embedded_simulator()
    overrides.setdefault("speed", sim.clock.speed)
    return _client_for(_simulator_default(sim.client_id, sim.client_secret, sim.base_url),
                       overrides)


def _client_for(credentials: ClientCredentials, overrides: dict[str, Any], note: str = ""
                ) -> AuraClient:
    """The client for resolved credentials; a simulator's speed is asked from it unless given
    (in real mode a simulator is not asked anything: speed 1)."""
    if credentials.mode == "simulator" and "speed" not in overrides:
        overrides["speed"] = _simulator_speed(normalize_base_url(credentials.base_url))
    if note:
        overrides.setdefault("note", note)
    return AuraClient(credentials=credentials, **overrides)


def _simulator_default(client_id: str, client_secret: str, base_url: str) -> ClientCredentials:
    """A simulator's own client, used because nothing was configured."""
    return ClientCredentials(client_id, client_secret, base_url, source="simulator default")

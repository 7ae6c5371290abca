"""What the ``neo4j`` driver needs besides an instance's own URL and password: nothing on Aura,
a name lookup and a certificate authority on a local simulator.

The learner writes the driver code once, the same for both::

    driver = neo4j.GraphDatabase.driver(instance.connection_url, auth=("neo4j", password),
                                        **aura_nb.driver_options(client))

Against the real service `driver_options` is ``{}``. Against a simulator (a base URL on this
machine that serves ``/_bolt``) it is ``{"resolver": ...}``: the resolver sends
``<id>.databases.neo4j.io`` to the simulator's Bolt port on 127.0.0.1 (a paused instance's to a
port that refuses; a deleted one's does not resolve). ``neo4j+s://`` URLs check the server against the
system's CAs only (the driver refuses any other trust setting with them), so the simulator's CA
joins the CAs this process trusts by default: ``SSL_CERT_FILE`` names a file holding the
system's CAs plus each simulator CA seen. That CA is valid for loopback names only (a critical
name constraint), so no real host is trusted any differently.
"""

from __future__ import annotations

import atexit
import os
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import requests

from .credentials import is_loopback_url
from .errors import ConfigurationError

__all__ = ["driver_options", "INSTANCE_DOMAIN"]

#: The domain of every Aura instance's host name.
INSTANCE_DOMAIN = "databases.neo4j.io"

_trust_lock = threading.Lock()
_simulator_cas: list[str] = []            # PEM of every simulator CA this process trusts
_system_cafile: str | None = None         # the default CA file before we named ours
_bundle: Path | None = None


def driver_options(client: Any) -> dict:
    """Keyword arguments for ``neo4j.GraphDatabase.driver`` beside the instance's
    ``connection_url`` and ``auth``: ``{}`` for the real service; for a simulator a ``resolver``
    that leads instance host names to its Bolt endpoint on loopback (and its CA trusted, see the
    module docstring).

    Raises ConfigurationError when the simulator has no Bolt endpoint (``trustme`` missing: install
    ``aura_nb[driver]``).
    """
    base_url = client.base_url
    if not is_loopback_url(base_url):
        return {}
    directory = _directory(base_url, "", client.timeout)
    if directory is None:
        raise ConfigurationError(
            f"the simulator at {base_url} has no Bolt endpoint: install aura_nb[driver] (it "
            "brings trustme) and restart it")
    _trust(directory["ca_pem"])
    return {"resolver": _resolver(base_url, directory.get("domain", INSTANCE_DOMAIN),
                                  client.timeout)}


def _directory(base_url: str, name: str, timeout: float) -> dict | None:
    """``GET /_bolt[/name]`` on the simulator (never through a proxy); ``None`` for a 404."""
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(f"{base_url}/_bolt{name}", timeout=timeout)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def _resolver(base_url: str, domain: str, timeout: float) -> Callable:
    """The driver's ``resolver``: instance host names as the simulator says, others unchanged."""

    def resolve(address):
        host = str(address.host).lower().rstrip(".")
        if not host.endswith("." + domain):
            return [address]
        from neo4j.exceptions import ServiceUnavailable  # the driver is calling: it is there

        try:
            found = _directory(base_url, "/hosts/" + quote(host, safe=""), timeout)
        except requests.RequestException as error:
            raise ServiceUnavailable(f"Failed to resolve {host}: the simulator at {base_url} "
                                     f"did not answer ({type(error).__name__})") from None
        if found is None:                   # the instance is gone: as the driver says for DNS
            raise ServiceUnavailable(f"Failed to DNS resolve address {address}: no such "
                                     "instance (deleted?)")
        return [tuple(found["address"])]

    return resolve


def _trust(ca_pem: str) -> None:
    """Make ``ca_pem`` one of the CAs this process trusts by default (see the module docstring)."""
    global _system_cafile, _bundle
    with _trust_lock:
        ours = _bundle is not None and os.environ.get("SSL_CERT_FILE") == str(_bundle)
        if ours and ca_pem in _simulator_cas:
            return
        if not ours:                        # the default CA file as it is without ours
            _system_cafile = ssl.get_default_verify_paths().cafile
        if ca_pem not in _simulator_cas:
            _simulator_cas.append(ca_pem)
        try:
            system = Path(_system_cafile).read_text(encoding="ascii", errors="ignore") \
                if _system_cafile else ""
        except OSError:
            system = ""
        if _bundle is None:
            fd, name = tempfile.mkstemp(prefix="aura_nb-bolt-trust-", suffix=".pem")
            os.close(fd)
            _bundle = Path(name)
            atexit.register(_bundle.unlink, missing_ok=True)
        tmp = _bundle.with_name(_bundle.name + ".tmp")
        tmp.write_text(system.rstrip("\n") + "\n" + "".join(_simulator_cas), encoding="ascii")
        os.replace(tmp, _bundle)
        os.environ["SSL_CERT_FILE"] = str(_bundle)

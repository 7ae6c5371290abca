"""Whether a host name or address means this machine: the simulator's one loopback rule.

The client side has the same rule (``aura_nb.core.credentials.is_loopback_url``), restated there on
purpose: this package imports nothing from the client.
"""

from __future__ import annotations

from ipaddress import ip_address

__all__ = ["is_loopback_host"]


def is_loopback_host(name: str) -> bool:
    """True for ``localhost`` and any loopback address (``127.0.0.1``, ``::1``, ``[::1]``)."""
    host = name.lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False

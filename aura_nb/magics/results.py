"""What some ``%aura`` sub-commands return: `ConnectionInfo` (whoami) and `HttpLog` (http)."""

from __future__ import annotations

from dataclasses import dataclass

from aura_nb.core import display
from aura_nb.core.history import exchange_lines, pre_html

__all__ = ["ConnectionInfo", "HttpLog", "expiry_text"]


@dataclass(frozen=True)
class ConnectionInfo:
    """What ``%aura whoami`` answers: ``mode`` (real/simulator), ``base_url``, ``tenant`` (the
    configured default, or None), ``token`` (relative expiry of the cached token, in words),
    ``requests`` (HTTP requests the client sent, retries and token requests included: its
    ``request_count``) and ``token_requests`` (tokens fetched).
    Holds no secret."""

    mode: str
    base_url: str
    tenant: str | None
    token: str
    requests: int
    token_requests: int

    def __str__(self) -> str:
        return (f"{self.mode} API at {self.base_url}; token {self.token}; "
                f"{self.requests} requests, {self.token_requests} token requests")

    def _repr_html_(self) -> str:
        return display.record(self, title="Aura connection")


class HttpLog(list):
    """The exchanges ``%aura http`` returns: a ``list`` of `aura_nb.core.history.Exchange` (already
    redacted by the core). Its text and HTML show each exchange in the core's ``brief`` form (a few
    lines, bodies cut to one short line, its ``curl`` equivalent); ``print(log[i])`` shows one in
    full."""

    def __str__(self) -> str:
        if not self:
            return "no HTTP exchanges yet"
        return "\n\n".join("\n".join(exchange_lines(exchange, "brief")) for exchange in self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return pre_html(str(self))


def expiry_text(remaining: float, speed: float) -> str:
    """When a token expires, from the real seconds left; a simulator running faster than real
    time also gets the figure in its own (server) time, the one its lifetimes are set in."""
    words = display.duration_text(abs(remaining))
    text = f"expires in {words}" if remaining >= 0 else f"expired {words} ago"
    if speed != 1:
        text += f" ({display.duration_text(abs(remaining) * speed)} in server time at {speed:g}x)"
    return text


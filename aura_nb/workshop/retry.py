"""The workshop's one rule on top of the transport: read before you resend.

A create that provably never left (`TransportError` with ``sent`` False: no connection, no
access token) is not uncertain: it is sent again like a busy one. A resent create is itself
guarded by the core's intent journal (`aura_nb.core.intents`), which lists until a slow earlier
create shows up or its grace time has passed.

Transient failures (a 5xx or a dropped connection on a GET or DELETE, a ``429`` on any request)
are retried by the transport alone (`aura_nb.core.transport`): one logical read here is one
client call, and sends at most ``1 + max_retries`` requests per request it is made of (5 by
default, twice that when a ``401`` makes it fetch a new token). Nothing here reads again.

What stays here is what the transport cannot know. A POST or DELETE that got no usable answer
(5xx, dropped connection, lost create answer) may still have been carried out:
:func:`send_until_taken` then reads the state once (a GET or a listing) and resends only when
that read says the action has not taken effect. When the read fails too, the outcome is unknown
and :class:`OutcomeUnknown` says so: nothing is resent. A ``409`` busy answer (another
operation in flight) waits for that operation, then tries again, a bounded number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from aura_nb.core.errors import ApiError, Conflict, CreateResponseLost, NotFound, ServerError, TransportError, error_line
from .spec import WorkshopError

__all__ = ["Done", "OutcomeUnknown", "GaveUp", "NotSent", "send_until_taken", "UNCERTAIN", "never_sent"]

T = TypeVar("T")

# Failures after which the action may or may not have been carried out.
UNCERTAIN = (ServerError, TransportError, CreateResponseLost)


class OutcomeUnknown(WorkshopError):
    """Raised when an action's answer was lost and the read of the state that followed failed
    too: it may or may not have been carried out. Check before trying again; ``reason`` says
    what failed."""

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


class NotSent(WorkshopError):
    """Raised when an action's request provably never reached the API (its token could not be
    fetched: ``POST /oauth/token`` failed; no connection could be made): nothing was carried out
    and nothing was read. ``reason`` is the one-line cause."""

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


TOKEN_PATH = "/oauth/token"


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` proves that the request it came from never reached the API: it failed
    while the token was being fetched (the request waits for its token before it is sent), or the
    transport knows nothing left this machine (``TransportError.sent`` False)."""
    return getattr(exc, "path", "") == TOKEN_PATH or getattr(exc, "sent", True) is False


class GaveUp(WorkshopError):
    """Raised when an action stayed busy (409), or had no usable answer while reads showed it
    had not taken effect, for every attempt; ``reason`` is the last answer's one-line message.
    Nothing more was sent."""

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class Done(Generic[T]):
    """How an action ended: ``answer`` is what ``send()`` returned, or ``None`` when it did not
    answer but a read showed the action had taken effect; ``effect`` is then what that read
    returned (for instance the instance a lost create made)."""

    answer: T | None = None
    effect: Any = None

    @property
    def answered(self) -> bool:
        """True when the action itself answered."""
        return self.effect is None


def send_until_taken(
    send: Callable[[], T],
    *,
    taken_effect: Callable[[], Any],
    wait_idle: Callable[[], None],
    attempts: int = 4,
    busy: tuple[type[BaseException], ...] = (Conflict,),
) -> Done[T]:
    """Carry out one action (``send()``: a POST or DELETE) and return how it ended.

    ``taken_effect()`` reads the state (one GET or listing call) and returns something truthy
    when the action has taken effect, falsy when not; it may raise ``ApiError``/``TransportError``
    when the read itself fails (the transport has already retried it). ``wait_idle()`` waits for
    an operation in flight (after a busy answer). ``send()`` is called at most ``attempts``
    times, and ``taken_effect()`` once after each failed one.
    Raises :class:`NotSent` when the request provably never reached the API (`never_sent`),
    :class:`OutcomeUnknown` when the action may have been carried out and the read
    failed, :class:`GaveUp` after ``attempts`` tries, and the action's own error for any other
    refusal (a 4xx, a 429 the transport gave up on: resending at once cannot help).
    """
    last = ""
    for _ in range(max(1, attempts)):
        try:
            return Done(answer=send())
        except busy as exc:
            last, uncertain = error_line(exc), False
        except UNCERTAIN as exc:
            if never_sent(exc):
                # The client's own "...was never sent" wrapper would repeat what the report says.
                reason = error_line(exc.__cause__ or exc) if getattr(exc, "path", "") == TOKEN_PATH \
                    else error_line(exc)
                raise NotSent(f"not sent: {reason}", reason=reason) from None
            last, uncertain = error_line(exc), True
        try:
            effect = taken_effect()
        except NotFound:
            raise
        except (ApiError, TransportError) as exc:
            if uncertain:
                raise OutcomeUnknown(f"{last}; and reading the state failed ({error_line(exc)})",
                                     reason=error_line(exc)) from None
            effect = None  # a busy answer: nothing was done; wait and send again
        if effect:
            return Done(effect=effect)
        if not uncertain:
            wait_idle()
    raise GaveUp(f"no success after {max(1, attempts)} attempts ({last})", reason=last)

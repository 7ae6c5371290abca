"""The workshop's one busy-retry rule: send an action until it is known to have taken effect.

An action that may already have been carried out is never resent.

A POST or DELETE that got no usable answer (5xx, dropped connection, lost create answer) may
still have been carried out. :func:`send_until_taken` then re-reads the state (a GET or a
listing) and resends only when that says the action has not taken effect. When no read answers
either, the outcome is unknown and :class:`OutcomeUnknown` says so: nothing is resent.
A ``409`` busy answer (another operation in flight) waits for that operation, a ``429`` waits as
the server advises; both then try again, a bounded number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from aura_nb.core.errors import ApiError, Conflict, CreateResponseLost, NotFound, RateLimited, ServerError, TransportError
from .spec import WorkshopError

__all__ = ["Done", "OutcomeUnknown", "GaveUp", "send_until_taken", "read_with_retries", "one_line", "UNCERTAIN"]

T = TypeVar("T")

# Failures after which the action may or may not have been carried out.
UNCERTAIN = (ServerError, TransportError, CreateResponseLost)


class OutcomeUnknown(WorkshopError):
    """Raised when an action's answer was lost and no read of the state answered since: it may or
    may not have been carried out. Check before trying again; ``reason`` says what failed."""

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


class GaveUp(WorkshopError):
    """Raised when an action stayed busy (409) or rate limited (429) for every attempt;
    ``reason`` is the last answer's one-line message. Nothing more was sent."""

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


def one_line(exc: BaseException) -> str:
    """An exception as one secret-free line (the kit's messages never carry a secret)."""
    return (str(exc) or exc.__class__.__name__).splitlines()[0]


def send_until_taken(
    send: Callable[[], T],
    *,
    taken_effect: Callable[[], Any],
    wait_idle: Callable[[], None],
    pause: Callable[[float], None],
    delay: float,
    attempts: int = 4,
    busy: tuple[type[BaseException], ...] = (Conflict,),
) -> Done[T]:
    """Carry out one action (``send()``: a POST or DELETE) and return how it ended.

    ``taken_effect()`` reads the state (GET or listing) and returns something truthy when the
    action has taken effect, falsy when not; it may raise ``ApiError``/``TransportError`` when the
    read itself fails (then it is read again, up to ``attempts`` times, ``delay`` apart and
    doubling). ``wait_idle()`` waits for an operation in flight (after a busy answer).
    Raises :class:`OutcomeUnknown` when the action may have been carried out and no read answered,
    :class:`GaveUp` after ``attempts`` busy or rate-limited answers, and the action's own error
    for any other refusal (a 4xx: resending cannot help).
    """
    last = ""
    for _ in range(max(1, attempts)):
        try:
            return Done(answer=send())
        except RateLimited as exc:  # refused before doing anything: safe to ask again later
            last = one_line(exc)
            pause(exc.retry_after or delay)
            continue
        except busy as exc:
            last = one_line(exc)
            uncertain = False
        except UNCERTAIN as exc:
            last = one_line(exc)
            uncertain = True
        try:
            effect = read_with_retries(taken_effect, attempts=attempts, pause=pause, delay=delay)
        except NotFound:
            raise
        except (ApiError, TransportError) as exc:
            if uncertain:
                raise OutcomeUnknown(
                    f"{last}; and reading the state failed {max(1, attempts)} times ({one_line(exc)})",
                    reason=one_line(exc)) from None
            effect = None  # a busy answer: nothing was done; wait and send again
        if effect:
            return Done(effect=effect)
        if not uncertain:
            wait_idle()
    raise GaveUp(f"no success after {max(1, attempts)} attempts ({last})", reason=last)


def read_with_retries(read: Callable[[], T], *, attempts: int, pause: Callable[[float], None],
                      delay: float) -> T:
    """``read()`` (a GET or a listing), read again after a failed answer up to ``attempts`` times,
    ``delay`` seconds apart and doubling. ``NotFound`` is an answer and raised at once; the last
    failure is raised when every read failed."""
    for attempt in range(max(1, attempts)):
        try:
            return read()
        except NotFound:
            raise
        except (ApiError, TransportError):
            if attempt >= max(1, attempts) - 1:
                raise
            pause(delay * 2 ** attempt)
    raise AssertionError("unreachable")  # the loop returns or raises

"""The urllib3 side of resending: which attempts are retried, and within what time budget.

It also words a request that got no answer (`describe_failure`, `no_connection_made`).

`retry_policy` builds the urllib3 ``Retry`` a `Transport` mounts (`IDEMPOTENT_METHODS` on
`RETRY_STATUSES`, backoff scaled by the server's speed); `PacedRetry` makes each resend take a
pacing slot, give up when its wait would outlast the call's deadline and report each attempt it
supersedes to an observer (so history shows every attempt); `BudgetTimeout` cuts
each connect and read to what is left of that deadline. Which methods may be resent, and why,
is written in `aura_nb.core.transport`'s docstring.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Optional

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, \
    NewConnectionError, ProtocolError, ReadTimeoutError, ResponseError, SSLError
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from .pacing import RateLimiter

__all__ = ["PacedRetry", "RetryObserver", "BudgetTimeout", "IDEMPOTENT_METHODS", "RETRY_STATUSES", "retry_policy",
           "no_connection_made", "describe_failure"]

#: Methods urllib3 may resend after a transient answer or a lost connection.
IDEMPOTENT_METHODS = frozenset({"GET", "DELETE", "HEAD"})
#: The answers the API reference calls transient.
RETRY_STATUSES = (429, 500, 502, 503, 504)


#: ``observer(method, url, response, error)``: an attempt urllib3 is about to send again.
RetryObserver = Callable[[Optional[str], Optional[str], Any, Optional[Exception]], None]


class PacedRetry(Retry):
    """urllib3 ``Retry`` whose retries take a slot from the client's `RateLimiter` (they count
    against the same budget as first attempts) and stay within the call's time budget:
    ``deadline()`` returns the monotonic time the current call must end by, or ``None``.

    ``observer(method, url, response, error)`` is told of each attempt that will be sent again
    (its answer, an unread urllib3 response, or the error that ended it), before urllib3 drains
    the answer; ``resending()`` is called once the backoff wait and the pacing slot are over,
    just before the next attempt. The last attempt, the one the caller gets, is never reported
    here."""

    def __init__(self, *args: Any, pacer: RateLimiter | None = None,
                 deadline: Callable[[], float | None] = lambda: None,
                 observer: RetryObserver | None = None,
                 resending: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.deadline = deadline
        self.observer = observer
        self.resending = resending

    def new(self, **kwargs: Any) -> "PacedRetry":
        """Copy with updated counters, keeping pacer, deadline and observers (urllib3 calls
        this per attempt)."""
        retry = super().new(**kwargs)
        retry.pacer = self.pacer
        retry.deadline = self.deadline
        retry.observer = self.observer
        retry.resending = self.resending
        return retry

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None
                  ) -> "PacedRetry":
        """urllib3's bookkeeping, then give up (``MaxRetryError``) when the wait before the
        next attempt would not end before the call's deadline; otherwise tell the observer of
        the attempt being superseded. A 429 also teaches the pacer the account's limit
        (`RateLimiter.note_rejection`)."""
        if response is not None and response.status == 429 and self.pacer is not None:
            self.pacer.note_rejection()
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        deadline = self.deadline()
        if deadline is not None:
            wait = retry.get_retry_after(response) if response is not None else None
            if wait is None:
                wait = retry.get_backoff_time()
            if time.monotonic() + wait >= deadline:
                reason = error or ResponseError(
                    f"{getattr(response, 'status', '?')} answers until the time budget ran out")
                raise MaxRetryError(_pool, url or "", reason) from reason  # type: ignore[arg-type]
        # Only now is it sure this attempt is not the last: the last one reaches the caller.
        if self.observer is not None:
            self.observer(method, url, response, error)
        return retry

    def sleep(self, response: Any = None) -> None:
        """Back off (``Retry-After`` or exponential), then wait for a pacing slot."""
        super().sleep(response)
        if self.pacer is not None:
            self.pacer.acquire()
        if self.resending is not None:
            self.resending()


class BudgetTimeout(Timeout):
    """urllib3 ``Timeout`` that never lets a connect or a read wait past ``deadline`` (a
    monotonic time): retries inside urllib3 reuse it, so later attempts get only what is left."""

    def __init__(self, connect: float, read: float, deadline: float) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def clone(self) -> "BudgetTimeout":
        """A fresh copy with the same deadline (urllib3 clones per request)."""
        return BudgetTimeout(self._connect, self._read, self.deadline)  # type: ignore[arg-type]

    def _left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    @property
    def connect_timeout(self) -> Any:
        """The configured connect timeout, cut to what is left of the budget."""
        return max(0.001, min(float(super().connect_timeout), self._left()))  # type: ignore

    @property
    def read_timeout(self) -> Any:
        """The configured read timeout, cut to what is left of the budget (0 = none left)."""
        return min(float(super().read_timeout), self._left())  # type: ignore[arg-type]


def _reasons(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (``requests`` -> ``MaxRetryError`` -> reason)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.append(item)
        yield item
        todo.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        if isinstance(item.__cause__, BaseException):
            todo.append(item.__cause__)


def no_connection_made(exc: BaseException) -> bool:
    """True when the exception proves the request never reached the server (no connection)."""
    return any(isinstance(e, (requests.exceptions.ConnectTimeout, NewConnectionError))
               for e in _reasons(exc))


def describe_failure(exc: BaseException, host: str, budget: float) -> str:
    """What went wrong, in words, for a request that got no answer (``exc`` from ``requests``,
    or the urllib3 error of one attempt that urllib3 retried)."""
    reasons = list(_reasons(exc))
    within = f"within this call's {budget:g} s budget (AURA_TIMEOUT, retries included)"
    if any(isinstance(e, NameResolutionError) for e in reasons):
        return f"could not resolve the host name {host} (check AURA_BASE_URL and the network)"
    if any(isinstance(e, requests.exceptions.ConnectTimeout) or (
            isinstance(e, ConnectTimeoutError) and not isinstance(e, NewConnectionError))
           for e in reasons):
        return f"could not connect to {host} {within}"
    if any(isinstance(e, (requests.exceptions.ReadTimeout, ReadTimeoutError)) for e in reasons):
        return f"no answer from {host} {within}"
    if any(isinstance(e, (requests.exceptions.SSLError, SSLError)) for e in reasons):
        return f"the TLS connection to {host} failed"
    if no_connection_made(exc):
        return f"could not connect to {host} (is it reachable? is the simulator running?)"
    if isinstance(exc, (requests.exceptions.ConnectionError, ProtocolError)):
        return f"the connection to {host} was closed before an answer arrived"
    return f"the request to {host} failed ({type(exc).__name__})"


def retry_policy(methods: frozenset[str], *, max_retries: int, speed: float,
                 pacer: RateLimiter, deadline: Callable[[], float | None],
                 observer: RetryObserver | None = None,
                 resending: Callable[[], None] | None = None) -> PacedRetry:
    """urllib3's retries for ``methods``: up to ``max_retries`` on `RETRY_STATUSES`, dropped
    connections and read timeouts, exponential backoff (scaled by ``speed``) and
    ``Retry-After`` honoured, redirects and other errors never retried; ``observer`` and
    ``resending`` as in `PacedRetry`."""
    return PacedRetry(
        total=max_retries, connect=max_retries, read=max_retries, status=max_retries, other=0,
        redirect=0, allowed_methods=methods, status_forcelist=RETRY_STATUSES,
        backoff_factor=0.5 / speed, backoff_max=20.0 / speed, respect_retry_after_header=True,
        raise_on_status=False, raise_on_redirect=False, pacer=pacer, deadline=deadline,
        observer=observer, resending=resending)

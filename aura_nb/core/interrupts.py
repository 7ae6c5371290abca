"""Finishing a create through an interrupt: its answer holds the only copy of a password.

`finish_despite_interrupt` runs the request in a worker thread and has the calling thread wait
for it. The first ``KeyboardInterrupt`` (Ctrl-C, a kernel interrupt; SIGTERM too while the
request is in flight on the main thread) is held back: the wait goes on within the call's time
budget, and the caller saves the password and then raises it. A second interrupt abandons the
wait at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
from typing import Any, Callable, Iterator

__all__ = ["CreateOutcome", "finish_despite_interrupt", "sigterm_as_interrupt"]


@dataclasses.dataclass
class CreateOutcome:
    """How the request ended: ``answer`` or ``error``; ``interrupted`` is the held-back
    ``KeyboardInterrupt`` (or ``None``); ``abandoned`` is True when a second one came first."""

    answer: Any = None
    error: BaseException | None = None
    interrupted: BaseException | None = None
    abandoned: bool = False


def finish_despite_interrupt(send: Callable[[], Any], budget: float, name: str,
                             notify: Callable[[str], None]) -> CreateOutcome:
    """Run ``send()`` (which must end within ``budget`` seconds: the transport's time budget,
    given to the worker thread too) and return its `CreateOutcome`. ``notify`` gets one line
    when an interrupt is held back. Never raises what ``send`` raises (see ``error``)."""
    outcome = CreateOutcome()

    done = threading.Event()

    def work() -> None:
        try:
            outcome.answer = send()
        except BaseException as exc:  # handed to the calling thread
            outcome.error = exc
        finally:
            done.set()

    # An Event polled, not Thread.join: an interrupted join can mark a running thread stopped.
    worker = threading.Thread(target=work, name=f"aura-create-{name}", daemon=True)
    with sigterm_as_interrupt():
        worker.start()
        while not done.is_set():
            try:
                done.wait(0.1)
            except KeyboardInterrupt as exc:
                if outcome.interrupted is not None:
                    outcome.abandoned = True
                    return outcome
                outcome.interrupted = exc
                notify(f"Interrupted: finishing the create of {name!r} first (at most "
                       f"{budget:g} s) so that its password is saved; interrupt again to "
                       "abandon it (then whether it was created stays unknown).")
    return outcome


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """On the main thread, while the block runs, SIGTERM raises ``KeyboardInterrupt`` (when it
    has its default action), so a terminated run finishes its creates like an interrupted one
    (a create here; the workshop's bulk operations, whose running work finishes first)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

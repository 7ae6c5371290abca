"""What every workshop operation shares: client, manifest, worker pool, server clock, waits.

`Runner` is one workshop's state and machinery; `aura_nb.workshop.Workshop` holds one and
passes it to the operations (`aura_nb.workshop.provisioning` takes it as its first argument).
The bounded worker pool reports per attendee; actions are sent through the one
read-before-you-resend rule (:mod:`aura_nb.workshop.retry`)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, TextIO, TypeVar

from aura_nb.core.envfile import read_env
from aura_nb.core.interrupts import sigterm_as_interrupt
from aura_nb.core.lifecycle import SETTLES_TO
from aura_nb.core.errors import (AmbiguousName, ApiError, NameNotFound, InstanceWaitError, NotFound, TransportError, VaultError,
                      WaitCancelled, WaitIncomplete)
from .handouts import Handouts, write_handouts
from .lock import workshop_lock
from .manifest import AttendeeRecord, Manifest, prepare_folder, workshop_dir
from .reports import Interrupted, ProgressCallback, WorkshopEvent
from .retry import Done, send_until_taken
from .roster import check_prefix
from .spec import TenantNotChosen, WorkshopError

if TYPE_CHECKING:
    from aura_nb.core.client import AuraClient

__all__ = ["Runner", "password_to_stderr", "status_or_none"]

log = logging.getLogger("aura_nb")
T = TypeVar("T")

def status_or_none(client: "AuraClient", instance_id: str) -> str | None:
    """An instance's status (``GET /v1/instances/{id}``), ``None`` when it is gone (404)."""
    try:
        return client.get_instance(instance_id).status
    except NotFound:
        return None


def password_to_stderr(attendee: str, instance_id: str, password: str, stream: TextIO | None = None) -> None:
    """Show a password that could not be written anywhere, once, on ``stream`` (default stderr;
    never stdout or a log): the one documented exception to the rule that no secret is shown."""
    stream = stream or sys.stderr
    stream.write(f"PASSWORD NOT SAVED for {attendee} (instance {instance_id}): {password}\n"
                 "  copy it now into the attendee's hand-out: it is shown this once and kept nowhere\n")
    stream.flush()


def _wait_outcome(update: Any, target: str) -> str:
    """The end of one instance's wait in words: the target, or why not (never ``None``)."""
    if update.status == target:
        return target
    seen = f"last status {update.status}" if update.status else "its status could not be read"
    return f"not {target} ({update.message or seen})"


class Runner:
    """The state and machinery of one workshop, shared by its operations (not a base class:
    :class:`aura_nb.workshop.Workshop` holds one and is the facade).

    Its arguments are `Workshop`'s (its docstring says what each means).
    """

    def __init__(
        self,
        client: "AuraClient",
        prefix: str,
        *,
        home: str | os.PathLike | None = None,
        manifest_path: str | os.PathLike | None = None,
        concurrency: int = 4,
        retry_delay: float = 10.0,
        max_attempts: int = 6,
        poll_interval: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        show_password: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.show_password = show_password or password_to_stderr
        self.prefix = check_prefix(prefix)
        ignore = None
        if manifest_path is None:
            self.folder = workshop_dir(prefix, home)
            path = self.folder / "manifest.json"
            ignore = self.folder.parent / ".gitignore"
        else:
            path = Path(manifest_path)
            self.folder = path.parent
        self.ignore_file = ignore
        self.manifest = Manifest.load(path, prefix, ignore) if path.exists() else Manifest(path, prefix, ignore)
        self.concurrency = max(1, int(concurrency))
        self.retry_delay = float(retry_delay)
        self.max_attempts = max(1, int(max_attempts))
        self.poll_interval = poll_interval
        self._sleep = sleep

    @property
    def handouts_folder(self) -> Path:
        """Where hand-outs are written: ``<workshop folder>/handouts``."""
        return self.folder / "handouts"

    # ------------------------------------------------------------------ running work
    @contextmanager
    def locked(self, command: str) -> Iterator[None]:
        """Run the block holding this workshop's lock (`aura_nb.workshop.lock`), with the
        manifest read again from its file once the lock is held. Raises ``WorkshopLocked``
        naming the holder when another process (or thread) runs a command on this workshop."""
        prepare_folder(self.folder, self.ignore_file)
        with workshop_lock(self.folder, self.prefix, command):
            self.manifest.reload()
            yield

    def emit(self, on_progress: ProgressCallback | None, event: WorkshopEvent) -> None:
        log.info("workshop %s: %s", self.prefix, event.message)
        if on_progress is not None:
            on_progress(event)

    def parallel(
        self,
        items: Sequence[AttendeeRecord],
        work: Callable[[AttendeeRecord], WorkshopEvent],
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None = None,
    ) -> list[WorkshopEvent]:
        """Run ``work(item)`` on a bounded pool; progress is reported from the calling thread.

        Once ``cancel`` is set, items not yet started are not worked on: each gives a
        ``cancelled`` event (nothing sent for it); work already started finishes and is reported.
        ``work`` reports a per-attendee failure as a ``failed`` event and goes on. Ctrl-C
        (``KeyboardInterrupt``) cancels the work not yet started, lets the started work finish and
        raises :class:`Interrupted` carrying every finished outcome. If anything
        raises all the same (an unexpected error, or the progress callback itself), work not yet
        started is cancelled, running work finishes (and records itself in the manifest), and the
        error propagates: re-running the operation picks up from the manifest. So does an
        interrupt (Ctrl-C, or SIGTERM on the main thread): running work (a create and the save of
        its password) finishes first; a second interrupt abandons it.
        """
        events: list[WorkshopEvent] = []
        if not items:
            return events

        def guarded(record: AttendeeRecord) -> WorkshopEvent:
            if cancel is not None and cancel.is_set():
                return WorkshopEvent("cancelled", record.attendee, record.instance_id, record.status,
                                     f"{record.attendee}: nothing sent (cancelled before its turn)")
            return work(record)

        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(items)),
                                  thread_name_prefix=f"workshop-{self.prefix}")
        futures: list[Any] = []
        reported: set[Any] = set()
        with sigterm_as_interrupt():  # SIGTERM, like Ctrl-C, lets running creates finish
            try:
                futures = [pool.submit(guarded, item) for item in items]
                for done, future in enumerate(as_completed(futures), start=1):
                    event = replace(future.result(), done=done, total=len(items))
                    reported.add(future)
                    events.append(event)
                    self.emit(on_progress, event)
            except KeyboardInterrupt:  # work already started finishes; its outcomes go with the interrupt
                pool.shutdown(wait=True, cancel_futures=True)
                events += [f.result() for f in futures if f not in reported and f.done() and not f.cancelled()
                           and f.exception() is None]
                raise Interrupted(events) from None
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        return events

    # ------------------------------------------------------------------ the API's view
    def tenant(self, tenant: str | None) -> Any:
        """The workshop's tenant: ``tenant`` (name or id), else the manifest's, else the default."""
        wanted = tenant or self.manifest.tenant_id or None
        try:
            found = self.client.find_tenant(wanted)
        except (AmbiguousName, NameNotFound) as exc:
            sees = ", ".join(repr(c) for c in exc.candidates) or "none"
            first = f"no tenant {wanted!r}" if isinstance(exc, NameNotFound) else "several tenants match"
            raise TenantNotChosen(f"{first} (this API key sees: {sees}); choose the workshop's tenant",
                                  candidates=exc.candidates) from None
        if self.manifest.tenant_id and found.id != self.manifest.tenant_id:
            raise WorkshopError(
                f"workshop {self.prefix} lives in tenant {self.manifest.tenant_name or self.manifest.tenant_id!r}, "
                f"not {found.name!r}; leave out --tenant or use another prefix"
            )
        return found

    def tenant_id(self) -> str | None:
        return self.manifest.tenant_id or None

    def server_now(self) -> datetime:
        """The API's idea of "now" (its ``Date`` header), so ages are right against a simulator
        whose clock runs fast."""
        return self.client.server_time()

    def pause(self, server_seconds: float) -> None:
        """Sleep ``server_seconds`` of the API's time (real seconds = that / the client's speed)."""
        self._sleep(server_seconds / self.client.speed)

    def wait_idle(self, instance_id: str, status: str | None, timeout: float) -> None:
        """After a busy answer: wait for the operation in flight when its end state is known,
        else pause ``retry_delay`` seconds. A failing wait only pauses: the caller reads again."""
        target = SETTLES_TO.get(status or "")
        if target is None:
            self.pause(self.retry_delay)
            return
        try:
            self.client.wait_for_instance(instance_id, status=target, timeout=timeout)
        except (ApiError, TransportError, InstanceWaitError):
            self.pause(self.retry_delay)

    def act(self, send: Callable[[], T], taken_effect: Callable[[], Any], wait_idle: Callable[[], None],
             busy: tuple[type[BaseException], ...] | None = None) -> Done[T]:
        """:func:`send_until_taken` with this workshop's attempts."""
        options: dict[str, Any] = {} if busy is None else {"busy": busy}
        return send_until_taken(send, taken_effect=taken_effect, wait_idle=wait_idle,
                                attempts=self.max_attempts, **options)

    def wait_many(self, ids: list[str], target: str, timeout: float, records: dict[str, AttendeeRecord],
                   on_progress: ProgressCallback | None, started: dict[str, Any],
                   cancel: threading.Event | None = None) -> tuple[dict[str, Any], dict[str, Exception]]:
        """Wait until every instance in ``ids`` has ``target``; returns ``(ready, failures)``.

        ``client.wait_for_instances(goal="all")`` does the waiting (the rule is described in
        ``aura_nb.core.waiting``): it watches ``concurrency`` instances at a time and sweeps through the
        rest once those are ready, so nearly every status request finds a ready instance and the
        last one is seen about one poll interval after it is ready. ``started`` maps id -> when
        its operation began (creation time, or when the pause or resume was sent). Setting
        ``cancel`` stops waiting: the instances not yet seen ready are then in neither dict."""
        total = len(ids)
        finished: dict[str, str] = {}

        def progress(update: Any) -> None:
            record = records.get(update.instance_id)
            if record is None:
                return
            if update.done and update.instance_id not in finished:
                finished[update.instance_id] = update.status
                kind = "ready" if update.status == target else "failed"
                self.emit(on_progress, WorkshopEvent(
                    kind, record.attendee, update.instance_id, update.status or "",
                    f"{record.attendee}: {_wait_outcome(update, target)}", len(finished), total))
            elif on_progress is not None:
                on_progress(WorkshopEvent("waiting", record.attendee, update.instance_id, update.status or "",
                                          f"{record.attendee}: {update.status}", len(finished), total))

        interval = None if self.poll_interval is None else self.poll_interval / self.client.speed  # real s
        try:
            ready = self.client.wait_for_instances(
                ids, status=target, timeout=timeout, on_progress=progress, created_at=started,
                poll_interval=interval, goal="all", concurrency=self.concurrency, cancel=cancel)
        except WaitCancelled as exc:
            return exc.ready, {}
        except WaitIncomplete as exc:
            return exc.ready, exc.failures
        except (ApiError, TransportError) as exc:  # the whole wait broke: every instance is unsettled
            return {}, {i: exc for i in ids}
        return ready, {}

    # ------------------------------------------------------------------ hand-outs
    def read_secret(self, record: AttendeeRecord) -> tuple[str, str] | None:
        """``(username, password)`` of an attendee's instance from the vault (or the rescue file
        the manifest names), ``None`` when the password was never kept."""
        if record.rescue_path:  # the vault could not take it: the rescue file has it
            try:
                values = read_env(record.rescue_path)
            except OSError:
                return None
            return values.get("NEO4J_USERNAME") or "neo4j", values.get("NEO4J_PASSWORD", "")
        try:
            entry = self.client.vault.load(record.instance_id)
        except VaultError:
            return None
        return entry.username or "neo4j", entry.password

    def write_handouts(self) -> Handouts:
        """Write one console-format credentials file per attendee with an instance, plus
        ``summary.csv`` and ``summary.md`` for the instructor (mode 0600, git-ignored folder).
        Passwords come from the vault; a lost one is explained in that attendee's file."""
        prepare_folder(self.folder, self.ignore_file)
        result = write_handouts(self.handouts_folder, self.prefix, list(self.manifest), self.read_secret)
        for attendee, path in result.files.items():
            self.manifest.records[attendee].handout_path = str(path)
        self.manifest.save()
        return result

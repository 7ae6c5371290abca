"""What every exercise shares: the blank, `Exercise` (check/hint/solution) and a private sandbox.

An exercise checks what the learner's answer *does*, never its source text. Answers that send
requests are run against a `Sandbox`: an embedded Aura API simulator started for that check
alone, so a check can never create anything on a real account.
"""

from __future__ import annotations

import random
import secrets
import sys
import textwrap
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import requests

from .. import capture
from ..capture import CHECK_AGENT

__all__ = ["____", "Blank", "Exercise", "Incorrect", "Sandbox", "sandbox", "returned",
           "CREATE_BODY"]

#: A create body (besides name and tenant) every sandbox accepts: the smallest professional-db.
CREATE_BODY = {"type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
               "memory": "2GB", "version": "5"}


class Blank:
    """The placeholder an exercise cell ships with; an answer that is (or returns) it has not
    been attempted yet."""

    def __repr__(self) -> str:
        return "____"


#: Replace it with your code.
____ = Blank()


class Incorrect(Exception):
    """Raised by a check's verifier with one line saying what went wrong and what to do."""


def _random_name(rng: random.Random, prefix: str) -> str:
    return f"{prefix}-{''.join(rng.choice('abcdefghjkmnpqrstuvwxyz23456789') for _ in range(6))}"


class Sandbox:
    """A private simulator for one check, never the learner's own world: its seed, client id
    and secret, its projects' names and their order are drawn afresh for every check, so a
    hard-coded id or name from the learner's notebook cannot pass. ``base_url``,
    ``client_id``, ``client_secret``, ``token``, ``headers`` (``Authorization``, ``Accept``, as
    notebook 01 builds them), ``rng`` (this check's random choices) and the ``sim`` itself."""

    def __init__(self, sim: Any, rng: random.Random, home_tenant: str) -> None:
        self.sim = sim
        self.rng = rng
        self.home_tenant = home_tenant
        self.base_url = sim.base_url
        self.client_id = sim.client_id
        self.client_secret = sim.client_secret
        with capture.recording("the check's own setup"):  # never shown
            answer = requests.post(f"{self.base_url}/oauth/token",
                                   data={"grant_type": "client_credentials"},
                                   auth=(self.client_id, self.client_secret), timeout=10,
                                   headers={"User-Agent": CHECK_AGENT})
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def requests_sent(self, route: str) -> int:
        """How many requests the simulator received for ``route`` (``"GET /v1/instances/{instanceId}"``)."""
        return self.sim.stats_snapshot()["requests"].get(route, 0)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request of the checker's own (not counted against the learner, not shown)."""
        headers = {**self.headers, **kwargs.pop("headers", {}), "User-Agent": CHECK_AGENT}
        with capture.recording("the check's own read"):
            return requests.request(method, f"{self.base_url}{path}", headers=headers,
                                    timeout=10, **kwargs)

    def tenants(self) -> list[dict]:
        """The sandbox's projects (tenants) as ``GET /v1/tenants`` lists them: ``[{id, name}]``."""
        return self.call("GET", "/v1/tenants").json()["data"]


    def create_body(self, name: str | None = None) -> dict:
        """A create body the sandbox accepts, for a fresh random ``nb-check-…`` name."""
        return {"name": name or _random_name(self.rng, "nb-check"), "tenant_id": self.home_tenant,
                **CREATE_BODY}

    def create(self, name: str | None = None, settle: bool = True) -> str:
        """Create a small instance in the sandbox (running, unless ``settle`` is False); its id."""
        instance_id = self.call("POST", "/v1/instances", json=self.create_body(name)).json()["data"]["id"]
        if settle:
            self.settle(instance_id)
        return instance_id

    def status(self, instance_id: str) -> str | None:
        """The instance's status by the checker's own GET; ``None`` when it answers 404."""
        answer = self.call("GET", f"/v1/instances/{instance_id}")
        return None if answer.status_code == 404 else answer.json()["data"]["status"]

    def settle(self, instance_id: str) -> dict:
        """Move the clock past the instance's current operation; its details afterwards."""
        end = self.sim.world.transition_end(instance_id)
        if end is not None:
            self.sim.advance(max(0.0, end - self.sim.clock.now()) + 1)
        return self.call("GET", f"/v1/instances/{instance_id}").json()["data"]

    def random_id(self) -> str:
        """An instance id (8 hex characters) that no instance of the sandbox has."""
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(8))


def _randomise_projects(sim: Any, rng: random.Random) -> str:
    """Rename the primary client's projects, add two more, and shuffle the order they list in;
    the id of a project that offers `CREATE_BODY`."""
    from aura_nb.simulator.world.tenants import Tenant

    world = sim.world
    with world.lock:
        mine = [t for t in world.tenants.values() if t.owner == "primary"]
        for tenant in mine:
            tenant.name = _random_name(rng, "Project")
        for _ in range(2):
            extra = Tenant(str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                           _random_name(rng, "Project"), "primary",
                           [dict(c) for c in mine[0].instance_configurations])
            world.tenants[extra.id] = extra
        items = list(world.tenants.items())
        rng.shuffle(items)
        world.tenants = dict(items)
        return mine[0].id


@contextmanager
def sandbox(speed: float = 1.0, rate_limit: int = 125) -> Iterator[Sandbox]:
    """An embedded simulator (loopback, in this process) for the length of one check, with a
    random seed, client and project names (see `Sandbox`)."""
    from aura_nb.simulator import Simulator

    rng = random.Random(secrets.randbits(64))
    with Simulator(seed=rng.getrandbits(32) + 1, speed=speed, rate_limit=rate_limit,
                   client_id=_random_name(rng, "check-client"),
                   client_secret=secrets.token_urlsafe(16)).start() as sim:
        home = _randomise_projects(sim, rng)
        yield Sandbox(sim, rng, home)


class _Check:
    """One running check: the exchange views it will show (in order), kept until it knows the
    answer was attempted (a blank sends nothing and shows nothing)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.views: list[tuple[str, list]] = []

    def show(self, title: str, exchanges: list) -> None:
        """Keep ``exchanges`` to show under ``title`` (nothing when there are none); ones in a
        row under the same title are shown as one view."""
        if not exchanges:
            return
        if self.views and self.views[-1][0] == title:
            self.views[-1][1].extend(exchanges)
        else:
            self.views.append((title, list(exchanges)))

    def flush(self) -> None:
        """Display the kept views (in a notebook) or print them (elsewhere), then forget them."""
        from ..lesson import ExchangeView

        for title, exchanges in self.views:
            _emit(ExchangeView(exchanges, title=title, repeats=True))
        self.views.clear()


def _emit(view: Any) -> None:
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is not None:
        from IPython.display import display

        display(view)
    else:
        print(view.text())


_state = threading.local()


def current_check() -> _Check:
    """The check running in this thread (a throwaway one outside a check)."""
    check = getattr(_state, "check", None)
    return check if check is not None else _Check("")


@contextmanager
def _checking(title: str) -> Iterator[_Check]:
    check = _Check(title)
    _state.check = check
    try:
        with capture.recording(f"{title}: the check's own setup"):  # never shown
            yield check
    finally:
        _state.check = None


#: What a check says when the learner's function used the kit's client instead of ``requests``.
USED_THE_KIT = ("your function sent its requests through the kit's client (aura_nb), not "
                "`requests`: write the call yourself with requests, to the base_url and headers "
                "it is given")


@contextmanager
def learner_code(label: str, limit: int | None = 200) -> Iterator[Any]:
    """Run the learner's code inside: every request it sends is recorded and shown under
    ``label``; more than ``limit`` requests stop it (`capture.TooManyRequests`); a request the
    kit's own client sent meanwhile makes the check fail with `USED_THE_KIT`."""
    check = current_check()
    with capture.recording(label, limit) as rec:
        try:
            yield rec
        except capture.TooManyRequests:
            raise Incorrect(f"your function sent more than {limit} requests and was stopped: "
                            "does it loop without end? Stop at the answer, and raise on an "
                            "error") from None
        except Exception:
            if rec.kit_requests:  # whatever went wrong after, this is what to fix first
                raise Incorrect(USED_THE_KIT) from None
            raise
        finally:
            check.show(label, rec.exchanges)
        if rec.kit_requests:
            raise Incorrect(USED_THE_KIT)


@contextmanager
def checks_own(label: str) -> Iterator[Any]:
    """The check's own requests inside, shown under ``label`` (what the check read itself)."""
    check = current_check()
    with capture.recording(label, None) as rec:
        try:
            yield rec
        finally:
            check.show(label, rec.exchanges)


NOT_ATTEMPTED = "not attempted yet. Replace ____ with your code, then run the cell again."


class Exercise:
    """One exercise: ``check(answer)`` tests what the answer does and prints one line,
    ``hint()`` prints a nudge, ``solution()`` prints a working answer.

    ``verify(answer)`` raises `Incorrect` with the line to show; it may return normally for a
    correct answer. An answer that is, or returns, the blank ``____`` is "not attempted yet".
    Requests the answer sends (to the check's sandbox) are shown above the verdict, labelled."""

    def __init__(self, title: str, verify: Callable[[Any], None], hint: str, solution: str) -> None:
        self.title = title
        self._verify = verify
        self._hint = hint
        self._solution = textwrap.dedent(solution).strip("\n")

    def check(self, answer: Any = ____) -> bool | None:
        """Print whether ``answer`` is right; True, False, or None when not attempted. Never raises."""
        if isinstance(answer, Blank):
            print(f"{self.title}: {NOT_ATTEMPTED}")
            return None
        with _checking(self.title) as check:
            try:
                with learner_code(f"{self.title}: your code, in the check's sandbox (a private "
                                  "simulator, not your account)"):
                    self._verify(answer)
            except _NotAttempted:
                check.views.clear()
                print(f"{self.title}: {NOT_ATTEMPTED}")
                return None
            except Incorrect as wrong:
                check.flush()
                print(f"{self.title}: not yet. {wrong}")
                return False
            except Exception as exc:  # noqa: BLE001 - the learner's code failed: say how, in one line
                check.flush()
                print(f"{self.title}: not yet. {raised(exc)}")
                return False
            check.flush()
        print(f"{self.title}: correct!")
        return True

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint: {self._hint}")

    def solution(self) -> None:
        """Print a working answer."""
        print(self._solution)

    @property
    def solution_code(self) -> str:
        """The solution as source text (tests execute it)."""
        return self._solution

    def __repr__(self) -> str:
        return f"<Exercise {self.title!r}: .check(answer), .hint(), .solution()>"


def raised(exc: BaseException) -> str:
    """"Your code raised X: message" on one line (the first line of the message)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"Your code raised {type(exc).__name__}: {text[:300]}"


class _NotAttempted(BaseException):
    """Raised by `returned` when the learner's function returned the blank."""


def returned(value: Any) -> Any:
    """``value``, or `_NotAttempted` when it is the blank (the function body was not written)."""
    if isinstance(value, Blank):
        raise _NotAttempted()
    return value

"""What every exercise shares: the blank, `Exercise` (check/hint/solution) and a private sandbox.

An exercise checks what the learner's answer *does*, never its source text. Answers that send
requests are run against a `Sandbox`: an embedded Aura API simulator started for that check
alone, so a check can never create anything on a real account.
"""

from __future__ import annotations

import textwrap
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import requests

__all__ = ["____", "Blank", "Exercise", "Incorrect", "Sandbox", "sandbox", "returned"]


class Blank:
    """The placeholder an exercise cell ships with; an answer that is (or returns) it has not
    been attempted yet."""

    def __repr__(self) -> str:
        return "____"


#: Replace it with your code.
____ = Blank()


class Incorrect(Exception):
    """Raised by a check's verifier with one line saying what went wrong and what to do."""


class Sandbox:
    """A private simulator for one check: ``base_url``, ``client_id``, ``client_secret``,
    ``token``, ``headers`` (``Authorization`` and ``Accept``, as notebook 01 builds them) and the
    ``sim`` itself."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.base_url = sim.base_url
        self.client_id = sim.client_id
        self.client_secret = sim.client_secret
        answer = requests.post(f"{self.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                               auth=(self.client_id, self.client_secret), timeout=10)
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def requests_sent(self, route: str) -> int:
        """How many requests the simulator received for ``route`` (``"GET /v1/instances/{instanceId}"``)."""
        return self.sim.stats_snapshot()["requests"].get(route, 0)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request of the checker's own (not counted against the learner)."""
        return requests.request(method, f"{self.base_url}{path}", headers=self.headers,
                                timeout=10, **kwargs)

    def tenant_id(self, name: str = "Learning Project") -> str:
        """The id of one of the simulator's tenants."""
        tenants = self.call("GET", "/v1/tenants").json()["data"]
        return next(t["id"] for t in tenants if t["name"] == name)

    def create(self, name: str = "nb-exercise") -> str:
        """Create a small instance in the sandbox and wait until it is running; its id."""
        body = {"name": name, "tenant_id": self.tenant_id(), "type": "professional-db",
                "cloud_provider": "gcp", "region": "europe-west1", "memory": "2GB", "version": "5"}
        instance_id = self.call("POST", "/v1/instances", json=body).json()["data"]["id"]
        self.settle(instance_id)
        return instance_id

    def settle(self, instance_id: str) -> dict:
        """Move the clock past the instance's current operation; its details afterwards."""
        end = self.sim.world.transition_end(instance_id)
        if end is not None:
            self.sim.advance(max(0.0, end - self.sim.clock.now()) + 1)
        return self.call("GET", f"/v1/instances/{instance_id}").json()["data"]


@contextmanager
def sandbox(speed: float = 1.0, rate_limit: int = 125) -> Iterator[Sandbox]:
    """An embedded simulator (loopback, in this process) for the length of one check."""
    from aura_nb.simulator import Simulator

    with Simulator(seed=0, speed=speed, rate_limit=rate_limit).start() as sim:
        yield Sandbox(sim)


class Exercise:
    """One exercise: ``check(answer)`` tests what the answer does and prints one line,
    ``hint()`` prints a nudge, ``solution()`` prints a working answer.

    ``verify(answer)`` raises `Incorrect` with the line to show; it may return normally for a
    correct answer. An answer that is, or returns, the blank ``____`` is "not attempted yet"."""

    def __init__(self, title: str, verify: Callable[[Any], None], hint: str, solution: str) -> None:
        self.title = title
        self._verify = verify
        self._hint = hint
        self._solution = textwrap.dedent(solution).strip("\n")

    def check(self, answer: Any = ____) -> bool | None:
        """Print whether ``answer`` is right; True, False, or None when not attempted. Never raises."""
        if isinstance(answer, Blank):
            print(f"{self.title}: not attempted yet. Replace ____ with your code, then run the cell again.")
            return None
        try:
            self._verify(answer)
        except _NotAttempted:
            print(f"{self.title}: not attempted yet. Replace ____ with your code, then run the cell again.")
            return None
        except Incorrect as wrong:
            print(f"{self.title}: not yet. {wrong}")
            return False
        except Exception as exc:  # noqa: BLE001 - the learner's code failed: say how, in one line
            print(f"{self.title}: not yet. Your code raised {type(exc).__name__}: {exc}")
            return False
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


class _NotAttempted(BaseException):
    """Raised by `returned` when the learner's function returned the blank."""


def returned(value: Any) -> Any:
    """``value``, or `_NotAttempted` when it is the blank (the function body was not written)."""
    if isinstance(value, Blank):
        raise _NotAttempted()
    return value

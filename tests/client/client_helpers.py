"""Small helpers shared by the client tests (imported as a plain module)."""

from __future__ import annotations


def sim_requests(sim, key: str) -> int:
    """How many requests of one route (e.g. ``"POST /v1/instances"``) the simulator served."""
    return sim.stats_snapshot()["requests"].get(key, 0)


def instances_named(sim, name: str) -> list:
    """The simulator's instances with this name (read from its world, not over HTTP)."""
    with sim.world.lock:
        return [i for i in sim.world.instances.values() if i.name == name]


class ManualClock:
    """A clock for ``AuraClient(clock=...)`` that moves only when a test sets ``now``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

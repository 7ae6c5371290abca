"""Helpers shared by the workshop tests (a uniquely named module: test directories share sys.path).

The simulator runs ``SPEED`` times faster than the real service, so a creation (90-150 virtual
seconds) takes 1-1.5 real seconds; the client paces itself on the same scale (125 requests per
virtual minute) and polls on it.
"""

from __future__ import annotations

from aura_nb import AuraClient
from aura_nb.simulator import Simulator
from aura_nb.workshop import ClassSpec

SPEED = 100.0
TENANT = "Workshop Project"
SPEC = ClassSpec(type="professional-db", cloud_provider="gcp", region="europe-west1", memory="2GB")


def make_client(sim: Simulator, tmp_path, **kwargs) -> AuraClient:
    """A client for ``sim`` with its own vault under ``tmp_path`` (pacing on the simulator's scale)."""
    return AuraClient(sim.client_id, sim.client_secret, sim.base_url, speed=SPEED, tenant=TENANT,
                      vault_dir=tmp_path / "vault", **kwargs)


def requests_made(sim: Simulator) -> dict[str, int]:
    """Requests the simulator has received, by ``METHOD /template``."""
    return dict(sim.stats_snapshot()["requests"])


def prefixed(sim: Simulator, prefix: str) -> list:
    """The simulator world's instances whose name starts with ``<prefix>-`` (status settled)."""
    with sim.world.lock:
        found = []
        for instance in list(sim.world.instances.values()):
            settled = sim.world._settle(instance)  # apply a finished transition, as a GET would
            if settled is not None and settled.name.startswith(prefix + "-"):
                found.append(settled)
        return found


def lose_create_after_first_listing(client: AuraClient, sim: Simulator, listing_failures: int) -> None:
    """Once the client has read its first ``GET /v1/instances`` (provision's adoption listing),
    script the simulator to carry out the next create but lose its answer, then answer ``503`` to
    the next ``listing_failures`` listings. Hooks ``client.history`` (every exchange passes there)."""
    from aura_nb.history import History

    class Arming(History):
        armed = False

        def append(self, exchange) -> None:
            super().append(exchange)
            if not self.armed and exchange.method == "GET" and exchange.url.split("?")[0].endswith("/v1/instances"):
                self.armed = True
                sim.set_faults(script=[
                    {"method": "POST", "path": "/v1/instances", "action": "lose_response", "times": 1},
                    {"method": "GET", "path": "/v1/instances", "action": "status", "status": 503,
                     "times": listing_failures},
                ])

    client.transport.history = Arming(client.history.maxlen)

"""The class the workshop tests teach (its project and instance spec) and lookups in a simulator.

The tests' simulators run at ``tests.helpers.SPEED``, so a creation (90-150 virtual seconds) takes
0.9-1.5 real seconds; the clients pace themselves on the same scale (125 requests per virtual
minute) and poll on it.
"""

from __future__ import annotations

from aura_nb import AuraClient
from aura_nb.simulator import Simulator
from aura_nb.workshop import ClassSpec

TENANT = "Workshop Project"
SPEC = ClassSpec(type="professional-db", cloud_provider="gcp", region="europe-west1", memory="2GB")

#: ``make_client(sim, **CLIENT_SETTINGS)``: a workshop client's default tenant is the class's
#: project, and one call may take ``AURA_TIMEOUT``'s default 30 s (classes run under faults).
CLIENT_SETTINGS = {"tenant": TENANT, "timeout": 30}


def lose_create_after_first_listing(client: AuraClient, sim: Simulator, listing_failures: int) -> None:
    """Once the client has read its first ``GET /v1/instances`` (provision's adoption listing),
    script the simulator to carry out the next create but lose its answer, then answer ``503`` to
    the next ``listing_failures`` listings. Hooks ``client.history`` (every exchange passes there)."""
    from aura_nb.core.history import History

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

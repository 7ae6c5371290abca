"""The learner's own world, as an exercise of the path (01-05, 99) sees it.

`World` is the account the notebook connected to (real Aura or the simulator, the ``AURA_*``
settings): the notebook's client, the base URL and bearer headers for the learner's own
functions, and the check's own reads. Those reads go out with plain ``requests`` and the
User-Agent `capture.CHECK_AGENT` (never the kit's), and are shown labelled as the check's.
When an exercise is not attempted, the kit carries out its step with the notebook's client,
whose exchanges the notebook layer shows under the cell as the kit's.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import requests

from aura_nb.core import config
from aura_nb.core.client import AuraClient
from aura_nb.core.lifecycle import DESTROYING, is_transitional
from .. import tutorial
from ..capture import CHECK_AGENT
from ._base import Incorrect, checks_own

__all__ = ["World", "notebook_client", "CHECK_READS"]

#: The label over the check's own reads of the learner's world.
CHECK_READS = "The check's own reads of your account (not your code; secrets masked):"


def notebook_client() -> AuraClient:
    """The client the notebook holds in a variable (the last one assigned). Raises
    `Incorrect` (one line: what to run) when there is none."""
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    found = [v for v in list(shell.user_ns.values()) if isinstance(v, AuraClient)] if shell else []
    if not found:
        raise Incorrect("no client to reach your account: run the notebook's setup cell "
                        "(client = aura_nb.connect()) first, or pass check(..., client=client)")
    return found[-1]


class World:
    """The learner's account for one check: ``client``, ``base_url``, ``headers`` (the
    client's token, as `tutorial.bearer_headers` gives them) and ``speed`` (the simulator's
    time factor; 1 on the real service)."""

    def __init__(self, client: AuraClient | None = None) -> None:
        self.client = client if client is not None else notebook_client()
        self.base_url = self.client.credentials.base_url
        self.speed = float(getattr(self.client, "speed", 1.0) or 1.0)
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` (the client's token: fetched on first use) and ``Accept``; never
        print them."""
        if self._headers is None:
            self._headers = tutorial.bearer_headers(self.client)[1]
        return self._headers

    # --- the check's own reads, shown as such -----------------------------------------------

    def read(self, path: str, headers: dict | None = None) -> requests.Response:
        """``GET path`` by the check itself, shown under `CHECK_READS`."""
        with checks_own(CHECK_READS):
            return requests.get(f"{self.base_url}{path}", timeout=30,
                                headers={**(headers or self.headers), "User-Agent": CHECK_AGENT})

    def status(self, instance_id: str) -> str | None:
        """The instance's status by the check's own GET; ``None`` once it is gone (404)."""
        answer = self.read(f"/v1/instances/{instance_id}")
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()["data"]["status"]

    def live(self, name: str = tutorial.TUTORIAL_NAME, tenant_id: str | None = None) -> list[dict]:
        """The instances called ``name`` (in ``tenant_id`` when given) that are not being
        deleted, oldest listing first, each as its ``GET /v1/instances/{id}`` data: one listing,
        then one read per instance of that name."""
        answer = self.read("/v1/instances")
        answer.raise_for_status()
        found = []
        for summary in answer.json()["data"]:
            if summary.get("name") != name or (tenant_id and summary.get("tenant_id") != tenant_id):
                continue
            detail = self.read(f"/v1/instances/{summary['id']}")
            if detail.status_code == 404:
                continue
            detail.raise_for_status()
            data = detail.json()["data"]
            if data.get("status") != DESTROYING:
                found.append(data)
        return found

    def settle(self, instance_id: str, timeout: float = 1200) -> str | None:
        """Poll (the check's own reads, folded into one line) until the instance's operation
        is over; its settled status (``None``: gone). ``timeout`` is in the service's seconds."""
        interval = min(5.0, config.poll_interval() or 5.0)
        waited = 0.0
        status = self.status(instance_id)
        while is_transitional(status) and waited < timeout:
            time.sleep(interval / self.speed)
            waited += interval
            status = self.status(instance_id)
        return status

    def sleeper(self) -> Any:
        """A ``sleep(seconds)`` for the learner's poll: seconds of the service's time (on a
        sped-up simulator it sleeps ``seconds / speed`` real seconds)."""
        def sleep(seconds: float) -> None:
            time.sleep(max(0.0, float(seconds)) / self.speed)

        return sleep

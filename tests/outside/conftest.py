"""Outside clients (Neo4j's CLI, the GDS client) against ``python -m aura_nb.simulator``.

``./dev test`` installs them; when one is missing the test is skipped locally but FAILS under
``CI=true`` (see `tests.helpers.outside.unavailable`).
"""

import pytest

from tests.helpers import FAST
from tests.helpers.outside import SimulatorProcess


@pytest.fixture
def simulator_process(request):
    """A simulator process at speed ``FAST``, no rate limit and no token limit (Neo4j's CLI
    fetches a token for every command: more than 15 in the 3.6 s an hour lasts here); more
    arguments via indirect params."""
    args = getattr(request, "param", ())
    sim = SimulatorProcess("--speed", f"{FAST:g}", "--rate-limit", "0", "--token-limit", "0", *args)
    yield sim
    sim.stop()

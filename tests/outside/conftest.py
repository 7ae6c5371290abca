"""Outside clients (Neo4j's CLI, the GDS client) against ``python -m aura_nb.simulator``.

``./dev test`` installs them; when one is missing the test is skipped locally but FAILS under
``CI=true`` (see :func:`outside_helpers.unavailable`).
"""

import pytest

from outside_helpers import SimulatorProcess


@pytest.fixture
def simulator_process(request):
    """A fast simulator process (speed 400, no rate limit); arguments via indirect params."""
    args = getattr(request, "param", ())
    sim = SimulatorProcess("--speed", "400", "--rate-limit", "0", *args)
    yield sim
    sim.stop()

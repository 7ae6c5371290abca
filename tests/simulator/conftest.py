"""Fixtures for the simulator's contract tests: an in-process simulator and a plain-requests caller.

These tests talk HTTP with ``requests`` only (never aura_nb's own client): they check the
simulator against the documented API, the way any outside client would see it.
"""

import pytest

from aura_nb.simulator import Simulator
from sim_helpers import Api


@pytest.fixture
def sim():
    """A fresh simulator on a free port, rate limit off, speed 1 (tests move the clock)."""
    with Simulator(seed=0, rate_limit=0) as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    """The primary client, with a token."""
    caller = Api(sim)
    yield caller
    caller.session.close()

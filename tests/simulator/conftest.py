"""Fixtures for the simulator's contract tests: an in-process simulator and plain-requests callers.

These tests talk HTTP with ``requests`` only (never aura_nb's own client): they check the
simulator against the documented API, the way any outside client would see it.

``manual_sim``
    A fresh simulator on a free port, seed 0, rate limit and token limit off, speed
    ``REAL_TIME``: the tests check exact lifetimes and durations, so only they move the clock
    (``advance()``); they fetch a token per caller, more than the 15 an hour the token endpoint
    allows (that limit has its own tests in test_sim_rate_limit.py).
``api``
    `tests.helpers.simulator.Api` for ``manual_sim``'s primary client, with a token.
``v2``
    `tests.helpers.v2.V2` (the same caller, with the v2beta1 paths) for ``manual_sim``.
"""

import pytest

from aura_nb.simulator import Simulator

from tests.helpers import REAL_TIME
from tests.helpers.simulator import Api
from tests.helpers.v2 import V2


@pytest.fixture
def manual_sim():
    """A fresh simulator on a free port, rate and token limits off, speed ``REAL_TIME`` (tests
    move the clock)."""
    with Simulator(seed=0, rate_limit=0, token_limit=0, speed=REAL_TIME) as simulator:
        yield simulator


@pytest.fixture
def api(manual_sim):
    """The primary client, with a token."""
    caller = Api(manual_sim)
    yield caller
    caller.session.close()


@pytest.fixture
def v2(manual_sim):
    """The primary client on v2beta1."""
    caller = V2(manual_sim)
    yield caller
    caller.session.close()

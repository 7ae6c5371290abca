"""%aura against a simulator running at real speed, where a create takes minutes."""

from __future__ import annotations

import pytest

from tests.helpers import REAL_TIME


@pytest.fixture
def aura_sim(make_simulator):
    """A simulator at speed ``REAL_TIME``: an instance stays ``creating`` for 90-150 real
    seconds (the magics' usual ``fast_sim`` would finish it while the test looks)."""
    return make_simulator(speed=REAL_TIME, rate_limit=0)


def test_wait_gives_up_with_one_line(aura):
    created = aura.ok("%aura create slow --type free-db")
    line = aura.fails("%aura wait slow --timeout 0.2")
    assert "InstanceWaitTimeout" in line and created.id in line
    assert aura.ok("%aura instance slow").status == "creating"


def test_an_action_refused_by_the_api_is_one_line(aura, aura_sim):
    created = aura.ok("%aura create busy --type free-db")
    line = aura.fails("%aura pause busy")  # still creating
    assert "Conflict: 409" in line and f"(POST /v1/instances/{created.id}/pause)" in line
    assert "request id" in line

"""Fixtures for the Bolt endpoint's tests: the real ``neo4j`` driver against simulator instances.

``bolt_client``
    An AuraClient for ``manual_sim`` (only its base URL and timeout matter to `driver_options`).
``connect``
    ``connect(url, password)``: a neo4j driver with the kit's options, closed after the test.
"""

from __future__ import annotations

import pytest

neo4j = pytest.importorskip("neo4j")

import aura_nb  # noqa: E402



@pytest.fixture
def bolt_client(manual_sim, make_client, trust_env):
    return make_client(manual_sim, rate_limit=0)


@pytest.fixture
def connect(bolt_client):
    drivers = []

    def open_driver(url: str, password: str, user: str = "neo4j"):
        driver = neo4j.GraphDatabase.driver(url, auth=(user, password), connection_timeout=5,
                                            **aura_nb.driver_options(bolt_client))
        drivers.append(driver)
        return driver

    yield open_driver
    for driver in drivers:
        driver.close()

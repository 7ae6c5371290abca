"""Notebook 04's connection check: it reads the simulator's Bolt log, so it says "connected" only
after the learner's driver cell really logged in to the instance."""

from __future__ import annotations


import pytest

import aura_nb
from aura_nb import tutorial

from tests.helpers.simulator import Api

neo4j = pytest.importorskip("neo4j")



def test_check_connected_reads_the_bolt_log(fast_sim, make_client, trust_env, monkeypatch):
    client = make_client(fast_sim, rate_limit=0)
    created = Api(fast_sim).running(name="nb-connect")
    assert "saw no login" in tutorial.check_connected(client, created["id"])

    with neo4j.GraphDatabase.driver(created["connection_url"], auth=("neo4j", "wrong"),
                                    **aura_nb.driver_options(client)) as driver:
        with pytest.raises(neo4j.exceptions.AuthError):
            driver.verify_connectivity()
    assert "saw no login" in tutorial.check_connected(client, created["id"])

    with neo4j.GraphDatabase.driver(created["connection_url"], auth=("neo4j", created["password"]),
                                    **aura_nb.driver_options(client)) as driver:
        driver.execute_query("RETURN 1")
    line = tutorial.check_connected(client, created["id"])
    assert line.startswith("Connected") and "RETURN 1" in line and "\n" not in line

    monkeypatch.setenv("AURA_NB_MODE", "real")          # a simulator played as a real account
    assert "real mode" in tutorial.check_connected(make_client(fast_sim), created["id"])

"""The newest 5.x neo4j driver against a simulator instance, in its own process: ``./dev test``
installs it beside the current driver in ``.venv/neo4j5`` (skipped, with the reason, without it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NEO4J5 = Path(sys.prefix) / "neo4j5"
ROOT = Path(__file__).resolve().parents[3]

# Runs in the child: the kit's plumbing and the 5.x driver, the same code as on Aura.
CHILD = r"""
import json, os, sys
import neo4j
from neo4j.exceptions import AuthError, ServiceUnavailable
import aura_nb
client = aura_nb.AuraClient("simulator-client", "simulator-secret", os.environ["SIM_URL"])
options = aura_nb.driver_options(client)
out = {"version": neo4j.__version__}
password = os.environ["BOLT_PASSWORD"]
with neo4j.GraphDatabase.driver(os.environ["RUNNING_URL"], auth=("neo4j", password),
                                connection_timeout=5, **options) as driver:
    driver.verify_connectivity()
    out["return_1"] = driver.execute_query("RETURN 1").records[0][0]
    out["components"] = driver.execute_query("CALL dbms.components()").records[0].data()
for name, url, secret in (("wrong", os.environ["RUNNING_URL"], password + "x"),
                          ("paused", os.environ["PAUSED_URL"], os.environ["PAUSED_PASSWORD"])):
    with neo4j.GraphDatabase.driver(url, auth=("neo4j", secret), connection_timeout=5,
                                    **options) as driver:
        try:
            driver.verify_connectivity()
            out[name] = "connected"
        except (AuthError, ServiceUnavailable) as error:
            out[name] = type(error).__name__
print(json.dumps(out))
"""


@pytest.mark.skipif(not (NEO4J5 / "neo4j").is_dir(),
                    reason=f"no neo4j 5.x driver in {NEO4J5} (./dev test installs it)")
def test_newest_5x_driver_connects_refuses_a_wrong_password_and_a_paused_instance(api):
    running = api.running(name="bolt5-running")
    paused = api.running(name="bolt5-paused")
    assert api.post(f"/v1/instances/{paused['id']}/pause").status_code == 202
    api.finish(paused["id"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(NEO4J5), str(ROOT)]),
           "SIM_URL": api.sim.base_url, "RUNNING_URL": running["connection_url"],
           "BOLT_PASSWORD": running["password"], "PAUSED_URL": paused["connection_url"],
           "PAUSED_PASSWORD": paused["password"], "PYTHONWARNINGS": "ignore"}
    for name in ("AURA_CLIENT_ID", "AURA_CLIENT_SECRET", "AURA_NB_MODE"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["version"].startswith("5.")
    assert out["return_1"] == 1
    assert out["components"]["name"] == "Neo4j Kernel"
    assert out["wrong"] == "AuthError" and out["paused"] == "ServiceUnavailable"

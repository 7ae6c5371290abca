"""Neo4j's official CLI (``neo4j-cli`` 1.18.1, a Go binary from PyPI) runs unchanged against the
simulator through a whole instance lifecycle.

It resolves the project with v2beta1 before every command, creates, gets, lists and deletes on
v2beta1 and pauses, resumes, renames and snapshots on v1. Its configuration lives in a temporary
home; telemetry and skill refresh are off, and any proxy-able (non-loopback) request would go to a
dead proxy, so the run stays on this machine. The simulator runs fast; only ``create --wait``
pays the CLI's 20-second poll interval.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.clock import wait_until
from tests.helpers.outside import unavailable

pytestmark = pytest.mark.slow  # an outside tool against a simulator process


def cli_binary() -> str:
    beside = Path(sys.executable).parent / "neo4j-cli"
    found = str(beside) if beside.exists() else shutil.which("neo4j-cli")
    if found is None:
        unavailable("neo4j-cli", "pip install 'neo4j-cli==1.18.1'")
    return found


class Cli:
    """Runs ``neo4j-cli`` with an isolated home against one simulator."""

    def __init__(self, base_url: str, home: Path):
        self.binary = cli_binary()
        self.base_url = base_url
        self.env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                    "XDG_CACHE_HOME": str(home / ".cache"), "NEO4J_CLI_NO_UPDATE_NAG": "1",
                    "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
                    "NO_PROXY": ""}
        for key in ("NEO4J_DEBUG", "https_proxy", "http_proxy", "no_proxy"):
            self.env.pop(key, None)
        self.outputs: list[str] = []

    def run(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([self.binary, *args], env=self.env, capture_output=True,
                              text=True, timeout=120)
        self.outputs += [done.stdout, done.stderr]
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def aura(self, *args: str, scope: tuple[str, ...] = ()) -> dict:
        """``neo4j-cli aura ... --format json`` against the simulator; the parsed output."""
        done = self.run("aura", *args, *scope, "--base-url", self.base_url,
                        "--auth-url", f"{self.base_url}/oauth/token", "--format", "json")
        return json.loads(done.stdout)


@pytest.fixture
def cli(simulator_process, tmp_path):
    cli = Cli(simulator_process.base_url, tmp_path)
    cli.run("config", "set", "telemetry", "false", "--rw")
    cli.run("config", "set", "skill-auto-refresh", "false", "--rw")
    cli.run("credential", "aura-client", "add", "--name", "sim", "--client-id",
            "simulator-client", "--client-secret", "simulator-secret", "--rw")
    return cli


def wait_status(cli, instance_id, scope, wanted, timeout=20.0):
    """Poll with ``instance get`` (the simulator is fast) until the status is ``wanted``."""
    deadline = time.monotonic() + timeout
    while True:
        status = cli.aura("instance", "get", instance_id, scope=scope)["data"]["status"]
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_a_whole_instance_lifecycle_with_the_official_cli(cli, simulator_process):
    orgs = cli.aura("organization", "list")["data"]
    assert len(orgs) == 1
    org = orgs[0]["id"]
    projects = cli.aura("project", "list", "--organization-id", org)["data"]
    project = next(p["id"] for p in projects if p["name"] == "Learning Project")
    scope = ("--organization-id", org, "--project-id", project)

    created = cli.aura("instance", "create", "--name", "cli-db", "--type", "professional",
                       "--cloud-provider", "gcp", "--region", "europe-west1", "--memory", "2GB",
                       "--wait", "--rw", "--no-credential-storage", "--no-credential-print",
                       scope=scope)["data"]
    instance = created["id"]
    assert created["type"] == "professional-db" and created["project_id"] == project
    got = cli.aura("instance", "get", instance, scope=scope)["data"]
    assert (got["name"], got["status"]) == ("cli-db", "running")

    cli.aura("instance", "pause", instance, "--rw", scope=scope)
    assert wait_status(cli, instance, scope, "paused") == "paused"
    cli.aura("instance", "resume", instance, "--rw", scope=scope)
    assert wait_status(cli, instance, scope, "running") == "running"
    renamed = cli.aura("instance", "update", instance, "--name", "cli-renamed", "--rw",
                       scope=scope)["data"]
    assert renamed["name"] == "cli-renamed"
    snapshot = cli.aura(
        "instance", "snapshot", "create", "--instance-id", instance, "--rw",
        scope=scope)["data"]["snapshot_id"]
    snapshots = cli.aura("instance", "snapshot", "list", "--instance-id", instance,
                         scope=scope)["data"]
    assert snapshot in [s["snapshot_id"] for s in snapshots]

    listed = cli.aura("instance", "list", scope=scope)["data"]
    assert [(i["id"], i["name"]) for i in listed] == [(instance, "cli-renamed")]
    deleted = cli.aura("instance", "delete", instance, "--rw", "--yes", "--force",
                       scope=scope)["data"]
    assert deleted["status"] == "destroying"
    wait_until(lambda: not cli.aura("instance", "list", scope=scope)["data"], 20, 0.2)
    assert cli.aura("instance", "list", scope=scope)["data"] == []

    sent = simulator_process.admin().stats()
    v2 = "/v2beta1/organizations/{org_id}/projects/{project_id}/instances"
    for route in (f"POST {v2}", f"GET {v2}/{{instance_id}}", f"DELETE {v2}/{{instance_id}}",
                  "POST /v1/instances/{instanceId}/pause", "PATCH /v1/instances/{instanceId}"):
        assert sent["requests"].get(route, 0) >= 1, route
    issued = simulator_process.admin().issued_secrets()
    printed = "\n".join(cli.outputs)
    assert issued["passwords"] and not any(p in printed for p in issued["passwords"])

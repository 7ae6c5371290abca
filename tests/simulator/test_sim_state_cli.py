"""The command line (python -m aura_nb.simulator) and the --state file across restarts."""

import json
import os
import re
import signal
import stat
import subprocess
import sys

import pytest
import requests

from aura_nb.simulator import Simulator
from aura_nb.simulator.catalog import DEFAULT_CLIENT

from tests.helpers.simulator import ADMIN_HEADER, Api, Cli, cli_env, fetch_token

def admin(cli, name, body=None):
    """An admin request to the child simulator, with its token; the answer's JSON."""
    method = "GET" if body is None else "POST"
    return requests.request(method, f"{cli.base}/_simulator/{name}", json=body, timeout=5,
                            headers={ADMIN_HEADER: cli.token}).json()


class Caller:
    """Plain requests against a base URL (the child process is not an in-process Simulator)."""

    def __init__(self, base):
        self.base = base
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {fetch_token(base)}"

    def create(self, **fields):
        tenants = self.s.get(f"{self.base}/v1/tenants").json()["data"]
        body = {"name": "kept", "tenant_id": tenants[0]["id"], "type": "professional-db",
                "cloud_provider": "gcp", "region": "europe-west1", "memory": "2GB",
                "version": "5", **fields}
        return self.s.post(f"{self.base}/v1/instances", json=body)


def scenario_before_restart(caller, advance):
    """Create two instances and a snapshot; returns (running id, creating id, snapshot id)."""
    first = caller.create().json()["data"]["id"]
    advance(200)
    snapshot = caller.s.post(f"{caller.base}/v1/instances/{first}/snapshots",
                             json={}).json()["data"]["snapshot_id"]
    free = caller.create(type="free-db", memory="1GB").json()["data"]["id"]
    return first, free, snapshot


def test_cli_prints_one_line_and_exits_0_on_sigterm_and_sigint():
    for signum in (signal.SIGTERM, signal.SIGINT):
        cli = Cli()
        assert admin(cli, "health")["status"] == "ok"
        code, out, err = cli.stop(signum)
        assert code == 0, err
        assert out.count("\n") == 1 and "simulator-secret" not in out + err


def test_cli_options_are_applied(tmp_path):
    cli_args = ["--client-id", "workshop", "--client-secret", "s3cret-value", "--seed", "4",
                "--speed", "20", "--rate-limit", "2", "--token-ttl", "120",
                "--faults", "fail=418 GET /v1/tenants"]
    proc = subprocess.Popen([sys.executable, "-m", "aura_nb.simulator", *cli_args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(tmp_path))
    line = proc.stdout.readline()
    try:
        assert line.startswith("Aura API simulator listening on http://127.0.0.1:")
        assert "client id workshop, seed 4, speed 20" in line and "s3cret-value" not in line
        base = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        token = requests.post(f"{base}/oauth/token", auth=("workshop", "s3cret-value"),
                              data={"grant_type": "client_credentials"}).json()
        assert token["expires_in"] == 6                     # 120 virtual s at speed 20
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert requests.get(f"{base}/v1/tenants", headers=headers).status_code == 418
        codes = [requests.get(f"{base}/v1/tenants", headers=headers).status_code for _ in range(2)]
        assert codes == [200, 429]                          # 2 per minute, the token included
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "s3cret-value" not in out + err


def test_cli_token_limit_sets_the_token_endpoint_limit(tmp_path):
    """#18: ``--token-limit N`` (default 15, 0 lifts it) is the tokens per client per hour."""
    proc = subprocess.Popen([sys.executable, "-m", "aura_nb.simulator", "--token-limit", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(tmp_path))
    line = proc.stdout.readline()
    try:
        base = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        codes = [requests.post(f"{base}/oauth/token", auth=DEFAULT_CLIENT,
                               data={"grant_type": "client_credentials"}).status_code
                 for _ in range(2)]
        assert codes == [200, 429]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


@pytest.mark.parametrize("args", [["--speed", "0"], ["--faults", "5xx=7"], ["--port", "-1"],
                                  ["--rate-limit", "-3"], ["--token-limit", "-1"]])
def test_cli_rejects_bad_options_with_one_line(args):
    done = subprocess.run([sys.executable, "-m", "aura_nb.simulator", *args],
                          capture_output=True, text=True, timeout=20, env=cli_env())
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr


def test_state_survives_a_restart_with_state(tmp_path):
    state = tmp_path / "world.json"
    cli = Cli("--state", str(state))
    caller = Caller(cli.base)
    old_token = caller.s.headers["Authorization"]
    first, free, snapshot = scenario_before_restart(
        caller, lambda s: admin(cli, "clock", {"advance": s}))
    assert caller.s.get(f"{cli.base}/v1/instances/{free}").json()["data"]["status"] == "creating"
    before = admin(cli, "health")["now"]
    secrets = admin(cli, "secrets")
    code, _, err = cli.stop()
    assert code == 0, err

    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    text = state.read_text()
    json.loads(text)
    for secret in secrets["passwords"] + secrets["access_tokens"] + secrets["client_secrets"]:
        assert secret not in text

    again = Cli("--state", str(state))
    try:
        assert admin(again, "health")["now"] >= before
        s = requests.Session()
        s.headers["Authorization"] = old_token                  # tokens survive too
        listed = s.get(f"{again.base}/v1/instances").json()["data"]
        assert {i["id"] for i in listed} == {first, free}
        assert s.get(f"{again.base}/v1/instances/{first}").json()["data"]["status"] == "running"
        assert [x["snapshot_id"] for x in s.get(
            f"{again.base}/v1/instances/{first}/snapshots").json()["data"]] == [snapshot]
        admin(again, "clock", {"advance": 200})              # statuses keep progressing
        assert s.get(f"{again.base}/v1/instances/{free}").json()["data"]["status"] == "running"
        snap = s.get(f"{again.base}/v1/instances/{first}/snapshots/{snapshot}").json()["data"]
        assert snap["status"] == "Completed"
        second_free = Caller(again.base).create(type="free-db", memory="1GB")
        assert second_free.status_code == 405                    # the free-db count survived
        next_id = Caller(again.base).create(name="kept").json()["data"]["id"]
    finally:
        code, _, err = again.stop()
    assert code == 0, err

    # Ids continue exactly as in a world that was never restarted.
    with Simulator(rate_limit=0) as sim:
        uninterrupted = Api(sim)
        scenario_before_restart(Caller(sim.base_url), sim.advance)
        assert Caller(sim.base_url).create(type="free-db", memory="1GB").status_code == 405
        assert uninterrupted.create(name="kept")["id"] == next_id


def test_in_process_state_file_and_corrupt_file(tmp_path):
    state = tmp_path / "s.json"
    with Simulator(rate_limit=0, state_file=state) as sim:
        iid = Api(sim).create()["id"]
    with Simulator(rate_limit=0, state_file=state) as sim:
        assert sim.world.instances[iid].name == "test-db"
    state.write_text('{"format": 99}')
    with pytest.raises(ValueError):
        Simulator(state_file=state)
    done = subprocess.run([sys.executable, "-m", "aura_nb.simulator", "--state", str(state)],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 2 and "format" in done.stderr

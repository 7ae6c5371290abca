"""The simulator defends its owner: admin token, Host and Origin checks, slowed-down guessing.

A web page in the learner's browser must not reset the world or read secrets (cross-site requests
and DNS rebinding), another local user must not drive the admin surface, and a client secret
cannot be guessed at full speed.
"""

import os
import signal
import stat
import subprocess
import sys

import pytest
import requests

from aura_nb.simulator import Simulator
from aura_nb.simulator.app import SecretGuard
from aura_nb.simulator.remote import SimulatorAdmin

from tests.helpers.clock import ManualClock
from tests.helpers.simulator import ADMIN_HEADER, CLIENT, Cli, admin, cli_env, error_of, fetch_token

ADMIN_PATHS = [("GET", "health"), ("GET", "stats"), ("POST", "reset"), ("GET", "clock"),
               ("POST", "clock"), ("GET", "faults"), ("POST", "faults"), ("GET", "secrets")]


def one_line_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    message = error_of(response)["message"]
    assert message and "\n" not in message
    return error_of(response)


@pytest.mark.parametrize("method, name", ADMIN_PATHS)
@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_every_admin_request_needs_the_admin_token(manual_sim, method, name, token):
    headers = {} if token is None else {ADMIN_HEADER: token}
    r = requests.request(method, f"{manual_sim.base_url}/_simulator/{name}", headers=headers, json={})
    assert one_line_error(r, 403)["reason"] == "admin-token-required"
    assert manual_sim.admin_token not in r.text
    assert admin(manual_sim, method, name, json={}).status_code == 200


def test_a_reset_without_the_token_leaves_the_world_alone(api, manual_sim):
    iid = api.create()["id"]
    assert requests.post(f"{manual_sim.base_url}/_simulator/reset").status_code == 403
    assert api.get(f"/v1/instances/{iid}").status_code == 200


def test_secrets_are_not_given_without_the_token(api, manual_sim):
    r = requests.get(f"{manual_sim.base_url}/_simulator/secrets")
    assert r.status_code == 403 and "simulator-secret" not in r.text and api.token not in r.text


def test_each_simulator_has_its_own_token_and_lists_it_as_a_secret():
    with Simulator() as one, Simulator() as two:
        assert one.admin_token != two.admin_token and len(one.admin_token) >= 32
        assert admin(one, "GET", "secrets").json()["admin_tokens"] == [one.admin_token]
        r = requests.get(f"{two.base_url}/_simulator/health",
                         headers={ADMIN_HEADER: one.admin_token})
        assert r.status_code == 403
        assert one.admin_token not in repr(one)


@pytest.mark.parametrize("host", ["evil.example", "attacker.example:{port}", "localhost.evil:{port}",
                                  "127.0.0.1:1", "localhost:{other}", "[::2]:{port}", "",
                                  "127.0.0.1:{port}x"])
def test_a_host_that_is_not_this_simulator_is_refused(manual_sim, host):
    host = host.format(port=manual_sim.port, other=manual_sim.port + 1)
    token = fetch_token(manual_sim.base_url)
    for path, headers in [("/v1/tenants", {"Authorization": f"Bearer {token}"}),
                          ("/_simulator/secrets", {ADMIN_HEADER: manual_sim.admin_token})]:
        r = requests.get(f"{manual_sim.base_url}{path}", headers={**headers, "Host": host})
        assert one_line_error(r, 421)["reason"] == "misdirected-request"
        assert "simulator-secret" not in r.text and token not in r.text
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=CLIENT, headers={"Host": host},
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 421 and "access_token" not in r.text


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}",
                                  "[::1]:{port}"])
def test_loopback_names_on_the_bound_port_are_accepted(manual_sim, host):
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=CLIENT,
                      headers={"Host": host.format(port=manual_sim.port)},
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 200


def test_public_host_names_are_accepted_for_a_room_simulator():
    with Simulator(public_hosts=["room.example", "tunnel.example:8443"]) as sim:
        for host, status in [(f"room.example:{sim.port}", 200), ("tunnel.example:8443", 200),
                             ("tunnel.example", 421), (f"other.example:{sim.port}", 421)]:
            r = requests.post(f"{sim.base_url}/oauth/token", auth=CLIENT, headers={"Host": host},
                              data={"grant_type": "client_credentials"})
            assert r.status_code == status, host


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example",
                                    "null", "http://127.0.0.1:1", "file://", "http://localhost"])
def test_a_cross_site_origin_is_refused(manual_sim, origin):
    token = fetch_token(manual_sim.base_url)
    for method, path, headers in [
            ("GET", "/v1/tenants", {"Authorization": f"Bearer {token}"}),
            ("POST", "/_simulator/reset", {ADMIN_HEADER: manual_sim.admin_token}),
            ("OPTIONS", "/_simulator/secrets", {})]:
        r = requests.request(method, f"{manual_sim.base_url}{path}", headers={**headers, "Origin": origin})
        assert one_line_error(r, 403)["reason"] == "cross-origin-forbidden"
        assert "Access-Control-Allow-Origin" not in r.headers


def test_a_same_origin_request_is_answered(manual_sim):
    token = fetch_token(manual_sim.base_url)
    r = requests.get(f"{manual_sim.base_url}/v1/tenants", headers={
        "Authorization": f"Bearer {token}", "Origin": f"http://localhost:{manual_sim.port}"})
    assert r.status_code == 200


def test_ten_wrong_secrets_within_a_minute_make_the_token_endpoint_answer_429(manual_sim):
    for _ in range(9):
        r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=("simulator-client", "guess"),
                          data={"grant_type": "client_credentials"})
        assert r.status_code == 401
    assert fetch_token(manual_sim.base_url)            # nine wrong ones: the right one still works
    r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=("simulator-client", "guess"),
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 401                 # the tenth
    for credentials in [("simulator-client", "guess"), CLIENT]:
        r = requests.post(f"{manual_sim.base_url}/oauth/token", auth=credentials,
                          data={"grant_type": "client_credentials"})
        assert r.status_code == 429           # the gateway's shape, as for rate limits
        assert r.json() == {"error": "Too many wrong client secrets from this address or for "
                                     "this client id; try again later"}
        assert 1 <= int(r.headers["Retry-After"]) <= 60 and "access_token" not in r.text
    manual_sim.advance(3600)                           # virtual time does not shorten the wait
    assert requests.post(f"{manual_sim.base_url}/oauth/token", auth=CLIENT,
                         data={"grant_type": "client_credentials"}).status_code == 429
    admin(manual_sim, "POST", "reset")                 # the owner may clear it
    assert fetch_token(manual_sim.base_url)


def test_the_guard_forgets_failures_after_a_real_minute_and_counts_per_address():
    clock = ManualClock(1000.0)
    guard = SecretGuard(clock=clock)
    for _ in range(10):
        guard.failed("10.0.0.1")
        clock.now += 1
    assert guard.wait("10.0.0.2") is None
    assert guard.wait("10.0.0.1") == pytest.approx(50)
    clock.now += 50
    assert guard.wait("10.0.0.1") is None


def test_the_guard_also_counts_per_client_id():
    clock = ManualClock(1000.0)
    guard = SecretGuard(limit=3, clock=clock)
    for n in range(3):
        guard.failed(f"127.0.0.{n + 2}", "target-client")
    assert guard.wait("127.0.0.9", "target-client") == pytest.approx(60)
    assert guard.wait("127.0.0.9", "someone-else") is None


def _token_from(sim, source: str, secret: str) -> int:
    """Status of a token request sent from the loopback address ``source``."""
    import base64
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10, source_address=(source, 0))
    try:
        basic = base64.b64encode(f"simulator-client:{secret}".encode()).decode()
        conn.request("POST", "/oauth/token", body="grant_type=client_credentials",
                     headers={"Authorization": f"Basic {basic}", "Host": f"127.0.0.1:{sim.port}",
                              "Content-Type": "application/x-www-form-urlencoded"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_rotating_loopback_addresses_does_not_escape_the_guard(manual_sim):
    statuses = [_token_from(manual_sim, f"127.0.{n // 200}.{n % 200 + 2}", f"guess-{n}") for n in range(13)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}, statuses


@pytest.mark.parametrize("port_text", ["\u00b9\u00b2\u00b3", "8\u00b2", "\u00bd"])
def test_a_host_or_origin_with_a_non_ascii_digit_is_refused_not_a_500(manual_sim, port_text):
    import http.client

    for header, value, status in [("Host", f"127.0.0.1:{port_text}", 421),
                                  ("Origin", f"http://127.0.0.1:{port_text}", 403)]:
        conn = http.client.HTTPConnection("127.0.0.1", manual_sim.port, timeout=10)
        try:
            conn.putrequest("GET", "/v1/tenants", skip_host=True)
            if header == "Origin":
                conn.putheader("Host", f"127.0.0.1:{manual_sim.port}")
            conn.putheader(header, value.encode("latin-1"))
            conn.endheaders()
            response = conn.getresponse()
            assert response.status == status, (header, value, response.read())
        finally:
            conn.close()


def test_in_process_token_file_is_0600_and_removed_on_stop(tmp_path):
    path = tmp_path / "admin.token"
    with Simulator(admin_token_file=path) as sim:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.read_text().strip() == sim.admin_token
    assert not path.exists()


def test_simulator_admin_finds_the_token_of_an_in_process_simulator(manual_sim, monkeypatch):
    monkeypatch.setenv("AURA_SIMULATOR_ADMIN_TOKEN", "not-this-one")
    assert SimulatorAdmin(manual_sim.base_url).health()["status"] == "ok"
    with pytest.raises(requests.HTTPError):
        SimulatorAdmin(manual_sim.base_url, token="wrong").health()


def test_simulator_admin_finds_the_token_of_a_command_line_simulator(tmp_path, monkeypatch):
    cli = Cli(env=cli_env(tmp_path))
    try:
        assert cli.token_file == tmp_path / f"simulator-admin-{cli.base.rsplit(':', 1)[1]}.token"
        assert stat.S_IMODE(os.stat(cli.token_file).st_mode) == 0o600
        assert cli.token not in cli.line
        monkeypatch.delenv("AURA_SIMULATOR_ADMIN_TOKEN", raising=False)
        monkeypatch.setenv("AURA_NB_HOME", str(tmp_path))                  # the token file
        assert SimulatorAdmin(cli.base).advance(60)
        monkeypatch.setenv("AURA_NB_HOME", str(tmp_path / "elsewhere"))
        with pytest.raises(requests.HTTPError, match="AURA_SIMULATOR_ADMIN_TOKEN") as info:
            SimulatorAdmin(cli.base).health()
        assert cli.token_file.name in str(info.value) and "\n" not in str(info.value)
        monkeypatch.setenv("AURA_SIMULATOR_ADMIN_TOKEN", cli.token)         # a kernel's env
        assert SimulatorAdmin(cli.base).stats()["tokens_issued"] == 0
    finally:
        code, _, err = cli.stop(signal.SIGTERM)
    assert code == 0, err
    assert not cli.token_file.exists()


def test_cli_takes_the_client_secret_from_a_file_or_the_environment(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    for args, env in [(["--client-secret-file", str(secret_file)], {}),
                      ([], {"AURA_SIMULATOR_CLIENT_SECRET": "from-the-env"})]:
        proc = subprocess.Popen([sys.executable, "-m", "aura_nb.simulator", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=cli_env(tmp_path, **env))
        line = proc.stdout.readline()
        try:
            base = line.split("listening on ")[1].split()[0]
            secret = "from-a-file" if args else "from-the-env"
            assert fetch_token(base, ("simulator-client", secret))
            r = requests.post(f"{base}/oauth/token", auth=CLIENT,
                              data={"grant_type": "client_credentials"})
            assert r.status_code == 401                  # the default secret is not accepted
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0 and secret not in line + out + err
    done = subprocess.run([sys.executable, "-m", "aura_nb.simulator", "--client-secret-file",
                           str(tmp_path / "missing")], capture_output=True, text=True,
                          timeout=20, env=cli_env(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    help_text = subprocess.run([sys.executable, "-m", "aura_nb.simulator", "--help"],
                               capture_output=True, text=True, timeout=20).stdout
    assert "process list" in help_text


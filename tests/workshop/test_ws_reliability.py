"""Nothing billed twice, no password lost, no bulk operation abandoned (issue 10, defects 2-4),
driven through the workshop CLI and ``Workshop`` against the simulator."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import aura_nb.core.vault
from aura_nb.simulator import Simulator
from aura_nb.workshop import UNKNOWN, Guardrails, Workshop
from aura_nb.workshop.__main__ import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNKNOWN, main

from tests.helpers import SPEED
from tests.helpers.clock import wait_until
from tests.helpers.simulator import prefixed, requests_made
from tests.helpers.workshop import CLIENT_SETTINGS, SPEC, lose_create_after_first_listing


ROOT = Path(__file__).resolve().parents[2]


def cli(*argv: str, client=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, client=client)
    return code, out.getvalue(), err.getvalue()


def _named(sim, prefix):
    return sorted(i.name for i in prefixed(sim, prefix))


def test_lost_create_whose_listings_recover_finishes_in_one_run_without_a_duplicate(make_client, env, roster_file):
    sim = env
    client = make_client(sim, **CLIENT_SETTINGS)
    lose_create_after_first_listing(client, sim, listing_failures=5)  # the core's own check fails
    code, out, err = cli("provision", "--prefix", "lost", "--roster", str(roster_file(1)), client=client)
    assert code == EXIT_OK, out + err
    assert len(prefixed(sim, "lost")) == 1 and requests_made(sim)["POST /v1/instances"] == 1
    assert "1/1 running" in out and "password never delivered for Zoë Núñez" in out


def test_lost_create_whose_listings_stay_down_is_unknown_then_the_next_run_adopts(make_client, env, roster_file):
    sim = env
    client = make_client(sim, **CLIENT_SETTINGS)
    lose_create_after_first_listing(client, sim, listing_failures=1000)
    code, out, err = cli("provision", "--prefix", "lost", "--roster", str(roster_file(2)), client=client)
    assert code == EXIT_UNKNOWN, out + err
    assert "unknown: check before re-running" in out and "1 unknown whether created" in out
    assert requests_made(sim)["POST /v1/instances"] == 2  # never re-created while listings fail
    assert UNKNOWN in {r.status for r in Workshop(client, "lost").manifest}
    assert "exit codes:" in _help() and "3 provision could not tell" in _help()

    sim.set_faults(script=[])  # listings answer again
    code, out, err = cli("provision", "--prefix", "lost", "--roster", str(roster_file(2)), client=client)
    assert code == EXIT_OK, out + err
    assert "2/2 running; 0 created; 1 adopted" in out
    assert len(prefixed(sim, "lost")) == 2 and requests_made(sim)["POST /v1/instances"] == 2
    code, out, _ = cli("teardown", "--prefix", "lost", "--yes", client=client)
    assert code == EXIT_OK and "deleted 2" in out


def _help() -> str:
    parser_help = io.StringIO()
    from aura_nb.workshop.__main__ import build_parser

    build_parser().print_help(parser_help)
    return " ".join(parser_help.getvalue().split())


def test_an_unwritable_vault_refuses_provisioning_before_any_create(env, tmp_path, roster_file, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AURA_VAULT_DIR", str(blocker / "vault"))
    code, out, err = cli("provision", "--prefix", "nv", "--roster", str(roster_file(3)))
    assert code == EXIT_BAD_INPUT and len(err.strip().splitlines()) == 2  # the mode line + the error
    assert "POST /v1/instances" not in requests_made(env) and prefixed(env, "nv") == []


def test_passwords_the_vault_cannot_take_go_to_a_rescue_file(env, tmp_path, roster_file, monkeypatch):
    sim = env

    def full_disk(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(aura_nb.core.vault, "write_private", full_disk)  # the vault's file writes fail
    code, out, err = cli("provision", "--prefix", "rv", "--roster", str(roster_file(2)), "--no-wait")
    passwords = sim.issued_secrets()["passwords"]
    assert len(passwords) == 2 and len(prefixed(sim, "rv")) == 2
    assert not any(p in out + err for p in passwords)
    rescued = sorted(tmp_path.glob("*rescued*"))
    assert sorted(p for f in rescued for p in passwords if p in f.read_text()) == sorted(passwords)
    assert out.count("password not in the vault: in the rescue file") == 2


def test_a_password_no_file_can_take_is_shown_once_on_stderr(make_client, env, roster_file, monkeypatch):
    from aura_nb.core.errors import VaultWriteFailed

    sim = env
    client = make_client(sim, **CLIENT_SETTINGS)
    real_save = client.vault.save
    nowhere = []

    def save(created):  # the first password finds no writable file at all
        if not nowhere:
            nowhere.append(created.id)
            raise VaultWriteFailed("no file could be written", created=created, rescue_path=None)
        return real_save(created)

    monkeypatch.setattr(client.vault, "save", save)
    code, out, err = cli("provision", "--prefix", "sv", "--roster", str(roster_file(2)), "--no-wait", client=client)
    passwords = sim.issued_secrets()["passwords"]
    shown = [p for p in passwords if p in err]
    assert len(passwords) == 2 and len(shown) == 1 and err.count(shown[0]) == 1  # once, stderr only
    assert nowhere[0] in err and not any(p in out for p in passwords)
    kept = [p for p in passwords if p not in shown]
    assert [e.password for e in client.vault.entries()] == kept
    assert "shown once on stderr" in out and len(prefixed(sim, "sv")) == 2


def test_pause_under_dropped_connections_ends_with_every_instance_pausing_or_paused(sim, workshop_client, home, roster_file):
    workshop = Workshop(workshop_client, "drop", retry_delay=1)
    workshop.provision(roster_file(12), SPEC, wait=False, handouts=False)
    sim.advance(200)
    sim.set_faults(drop_rate=0.10)
    report = workshop.pause_all(wait=False)
    sim.set_faults(drop_rate=0.0)
    assert report.ok and not report.failed, report.lines()
    assert {i.status for i in prefixed(sim, "drop")} <= {"pausing", "paused"}
    assert len(report.changed) + len(report.skipped) == 12


def test_one_failed_delete_does_not_stop_the_teardown(sim, workshop_client, home, roster_file):
    workshop = Workshop(workshop_client, "td", retry_delay=1, concurrency=1)
    workshop.provision(roster_file(4), SPEC, wait=False, handouts=False)
    sim.advance(200)
    victim = workshop.manifest.records["Attendee 00"].instance_id
    stuck = workshop.manifest.records["Attendee 01"].instance_id
    # one DELETE is carried out but its answer lost; another is refused with 500 every time
    sim.set_faults(script=[{"method": "DELETE", "path": f"/v1/instances/{victim}", "action": "lose_response"},
                           {"method": "DELETE", "path": f"/v1/instances/{stuck}", "action": "status",
                            "status": 500, "times": 1000}])
    report = workshop.teardown(yes=True)
    sim.set_faults(script=[])
    assert "Attendee 00" in report.deleted  # its status was read back: destroying, not resent
    assert list(report.failed) == ["Attendee 01"] and len(report.deleted) == 3, report.lines()
    again = Workshop(workshop_client, "td").teardown(yes=True)
    assert again.ok and len(again.deleted) == 1
    sim.advance(30)
    assert prefixed(sim, "td") == []


def test_class_of_30_under_random_faults_and_a_lost_create_finishes_every_step_in_one_run(make_client, home, roster_file):
    """Issue 10's "Done when": 5xx, 429 bursts, 10% dropped connections, short token life, plus a
    lost create whose listings recover; provision, pause, resume and teardown each in one run."""
    faults = {"error_rate": 0.05, "rate_429": 0.05, "drop_rate": 0.10}
    # Tokens of 600 server seconds (6 s of real time here): the run renews several; 150 (1.5 s)
    # expired between a fetch and its use on a loaded machine (a 403 mid-resume, now and then).
    # Renewals beyond the token endpoint's 15 an hour: that limit is lifted.
    with Simulator(seed=21, speed=SPEED, rate_limit=125, token_ttl=600, token_limit=0,
                   faults=faults) as sim:
        client = make_client(sim, **CLIENT_SETTINGS)
        lose_create_after_first_listing(client, sim, listing_failures=5)
        workshop = Workshop(client, "rel", retry_delay=1)
        figures = []

        def step(name, action):
            before, started = sum(requests_made(sim).values()), time.monotonic()
            result = action()
            figures.append(f"{name}: {sum(requests_made(sim).values()) - before} requests, "
                           f"{time.monotonic() - started:.1f} s")
            return result

        slack = 6000  # server seconds (60 s real): the shared test machine may be slow, the API is not
        provisioned = step("provision", lambda: workshop.provision(
            roster_file(30), SPEC, guardrails=Guardrails(max_instances=30), timeout=slack))
        assert provisioned.ok, provisioned.lines() + [f"{r.attendee}: {r.notes}" for r in workshop.manifest if r.status == "unknown"]
        names = _named(sim, "rel")
        assert len(names) == 30 and len(set(names)) == 30  # no duplicate
        passwords = sim.issued_secrets()["passwords"]
        kept = {client.vault.load(r.instance_id).password for r in workshop.manifest if r.password_captured}
        never = set(provisioned.lost_passwords)
        assert len(never) == 1 and len(kept) == 29 and kept <= set(passwords)  # every received one kept

        paused = step("pause", lambda: workshop.pause_all(timeout=slack))
        assert paused.ok and {i.status for i in prefixed(sim, "rel")} == {"paused"}, paused.lines()
        resumed = step("resume", lambda: workshop.resume_all(timeout=slack))
        assert resumed.ok and {i.status for i in prefixed(sim, "rel")} == {"running"}, resumed.lines()
        torn = step("teardown", lambda: workshop.teardown(yes=True))
        assert torn.ok and len(torn.deleted) + len(torn.already_gone) == 30, torn.lines()
        sim.advance(30)
        assert prefixed(sim, "rel") == []
        print("\n" + "; ".join(figures))


def test_one_status_read_sends_at_most_one_plus_max_retries_gets_and_no_action(sim, workshop_client, home,
                                                                               roster_file):
    """Issue 21, item 3: transient failures are retried by the transport alone; the workshop reads
    once (it used to read up to 6 times, 30 GETs), and sends no pause it could not check."""
    workshop = Workshop(workshop_client, "rd", retry_delay=0.05)
    workshop.provision(roster_file(1), SPEC, wait=False, handouts=False)
    sim.advance(200)
    (record,) = workshop.manifest
    before = requests_made(sim)["GET /v1/instances/{instanceId}"]
    sim.set_faults(script=[{"method": "GET", "path": f"/v1/instances/{record.instance_id}", "action": "status",
                            "status": 503, "times": 1000}])
    report = workshop.pause_all(wait=False)
    sim.set_faults(script=[])
    assert list(report.failed) == [record.attendee], report.lines()
    reads = requests_made(sim)["GET /v1/instances/{instanceId}"] - before
    assert reads == 1 + workshop_client.transport.max_retries == 5
    assert "POST /v1/instances/{instanceId}/pause" not in requests_made(sim)


def test_a_lost_create_whose_listings_stay_down_is_checked_by_one_read_each_in_the_core_and_the_workshop(
        make_client, env, roster_file):
    sim = env
    client = make_client(sim, **CLIENT_SETTINGS)
    lose_create_after_first_listing(client, sim, listing_failures=1000)
    code, out, err = cli("provision", "--prefix", "few", "--roster", str(roster_file(1)), "--no-wait", client=client)
    assert code == EXIT_UNKNOWN, out + err
    per_read = 1 + client.transport.max_retries
    # the adoption listing, the core's own check of a lost create, the workshop's one read (was 6 reads)
    assert requests_made(sim)["GET /v1/instances"] == 1 + per_read + per_read
    assert requests_made(sim)["POST /v1/instances"] == 1


@pytest.mark.parametrize("prefix, size, budget, late", [("slow", 3, 1.0, 1.5), ("tardy", 4, 0.8, 1.2)])
def test_a_create_carried_out_after_its_budget_is_adopted_not_sent_again(
        make_client, env, roster_file, monkeypatch, prefix, size, budget, late):
    """Issue 20, case 2: the workshop's resend after a lost create waits in the core until the
    late instance is listed (AURA_CREATE_GRACE), then adopts it: one instance per attendee."""
    from tests.helpers.simulator import slow_create

    sim = env
    monkeypatch.setenv("AURA_CREATE_GRACE", "600")
    client = make_client(sim, tenant=CLIENT_SETTINGS["tenant"], timeout=budget)
    slow_create(sim, late, monkeypatch)
    code, out, err = cli("provision", "--prefix", prefix, "--roster", str(roster_file(size)),
                         client=client)
    assert code == EXIT_OK, out + err
    assert len(prefixed(sim, prefix)) == size and requests_made(sim)["POST /v1/instances"] == size
    assert f"{size}/{size} running" in out and "password never delivered for" in out


@pytest.mark.parametrize("signum, size", [(signal.SIGTERM, 3), (signal.SIGTERM, 2)])
def test_provision_stopped_mid_create_finishes_the_creates_in_flight_and_keeps_their_passwords(
        sim, tmp_path, roster_file, signum, size):
    """Issue 20, case 3 in the CLI: SIGTERM (as Ctrl-C already did) while creates are in flight lets them
    finish; every instance made has its password in the vault, and the run says it stopped."""
    vault = tmp_path / "vault"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env.update(AURA_BASE_URL=sim.base_url, AURA_CLIENT_ID=sim.client_id,
               AURA_CLIENT_SECRET=sim.client_secret, AURA_TENANT=CLIENT_SETTINGS["tenant"],
               AURA_VAULT_DIR=str(vault), AURA_NB_HOME=str(tmp_path / "home"),
               AURA_SIMULATOR_SPEED=str(SPEED), AURA_RATE_LIMIT="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "aura_nb.workshop", "provision", "--prefix",
                             "halt", "--roster", str(roster_file(size)), "--no-wait"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert wait_until(lambda: requests_made(sim)["GET /v1/instances"] >= 1, 20)
        sim.set_faults(latency=1.0)  # the creates about to leave are carried out late
        assert wait_until(lambda: requests_made(sim)["POST /v1/instances"] == size, 10)
        time.sleep(0.2)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        sim.set_faults(latency=0)
    assert wait_until(lambda: len(prefixed(sim, "halt")) == size, 5)  # carried out, late
    made = prefixed(sim, "halt")
    assert "Traceback" not in err, out + err
    for instance in made:
        saved = [p for p in vault.glob("*") if instance.id in p.name]
        assert saved and "NEO4J_PASSWORD=" in saved[0].read_text(), (instance.id, out + err)

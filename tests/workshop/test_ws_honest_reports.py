"""Honest reports (issue 20, cases 4, 5 and 8): whatever stops a provision (a full disk, a token
endpoint outage, Ctrl-C, an unwritable vault) it ends with a per-attendee report that tells
"sent and unknown", "never sent" (with the cause), "password in rescue file X" and "password never
delivered by the API" apart; no traceback, no password beside an error; a re-run makes exactly
one instance per attendee."""

from __future__ import annotations

import errno
import io
from collections import Counter

import pytest

import aura_nb.core.vault
import aura_nb.workshop.manifest
from aura_nb.core.history import History
from aura_nb.workshop import Workshop
from aura_nb.workshop.__main__ import EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK, main

from tests.helpers.simulator import prefixed, requests_made
from tests.helpers.workshop import CLIENT_SETTINGS

ROSTER = ["Wanjiru Kamau", "Björn Ek", "Saoirse Byrne", "Kofi Mensah", "Ana Lima", "Dai Wei", "Olu Ade"]


def cli(*argv: str, client=None, out=None) -> tuple[int, str, str]:
    out, err = out or io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, client=client)
    return code, out.getvalue(), err.getvalue()


def roster(tmp_path, n: int):
    path = tmp_path / f"class-{n}.csv"
    path.write_text("attendee\n" + "\n".join(ROSTER[:n]) + "\n", encoding="utf-8")
    return str(path)


def one_each(sim, prefix: str, n: int) -> None:
    names = Counter(i.name for i in prefixed(sim, prefix))
    assert len(names) == n and set(names.values()) == {1}, names


def attendee_lines(out: str) -> dict[str, str]:
    return {line.strip().split(": ", 1)[0]: line.strip().split(": ", 1)[1]
            for line in out.splitlines() if line.startswith("  ")}


def no_secret(sim, *texts: str) -> None:
    passwords = sim.issued_secrets()["passwords"]
    assert not [p for p in passwords for t in texts if p in t]


@pytest.mark.parametrize("n, after", [(3, 0), (5, 1)])
def test_a_token_outage_is_never_sent_not_unknown(make_client, env, tmp_path, n, after):
    """Case 8: the token endpoint answers 503 once the creates begin: no create was sent, and the
    report says so with the cause, once per attendee; a re-run creates them."""
    sim = env
    client = make_client(sim, **CLIENT_SETTINGS, max_retries=1)
    listings = []

    class Outage(History):
        def append(self, exchange) -> None:
            super().append(exchange)
            if exchange.method == "GET" and exchange.url.split("?")[0].endswith("/v1/instances"):
                listings.append(1)
                if len(listings) == 1:  # after the adoption listing: tokens fail from now on
                    sim.set_faults(script=[{"method": "POST", "path": "/oauth/token", "action": "status",
                                            "status": 503, "times": 1000}])
                    client.transport.tokens.invalidate()

    client.transport.history = Outage(client.history.maxlen)
    code, out, err = cli("provision", "--prefix", "tok", "--roster", roster(tmp_path, n), "--concurrency", "2",
                         client=client)
    assert code == EXIT_INCOMPLETE, out + err
    assert "POST /v1/instances" not in requests_made(sim) and prefixed(sim, "tok") == []
    lines = attendee_lines(out)
    assert set(lines) == set(ROSTER[:n])
    for text in lines.values():
        assert text.startswith("never sent: ") and "503" in text and "/oauth/token" in text
        assert "unknown" not in text and text.count("never sent") == 1
    assert f"{n} never sent" in out and "unknown whether created" not in out and "Traceback" not in err

    sim.set_faults(script=[])
    code, out, err = cli("provision", "--prefix", "tok", "--roster", roster(tmp_path, n), "--no-wait", client=client)
    assert code == EXIT_OK, out + err
    one_each(sim, "tok", n)


@pytest.mark.parametrize("n, good_writes", [(4, 4), (6, 7)])
def test_a_full_disk_under_the_manifest_ends_with_the_report_and_a_rerun_finishes(env, tmp_path, monkeypatch,
                                                                                  home, n, good_writes):
    """Case 4: the home's disk fills mid-provision (ENOSPC at the manifest's write): the run
    ends with the per-attendee report, names the disk and what was already created, prints no
    traceback and no password; once there is room, the re-run makes one instance per attendee."""
    sim = env
    real = aura_nb.workshop.manifest.write_private
    writes = []

    def filling(path, text):
        writes.append(path)
        if len(writes) > good_writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, text)

    monkeypatch.setattr(aura_nb.workshop.manifest, "write_private", filling)
    code, out, err = cli("provision", "--prefix", "full", "--roster", roster(tmp_path, n), "--concurrency", "1",
                         "--no-wait")
    assert code == EXIT_INCOMPLETE, out + err
    assert "Traceback" not in out + err
    no_secret(sim, out, err)
    stopped = [line for line in out.splitlines() if line.startswith("stopped early: ")]
    assert len(stopped) == 1 and "No space left on device" in stopped[0]
    assert "the filesystem mounted at /" in stopped[0] and "manifest.json" in stopped[0]
    made = prefixed(sim, "full")
    assert "already created: " in stopped[0] and all(i.id in stopped[0] for i in made)
    lines = attendee_lines(out)
    assert len(made) < n and len([t for t in lines.values() if t.startswith("never sent: ")]) == n - len(made)

    monkeypatch.setattr(aura_nb.workshop.manifest, "write_private", real)  # room again
    code, out, err = cli("provision", "--prefix", "full", "--roster", roster(tmp_path, n), "--no-wait")
    assert code == EXIT_OK, out + err
    one_each(sim, "full", n)
    assert "password never delivered" not in out  # the vault had them all


class InterruptAt(io.StringIO):
    """The CLI's stdout: Ctrl-C arrives (in the main thread) once ``after`` creates are shown."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def write(self, text: str) -> int:
        written = super().write(text)
        if ": created " in text:
            self.after -= 1
            if self.after == 0:
                raise KeyboardInterrupt
        return written


@pytest.mark.parametrize("earlier, n", [(0, 3), (2, 5)])
def test_ctrl_c_before_the_first_create_reports_each_attendee_as_never_sent(make_client, env, tmp_path,
                                                                           monkeypatch, earlier, n):
    """Ctrl-C while the tenant is still being looked up: the report names every attendee without
    an instance as never sent, says what was already created, and nothing is sent."""
    sim = env
    if earlier:
        assert cli("provision", "--prefix", "early", "--roster", roster(tmp_path, earlier), "--no-wait")[0] == EXIT_OK
    client = make_client(sim, **CLIENT_SETTINGS)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(client, "find_tenant", interrupted)
    creates = requests_made(sim)["POST /v1/instances"]
    code, text, err = cli("provision", "--prefix", "early", "--roster", roster(tmp_path, n), "--no-wait",
                          client=client)
    assert code == EXIT_INTERRUPTED and "Traceback" not in err
    assert "stopped early: interrupted (Ctrl-C) before any create was sent" in text
    assert requests_made(sim)["POST /v1/instances"] == creates and len(prefixed(sim, "early")) == earlier
    lines = attendee_lines(text)
    assert [a for a, t in lines.items() if t.startswith("never sent: interrupted")] == ROSTER[earlier:n], text
    already = text.split("already created: ", 1)[1].splitlines()[0]
    assert [part.split(" (")[0] for part in already.split(", ")] == (ROSTER[:earlier] or ["none"])


@pytest.mark.parametrize("n, after", [(5, 2), (7, 1)])
def test_ctrl_c_mid_provision_prints_the_report_and_a_rerun_makes_one_each(env, tmp_path, n, after):
    sim = env
    out = InterruptAt(after)
    code, text, err = cli("provision", "--prefix", "int", "--roster", roster(tmp_path, n), "--concurrency", "1",
                          "--no-wait", out=out)
    assert code == EXIT_INTERRUPTED and "interrupted" in err and "Traceback" not in err
    assert "stopped early: interrupted (Ctrl-C)" in text and "already created: " in text
    lines = attendee_lines(text)
    made = len(prefixed(sim, "int"))
    assert made >= after and len([t for t in lines.values() if t.startswith("never sent: ")]) == n - made
    assert f"{made} created" in text                      # the ones finished after Ctrl-C too
    no_secret(sim, text, err)
    code, text, err = cli("provision", "--prefix", "int", "--roster", roster(tmp_path, n), "--no-wait")
    assert code == EXIT_OK, text + err
    one_each(sim, "int", n)


def test_rescued_passwords_are_reported_as_rescued_by_later_runs_and_reach_the_handouts(env, tmp_path, monkeypatch):
    """Case 5: a password the vault could not take is in a rescue file; later runs say so (never
    "never delivered by the API") and the hand-out carries it."""
    sim = env

    def full_disk(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    real = aura_nb.core.vault.write_private
    monkeypatch.setattr(aura_nb.core.vault, "write_private", full_disk)
    code, out, _ = cli("provision", "--prefix", "rsc", "--roster", roster(tmp_path, 3), "--no-wait")
    assert out.count("password not in the vault: in the rescue file") == 3
    monkeypatch.setattr(aura_nb.core.vault, "write_private", real)
    code, out, err = cli("provision", "--prefix", "rsc", "--roster", roster(tmp_path, 3))
    assert code == EXIT_OK, out + err
    assert "never delivered" not in out and out.count("password not in the vault: in the rescue file") == 3
    passwords = set(sim.issued_secrets()["passwords"])
    handouts = (tmp_path / "home" / "workshops" / "rsc" / "handouts").glob("rsc-*.txt")
    from aura_nb.core.envfile import read_env

    assert {read_env(p)["NEO4J_PASSWORD"] for p in handouts} == passwords


@pytest.mark.parametrize("command, after", [("pause", 2), ("teardown", 1)])
def test_ctrl_c_in_pause_or_teardown_ends_with_the_per_attendee_report(env, tmp_path, command, after):
    sim = env
    code, _, err = cli("provision", "--prefix", "blk", "--roster", roster(tmp_path, 5))
    assert code == EXIT_OK, err

    class Stop(io.StringIO):
        seen = 0

        def write(self, text: str) -> int:
            written = super().write(text)
            if text.startswith("[") and (": pause sent" in text or ": deleted" in text):
                Stop.seen += 1
                if Stop.seen == after:
                    raise KeyboardInterrupt
            return written

    argv = ["pause", "--prefix", "blk", "--concurrency", "1"] if command == "pause" else \
        ["teardown", "--prefix", "blk", "--yes", "--concurrency", "1"]
    code, text, err = cli(*argv, out=Stop())
    assert code == EXIT_INTERRUPTED and "Traceback" not in err
    summary = [line for line in text.splitlines() if line.startswith(("pause:", "deleted "))]
    assert len(summary) == 1, text
    not_sent = [line for line in text.splitlines() if "cancel" in line and line.startswith("  ")]
    assert len(not_sent) in (5 - after, 4 - after), text  # the next one may have been in flight
    code, text, err = cli(*argv)
    assert code == EXIT_OK, text + err


@pytest.mark.parametrize("n, good_checks", [(4, 2), (6, 4)])
def test_a_vault_that_fills_mid_run_leaves_the_rest_never_sent_with_the_cause(make_client, env, tmp_path, n,
                                                                              good_checks, monkeypatch):
    """Case 4 with the vault on the full disk: the creates already made keep their passwords;
    the rest are "never sent" because the vault could not be written (exit 1, not 2: something
    was created), each attendee named once."""
    from aura_nb.core.errors import VaultUnwritable

    sim = env
    client = make_client(sim, **CLIENT_SETTINGS)
    real_check = client.vault.check_writable
    checks = []

    def check() -> None:
        checks.append(1)
        if len(checks) > good_checks:
            raise VaultUnwritable(f"the vault at {client.vault.directory} cannot be written (No space left on "
                                  "device), so a new instance's one-time password would be lost; nothing was sent",
                                  directory=client.vault.directory)
        real_check()

    monkeypatch.setattr(client.vault, "check_writable", check)
    code, out, err = cli("provision", "--prefix", "vf", "--roster", roster(tmp_path, n), "--concurrency", "1",
                         "--no-wait", client=client)
    assert code == EXIT_INCOMPLETE, out + err
    made = prefixed(sim, "vf")
    assert len(made) == good_checks - 1                 # provision's own check, then one per create
    assert sorted(e.instance_id for e in client.vault.entries()) == sorted(i.id for i in made)
    lines = attendee_lines(out)
    never = [t for t in lines.values() if t.startswith("never sent: the vault at ")]
    assert len(never) == n - len(made) and all("No space left on device" in t for t in never)
    assert "Traceback" not in err and "unknown" not in out

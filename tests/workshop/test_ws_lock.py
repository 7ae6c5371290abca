"""One process at a time per workshop (issue 20, case 1): two provisions of one class at once
end with exactly one instance per attendee; the second says who holds the workshop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from aura_nb.workshop import Workshop
from aura_nb.workshop.lock import OWNER_NAME, WorkshopLocked, workshop_lock
from aura_nb.workshop.__main__ import EXIT_LOCKED

from tests.helpers.simulator import prefixed
from tests.helpers.workshop import SPEC

NAMES = ["Ngozi Okafor", "Lars Øberg", "Mei-Ling Chu", "Tomás Ruiz", "Priya Raman", "Jonah Weiss", "Aiko Sato"]


def _cli(prefix: str, roster, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "aura_nb.workshop", "provision", "--prefix", prefix,
                             "--roster", str(roster), "--memory", "2GB", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})


@pytest.mark.parametrize("size", [4, 7])
def test_two_provisions_at_once_make_one_instance_per_attendee(env, tmp_path, home, size):
    roster = tmp_path / "roster.csv"
    roster.write_text("attendee\n" + "\n".join(NAMES[:size]) + "\n", encoding="utf-8")
    env.set_faults(latency=0.03)  # every answer a little slow: the two runs overlap
    first = _cli("twin", roster, "--concurrency", "2")
    owner = home / "workshops" / "twin" / OWNER_NAME
    deadline = time.monotonic() + 30
    while not owner.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    second = _cli("twin", roster)
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == EXIT_LOCKED, (out2, err2)
    last = err2.strip().splitlines()[-1]
    assert last.startswith("error: workshop twin is busy: pid ") and f"pid {first.pid} " in last
    assert "'provision'" in last and "since 20" in last and "Traceback" not in err2
    names = Counter(i.name for i in prefixed(env, "twin"))
    assert len(names) == size and set(names.values()) == {1}


def test_a_second_process_runs_once_the_first_has_finished(env, tmp_path, home):
    roster = tmp_path / "roster.csv"
    roster.write_text("attendee\n" + "\n".join(NAMES[2:5]) + "\n", encoding="utf-8")
    for expected in (0, 0):
        done = _cli("seq", roster, "--no-wait")
        out, err = done.communicate(timeout=120)
        assert done.returncode == expected, err
    assert not (home / "workshops" / "seq" / OWNER_NAME).exists()
    assert len(prefixed(env, "seq")) == 3


def test_a_thread_beside_a_running_command_is_refused_and_status_still_reads(sim, workshop_client, tmp_path):
    first = Workshop(workshop_client, "thr", retry_delay=0.05)
    first.provision([], SPEC, wait=False)  # the folder and manifest exist
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with workshop_lock(first.folder, "thr", "pause"):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        other = Workshop(workshop_client, "thr")
        for call in (lambda: other.provision([], SPEC, wait=False), other.pause_all,
                     lambda: other.teardown(yes=True), other.write_handouts):
            with pytest.raises(WorkshopLocked, match=rf"busy: pid {os.getpid()} on .* running 'pause' since ") as info:
                call()
            assert info.value.owner["pid"] == os.getpid()
        assert other.status() == []  # read-only while locked: shown, not saved
    finally:
        release.set()
        thread.join()
    assert other.pause_all().ok  # free again


def test_the_manifest_is_read_again_once_the_lock_is_held(sim, workshop_client, roster_file):
    stale = Workshop(workshop_client, "again", retry_delay=0.05)
    fresh = Workshop(workshop_client, "again", retry_delay=0.05)
    fresh.provision(roster_file(3), SPEC, wait=False)
    report = stale.provision(roster_file(3), SPEC, wait=False)   # built before: must not recreate
    assert report.created == [] and len(prefixed(sim, "again")) == 3

"""Learned durations: the shared file (merging, limits, damage) and the poll plan built on it."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from aura_nb.core.waiting.learning import KEEP, MAX_APIS, DurationStore, store_path
from aura_nb.core.waiting.plan import DENSE_CAP_SHARE, DENSE_FRACTION, MIN_GAP, PRIOR_EARLIEST, \
    PollPlan, expectation

API = "https://api.example.test"


def test_store_lives_in_aura_nb_home_and_keeps_apis_and_kinds_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("AURA_NB_HOME", str(tmp_path))
    assert store_path() == tmp_path / "durations.json"
    real, sim = DurationStore(API), DurationStore("http://127.0.0.1:8000")
    real.record("create", [(80.0, 88.0)], now=1000.0)
    real.record("pause", [(20.0, 24.0)], now=1001.0)
    sim.record("create", [(5.0, 6.0)], now=1002.0)
    assert real.durations("create") == [(80.0, 88.0)]
    assert real.durations("pause") == [(20.0, 24.0)]
    assert sim.durations("create") == [(5.0, 6.0)] and sim.durations("pause") == []
    data = json.loads((tmp_path / "durations.json").read_text())
    assert data["version"] == 1
    assert data["apis"][API]["kinds"]["create"] == [[80.0, 88.0, 1000.0]]


def test_only_the_latest_observations_and_apis_are_kept(tmp_path):
    path = tmp_path / "durations.json"
    store = DurationStore(API, path)
    store.record("create", [(float(n), float(n) + 1) for n in range(KEEP + 5)], now=1.0)
    assert [lo for lo, _ in store.durations("create")] == [float(n) for n in range(5, KEEP + 5)]
    for n in range(MAX_APIS + 3):
        DurationStore(f"http://127.0.0.1:{n}", path).record("pause", [(1.0, 2.0)], now=10.0 + n)
    apis = json.loads(path.read_text())["apis"]
    assert len(apis) == MAX_APIS and "http://127.0.0.1:0" not in apis and API not in apis


@pytest.mark.parametrize("content", ["{not json", '{"version": 99, "apis": {}}', "[1, 2]",
                                     '{"version": 1, "apis": {"%s": {"kinds": {"create": '
                                     '[[1, "x", 3], [5, 2, 1], "junk"]}}}}' % API])
def test_a_damaged_file_counts_as_empty_and_is_replaced_whole(tmp_path, content):
    path = tmp_path / "durations.json"
    path.write_text(content)
    store = DurationStore(API, path)
    assert store.durations("create") == []
    store.record("create", [(10.0, 12.0)], now=5.0)
    assert store.durations("create") == [(10.0, 12.0)]


def test_an_unwritable_home_never_fails_a_wait(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = DurationStore(API, blocker / "sub" / "durations.json")
    store.record("create", [(1.0, 2.0)], now=1.0)  # logged, not raised
    assert store.durations("create") == []


def _write_many(path: str, worker: int) -> None:
    store = DurationStore(API, path)
    for n in range(KEEP // 2):
        store.record(f"kind-{worker}", [(float(n), float(n) + 1)], now=float(n))


def test_kernels_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "durations.json"
    workers = [multiprocessing.get_context("spawn").Process(target=_write_many,
                                                            args=(str(path), w))
               for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    store = DurationStore(API, path)
    assert all(len(store.durations(f"kind-{w}")) == KEEP // 2 for w in range(4))
    assert not list(tmp_path.glob(".durations-*"))  # no temporary file left behind


def test_expectation_shrinks_with_faster_observations():
    assert expectation([]) is None
    one = expectation([(90.0, 100.0)])
    assert one == (pytest.approx(65.0), pytest.approx(135.0))
    two = expectation([(90.0, 100.0), (0.0, 50.0)])
    assert two[0] < one[0] / 1.5 and two[1] < one[1]


def plan_ages(plan: PollPlan, until: float) -> list[float]:
    ages, age = [], None
    while age is None or age < until:
        age = plan.next_age(age)
        ages.append(age)
    return ages


def test_without_history_polls_every_cap_after_the_public_prior():
    assert plan_ages(PollPlan.make("pause", [], cap=9.0), 30) == [9.0, 18.0, 27.0, 36.0]
    ages = plan_ages(PollPlan.make("create", [], cap=9.0), 50)
    assert ages[0] == PRIOR_EARLIEST["create"] and ages[1] - ages[0] == 9.0


def test_with_history_polls_sparsely_then_densely():
    create = PollPlan.make("create", [(118.0, 120.0)], cap=9.0)
    assert create.earliest == pytest.approx(78.0)
    ages = plan_ages(create, 200)
    assert [a for a in ages if a < create.earliest] == [pytest.approx(39.0)]  # one sparse poll
    assert ages[1] == pytest.approx(78.0)
    pause = PollPlan.make("pause", [(28.0, 30.0)], cap=9.0)
    ages = plan_ages(pause, 120)
    assert ages[0] == pytest.approx(19.5)
    gaps = [b - a for a, b in zip(ages, ages[1:])]
    assert gaps[0] == pytest.approx(DENSE_FRACTION * 19.5)
    assert all(MIN_GAP <= g <= 9.0 + 1e-9 for g in gaps)
    expected_end = [b - a for a, b in zip(ages, ages[1:]) if a < pause.latest]
    assert max(expected_end) <= 9.0 * DENSE_CAP_SHARE and gaps[-1] == pytest.approx(9.0)  # up to the cap once slower than seen
    assert expected_end == sorted(expected_end)  # growing with the age


def test_a_promised_interval_is_never_exceeded():
    plan = PollPlan.make("create", [(300.0, 310.0)], cap=4.5, promised=True)
    ages = [0.0, *plan_ages(plan, 400)]
    assert max(b - a for a, b in zip(ages, ages[1:])) <= 4.5 + 1e-9

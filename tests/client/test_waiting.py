"""Waiting for one instance, a snapshot, and many instances under one budget."""

from __future__ import annotations

import threading

import pytest

from aura_nb.core.errors import (
    InstanceStatusUnreachable,
    InstanceWaitTimeout,
    WaitCancelled,
    WaitIncomplete,
)
from aura_nb.core.waiting import DurationStore

from tests.helpers.clock import ManualClock
from tests.helpers.specs import learning_spec

SHORT = {"creating": (20, 30), "pausing": (5, 10), "resuming": (5, 10), "destroying": (5, 10)}


@pytest.fixture
def short_sim(make_simulator):
    """A simulator whose lifecycle takes well under a second of real time."""
    return make_simulator(durations=SHORT)


@pytest.fixture
def short_client(short_sim, make_client):
    """A client for ``short_sim``."""
    return make_client(short_sim)


def test_wait_reports_progress_and_running_within_one_interval(short_sim, short_client):
    created = short_client.create_instance(learning_spec(short_client, "waited"))
    ready_at = short_sim.world.transition_end(created.id)
    events, seen_at = [], []

    def progress(event):
        events.append(event)
        seen_at.append(short_sim.clock.now())

    instance = short_client.wait_for_instance(created.id, on_progress=progress,
                                     poll_interval=5 / short_sim.clock.speed)
    assert instance.status == "running"
    assert [e.polls for e in events] == list(range(1, len(events) + 1))
    assert all(e.status == "creating" and not e.done for e in events[:-1])
    assert events[-1].done and events[-1].status == "running"
    # reported within one interval (5 server s); 1 s more (20 ms real) for the answer's trip
    assert 0 <= seen_at[-1] - ready_at <= 5 + 1
    gaps = [b - a for a, b in zip(seen_at, seen_at[1:])]
    assert max(gaps) <= 5 + 1


def test_paused_without_resume_fails_fast_with_a_hint(short_sim, short_client):
    created = short_client.create_instance(learning_spec(short_client, "paused"))
    short_sim.advance(60)
    short_client.pause_instance(created.id)
    with pytest.raises(InstanceStatusUnreachable) as pausing:
        short_client.wait_for_instance(created.id)
    assert pausing.value.status == "pausing"
    short_sim.advance(30)
    events = []
    with pytest.raises(InstanceStatusUnreachable) as paused:
        short_client.wait_for_instance(created.id, on_progress=events.append)
    assert paused.value.status == "paused" and "resume it" in str(paused.value)
    assert len(events) == 1 and events[0].done


def test_resume_in_flight_is_waited_for(short_sim, short_client):
    created = short_client.create_instance(learning_spec(short_client, "resumed"))
    short_sim.advance(60)
    short_client.pause_instance(created.id)
    assert short_client.wait_for_instance(created.id, "paused").status == "paused"
    short_client.resume_instance(created.id)
    assert short_client.wait_for_instance(created.id).status == "running"


def test_deleted_instances_fail_fast_and_deletion_can_be_awaited(short_sim, short_client):
    created = short_client.create_instance(learning_spec(short_client, "doomed"))
    short_sim.advance(60)
    short_client.delete_instance(created.id)
    with pytest.raises(InstanceStatusUnreachable) as destroying:
        short_client.wait_for_instance(created.id)
    assert destroying.value.status == "destroying"
    assert short_client.wait_for_instance(created.id, "deleted") is None
    with pytest.raises(InstanceStatusUnreachable, match="no longer exists"):
        short_client.wait_for_instance(created.id)


def test_timeout_names_the_last_status(make_simulator, make_client):
    sim = make_simulator(durations={"creating": (5000, 5000)})
    client = make_client(sim)
    created = client.create_instance(learning_spec(client, "slow"))

    clock = ManualClock()
    with pytest.raises(InstanceWaitTimeout) as info:
        client.wait_for_instance(created.id, timeout=60, poll_interval=10, sleep=clock.sleep,
                                 clock=clock)
    error = info.value
    assert error.status == "creating" and error.instance_id == created.id
    assert "last status 'creating'" in str(error) and "after 60 s" in str(error)


def test_cancel_event_stops_the_wait(make_simulator, make_client):
    sim = make_simulator(durations={"creating": (5000, 5000)})
    api = make_client(sim)
    created = api.create_instance(learning_spec(api, "cancelled"))
    cancel = threading.Event()

    def progress(event):
        if event.polls == 2:
            cancel.set()

    with pytest.raises(WaitCancelled) as info:
        api.wait_for_instance(created.id, on_progress=progress, cancel=cancel,
                              poll_interval=0.1)  # would poll for 100 real seconds unless cancelled
    assert info.value.status == "creating"


def test_wait_for_snapshot(make_simulator, make_client):
    sim = make_simulator(durations={"creating": (5, 5), "snapshot": (20, 30)})
    client = make_client(sim)
    created = client.create_instance(learning_spec(client, "snapped"))
    sim.advance(10)
    snapshot_id = client.create_snapshot(created.id)
    snapshot = client.wait_for_snapshot(created.id, snapshot_id)
    assert snapshot.status == "Completed" and snapshot.snapshot_id == snapshot_id


def test_twenty_instances_cost_at_most_two_polls_each_once_one_is_ready(make_simulator,
                                                                        make_client):
    # Instances created together whose creation times are similar (as they are for one
    # project and region); the budget, the interval and the token count are checked.
    sim = make_simulator(durations={"creating": (100, 104)}, rate_limit=125)
    client = make_client(sim)
    interval = 10.0  # server seconds
    made = [client.create_instance(learning_spec(client, f"class-{i:02d}")) for i in range(20)]
    ready_at = {c.id: sim.world.transition_end(c.id) for c in made}
    first_ready = min(ready_at.values())
    polls, reported = [], {}

    def progress(event):
        now = sim.clock.now()
        polls.append(now)
        if event.done:
            reported[event.instance_id] = now

    result = client.wait_for_instances(made, poll_interval=interval / sim.clock.speed,
                                       on_progress=progress)
    assert sorted(result) == sorted(ready_at)
    assert all(i.status == "running" for i in result.values())
    late = {i: reported[i] - ready_at[i] for i in ready_at}
    # "reported" is read after the answer came back: allow 1 server s (20 ms real) for that trip
    assert all(0 <= x <= interval + 1 for x in late.values()), late
    after_first = sum(1 for t in polls if t >= first_ready)
    assert after_first / 20 <= 2.0
    assert client.token_requests == 1
    assert sim.stats_snapshot()["responses"].get("429", 0) == 0


def test_many_waits_report_failures_and_keep_the_rest(short_sim, short_client):
    made = [short_client.create_instance(learning_spec(short_client, f"mixed-{i}"))
            for i in range(3)]
    short_sim.advance(60)
    short_client.delete_instance(made[1].id)
    with pytest.raises(WaitIncomplete) as info:
        short_client.wait_for_instances([c.id for c in made])
    error = info.value
    assert set(error.ready) == {made[0].id, made[2].id}
    assert set(error.failures) == {made[1].id}
    assert isinstance(error.failures[made[1].id], InstanceStatusUnreachable)
    assert "1 of 3 instances did not reach 'running'" in str(error)
    kept = short_client.wait_for_instances([c.id for c in made], raise_on_failure=False)
    assert set(kept) == {made[0].id, made[2].id}


def test_a_poll_that_keeps_failing_keeps_the_ready_ones(short_sim, short_client):
    """Issue 10, defect 9: one instance whose status requests are refused (403) fails alone;
    the error still carries the instances that were ready."""
    made = [short_client.create_instance(learning_spec(short_client, f"refused-{i}"))
            for i in range(3)]
    short_sim.set_faults(script=[{"method": "GET", "path": f"/v1/instances/{made[1].id}",
                            "action": "status", "status": 403, "times": 100}])
    with pytest.raises(WaitIncomplete) as info:
        short_client.wait_for_instances(made)
    error = info.value
    assert set(error.ready) == {made[0].id, made[2].id}
    assert set(error.failures) == {made[1].id}
    assert "403" in str(error.failures[made[1].id])


def test_many_waits_can_be_cancelled_and_say_what_was_ready(short_sim, short_client):
    made = [short_client.create_instance(learning_spec(short_client, f"stop-{i}"))
            for i in range(3)]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(WaitCancelled) as info:
        short_client.wait_for_instances(made, cancel=cancel)
    assert info.value.ready == {}
    short_sim.advance(60)
    cancel.clear()

    def stop_after_first(event):
        if event.done:
            cancel.set()

    with pytest.raises(WaitCancelled) as info:
        short_client.wait_for_instances(made, cancel=cancel, on_progress=stop_after_first)
    assert len(info.value.ready) == 1 and set(info.value.ready) < {c.id for c in made}


def test_goal_all_waits_for_everything_and_respects_the_rate_limit(make_simulator, make_client):
    sim = make_simulator(durations={"creating": (60, 90)}, rate_limit=40)
    client = make_client(sim, rate_limit=40)
    made = [client.create_instance(learning_spec(client, f"all-{i:02d}")) for i in range(12)]
    result = client.wait_for_instances(made, goal="all", poll_interval=15 / sim.clock.speed)
    assert len(result) == 12 and all(i.status == "running" for i in result.values())
    assert sim.stats_snapshot()["responses"].get("429", 0) == 0


def test_many_waits_time_other_transitions_from_the_action_not_the_creation(short_sim, make_client,
                                                                            short_client):
    old = short_client.create_instance(learning_spec(short_client, "old"))
    short_sim.advance(7200)
    young = short_client.create_instance(learning_spec(short_client, "young"))
    short_sim.advance(60)
    for item in (old, young):
        short_client.delete_instance(item.id)
    gone = short_client.wait_for_instances([old.id, young.id], status="deleted", timeout=10)
    assert gone == {old.id: None, young.id: None}
    # another client, which sent no action itself, resumes instances created long ago
    again = [short_client.create_instance(learning_spec(short_client, f"again-{i}"))
             for i in range(2)]
    short_sim.advance(7200)
    for item in again:
        short_client.pause_instance(item.id)
    short_sim.advance(60)
    for item in again:
        short_client.resume_instance(item.id)
    other = make_client(short_sim)
    ready = other.wait_for_instances([i.id for i in again], timeout=10)
    assert {i.status for i in ready.values()} == {"running"}


def test_waits_learn_how_long_an_operation_takes(make_simulator, make_client):
    sim = make_simulator(durations={"creating": (5, 5), "pausing": (60, 60)})
    api = make_client(sim)
    made = [api.create_instance(learning_spec(api, f"learner-{i}")) for i in range(2)]
    sim.advance(10)
    polls, late = [], []
    for item in made:
        api.get_instance(item.id)  # the client's server clock catches up with the jump
        api.pause_instance(item.id)
        ready_at = sim.world.transition_end(item.id)
        events = []
        api.wait_for_instance(item.id, "paused", on_progress=events.append)
        late.append(sim.clock.now() - ready_at)
        polls.append(events[-1].polls)
    assert polls[1] < polls[0]
    assert max(late) <= 10 + 1  # one default interval, one server second for the answer's trip
    learned = DurationStore(api.base_url).durations("pause")
    # ages come from the server clock estimated from whole-second Date headers: +-1 s
    assert len(learned) == 2 and all(lo <= 61 and 59 <= hi <= 71 for lo, hi in learned)


@pytest.mark.parametrize("setting", [None, "5"])
def test_aura_poll_interval_bounds_the_gaps_of_waits_that_name_none(short_sim, make_client,
                                                                     monkeypatch, tmp_path,
                                                                     setting):
    # AURA_POLL_INTERVAL is in real seconds; "5" means 5 server seconds at the simulator's speed.
    # A home of its own: no create learned earlier in the session (same port) shortens the wait.
    monkeypatch.setenv("AURA_NB_HOME", str(tmp_path))
    if setting is None:
        monkeypatch.delenv("AURA_POLL_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("AURA_POLL_INTERVAL", str(float(setting) / short_sim.clock.speed))
    client = make_client(short_sim)
    created = client.create_instance(learning_spec(client, "paced-by-setting"))
    sent_at = short_sim.clock.now()
    seen_at = []
    client.wait_for_instance(created.id, on_progress=lambda _: seen_at.append(
        short_sim.clock.now()))
    first = seen_at[0] - sent_at
    if setting is None:  # a first-ever create: quiet for its first half minute
        assert client.poll_interval is None and first >= 20
    else:
        gaps = [first] + [b - a for a, b in zip(seen_at, seen_at[1:])]
        assert client.poll_interval == pytest.approx(5 / short_sim.clock.speed)
        assert max(gaps) <= 5 + 1


def test_a_poll_interval_that_is_no_number_is_one_line(sim, make_client, monkeypatch):
    from aura_nb.core.errors import ConfigurationError

    monkeypatch.setenv("AURA_POLL_INTERVAL", "often")
    with pytest.raises(ConfigurationError, match="AURA_POLL_INTERVAL must be a number, got "
                                                   "'often'; unset it to use the kit's default$"):
        make_client(sim)

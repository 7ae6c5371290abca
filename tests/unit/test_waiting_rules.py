"""The waiting rules without any I/O: the many-instance schedule."""

from __future__ import annotations

import pytest

from aura_nb.core.waiting.common import JITTER_SAFETY
from aura_nb.core.waiting.fleet import Fleet, Tracked


def fleet(ages, interval=10.0, **kwargs):
    """Instances created at server time -age (now is 0)."""
    return Fleet([Tracked(f"i{n}", -age) for n, age in enumerate(ages)], interval, **kwargs)


def test_only_the_oldest_is_polled_before_anything_is_ready():
    f = fleet([100, 99, 98])
    scout = f.pending["i0"]
    assert f.next(0.0) == (scout, 0.0)
    assert f.due(f.pending["i1"], 0.0) == float("inf")
    f.observe(scout, 0.0, "creating", False)
    # backoff grows with age, capped at half the (safety-reduced) interval
    assert f.due(scout, 0.0) == pytest.approx(10 * JITTER_SAFETY / 2)


def test_young_scout_backs_off_from_one_second():
    f = fleet([2])
    scout = f.pending["i0"]
    f.observe(scout, 0.0, "creating", False)
    assert f.due(scout, 0.0) == pytest.approx(1.0)


def test_after_the_scout_is_ready_its_cohort_is_polled_half_an_interval_early():
    f = fleet([100, 99])
    scout, other = f.pending["i0"], f.pending["i1"]
    f.observe(scout, -5.0, "creating", False)   # not ready at age 95
    f.observe(scout, 0.0, "running", True)      # ready at age 100
    f.pending.pop("i0")
    step = 10 * JITTER_SAFETY
    assert f.floor == pytest.approx(95)
    # created at -99, floor 95, one interval later minus half an interval
    assert f.due(other, 0.0) == pytest.approx(-99 + 95 + step / 2)


def test_with_more_instances_seen_polls_start_one_interval_after_the_floor():
    f = fleet([100, 99, 50])
    a, b, young = f.pending["i0"], f.pending["i1"], f.pending["i2"]
    f.observe(a, -5.0, "creating", False)
    f.observe(a, 0.0, "running", True)
    f.observe(b, 0.0, "running", True)
    step = 10 * JITTER_SAFETY
    # b was ready at its first poll (age 99): it may have been ready up to one interval sooner
    assert f.floor == pytest.approx(99 - step)
    assert f.due(young, 0.0) == pytest.approx(-50 + 99 - step + step)
    f.observe(young, 50.0, "creating", False)
    assert f.due(young, 50.0) == pytest.approx(50.0 + step)


def test_expected_duration_skips_scouting():
    f = fleet([10, 5], expected_duration=60)
    step = 10 * JITTER_SAFETY
    assert f.floor == pytest.approx(50)
    assert f.due(f.pending["i1"], 0.0) == pytest.approx(-5 + 50 + step)


def test_goal_all_scout_is_polled_every_interval():
    f = fleet([2, 1], goal="all")
    scout = f.pending["i0"]
    assert f.next(0.0) == (scout, 0.0)
    f.observe(scout, 0.0, "creating", False)
    assert f.due(scout, 0.0) == pytest.approx(10 * JITTER_SAFETY)
    assert f.due(f.pending["i1"], 0.0) == float("inf")


def test_goal_all_watches_only_concurrency_instances_at_a_time():
    f = fleet([100, 99, 98, 97, 96], goal="all", concurrency=2)
    scout, a, b, c, d = f.pending.values()
    f.observe(scout, -5.0, "creating", False)
    f.observe(scout, 0.0, "running", True)
    f.pending.pop(scout.id)
    # the two oldest are sent; while both are in flight, nobody else is
    assert f.next(0.0)[0] is a
    a.in_flight = True
    assert f.next(0.0)[0] is b
    b.in_flight = True
    assert f.next(0.0)[1] == float("inf")
    f.observe(a, 0.0, "running", True)
    f.pending.pop(a.id)
    f.observe(b, 0.0, "creating", False)  # b is watched: polled again one interval later
    assert f.next(0.0)[0] is c
    c.in_flight = True
    f.observe(c, 0.0, "creating", False)
    step = 10 * JITTER_SAFETY
    assert f.watched() == 2 and f.due(d, 0.0, f.watched()) == float("inf")
    assert f.next(0.0) == (b, pytest.approx(step))
    # goal "each" watches everyone
    g = fleet([100, 99, 98], concurrency=1)
    g.lower_bounds.append(90.0)
    g.observe(g.pending["i0"], 0.0, "creating", False)
    assert g.due(g.pending["i1"], 0.0, g.watched()) < float("inf")
    with pytest.raises(ValueError):
        fleet([1], goal="some")

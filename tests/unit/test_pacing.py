"""Client-side pacing: a token bucket with a fake clock."""

from __future__ import annotations

import threading

import pytest

from aura_nb.core.pacing import RateLimiter

from tests.helpers.clock import ManualClock


def test_burst_goes_at_once_then_requests_follow_the_rate():
    t = ManualClock()
    pacer = RateLimiter(120, 60.0, burst=3, clock=t, sleep=t.sleep)
    assert [pacer.acquire() for _ in range(3)] == [0, 0, 0]
    assert pacer.acquire() == pytest.approx(0.5)
    assert pacer.acquire() == pytest.approx(0.5)
    assert t.now == pytest.approx(1.0)


def test_no_more_than_rate_per_window_over_a_long_run():
    t = ManualClock()
    pacer = RateLimiter(125, 60.0, clock=t, sleep=t.sleep)
    for _ in range(125 + 250):
        pacer.acquire()
    # 125 at once, then 250 more at 125 per minute: two minutes.
    assert t.now == pytest.approx(120.0)


def test_window_scales_for_a_faster_simulator():
    t = ManualClock()
    pacer = RateLimiter(60, 60.0 / 10, burst=1, clock=t, sleep=t.sleep)
    pacer.acquire()
    pacer.acquire()
    assert t.now == pytest.approx(0.1)
    assert pacer.interval == pytest.approx(0.1)


def test_delay_peeks_without_reserving():
    t = ManualClock()
    pacer = RateLimiter(60, 60.0, burst=1, clock=t, sleep=t.sleep)
    assert pacer.delay() == 0
    pacer.acquire()
    assert pacer.delay() == pytest.approx(1.0)
    assert pacer.delay() == pytest.approx(1.0)
    t.now += 0.25
    assert pacer.delay() == pytest.approx(0.75)


def test_rate_zero_turns_pacing_off():
    t = ManualClock()
    pacer = RateLimiter(0, clock=t, sleep=t.sleep)
    for _ in range(1000):
        pacer.acquire()
    assert t.now == 0 and not pacer.enabled and pacer.delay() == 0


def test_threads_share_one_budget():
    import time

    pacer = RateLimiter(600, 60.0, burst=5)  # 10 per second after a burst of 5
    start = time.monotonic()
    threads = [threading.Thread(target=lambda: [pacer.acquire() for _ in range(3)])
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert pacer.acquired == 15
    assert elapsed >= 0.95  # 10 requests beyond the burst at 10/s


def test_a_rejection_lowers_the_rate_to_what_the_server_accepted():
    t = ManualClock()
    pacer = RateLimiter(125, 60.0, clock=t, sleep=t.sleep)
    for _ in range(26):
        pacer.acquire()
        t.now += 0.1
    assert pacer.note_rejection() == 22  # 26 granted in the window, the last one refused: 90%
    assert (pacer.rate, pacer.burst) == (22, 22)
    assert pacer.note_rejection() is None  # the same evidence teaches nothing new
    t.now += 61
    assert pacer.acquire() == 0.0  # the bucket refilled, but only to the new size
    assert pacer.interval == pytest.approx(60 / 22)


def test_a_rejection_never_raises_the_rate_nor_goes_below_the_floor():
    from aura_nb.core.pacing import MIN_LEARNED_RATE

    t = ManualClock()
    pacer = RateLimiter(125, 60.0, clock=t, sleep=t.sleep)
    pacer.acquire()
    # a 429 after one request (another kernel used the budget, a burst): it says nothing about
    # the account's limit, so the pace stays at the lowest documented one, not a handful
    assert pacer.note_rejection() == MIN_LEARNED_RATE == 22
    slow = RateLimiter(3, 60.0, clock=t, sleep=t.sleep)
    for _ in range(3):
        slow.acquire()
    assert slow.note_rejection() is None and slow.rate == 3
    off = RateLimiter(0, clock=t, sleep=t.sleep)
    off.acquire()
    assert off.note_rejection() is None and not off.enabled

"""Token lifecycle with a fake clock: fetched once, reused, refreshed early, thread-safe."""

from __future__ import annotations

import threading
import time

import pytest

from aura_nb.core.auth import Token, TokenCache, refresh_margin
from aura_nb.core.errors import AuthenticationFailed

from tests.helpers.clock import ManualClock


def make_cache(clock, expires_in=3600.0, delay=0.0):
    issued = []

    def fetch(obtained_at):
        if delay:
            time.sleep(delay)
        token = Token(f"token-{len(issued)}", expires_in, obtained_at)
        issued.append(token)
        return token

    return TokenCache(fetch, clock=clock), issued


def test_token_is_fetched_once_and_reused_until_refresh_time():
    clock = ManualClock(1000.0)
    cache, issued = make_cache(clock)
    first = cache.get()
    clock.now += 3000
    assert cache.get() is first
    assert cache.requests == 1


def test_one_hour_token_is_refreshed_after_54_minutes_not_at_expiry():
    clock = ManualClock(1000.0)
    cache, issued = make_cache(clock)
    first = cache.get()
    clock.now += 3239
    assert cache.get() is first
    clock.now += 1
    second = cache.get()
    assert second is not first and cache.requests == 2


@pytest.mark.parametrize("ttl, margin", [(3600, 360), (600, 60), (100, 50), (10, 5)])
def test_refresh_margin_is_early_but_leaves_short_tokens_usable(ttl, margin):
    assert refresh_margin(ttl) == pytest.approx(margin)
    assert 0 < refresh_margin(ttl) < ttl


def test_invalidate_drops_only_the_token_that_failed():
    clock = ManualClock(1000.0)
    cache, issued = make_cache(clock)
    stale = cache.get()
    cache.invalidate(stale)
    fresh = cache.get()
    assert fresh is not stale
    cache.invalidate(stale)  # a second thread reporting the same old token
    assert cache.get() is fresh
    assert cache.requests == 2


def test_many_threads_needing_a_token_cause_one_fetch():
    cache, issued = make_cache(time.monotonic, delay=0.05)
    barrier = threading.Barrier(16)
    seen = []

    def worker():
        barrier.wait()
        seen.append(cache.get())

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.requests == 1 and len(issued) == 1
    assert all(token is issued[0] for token in seen)


def test_token_from_response_checks_the_answer():
    token = Token.from_response({"access_token": "abc", "expires_in": 60, "token_type": "Bearer"}, 5)
    assert token.expires_at == 65 and token.refresh_at == 35
    assert Token.from_response({"access_token": "abc"}, 0).expires_in == 3600
    with pytest.raises(AuthenticationFailed, match="without an access_token"):
        Token.from_response({"expires_in": 60}, 0)
    with pytest.raises(AuthenticationFailed, match="bearer"):
        Token.from_response({"access_token": "abc", "token_type": "mac"}, 0)


def test_token_repr_never_shows_the_token():
    token = Token("eyJ-very-secret-token", 3600, 0)
    assert "eyJ-very-secret-token" not in repr(token) + str(token)
    cache, _ = make_cache(ManualClock(1000.0))
    cache.get()
    assert "token-0" not in repr(cache)


def test_expires_in_counts_down_by_the_cache_clock_and_fetches_nothing():
    clock = ManualClock(1000.0)
    cache, issued = make_cache(clock, expires_in=600.0)
    assert cache.expires_in() is None and issued == []
    cache.get()
    clock.now += 100
    assert cache.expires_in() == pytest.approx(500.0)
    clock.now += 700
    assert cache.expires_in() == pytest.approx(-200.0)
    assert len(issued) == 1


def test_caches_with_one_key_hold_one_token_on_the_monotonic_clock_only():
    from aura_nb.core.auth import credentials_key

    fetched = []

    def fetch(obtained_at):
        fetched.append(obtained_at)
        return Token(f"token-{len(fetched)}", 3600.0, obtained_at)

    key = credentials_key("http://127.0.0.1:1/", "id", "secret")
    assert key == credentials_key("http://127.0.0.1:1", "id", "secret")
    assert "secret" not in repr(key)
    one, two = TokenCache(fetch, key=key), TokenCache(fetch, key=key)
    assert one.get() is two.get() and len(fetched) == 1 and (one.requests, two.requests) == (1, 0)
    two.invalidate(one.current)
    assert one.current is None
    other = TokenCache(fetch, key=credentials_key("http://127.0.0.1:1", "id", "wrong"))
    assert other.get() is not two.get() and len(fetched) == 3
    own_clock = TokenCache(fetch, clock=ManualClock(0.0), key=key)
    assert own_clock.current is None

"""The fixed-window limiter, on the real cache: counts, refuses, resets, survives an outage."""

import pytest
from django.core.cache import cache

from postpurchase import ratelimit


@pytest.fixture(autouse=True)
def fresh_window(monkeypatch):
    now = [999_960.0]  # the start of a 60 s window
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    cache.clear()
    return now


def test_allows_the_limit_then_refuses_until_the_window_ends(fresh_window):
    verdicts = [ratelimit.hit("k", limit=3, window=60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    fresh_window[0] += 15
    assert ratelimit.hit("k", limit=3, window=60).retry_after == 45
    fresh_window[0] += 45
    assert ratelimit.hit("k", limit=3, window=60).allowed


def test_keys_are_counted_apart():
    for _ in range(3):
        ratelimit.hit("a", limit=3, window=60)
    assert not ratelimit.hit("a", limit=3, window=60).allowed
    assert ratelimit.hit("b", limit=3, window=60).allowed


def test_the_window_expires_in_the_cache(settings):
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("TTL is visible on Redis only")
    from django.core.cache import caches

    ratelimit.hit("ttl", limit=3, window=60)
    backend = caches["default"]
    key = backend.make_and_validate_key("rl:ttl:999960")
    assert 0 < backend._cache.get_client().ttl(key) <= 61


def test_an_unreachable_cache_lets_requests_through(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(ratelimit, "_count", broken)
    assert ratelimit.hit("k", limit=0, window=60).allowed

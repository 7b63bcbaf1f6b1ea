"""The in-process token bucket behind the sign-in limits."""

from __future__ import annotations

from yibao.web.ratelimit import Rate, RateLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_attempts_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(3, 60), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    wait = limiter.take("a")
    assert 19 < wait <= 20
    assert retry_after(wait) == "20"
    assert limiter.take("b") == 0  # each key has its own bucket
    clock.now += 20
    assert limiter.take("a") == 0  # one attempt refilled after 60/3 s
    assert limiter.take("a") > 0


def test_the_limiter_keeps_at_most_max_keys_buckets() -> None:
    limiter = RateLimiter(Rate(1, 60), max_keys=100, clock=Clock())
    for i in range(1000):
        limiter.take(f"key-{i}")
    assert len(limiter._buckets) == 100
    assert limiter.take("key-999") > 0  # the most recent ones are kept

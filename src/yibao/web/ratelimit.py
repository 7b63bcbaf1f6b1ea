"""An in-process rate limiter (token bucket per key) for sign-in attempts.

Each worker process keeps its own buckets in memory: nothing is written to the database, so
a flood of attempts (for ID numbers that exist or not) costs no database write and cannot
slow the settlement API on SQLite. With N worker processes a client gets at most N times the
limit; run one worker, or put a shared limiter in front, if that matters.

A bucket holds ``attempts`` tokens and refills them evenly over ``seconds``. Memory is
bounded: at most ``max_keys`` buckets are kept, dropping the least recently touched.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    attempts: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.attempts}/{self.seconds}"


class RateLimiter:
    def __init__(
        self,
        rate: Rate,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self._per_second = rate.attempts / rate.seconds
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, time
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one attempt for ``key``: 0 if allowed, else the seconds until the next one."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (float(self.rate.attempts), now))
            tokens = min(float(self.rate.attempts), tokens + (now - then) * self._per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self._per_second
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """The sign-in limiters of one app: per client address and per ID number."""

    by_address: RateLimiter
    by_id: RateLimiter

    @classmethod
    def of(cls, per_address: tuple[int, int], per_id: tuple[int, int]) -> LoginLimits:
        return cls(RateLimiter(Rate(*per_address)), RateLimiter(Rate(*per_id)))

    def wait(self, address: str, certno: str) -> float:
        """0 if this attempt may go ahead, else the seconds to wait. The ID number is kept
        only as a hash, and an attempt refused per address does not count against the ID."""
        wait = self.by_address.take(address)
        if wait:
            return wait
        key = hashlib.sha256(certno.strip().upper().encode()).hexdigest()[:32]
        return self.by_id.take(key)

"""Token-bucket rate limiter that keeps every 60-s window under the broker's limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; `acquire()` waits for a token.

    For a broker that allows L requests in any 60-s window, capacity + 60 x rate <= L keeps us
    under it: `for_limit(L)` uses 10% of L as burst and 90% as steady rate.
    """

    def __init__(
        self,
        capacity: float,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("capacity must be >= 1 and rate > 0")
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = capacity
        self._stamp = clock()
        self._lock = asyncio.Lock()

    @classmethod
    def for_limit(
        cls, per_minute: int, *, clock: Callable[[], float] = time.monotonic
    ) -> TokenBucket:
        """A bucket that stays under `per_minute` requests in every 60-s window."""
        burst = max(1.0, per_minute * 0.1)
        return cls(burst, (per_minute - burst) / 60.0, clock=clock)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def delay_needed(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Take one token, waiting (in order of arrival) until one is available."""
        async with self._lock:
            while True:
                wait = self.delay_needed()
                if wait <= 0:
                    self._tokens -= 1
                    return
                await asyncio.sleep(wait)

    def drain(self, seconds: float) -> None:
        """After a 429: empty the bucket so the next request waits at least `seconds`."""
        self._refill()
        self._tokens = min(self._tokens, 1 - seconds * self.rate)

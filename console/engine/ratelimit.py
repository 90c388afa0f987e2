"""A rolling token bucket that keeps every 60-s window under the broker's request limit."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

WINDOW_SECONDS = 60.0
_EPSILON = 1e-9
_PRIORITY_YIELD = 0.005  # how long an ordinary request steps aside for a waiting priority one


class TokenBucket:
    """`capacity` tokens; a spent token comes back exactly `window` seconds after it was spent.

    Brokers such as Alpaca count requests in a rolling minute (200 in any 60 s). A classic
    bucket (refill at a steady rate) must trade burst for rate to stay under such a limit
    (burst + 60 x rate <= limit) and wastes most of the allowance; returning each token one
    window after its use is exact: at most `capacity` requests in any `window`, and a burst of
    `capacity` requests is never delayed. `for_limit` keeps a 5% margin for clock skew.
    """

    def __init__(
        self,
        capacity: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if capacity < 1 or window <= 0:
            raise ValueError("capacity must be >= 1 and window > 0")
        self.capacity = capacity
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._returns: deque[float] = deque()  # when each spent token comes back, oldest first
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()
        self._priority_waiting = 0

    @classmethod
    def for_limit(cls, per_minute: int, **kwargs: object) -> TokenBucket:
        """A bucket under `per_minute` requests per rolling minute (5% margin, at least 1)."""
        margin = max(1, per_minute // 20) if per_minute > 1 else 0
        return cls(max(1, per_minute - margin), **kwargs)  # type: ignore[arg-type]

    def delay_needed(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        now = self._clock()
        # One criterion for "returned" and for the wait (a nanosecond absorbs float rounding):
        # a token is either back, or the wait for it is positive.
        while self._returns and self._returns[0] <= now + _EPSILON:
            self._returns.popleft()
        wait = max(0.0, self._blocked_until - now)
        if len(self._returns) >= self.capacity:
            wait = max(wait, self._returns[0] - now)
        return wait

    async def acquire(self, *, priority: bool = False) -> None:
        """Take one token, waiting until one is available.

        Ordinary requests are served in order of arrival; a priority request (a cancel during
        halt) goes ahead of every ordinary one still waiting.
        """
        if priority:
            self._priority_waiting += 1
            try:
                while (wait := self.delay_needed()) > 0:
                    await self._sleep(wait)
                self._returns.append(self._clock() + self.window)
            finally:
                self._priority_waiting -= 1
            return
        async with self._lock:
            while (wait := self.delay_needed()) > 0 or self._priority_waiting:
                await self._sleep(wait if wait > 0 else _PRIORITY_YIELD)
            self._returns.append(self._clock() + self.window)

    def drain(self, seconds: float) -> None:
        """After a 429: no token for `seconds` (the broker's own count is ahead of ours)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    @property
    def in_use(self) -> int:
        """Tokens spent within the current window."""
        self.delay_needed()
        return len(self._returns)

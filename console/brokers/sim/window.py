"""A pure rolling-window rate limiter shared by the sim broker and the Alpaca emulator."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from console.engine.ports import RateLimitedError

WINDOW_SECONDS = 60.0


class SlidingWindow:
    """At most `limit` requests in any `WINDOW_SECONDS` span, on an injectable monotonic clock."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        """An empty window."""
        self.limit = limit
        self._clock = clock
        self._stamps: deque[float] = deque()

    def admit(self) -> None:
        """Count one request, or raise RateLimitedError with the seconds until a slot frees."""
        now = self._clock()
        while self._stamps and self._stamps[0] <= now - WINDOW_SECONDS:
            self._stamps.popleft()
        if len(self._stamps) >= self.limit:
            retry_after = max(0.0, self._stamps[0] + WINDOW_SECONDS - now)
            raise RateLimitedError(retry_after, f"HTTP 429: more than {self.limit} requests/min")
        self._stamps.append(now)

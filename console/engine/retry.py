"""The engine's one retry policy: capped exponential backoff with full jitter.

A small policy of our own rather than tenacity or stamina: the engine needs an injectable sleep
and random source (tests run it in virtual time, deterministic), a per-error retry-after floor
(HTTP 429), and nothing else; both libraries would wrap these in decorators and globals.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

from console.engine.ports import BrokerTimeoutError, BrokerUnavailableError, RateLimitedError

log = structlog.get_logger(__name__)
T = TypeVar("T")

TRANSIENT: tuple[type[Exception], ...] = (BrokerUnavailableError, BrokerTimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries; before try n+1 wait uniform(0, min(cap, base x 2^n)) seconds.

    429s are counted apart, up to `rate_limited_attempts` tries: a 429 says the request was not
    processed and when to come back, so waiting it out is always safe.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    rate_limited_attempts: int = 12
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, failures: int, floor: float = 0.0) -> float:
        """The wait after `failures` failed tries (full jitter, never below `floor`)."""
        ceiling = min(self.cap, self.base * 2 ** (failures - 1))
        return max(floor, self.rng.uniform(0.0, ceiling))


async def retry(
    policy: RetryPolicy,
    what: str,
    call: Callable[[], Awaitable[T]],
    *,
    retry_on: tuple[type[Exception], ...] = TRANSIENT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_rate_limited: Callable[[float], None] | None = None,
) -> T:
    """`await call()`, retrying `retry_on` errors and 429s by the policy; the last error raises.

    A 429 waits at least the broker's retry_after and calls `on_rate_limited(wait)` (the
    gateway drains its token bucket there).
    """
    failures = 0
    limited = 0
    while True:
        try:
            return await call()
        except RateLimitedError as exc:
            limited += 1
            if limited >= policy.rate_limited_attempts:
                raise
            wait = policy.delay(min(limited, 4), floor=exc.retry_after)
            if on_rate_limited is not None:
                on_rate_limited(wait)
            log.warning("broker_rate_limited", request=what, retry_after=round(wait, 3))
        except retry_on as exc:
            failures += 1
            if failures >= policy.attempts:
                raise
            wait = policy.delay(failures)
            log.warning(
                "broker_retry", request=what, error=str(exc), attempt=failures, wait=round(wait, 3)
            )
        await sleep(wait)

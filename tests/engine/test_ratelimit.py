"""The rolling token bucket: never more than `capacity` requests in any window."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from console.engine.ratelimit import TokenBucket


class FakeTime:
    """A clock that only moves when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _bucket(capacity: int, t: FakeTime) -> TokenBucket:
    return TokenBucket(capacity, clock=t.clock, sleep=t.sleep)


def test_a_full_burst_is_not_delayed_then_tokens_return_a_window_later() -> None:
    t = FakeTime()
    bucket = _bucket(5, t)

    async def go() -> list[float]:
        stamps = []
        for _ in range(12):
            await bucket.acquire()
            stamps.append(t.now)
        return stamps

    stamps = asyncio.run(go())
    assert stamps[:5] == [0.0] * 5
    assert stamps[5:10] == [60.0] * 5
    assert stamps[10:] == [120.0] * 2


@settings(max_examples=300, deadline=None)
@given(
    capacity=st.integers(1, 20),
    gaps=st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=80),
)
@example(capacity=1, gaps=[4.342895766889688, 0.0, 0.0])  # float rounding at the window edge
@example(capacity=3, gaps=[3.0, 29.25176856301731, 1.9269857480286916, 0.0, 0.0, 0.0])
def test_no_window_ever_holds_more_than_capacity(capacity: int, gaps: list[float]) -> None:
    t = FakeTime()
    bucket = _bucket(capacity, t)

    async def go() -> list[float]:
        stamps = []
        for gap in gaps:
            t.now += gap
            await bucket.acquire()
            stamps.append(t.now)
        return stamps

    stamps = asyncio.run(go())
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s - start < 60.0 - 1e-6]  # float rounding
        assert len(in_window) <= capacity


def test_for_limit_keeps_a_margin() -> None:
    assert TokenBucket.for_limit(200).capacity == 190
    assert TokenBucket.for_limit(20).capacity == 19
    assert TokenBucket.for_limit(1).capacity == 1


def test_drain_after_a_429_blocks_for_the_retry_after() -> None:
    t = FakeTime()
    bucket = _bucket(10, t)

    async def go() -> float:
        await bucket.acquire()
        bucket.drain(2.5)
        await bucket.acquire()
        return t.now

    assert asyncio.run(go()) == pytest.approx(2.5)


def test_a_priority_request_goes_ahead_of_every_waiting_ordinary_one() -> None:
    """Halt's cancels jump the queue: they take the next free token before queued submits."""
    order: list[str] = []

    async def go() -> None:
        clock = {"now": 0.0}

        async def sleep(seconds: float) -> None:
            for _ in range(3):  # a sleep lets every other ready task run first
                await asyncio.sleep(0)
            clock["now"] += max(seconds, 0.001)

        bucket = TokenBucket(2, window=10.0, clock=lambda: clock["now"], sleep=sleep)

        async def take(name: str, priority: bool = False) -> None:
            await bucket.acquire(priority=priority)
            order.append(name)

        await take("a")
        await take("b")  # the bucket is empty now: everyone waits for a token
        waiting = [asyncio.ensure_future(take(f"submit-{i}")) for i in range(3)]
        await asyncio.sleep(0)
        cancel = asyncio.ensure_future(take("cancel", priority=True))
        await asyncio.gather(*waiting, cancel)

    asyncio.run(go())
    assert order[:3] == ["a", "b", "cancel"]

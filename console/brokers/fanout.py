"""Order updates fanned out to every `updates()` subscriber, until the broker closes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from console.domain.orders import OrderSnapshot


class UpdateFanout:
    """The subscribers of one broker's order updates; `close()` ends every iteration."""

    def __init__(self, on_iterate: Callable[[], None] | None = None) -> None:
        self._subscribers: set[_Subscription] = set()
        self._on_iterate = on_iterate
        self._closed = False

    def subscribe(self) -> AsyncIterator[OrderSnapshot]:
        """Every snapshot published from now on (nothing once closed)."""
        sub = _Subscription(self)
        if self._closed:
            sub.queue.put_nowait(None)
        else:
            self._subscribers.add(sub)
        return sub

    def publish(self, snapshot: OrderSnapshot) -> None:
        """Hand a snapshot to every subscriber."""
        if self._closed:
            return
        for sub in list(self._subscribers):
            sub.queue.put_nowait(snapshot)

    def close(self) -> None:
        """End every subscriber's iteration; idempotent."""
        self._closed = True
        for sub in list(self._subscribers):
            sub.queue.put_nowait(None)
        self._subscribers.clear()

    def _iterating(self) -> None:
        if self._on_iterate is not None:
            self._on_iterate()

    def _drop(self, sub: _Subscription) -> None:
        self._subscribers.discard(sub)


class _Subscription:
    """One subscriber's queue, iterated until the broker closes."""

    def __init__(self, owner: UpdateFanout) -> None:
        self._owner = owner
        self.queue: asyncio.Queue[OrderSnapshot | None] = asyncio.Queue()
        self._done = False

    def __aiter__(self) -> _Subscription:
        return self

    async def __anext__(self) -> OrderSnapshot:
        if self._done:
            raise StopAsyncIteration
        self._owner._iterating()
        item = await self.queue.get()
        if item is None:
            self._done = True
            self._owner._drop(self)
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        """Stop receiving updates."""
        self._done = True
        self._owner._drop(self)

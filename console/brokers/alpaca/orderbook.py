"""The orders a broker session tracks, and the fan-out of their updates to subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from console.brokers.alpaca.convert import is_newer
from console.domain.orders import OrderSnapshot


@dataclass
class Tracked:
    """An order this session knows of: submitted, looked up, or seen on the stream."""

    client_order_id: str
    since: datetime
    broker_order_id: str | None = None
    published: OrderSnapshot | None = None
    misses: int = 0
    watched: bool = False  # submitted or looked up here (not just seen on the stream)

    @property
    def open(self) -> bool:
        """Not yet known (on updates()) to be terminal."""
        return self.published is None or not self.published.status.is_terminal


class Subscription:
    """One updates() subscriber: a queue iterated until the broker closes."""

    def __init__(self, book: OrderBook, on_next: Callable[[], None]) -> None:
        self._book = book
        self._on_next = on_next
        self.queue: asyncio.Queue[OrderSnapshot | None] = asyncio.Queue()
        self._done = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> OrderSnapshot:
        if self._done:
            raise StopAsyncIteration
        self._on_next()
        item = await self.queue.get()
        if item is None:
            self._done = True
            self._book.unsubscribe(self)
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        """Stop receiving updates."""
        self._done = True
        self._book.unsubscribe(self)


class OrderBook:
    """Tracked orders and subscribers; publishes only what subscribers do not have yet."""

    def __init__(self) -> None:
        self._orders: dict[str, Tracked] = {}
        self._subscribers: set[Subscription] = set()

    def entry(self, client_order_id: str) -> Tracked:
        """The entry of an order about to be submitted (created now if new)."""
        entry = self._orders.get(client_order_id)
        if entry is None:
            entry = self._orders[client_order_id] = Tracked(client_order_id, datetime.now(UTC))
        return entry

    def track(self, snapshot: OrderSnapshot, since: datetime | None) -> Tracked:
        """The entry of an order the broker reported, created when first seen."""
        entry = self._orders.get(snapshot.client_order_id)
        if entry is None:
            entry = Tracked(snapshot.client_order_id, since or datetime.now(UTC))
            self._orders[snapshot.client_order_id] = entry
        entry.broker_order_id = snapshot.broker_order_id
        return entry

    def forget(self, client_order_id: str) -> None:
        """Stop tracking an order (refused outright, or never found)."""
        self._orders.pop(client_order_id, None)

    def open_orders(self) -> list[Tracked]:
        """Watched orders not yet known to be terminal: what a reconciliation fetches."""
        return [entry for entry in self._orders.values() if entry.watched and entry.open]

    def publish(self, snapshot: OrderSnapshot) -> bool:
        """Fan a snapshot out unless subscribers already have it or something newer."""
        entry = self.track(snapshot, snapshot.updated_at)
        if not is_newer(snapshot, entry.published):
            return False
        entry.published = snapshot
        for sub in list(self._subscribers):
            sub.queue.put_nowait(snapshot)
        return True

    def subscribe(self, on_next: Callable[[], None], *, closed: bool) -> Subscription:
        """A new subscriber (already ended when the broker is closed)."""
        sub = Subscription(self, on_next)
        if closed:
            sub.queue.put_nowait(None)
        else:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Remove a subscriber."""
        self._subscribers.discard(sub)

    def end(self) -> None:
        """End every subscription."""
        for sub in list(self._subscribers):
            sub.queue.put_nowait(None)
        self._subscribers.clear()

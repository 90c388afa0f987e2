"""BrokerGateway: rate limiting, per-call timeouts, 429 back-off and request counting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import structlog

from console.domain.market import Asset, MarketClock, Quote
from console.domain.orders import OrderRequest, OrderSnapshot
from console.engine.ports import AccountInfo, Broker, BrokerTimeoutError, RateLimitedError
from console.engine.ratelimit import TokenBucket
from console.engine.retry import TRANSIENT, RetryPolicy, retry

log = structlog.get_logger(__name__)
T = TypeVar("T")

MAX_RATE_LIMIT_RETRIES = 8


class BrokerGateway:
    """Wraps a Broker: every call waits for a token, has a timeout, is counted and retried.

    One retry policy (engine/retry.py) for every request: reads and cancels (idempotent) retry
    transient failures (5xx, timeouts) and 429s; a submit retries only a 429, which means the
    request was not processed, so sending the same client_order_id again is safe. Cancels take
    tokens ahead of every other waiting request (halt must not queue behind submits).
    """

    def __init__(
        self,
        broker: Broker,
        *,
        timeout: float = 10.0,
        bucket: TokenBucket | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.broker = broker
        self.timeout = timeout
        self.bucket = bucket or TokenBucket.for_limit(broker.rate_limit_per_minute)
        self._sleep = sleep
        self.policy = policy or RetryPolicy(attempts=4, base=0.5, cap=8.0)
        self._limit_policy = RetryPolicy(
            attempts=1, base=0.1, cap=8.0, rate_limited_attempts=MAX_RATE_LIMIT_RETRIES + 1
        )
        self.requests = 0
        self.submits = 0
        self.rate_limited = 0
        self.by_kind: dict[str, int] = {}

    @property
    def name(self) -> str:
        """Broker name (sim, alpaca)."""
        return self.broker.name

    @property
    def mode(self) -> str:
        """SIM, PAPER or LIVE."""
        return self.broker.mode

    def request_figures(self) -> dict[str, int]:
        """{"submit": N, "total": N}: the broker's own wire counts when it keeps them.

        An adapter that retries inside itself (alpaca-py's 429 handling) knows more requests
        than pass through this gateway; those are the honest figures.
        """
        counts = getattr(self.broker, "request_counts", None)
        if isinstance(counts, dict) and "total" in counts:
            return {"submit": int(counts.get("submit", 0)), "total": int(counts["total"])}
        return {"submit": self.by_kind.get("submit", 0), "total": self.requests}

    def reset_counters(self) -> None:
        """Start counting requests from zero (e.g. at the start of a run)."""
        self.requests = 0
        self.submits = 0
        self.rate_limited = 0
        self.by_kind = {}

    async def _once(self, kind: str, factory: Callable[[], Awaitable[T]], priority: bool) -> T:
        await self.bucket.acquire(priority=priority)
        self.requests += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            async with asyncio.timeout(self.timeout):
                return await factory()
        except TimeoutError as exc:
            raise BrokerTimeoutError(f"{kind}: no answer in {self.timeout:g} s") from exc
        except RateLimitedError:
            self.rate_limited += 1
            raise

    async def _call(
        self,
        kind: str,
        factory: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = True,
        priority: bool = False,
    ) -> T:
        policy = self.policy if idempotent else self._limit_policy
        return await retry(
            policy,
            kind,
            lambda: self._once(kind, factory, priority),
            retry_on=TRANSIENT if idempotent else (),
            sleep=self._sleep,
            on_rate_limited=self.bucket.drain,
        )

    async def get_account(self) -> AccountInfo:
        """Account balances."""
        return await self._call("account", self.broker.get_account)

    async def get_positions(self) -> dict[str, Decimal]:
        """Positions by symbol."""
        return await self._call("positions", self.broker.get_positions)

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Latest quotes of the symbols that have one."""
        return await self._call("quotes", lambda: self.broker.get_quotes(symbols))

    async def get_assets(self, symbols: Sequence[str]) -> dict[str, Asset]:
        """Assets the broker knows."""
        return await self._call("assets", lambda: self.broker.get_assets(symbols))

    async def get_clock(self) -> MarketClock:
        """Market clock."""
        return await self._call("clock", self.broker.get_clock)

    async def list_orders(
        self, *, open_only: bool, after: datetime | None = None
    ) -> list[OrderSnapshot]:
        """The account's working orders, or every order since `after` (one request)."""
        return await self._call(
            "orders", lambda: self.broker.list_orders(open_only=open_only, after=after)
        )

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot:
        """Submit one order (raises the port's errors; timeouts mean 'unknown')."""
        self.submits += 1
        return await self._call(
            "submit", lambda: self.broker.submit_order(request), idempotent=False
        )

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        """Look an order up by its client order id."""
        return await self._call(
            "lookup", lambda: self.broker.get_order_by_client_id(client_order_id)
        )

    async def cancel_order(self, broker_order_id: str) -> None:
        """Request cancellation of an open order."""
        await self._call("cancel", lambda: self.broker.cancel_order(broker_order_id), priority=True)

    def updates(self) -> AsyncIterator[OrderSnapshot]:
        """The broker's order-update stream (not counted: stream messages are not requests)."""
        return self.broker.updates()

    @property
    def updates_live(self) -> bool:
        """Whether the broker reports order changes as they happen now (else poll by REST)."""
        return self.broker.updates_live

    @property
    def updates_epoch(self) -> int:
        """The update stream's (re)connections so far: a change means updates may be missed."""
        return self.broker.updates_epoch

    async def close(self) -> None:
        """Close the broker."""
        await self.broker.close()

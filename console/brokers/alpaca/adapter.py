"""AlpacaBroker: the Broker port on alpaca-py (DESIGN §7).

Every TradingClient / data-client call runs on one dedicated daemon worker thread through a
requests session that enforces a timeout, a sliding-window rate limit and the retry policy of
transport.Caller. TradingStream runs as a task on the running loop; after every (re)connection
and whenever the stream stays silent while orders are open, the open orders are reconciled by
REST so no update is lost. alpaca-py is imported only when a broker is constructed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from console.brokers.alpaca.config import AlpacaConfig, AlpacaOptions, KeyringGetter, load_config
from console.brokers.alpaca.convert import event_for, snapshot_from_order, to_decimal
from console.brokers.alpaca.orderbook import OrderBook
from console.domain.market import Asset, MarketClock, Quote
from console.domain.orders import OrderRequest, OrderSnapshot
from console.engine.ports import (
    AccountInfo,
    BrokerError,
    BrokerTimeoutError,
    BrokerUnavailableError,
    DuplicateClientOrderIdError,
    OrderRejectedError,
)

if TYPE_CHECKING:
    from console.brokers.alpaca.stream import StreamSupervisor
    from console.brokers.alpaca.transport import Caller, Worker

log = structlog.get_logger(__name__)

T = TypeVar("T")
_QUOTE_BATCH = 200  # symbols per latest-quotes request (keeps the URL short)
_UNKNOWN_MISSES = 3  # reconciles an ambiguous submit may be absent before we stop looking
_CALL_GUARD_S = 300.0  # outer bound on one call, queueing and rate-limit waits included


class AlpacaBroker:
    """The `alpaca` Broker (PAPER unless constructed with a live config)."""

    name = "alpaca"

    def __init__(self, config: AlpacaConfig) -> None:
        from console.brokers.alpaca import sdk, stream, transport

        self.mode = config.mode
        self.rate_limit_per_minute = config.options.rate_limit_per_minute
        self._config = config
        self._options: AlpacaOptions = config.options
        self._stop = threading.Event()
        self._requests = transport.RequestLog()
        self._clients = sdk.Clients(config, self._stop, self._requests)
        self._sdk = sdk
        self._worker: Worker = transport.Worker("alpaca-broker")
        self._caller: Caller = transport.Caller(config.options, self._stop)
        self._not_found: type[BrokerError] = transport.NotFoundError
        self._closed_error: type[BrokerUnavailableError] = transport.ClosedError
        self._stream: StreamSupervisor = stream.StreamSupervisor(
            config, self._on_stream_update, self._on_stream_connected
        )
        self._book = OrderBook()
        self._inflight: set[asyncio.Future[Any]] = set()
        self._gap: asyncio.Event | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._last_reconcile = 0.0
        self._last_submit = 0.0
        self._closed = False
        self.reconciles = 0

    def __repr__(self) -> str:
        return f"AlpacaBroker(mode={self.mode}, base_url={self._config.base_url!r})"

    @property
    def request_counts(self) -> dict[str, int]:
        """HTTP requests actually sent this session, by endpoint, plus `total` and `submit`."""
        return self._requests.snapshot()

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    @property
    def stream_connects(self) -> int:
        """How many times the trade_updates stream (re)connected."""
        return self._stream.connects

    # ---- plumbing -----------------------------------------------------------------------

    def _ensure_started(self) -> None:
        """Start the stream and the silence monitor on the running loop (idempotent)."""
        if self._closed or self._monitor is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._gap = asyncio.Event()
        self._stream.start()
        self._monitor = loop.create_task(self._watch(), name="alpaca-reconcile")
        self._monitor.add_done_callback(_log_task_end)

    async def _call(self, op: str, fn: Callable[[], T], *, read: bool, submit: bool = False) -> T:
        """Run `fn` on the worker thread with the retry policy; map every failure."""
        if self._closed:
            raise self._closed_error("Alpaca broker closed")
        self._ensure_started()
        future = self._worker.submit(lambda: self._caller.call(op, fn, read=read, submit=submit))
        waiter = self._bridge(future)
        try:
            return await asyncio.wait_for(waiter, _CALL_GUARD_S)
        except TimeoutError:
            raise BrokerTimeoutError(f"{op}: no answer within {_CALL_GUARD_S:.0f} s") from None

    def _bridge(self, future: concurrent.futures.Future[T]) -> asyncio.Future[T]:
        """An asyncio future mirroring `future`, released with ClosedError by close()."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()

        def copy() -> None:
            if waiter.done():
                return
            if future.cancelled():
                waiter.set_exception(self._closed_error("Alpaca broker closed"))
            elif (exc := future.exception()) is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(future.result())

        def on_done(_: concurrent.futures.Future[T]) -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting
                loop.call_soon_threadsafe(copy)

        self._inflight.add(waiter)
        waiter.add_done_callback(self._inflight.discard)
        future.add_done_callback(on_done)
        return waiter

    # ---- the Broker port ----------------------------------------------------------------

    async def get_account(self) -> AccountInfo:
        """Account number, cash and buying power (exact Decimals from Alpaca's strings)."""
        account = await self._call("get_account", self._clients.trading.get_account, read=True)
        cash, power = to_decimal(account.cash), to_decimal(account.buying_power)
        if cash is None or power is None:
            raise BrokerUnavailableError("Alpaca account answer lacks cash or buying_power")
        return AccountInfo(account_id=str(account.account_number), cash=cash, buying_power=power)

    async def get_positions(self) -> dict[str, Decimal]:
        """Held quantities by symbol."""
        positions = await self._call(
            "get_positions", self._clients.trading.get_all_positions, read=True
        )
        result: dict[str, Decimal] = {}
        for position in positions:
            qty = to_decimal(position.qty)
            if qty is not None:
                result[str(position.symbol)] = qty
        return result

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Latest quotes (one request per 200 symbols); symbols without a quote are absent."""
        wanted = list(dict.fromkeys(symbols))
        result: dict[str, Quote] = {}
        for start in range(0, len(wanted), _QUOTE_BATCH):
            batch = wanted[start : start + _QUOTE_BATCH]
            request = self._sdk.latest_quotes(batch)
            quotes = await self._call(
                "get_quotes",
                functools.partial(self._clients.data.get_stock_latest_quote, request),
                read=True,
            )
            for symbol, quote in quotes.items():
                bid, ask = to_decimal(quote.bid_price), to_decimal(quote.ask_price)
                if (bid is not None and bid > 0) or (ask is not None and ask > 0):
                    result[str(symbol)] = Quote(bid=bid, ask=ask)
        return result

    async def get_assets(self, symbols: Sequence[str]) -> dict[str, Asset]:
        """Tradability per symbol (one request each); symbols Alpaca does not know are absent."""
        result: dict[str, Asset] = {}
        for symbol in dict.fromkeys(symbols):
            try:
                asset = await self._call(
                    "get_asset",
                    functools.partial(self._clients.trading.get_asset, symbol),
                    read=True,
                )
            except self._not_found:
                continue
            active = str(getattr(asset.status, "value", asset.status)) == "active"
            result[symbol] = Asset(
                symbol=symbol,
                tradable=bool(asset.tradable) and active,
                fractionable=bool(asset.fractionable),
            )
        return result

    async def get_clock(self) -> MarketClock:
        """Alpaca's market clock."""
        clock = await self._call("get_clock", self._clients.trading.get_clock, read=True)
        return MarketClock(
            is_open=bool(clock.is_open),
            timestamp=clock.timestamp,
            next_open=clock.next_open,
            next_close=clock.next_close,
        )

    async def list_orders(
        self, *, open_only: bool, after: datetime | None = None
    ) -> list[OrderSnapshot]:
        """The account's working orders, or every order since `after` (one request)."""
        request = (
            self._sdk.open_orders() if open_only or after is None else self._sdk.orders_since(after)
        )
        orders = await self._call(
            "list_orders", lambda: self._clients.trading.get_orders(request), read=True
        )
        return [snapshot_from_order(order) for order in orders]

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot:
        """Submit a market DAY order under its deterministic client_order_id."""
        order_request = self._sdk.market_order(request)  # exact-float check; raises before I/O
        self._ensure_started()
        # Listen before acting: the first submit waits (bounded) for the stream to connect.
        await self._stream.wait_first_connect(self._options.stream_connect_wait_s)
        coid = request.client_order_id
        entry = self._book.entry(coid)
        entry.misses = 0
        entry.watched = True
        self._last_submit = time.monotonic()
        try:
            order = await self._call(
                "submit_order",
                lambda: self._clients.trading.submit_order(order_request),
                read=False,
                submit=True,
            )
        except OrderRejectedError as exc:
            if entry.broker_order_id is None and entry.published is None:
                self._book.forget(coid)
            log.warning("alpaca.order_rejected", client_order_id=coid, reason=str(exc))
            raise
        except DuplicateClientOrderIdError:
            log.warning("alpaca.duplicate_client_order_id", client_order_id=coid)
            raise
        except BrokerError as exc:
            log.warning("alpaca.submit_outcome_unknown", client_order_id=coid, error=str(exc))
            raise
        snapshot = snapshot_from_order(order)
        entry.broker_order_id = snapshot.broker_order_id
        return snapshot

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        """The order with this client_order_id, or None when Alpaca has none (404)."""
        try:
            order = await self._call(
                "get_order_by_client_id",
                lambda: self._clients.trading.get_order_by_client_id(client_order_id),
                read=True,
            )
        except self._not_found:
            return None
        snapshot = snapshot_from_order(order)
        self._book.track(snapshot, order.submitted_at).watched = True
        return snapshot

    async def cancel_order(self, broker_order_id: str) -> None:
        """Request a cancel; an unknown or already terminal order is not an error."""
        try:
            await self._call(
                "cancel_order",
                lambda: self._clients.trading.cancel_order_by_id(broker_order_id),
                read=False,
            )
        except self._not_found:
            log.warning("alpaca.cancel_unknown_order", broker_order_id=broker_order_id)
        except BrokerError as exc:
            if "not cancelable" in str(exc).lower() or "already" in str(exc).lower():
                log.info("alpaca.cancel_not_needed", broker_order_id=broker_order_id)
                return
            raise

    def updates(self) -> AsyncIterator[OrderSnapshot]:
        """Every order update from now on (stream and REST reconciliation), until close()."""
        sub = self._book.subscribe(self._ensure_started, closed=self._closed)
        self._ensure_started()
        return sub

    async def close(self) -> None:
        """Stop the stream and the worker without waiting for a hung call; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        monitor, self._monitor = self._monitor, None
        if monitor is not None and not monitor.done():
            monitor.cancel()
            await asyncio.wait({monitor}, timeout=2)
        await self._stream.stop()
        self._worker.shutdown(final=self._clients.close)
        for waiter in list(self._inflight):
            if not waiter.done():
                waiter.set_exception(self._closed_error("Alpaca broker closed"))
        self._book.end()

    # ---- updates: stream, publication, reconciliation -------------------------------------

    def _on_stream_update(self, snapshot: OrderSnapshot) -> None:
        """A trade_updates event."""
        if not self._closed:
            self._book.publish(snapshot)

    def _on_stream_connected(self) -> None:
        """A (re)connection: whatever happened while disconnected must be fetched by REST."""
        if self._gap is not None and self._book.open_orders():
            self._gap.set()

    async def _watch(self) -> None:
        """Reconcile after each reconnect, and while open orders see a silent stream."""
        base = self._options.stream_silence_s
        interval = base
        assert self._gap is not None
        while not self._closed:
            quiet_since = max(self._stream.last_message, self._last_reconcile, self._last_submit)
            wait = max(0.05, interval - (time.monotonic() - quiet_since))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._gap.wait(), wait)
            gap = self._gap.is_set()
            self._gap.clear()
            if self.closed:
                return
            if not self._book.open_orders():
                interval = base
                continue
            quiet_since = max(self._stream.last_message, self._last_reconcile, self._last_submit)
            if not gap and time.monotonic() - quiet_since < interval:
                continue
            try:
                changed = await self.reconcile("reconnect" if gap else "silence")
            except BrokerError as exc:
                log.warning("alpaca.reconcile_failed", error=str(exc))
                self._last_reconcile = time.monotonic()
                continue
            interval = (
                base if changed or gap else min(interval * 2, self._options.stream_silence_max_s)
            )

    async def reconcile(self, reason: str = "manual") -> bool:
        """Fetch the open orders by REST and publish what changed; True if anything did."""
        open_orders = self._book.open_orders()
        if not open_orders:
            return False
        self.reconciles += 1
        self._last_reconcile = time.monotonic()
        after = min(entry.since for entry in open_orders) - timedelta(minutes=5)
        request = self._sdk.orders_since(after)
        orders = await self._call(
            "reconcile", lambda: self._clients.trading.get_orders(request), read=True
        )
        by_coid = {str(order.client_order_id): order for order in orders}
        changed = False
        for entry in open_orders:
            order = by_coid.get(entry.client_order_id)
            if order is None and entry.broker_order_id is not None:
                snapshot = await self.get_order_by_client_id(entry.client_order_id)
                if snapshot is not None:
                    changed |= self._book.publish(
                        snapshot.model_copy(update={"event": event_for(snapshot.status)})
                    )
                continue
            if order is None:
                entry.misses += 1
                if entry.misses >= _UNKNOWN_MISSES:
                    log.info("alpaca.reconcile_gave_up", client_order_id=entry.client_order_id)
                    self._book.forget(entry.client_order_id)
                continue
            status_snapshot = snapshot_from_order(order)
            snapshot = status_snapshot.model_copy(
                update={"event": event_for(status_snapshot.status)}
            )
            changed |= self._book.publish(snapshot)
        log.info("alpaca.reconciled", reason=reason, open=len(open_orders), changed=changed)
        return changed


def _log_task_end(task: asyncio.Task[None]) -> None:
    """Log a background task that ended with an exception."""
    if not task.cancelled() and task.exception() is not None:
        log.error("alpaca.task_failed", task=task.get_name(), exc_info=task.exception())


def create_alpaca_broker(
    *,
    live: bool = False,
    env: Mapping[str, str] | None = None,
    options: AlpacaOptions | None = None,
    keyring_get: KeyringGetter | None = None,
) -> AlpacaBroker:
    """An AlpacaBroker from the environment (or `env`) and the OS keyring; paper unless `live`."""
    if keyring_get is None:
        config = load_config(live=live, env=env, options=options)
    else:
        config = load_config(live=live, env=env, options=options, keyring_get=keyring_get)
    log.info("alpaca.broker_created", mode=config.mode, base_url=config.base_url)
    return AlpacaBroker(config)

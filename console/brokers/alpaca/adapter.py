"""AlpacaBroker: the Broker port on alpaca-py (DESIGN §7).

The adapter translates calls and reports what Alpaca says; it keeps no policy of its own. Every
call is one HTTP request (alpaca-py's own retries are off) run on one dedicated daemon worker
thread, with a timeout, counted; pacing, retries and reconciliation are the engine's. The
trade_updates stream (one per account) opens only when a run follows updates (the first
`updates()` iteration or the first submit), never for a preview or a connection test.
alpaca-py is imported only when a broker is constructed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from console.brokers.alpaca.assets import AssetCache
from console.brokers.alpaca.config import AlpacaConfig, KeyringGetter, load_config
from console.brokers.alpaca.convert import (
    field,
    replaced_by,
    snapshot_from_order,
    to_decimal,
    to_time,
)
from console.brokers.fanout import UpdateFanout
from console.domain.market import AccountStatus, Asset, MarketClock, Quote
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
    from console.brokers.alpaca.config import AlpacaOptions
    from console.brokers.alpaca.stream import StreamSupervisor
    from console.brokers.alpaca.transport import Worker

log = structlog.get_logger(__name__)

T = TypeVar("T")
_QUOTE_BATCH = 200  # symbols per latest-quotes request (keeps the URL short)
_MAX_REPLACED_HOPS = 5  # replaced -> successor -> ... followed at most this far
_CALL_GUARD_S = 300.0  # outer bound on one call, queueing included


class AlpacaBroker:
    """The `alpaca` Broker (PAPER unless constructed with a live config)."""

    name = "alpaca"

    def __init__(self, config: AlpacaConfig) -> None:
        import threading

        from console.brokers.alpaca import sdk, stream, transport

        self.mode = config.mode
        self.rate_limit_per_minute = config.options.rate_limit_per_minute
        self.quote_feed = config.data_feed
        self._config = config
        self._options: AlpacaOptions = config.options
        self._stop = threading.Event()
        self._requests = transport.RequestLog()
        self._clients = sdk.Clients(config, self._stop, self._requests)
        self._sdk = sdk
        self._transport = transport
        self._worker: Worker = transport.Worker("alpaca-broker")
        self._not_found: type[BrokerError] = transport.NotFoundError
        self._closed_error: type[BrokerUnavailableError] = transport.ClosedError
        self._stream: StreamSupervisor = stream.StreamSupervisor(config, self._on_stream_message)
        cache_dir = config.options.asset_cache_dir
        self._assets = AssetCache(
            config.base_url,
            Path(cache_dir) if cache_dir else None,
            persist=config.options.asset_cache_persist,
        )
        self._inflight: set[asyncio.Future[Any]] = set()
        # Iterating the updates opens the stream: a run follows updates, a preview never does.
        self._updates = UpdateFanout(on_iterate=self._open_stream)
        # Successor order id -> the client_order_id of the order it replaced (DESIGN §7).
        self._replaced_for: dict[str, str] = {}
        self._closed = False

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
    def updates_live(self) -> bool:
        """Whether order updates arrive as they happen: the trade_updates stream is connected."""
        return self._stream.connected

    @property
    def updates_epoch(self) -> int:
        """The trade_updates stream's (re)connections: after a reconnect, events may be missed."""
        return self._stream.connects

    stream_connects = updates_epoch  # the same count, by the name the transport tests use

    @property
    def stream_started(self) -> bool:
        """Whether this session opened the account's trade_updates stream."""
        return self._stream.started

    # ---- plumbing -----------------------------------------------------------------------

    def _open_stream(self) -> None:
        """Open the trade_updates stream on the running loop (idempotent; a run follows it)."""
        if self._closed or self._stream.started:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._stream.start()

    async def _call(self, op: str, fn: Callable[[], T], *, kind: str = "other") -> T:
        """Run `fn` (one request) on the worker thread; map its failure to a port error."""
        if self._closed:
            raise self._closed_error("Alpaca broker closed")
        map_error, feed = self._transport.map_error, self.quote_feed

        def run() -> T:
            try:
                return fn()
            except Exception as exc:
                raise map_error(exc, kind=kind, feed=feed) from exc

        waiter = self._bridge(self._worker.submit(run))
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

    async def _get(self, op: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a trading path as raw JSON (orders are read raw: an unknown status stays open)."""
        trading = self._clients.trading
        return await self._call(op, lambda: trading.get(path, dict(params or {})))

    # ---- the Broker port ----------------------------------------------------------------

    async def get_account(self) -> AccountInfo:
        """Account number, cash, buying power and whether it may trade (a 403 is credentials)."""
        account = await self._call(
            "get_account", self._clients.trading.get_account, kind=self._transport.Call.ACCOUNT
        )
        cash, power = to_decimal(account.cash), to_decimal(account.buying_power)
        if cash is None or power is None:
            raise BrokerUnavailableError("Alpaca account answer lacks cash or buying_power")
        status = AccountStatus(
            status=str(getattr(account.status, "value", account.status) or "ACTIVE"),
            trading_blocked=bool(account.trading_blocked),
            account_blocked=bool(account.account_blocked),
            trade_suspended_by_user=bool(account.trade_suspended_by_user),
        )
        return AccountInfo(
            account_id=str(account.account_number), cash=cash, buying_power=power, status=status
        )

    async def get_positions(self) -> dict[str, Decimal]:
        """Held quantities by symbol."""
        positions = await self._call("get_positions", self._clients.trading.get_all_positions)
        result: dict[str, Decimal] = {}
        for position in positions:
            qty = to_decimal(position.qty)
            if qty is not None:
                result[str(position.symbol)] = qty
        return result

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Latest quotes on the configured feed, stamped with the data API's time.

        One request per 200 symbols; symbols without a quote are absent. A 403 says which feed
        the data subscription lacks.
        """
        wanted = list(dict.fromkeys(symbols))
        result: dict[str, Quote] = {}
        for start in range(0, len(wanted), _QUOTE_BATCH):
            request = self._sdk.latest_quotes(wanted[start : start + _QUOTE_BATCH], self.quote_feed)
            quotes = await self._call(
                "get_quotes",
                functools.partial(self._clients.data.get_stock_latest_quote, request),
                kind=self._transport.Call.DATA,
            )
            for symbol, quote in quotes.items():
                bid, ask = to_decimal(quote.bid_price), to_decimal(quote.ask_price)
                if (bid is not None and bid > 0) or (ask is not None and ask > 0):
                    stamp = to_time(getattr(quote, "timestamp", None))
                    result[str(symbol)] = Quote(bid=bid, ask=ask, timestamp=stamp)
        return result

    async def get_assets(self, symbols: Sequence[str]) -> dict[str, Asset]:
        """Tradability per symbol from the asset list (fresh for minutes); unknown: absent.

        One request lists every active US equity, read as raw JSON: an entry alpaca-py's model
        would refuse (a new exchange or asset class) is skipped, not fatal to the preview. A
        symbol missing from the list costs one look-up.
        """
        facts = self._assets.load()
        if facts is None:
            try:
                request = self._sdk.active_equities().to_request_fields()
                listed = await self._get("list_assets", "/assets", request)
            except (self._not_found, OrderRejectedError) as exc:
                # A server without the list endpoint: ask symbol by symbol instead.
                log.warning("alpaca.asset_list_unavailable", error=str(exc))
                listed = []
            entries = listed if isinstance(listed, list) else []
            facts = {}
            for entry in entries:
                asset = _asset(entry)
                if asset is not None:
                    facts[asset.symbol] = asset
            if len(facts) < len(entries):
                log.warning("alpaca.assets_skipped", count=len(entries) - len(facts))
            if facts:
                self._assets.store(facts)
        wanted = list(dict.fromkeys(symbols))
        extra: dict[str, Asset | None] = {}
        for symbol in (s for s in wanted if s not in facts):
            try:
                entry = await self._get("get_asset", f"/assets/{symbol}")
            except self._not_found:
                extra[symbol] = None
                continue
            found = _asset(entry)
            extra[symbol] = None if found is None else found.model_copy(update={"symbol": symbol})
        if extra:
            self._assets.add(extra)
            facts = {**facts, **extra}
        return {s: a for s in wanted if (a := facts.get(s)) is not None}

    async def get_clock(self) -> MarketClock:
        """Alpaca's market clock."""
        clock = await self._call("get_clock", self._clients.trading.get_clock)
        return MarketClock(
            is_open=bool(clock.is_open),
            timestamp=to_time(clock.timestamp),
            next_open=to_time(clock.next_open),
            next_close=to_time(clock.next_close),
        )

    async def list_orders(
        self, *, open_only: bool, after: datetime | None = None
    ) -> list[OrderSnapshot]:
        """The account's working orders, or every order submitted after `after`.

        One request (500 orders a page, oldest first; a further page only past 500). A replaced
        order is reported as its successor under the original client_order_id.
        """
        raw: list[Any] = []
        seen: set[str] = set()
        since = after
        while True:
            # Past 500, the next page starts after the last one's time (open orders as well).
            request = self._sdk.open_orders(since) if open_only else self._sdk.orders_since(since)
            page = await self._get("list_orders", "/orders", request.to_request_fields())
            fresh = [o for o in page or [] if str(field(o, "id")) not in seen]
            raw.extend(fresh)
            seen.update(str(field(o, "id")) for o in fresh)
            last = to_time(field(page[-1], "submitted_at")) if page else None
            if len(page or []) < self._sdk.ORDERS_PAGE or not fresh or last is None:
                break
            since = last - timedelta(microseconds=1)  # ties at the page edge come back, deduped
        by_id = {str(field(o, "id")): o for o in raw}
        return [await self._translate(order, by_id) for order in raw]

    async def submit_order(self, request: OrderRequest) -> OrderSnapshot:
        """Submit a market DAY order under its deterministic client_order_id.

        Any 4xx other than 401, 408, 429 and the duplicate-id 422 is OrderRejectedError with
        Alpaca's code, message and HTTP status: nothing was placed.
        """
        order_request = self._sdk.market_order(request)  # exact-float check; raises before I/O
        # Listen before acting: the first submit opens the stream and waits (bounded) for it.
        self._open_stream()
        await self._stream.wait_first_connect(self._options.stream_connect_wait_s)
        coid = request.client_order_id
        trading = self._clients.trading
        try:
            order = await self._call(
                "submit_order",
                lambda: trading.post("/orders", order_request.to_request_fields()),
                kind=self._transport.Call.SUBMIT,
            )
        except OrderRejectedError as exc:
            log.warning("alpaca.order_rejected", client_order_id=coid, reason=exc.reason)
            raise
        except DuplicateClientOrderIdError:
            log.warning("alpaca.duplicate_client_order_id", client_order_id=coid)
            raise
        except BrokerError as exc:
            # What it means (a rate limit, refused keys, an ambiguous outcome) is the engine's call.
            kind = type(exc).__name__
            log.warning("alpaca.submit_failed", client_order_id=coid, kind=kind, error=str(exc))
            raise
        return snapshot_from_order(order)

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        """The order with this client_order_id (its successor if replaced), or None (404)."""
        try:
            order = await self._get(
                "get_order_by_client_id",
                "/orders:by_client_order_id",
                {"client_order_id": client_order_id},
            )
        except self._not_found:
            return None
        return await self._translate(order, {})

    async def cancel_order(self, broker_order_id: str) -> None:
        """Request a cancel; an unknown or already terminal order is not an error."""
        trading = self._clients.trading
        try:
            await self._call("cancel_order", lambda: trading.cancel_order_by_id(broker_order_id))
        except self._not_found:
            log.warning("alpaca.cancel_unknown_order", broker_order_id=broker_order_id)
        except BrokerError as exc:
            text = str(exc).lower()
            if "422" in text and ("not cancelable" in text or "already" in text):
                log.info("alpaca.cancel_not_needed", broker_order_id=broker_order_id)
                return
            raise

    def updates(self) -> AsyncIterator[OrderSnapshot]:
        """Every trade_updates event from now on, until close(); iterating opens the stream."""
        return self._updates.subscribe()

    async def close(self) -> None:
        """Stop the stream and the worker without waiting for a hung call; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        await self._stream.stop()
        self._worker.shutdown(final=self._clients.close)
        for waiter in list(self._inflight):
            if not waiter.done():
                waiter.set_exception(self._closed_error("Alpaca broker closed"))
        self._updates.close()

    # ---- translation ----------------------------------------------------------------------

    async def _translate(
        self, order: Any, listed: Mapping[str, Any], *, event: str | None = None
    ) -> OrderSnapshot:
        """An Alpaca order -> OrderSnapshot; a replaced order as its successor (followed)."""
        original = snapshot_from_order(order, event=event)
        current, hops = order, 0
        while (successor_id := replaced_by(current)) is not None and hops < _MAX_REPLACED_HOPS:
            hops += 1
            successor = listed.get(successor_id)
            if successor is None:
                try:
                    successor = await self._get("get_order", f"/orders/{successor_id}")
                except self._not_found:
                    log.warning("alpaca.replacement_not_found", order=successor_id)
                    break
            self._replaced_for[successor_id] = original.client_order_id
            current = successor
        if current is order:
            return original
        followed = snapshot_from_order(current, event=event)
        log.info(
            "alpaca.replaced_followed",
            client_order_id=original.client_order_id,
            successor=followed.broker_order_id,
            status=followed.status.value,
        )
        return followed.model_copy(update={"client_order_id": original.client_order_id})

    async def _on_stream_message(self, data: dict[str, Any]) -> None:
        """One trade_updates payload -> an OrderSnapshot to every subscriber."""
        order = data.get("order")
        if not isinstance(order, dict) or self._closed:
            return
        event = str(data.get("event") or "") or None
        reason = data.get("reason")
        if replaced_by(order) is not None:
            snapshot = await self._translate(order, {}, event=event)
        else:
            snapshot = snapshot_from_order(
                order, event=event, reason=reason if isinstance(reason, str) and reason else None
            )
            original = self._replaced_for.get(snapshot.broker_order_id)
            if original is not None:  # an update of a successor: report it as the original
                snapshot = snapshot.model_copy(update={"client_order_id": original})
        self._updates.publish(snapshot)


def _asset(entry: Any) -> Asset | None:
    """Alpaca's asset JSON -> the domain's tradability facts (inactive is not tradable).

    None when the entry lacks a symbol or its flags are not booleans: it is skipped, and a
    symbol the plan needs is then looked up by itself.
    """
    if not isinstance(entry, Mapping):
        return None
    symbol, tradable, fractionable = (entry.get(k) for k in ("symbol", "tradable", "fractionable"))
    if not isinstance(symbol, str) or not symbol:
        return None
    if not isinstance(tradable, bool) or not isinstance(fractionable, bool):
        return None
    return Asset(
        symbol=symbol,
        tradable=tradable and entry.get("status") == "active",
        fractionable=fractionable,
    )


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
    log.info(
        "alpaca.broker_created", mode=config.mode, base_url=config.base_url, feed=config.data_feed
    )
    return AlpacaBroker(config)

"""alpaca-py clients and request objects (imported only when an AlpacaBroker is built)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alpaca.common.enums import Sort
from alpaca.data.enums import DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import AssetClass, AssetStatus, OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import GetAssetsRequest, GetOrdersRequest, MarketOrderRequest

from console.brokers.alpaca.config import AlpacaConfig
from console.brokers.alpaca.convert import order_amount
from console.brokers.alpaca.transport import GuardedSession, RequestLog
from console.domain.orders import OrderRequest, Side

ORDERS_PAGE = 500  # Alpaca's maximum page size for GET /v2/orders


class Clients:
    """The trading and market-data clients, sharing one guarded (timed, counted) session."""

    def __init__(self, config: AlpacaConfig, stop: threading.Event, requests: RequestLog) -> None:
        options = config.options
        self.trading: Any = TradingClient(
            config.key_id, config.secret_key, paper=not config.live, url_override=config.base_url
        )
        self.data: Any = StockHistoricalDataClient(
            config.key_id, config.secret_key, url_override=config.data_url
        )
        for client in (self.trading, self.data):
            # The engine's retry policy replaces alpaca-py's: it sleeps 3 s three times on
            # 429/504, POST included (a 504 on a landed order then comes back as a duplicate-id
            # 422). Each call here is one request; the engine paces and retries.
            client._retry = 0
            client._retry_codes = []
            client._session = GuardedSession(options.request_timeout_s, requests, stop)

    def close(self) -> None:
        """Release pooled connections."""
        for client in (self.trading, self.data):
            client._session.close()


def market_order(request: OrderRequest) -> Any:
    """A market DAY MarketOrderRequest with exact-float qty or notional."""
    field, amount = order_amount(request.spec)
    side = OrderSide.BUY if request.side is Side.BUY else OrderSide.SELL
    kwargs: dict[str, Any] = {field: amount}
    return MarketOrderRequest(
        symbol=request.symbol,
        side=side,
        time_in_force=TimeInForce.DAY,
        client_order_id=request.client_order_id,
        **kwargs,
    )


def orders_since(after: datetime | None) -> Any:
    """GET /v2/orders filter: every status (not just open), one full page, oldest first."""
    return GetOrdersRequest(
        status=QueryOrderStatus.ALL,
        after=after,
        limit=ORDERS_PAGE,
        direction=Sort.ASC,
        nested=False,
    )


def open_orders(after: datetime | None = None) -> Any:
    """GET /v2/orders filter: the account's working orders, one full page, oldest first."""
    return GetOrdersRequest(
        status=QueryOrderStatus.OPEN,
        after=after,
        limit=ORDERS_PAGE,
        direction=Sort.ASC,
        nested=False,
    )


def latest_quotes(symbols: Sequence[str], feed: str) -> Any:
    """Latest-quotes request for many symbols at once, on the configured feed."""
    return StockLatestQuoteRequest(symbol_or_symbols=list(symbols), feed=DataFeed(feed))


def active_equities() -> Any:
    """GET /v2/assets filter: every active US equity (one request for the day's asset facts)."""
    return GetAssetsRequest(status=AssetStatus.ACTIVE, asset_class=AssetClass.US_EQUITY)

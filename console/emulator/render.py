"""Alpaca API JSON shapes the emulator answers with (every field alpaca-py's models require)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from console.domain.market import AccountStatus, MarketClock, Quote
from console.domain.money import ZERO, add, cents_half_up, mul
from console.domain.orders import OrderSnapshot, OrderStatus, Side

_NS = uuid.UUID("8a4f3c52-2f0e-4d7b-9a51-6b0c3f1e2d77")
_TERMINAL_AT = {
    OrderStatus.FILLED: "filled_at",
    OrderStatus.CANCELED: "canceled_at",
    OrderStatus.EXPIRED: "expired_at",
    OrderStatus.REJECTED: "failed_at",
}


def stable_uuid(*parts: str) -> str:
    """A UUID derived from names (Alpaca ids are UUIDs; the sim's are not)."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def text(value: Decimal | None) -> str | None:
    """A Decimal as Alpaca's exact string field, or None."""
    return None if value is None else format(value, "f")


def number(value: Decimal | None) -> float:
    """A quote price as the JSON number Alpaca sends (0 when absent)."""
    if value is None:
        return 0.0
    result = float(value)
    assert Decimal(repr(result)) == value, f"price {value} is not exact as a JSON number"
    return result


def order_json(
    order: OrderSnapshot, order_id: str, created_at: datetime, account_id: str
) -> dict[str, Any]:
    """GET/POST /v2/orders entity."""
    updated = order.updated_at or created_at
    data: dict[str, Any] = {
        "id": order_id,
        "client_order_id": order.client_order_id,
        "created_at": iso(created_at),
        "updated_at": iso(updated),
        "submitted_at": iso(created_at),
        "filled_at": None,
        "expired_at": None,
        "expires_at": iso(created_at + timedelta(hours=8)),
        "canceled_at": None,
        "failed_at": None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": stable_uuid("asset", order.symbol),
        "symbol": order.symbol,
        "asset_class": "us_equity",
        "notional": text(order.notional),
        "qty": text(order.qty),
        "filled_qty": text(order.filled_qty) or "0",
        "filled_avg_price": text(order.filled_avg_price),
        "order_class": "simple",
        "order_type": "market",
        "type": "market",
        "side": order.side.value,
        "position_intent": "buy_to_open" if order.side is Side.BUY else "sell_to_close",
        "time_in_force": "day",
        "limit_price": None,
        "stop_price": None,
        "status": order.status.value,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "subtag": None,
        "source": None,
    }
    stamp = _TERMINAL_AT.get(order.status)
    if stamp is not None:
        data[stamp] = iso(updated)
    return data


def trade_update_json(
    update: OrderSnapshot, order: dict[str, Any], position_qty: Decimal
) -> dict[str, Any]:
    """A trade_updates stream message."""
    data: dict[str, Any] = {
        "event": update.event or "new",
        "order": order,
        "timestamp": order["updated_at"],
    }
    if update.event in ("fill", "partial_fill"):
        data["execution_id"] = str(uuid.uuid4())
        data["price"] = text(update.filled_avg_price)
        data["qty"] = text(update.filled_qty)
        data["position_qty"] = text(position_qty)
    if update.reason and update.status is OrderStatus.REJECTED:
        data["reason"] = update.reason
    return {"stream": "trade_updates", "data": data}


def account_json(
    account_id: str,
    cash: Decimal,
    buying_power: Decimal,
    positions: dict[str, Decimal],
    quotes: dict[str, Quote],
    status: AccountStatus | None = None,
) -> dict[str, Any]:
    """GET /v2/account, with the status and blocking flags of the scenario."""
    flags = status or AccountStatus()
    long_value = add(
        ZERO,
        *(mul(qty, mid) for s, qty in positions.items() if (mid := _mid(quotes, s)) is not None),
    )
    equity = cents_half_up(add(cash, long_value))
    return {
        "id": stable_uuid("account", account_id),
        "account_number": account_id,
        "status": flags.status,
        "crypto_status": "ACTIVE",
        "currency": "USD",
        "buying_power": text(buying_power),
        "regt_buying_power": text(buying_power),
        "non_marginable_buying_power": text(buying_power),
        "options_buying_power": text(buying_power),
        "cash": text(cash),
        "accrued_fees": "0",
        "pending_transfer_out": None,
        "pending_transfer_in": "0",
        "portfolio_value": text(equity),
        "equity": text(equity),
        "last_equity": text(equity),
        "long_market_value": text(cents_half_up(long_value)),
        "short_market_value": "0",
        "initial_margin": "0",
        "maintenance_margin": "0",
        "last_maintenance_margin": "0",
        "sma": "0",
        "multiplier": "1",
        "pattern_day_trader": False,
        "trading_blocked": flags.trading_blocked,
        "transfers_blocked": False,
        "account_blocked": flags.account_blocked,
        "trade_suspended_by_user": flags.trade_suspended_by_user,
        "shorting_enabled": False,
        "daytrade_count": 0,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "created_at": "2024-01-02T14:30:00Z",
    }


def _mid(quotes: dict[str, Quote], symbol: str) -> Decimal | None:
    quote = quotes.get(symbol)
    return quote.mid() if quote is not None else None


def position_json(symbol: str, qty: Decimal, quotes: dict[str, Quote]) -> dict[str, Any]:
    """GET /v2/positions entry."""
    price = _mid(quotes, symbol) or ZERO
    value = cents_half_up(mul(qty, price))
    return {
        "asset_id": stable_uuid("asset", symbol),
        "symbol": symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "asset_marginable": False,
        "avg_entry_price": text(price),
        "qty": text(qty),
        "qty_available": text(qty),
        "side": "long",
        "market_value": text(value),
        "cost_basis": text(value),
        "unrealized_pl": "0",
        "unrealized_plpc": "0",
        "unrealized_intraday_pl": "0",
        "unrealized_intraday_plpc": "0",
        "current_price": text(price),
        "lastday_price": text(price),
        "change_today": "0",
    }


def asset_json(symbol: str, tradable: bool, fractionable: bool) -> dict[str, Any]:
    """GET /v2/assets/{symbol}."""
    return {
        "id": stable_uuid("asset", symbol),
        "class": "us_equity",
        "exchange": "NASDAQ",
        "symbol": symbol,
        "name": f"{symbol} (emulated)",
        "status": "active",
        "tradable": tradable,
        "marginable": False,
        "shortable": False,
        "easy_to_borrow": False,
        "fractionable": fractionable,
        "maintenance_margin_requirement": 100,
        "attributes": [],
    }


def clock_json(clock: MarketClock) -> dict[str, Any]:
    """GET /v2/clock from the Exchange's clock (the unknown next event a day away)."""
    now = clock.timestamp or datetime.now(UTC)
    next_open = clock.next_open or now + timedelta(hours=17, minutes=30)
    next_close = clock.next_close or next_open + timedelta(hours=6, minutes=30)
    return {
        "timestamp": iso(now),
        "is_open": clock.is_open,
        "next_open": iso(next_open),
        "next_close": iso(next_close),
    }


def quote_json(quote: Quote, now: datetime) -> dict[str, Any]:
    """One entry of GET /v2/stocks/quotes/latest: its own time `t`, prices as JSON numbers."""
    return {
        "t": iso(quote.timestamp or now),
        "ax": "V",
        "ap": number(quote.ask),
        "as": 1,
        "bx": "V",
        "bp": number(quote.bid),
        "bs": 1,
        "c": ["R"],
        "z": "C",
    }


def error_json(code: int, message: str) -> dict[str, Any]:
    """Alpaca's error body."""
    return {"code": code, "message": message}

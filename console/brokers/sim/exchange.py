"""A pure, synchronous matching engine over a scenario: account state and the fill rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from console.brokers.sim.scenario import Scenario
from console.domain.market import AccountStatus, Asset, MarketClock, Quote
from console.domain.money import (
    CENT,
    ONE,
    QTY_STEP,
    ZERO,
    add,
    div,
    mul,
    normalized_str,
    qty_down,
    round_down,
    sub,
)
from console.domain.orders import OrderRequest, OrderSnapshot, OrderStatus, Side
from console.engine.ports import DuplicateClientOrderIdError, OrderRejectedError

STATE_VERSION = 1
# Alpaca's refusal codes (HTTP 403): buying power, qty, wash trade; pattern day trader; 422 other.
CODE_FORBIDDEN = "40310000"
CODE_PDT = "40310100"
CODE_UNPROCESSABLE = "42210000"
WASH_TRADE_MESSAGE = "potential wash trade detected. use complex orders"


def refusal(message: str) -> OrderRejectedError:
    """A 403 refusal with Alpaca's code for its message."""
    code = CODE_PDT if "pattern day" in message.lower() else CODE_FORBIDDEN
    return OrderRejectedError(message, code=code, http_status=403)


def unprocessable(message: str) -> OrderRejectedError:
    """A 422 refusal of a malformed or impossible order."""
    return OrderRejectedError(message, code=CODE_UNPROCESSABLE, http_status=422)


# Fill prices moved by slippage are rounded half-up to this step; without slippage the quote is
# used exactly as written.
PRICE_STEP = Decimal("0.0001")
_BPS = Decimal(10000)
_TWO = Decimal(2)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


# Quotes read this soon after the clock belong to the same snapshot (see Exchange._quote_base).
_SNAPSHOT_WINDOW = timedelta(seconds=1)


class Exchange:
    """Account state and order matching for one simulated account (no I/O, no asyncio)."""

    def __init__(self, scenario: Scenario, *, now: Callable[[], datetime] = utc_now) -> None:
        """Start from the scenario's balances and positions with no orders."""
        self.scenario = scenario
        self.now = now
        self._clock_read: datetime | None = None  # the time the last clock() answered
        self.account_id: str = scenario.account_id
        self.cash: Decimal = scenario.cash
        self.buying_power: Decimal = scenario.buying_power
        self.market_open: bool = scenario.market_open
        self._positions: dict[str, Decimal] = {s: q for s, q in scenario.positions.items() if q}
        self._orders: dict[str, OrderSnapshot] = {}
        self._by_client: dict[str, str] = {}
        self._counter = 0
        self._fired: set[str] = set()
        self._account_reads = 0
        self._fills = 0
        self._external: set[str] = set()
        for index, manual in enumerate(scenario.open_orders, start=1):
            broker_id = f"ext-{index:06d}"
            order = OrderSnapshot(
                client_order_id=f"manual-{index}",
                broker_order_id=broker_id,
                symbol=manual.symbol,
                side=Side(manual.side),
                status=OrderStatus.NEW,
                qty=manual.qty,
                notional=manual.notional,
                updated_at=self.now(),
            )
            self._orders[broker_id] = order
            self._by_client[order.client_order_id] = broker_id
            self._external.add(broker_id)

    # ---- market and account -------------------------------------------------------------

    def positions(self) -> dict[str, Decimal]:
        """Held quantities by symbol (a copy)."""
        return dict(self._positions)

    def quote(self, symbol: str) -> Quote | None:
        """The scenario's quote of a symbol, stamped `age_seconds` before now, or None."""
        quote = self.scenario.quotes.get(symbol)
        if quote is None:
            return None
        age = self.scenario.quote_ages.get(symbol, ZERO)
        stamp = self._quote_base() - timedelta(seconds=float(age))  # a time, not money
        return quote.model_copy(update={"timestamp": stamp})

    def _quote_base(self) -> datetime:
        """The time a quote's age counts back from: the clock just read, else now."""
        # A snapshot reads the clock, then the quotes, and measures each age against the clock:
        # a quote `age_seconds` old is exactly that old there, not a few milliseconds younger.
        now = self.now()
        read = self._clock_read
        if read is not None and timedelta(0) <= now - read <= _SNAPSHOT_WINDOW:
            return read
        return now

    def clock(self) -> MarketClock:
        """Open or closed now, with the next close (while open) or the next open."""
        now = self.now()
        self._clock_read = now
        if self.market_open:
            close = now + timedelta(minutes=float(self.scenario.minutes_to_close))
            return MarketClock(is_open=True, timestamp=now, next_close=close)
        opens = now + timedelta(minutes=float(self.scenario.minutes_to_open))
        return MarketClock(is_open=False, timestamp=now, next_open=opens)

    def account_status(self) -> AccountStatus:
        """The scenario's account status and blocking flags."""
        return self.scenario.account

    def count_account_read(self) -> int:
        """Count one account read; return how many came before it."""
        self._account_reads += 1
        return self._account_reads - 1

    def asset(self, symbol: str) -> Asset | None:
        """The asset of a known symbol; None for a symbol the sim does not know."""
        return self.scenario.asset(symbol)

    def fill_price(self, symbol: str, side: Side) -> Decimal | None:
        """The leg price of DESIGN §3 moved against the trader by slippage_bps, or None."""
        quote = self.quote(symbol)
        price = quote.leg_price(side.value) if quote is not None else None
        if price is None:
            return None
        bps = self.scenario.fills.slippage_bps
        if bps == 0:
            return price
        factor = add(ONE, div(bps, _BPS)) if side is Side.BUY else sub(ONE, div(bps, _BPS))
        return mul(price, factor).quantize(PRICE_STEP, rounding=ROUND_HALF_UP)

    # ---- faults -------------------------------------------------------------------------

    def take_fault(self, kind: str, symbol: str) -> bool:
        """True the first time a fault fires for (kind, symbol); recorded in the state."""
        key = f"{kind}:{symbol}"
        if key in self._fired:
            return False
        self._fired.add(key)
        return True

    def fault_fired(self, kind: str, symbol: str) -> bool:
        """Whether (kind, symbol) has already fired in this exchange state."""
        return f"{kind}:{symbol}" in self._fired

    # ---- orders -------------------------------------------------------------------------

    def place(self, request: OrderRequest) -> OrderSnapshot:
        """Validate and accept an order (status accepted), or raise the broker's refusal."""
        if request.client_order_id in self._by_client:
            raise DuplicateClientOrderIdError(
                f"client_order_id must be unique: {request.client_order_id}"
            )
        blocked = self.scenario.account.blocked_reason()
        if blocked is not None:
            raise refusal(f"account is not allowed to trade: {blocked}")
        refused = self.scenario.fills.refuse.get(request.symbol)
        if refused is not None:
            raise refusal(refused)
        self._validate(request)
        self._counter += 1
        broker_id = f"sim-{self._counter:06d}"
        spec = request.spec
        snapshot = OrderSnapshot(
            client_order_id=request.client_order_id,
            broker_order_id=broker_id,
            symbol=request.symbol,
            side=request.side,
            status=OrderStatus.ACCEPTED,
            qty=spec.qty,
            notional=spec.notional,
            updated_at=self.now(),
        )
        self._orders[broker_id] = snapshot
        self._by_client[request.client_order_id] = broker_id
        return snapshot

    def _validate(self, request: OrderRequest) -> None:
        symbol, side, spec = request.symbol, request.side, request.spec
        asset = self.asset(symbol)
        if asset is None:
            raise unprocessable(f"asset {symbol} not found")
        if not asset.tradable:
            raise unprocessable(f"asset {symbol} is not tradable")
        if (spec.qty is None) == (spec.notional is None):
            raise unprocessable("exactly one of qty and notional is required")
        if spec.qty is not None:
            if spec.qty <= 0:
                raise unprocessable(f"qty must be > 0, got {spec.qty}")
            if not asset.fractionable and spec.qty != spec.qty.to_integral_value():
                raise unprocessable(f"asset {symbol} is not fractionable")
            if spec.qty != round_down(spec.qty, QTY_STEP):
                raise unprocessable("qty has more than 9 decimal places")
        if spec.notional is not None:
            if side is Side.SELL:
                raise unprocessable("notional sell orders are not supported")
            if spec.notional <= 0:
                raise unprocessable(f"notional must be > 0, got {spec.notional}")
            if spec.notional < 1:
                raise unprocessable("notional value must be at least 1.00")
            if spec.notional != round_down(spec.notional, CENT):
                raise unprocessable("notional has more than 2 decimal places")
            if not asset.fractionable:
                raise unprocessable(f"asset {symbol} is not fractionable")
        opposite = Side.BUY if side is Side.SELL else Side.SELL
        if any(
            o.symbol == symbol and o.side is opposite and not o.status.is_terminal
            for o in self._orders.values()
        ):
            raise refusal(WASH_TRADE_MESSAGE)
        if side is Side.SELL:
            assert spec.qty is not None
            available = sub(self._positions.get(symbol, ZERO), self._open_sell_qty(symbol))
            if spec.qty > available:
                raise refusal(
                    f"insufficient qty available for order (requested: {spec.qty}, "
                    f"available: {normalized_str(available)})"
                )
            return
        cost = self._buy_cost(request.symbol, spec.qty, spec.notional)
        available = sub(self.buying_power, self._open_buy_commitment())
        if cost is not None and cost > available:
            raise refusal(
                f"insufficient buying power (requested: {cost}, "
                f"available: {normalized_str(available)})"
            )

    def _buy_cost(
        self, symbol: str, qty: Decimal | None, notional: Decimal | None
    ) -> Decimal | None:
        if notional is not None:
            return notional
        price = self.fill_price(symbol, Side.BUY)
        return mul(qty, price) if qty is not None and price is not None else None

    def _open_sell_qty(self, symbol: str) -> Decimal:
        return add(
            *(
                o.qty or ZERO
                for o in self._orders.values()
                if o.symbol == symbol and o.side is Side.SELL and not o.status.is_terminal
            )
        )

    def _open_buy_commitment(self) -> Decimal:
        costs = (
            self._buy_cost(o.symbol, o.qty, o.notional)
            for o in self._orders.values()
            if o.side is Side.BUY and not o.status.is_terminal
        )
        return add(*(c for c in costs if c is not None))

    def execute(self, broker_order_id: str) -> list[OrderSnapshot]:
        """Apply the fill rules to an open order once; return the updates emitted, in order."""
        order = self._orders.get(broker_order_id)
        if order is None or order.status.is_terminal or not self.market_open:
            return []
        if broker_order_id in self._external:
            return []  # placed by hand outside the plan: it stays working
        fills = self.scenario.fills
        if order.symbol in fills.reject:
            return [self._store(order, OrderStatus.REJECTED, "rejected", "rejected by scenario")]
        if order.symbol in fills.never_fill:
            return []
        price = self.fill_price(order.symbol, order.side)
        if price is None:
            return [self._store(order, OrderStatus.REJECTED, "rejected", "no price")]
        asset = self.asset(order.symbol)
        fractionable = asset.fractionable if asset is not None else True
        partial = order.symbol in fills.partial
        if order.qty is not None:
            qty = qty_down(div(order.qty, _TWO), fractionable) if partial else order.qty
        else:
            assert order.notional is not None
            notional = round_down(div(order.notional, _TWO), CENT) if partial else order.notional
            qty = round_down(div(notional, price), QTY_STEP)
        if qty <= 0:
            if partial:
                return [self._store(order, OrderStatus.CANCELED, "canceled", None)]
            return [self._store(order, OrderStatus.REJECTED, "rejected", "zero qty")]
        self._apply_fill(order, qty, price)
        filled = order.model_copy(
            update={"filled_qty": qty, "filled_avg_price": price, "updated_at": self.now()}
        )
        if not partial:
            return [self._store(filled, OrderStatus.FILLED, "fill", None)]
        first = self._store(filled, OrderStatus.PARTIALLY_FILLED, "partial_fill", None)
        return [first, self._store(first, OrderStatus.CANCELED, "canceled", None)]

    def _apply_fill(self, order: OrderSnapshot, qty: Decimal, price: Decimal) -> None:
        self._fills += 1
        close_after = self.scenario.faults.close_after_fills
        if close_after and self._fills >= close_after:
            self.market_open = False
        amount = mul(qty, price)
        held = self._positions.get(order.symbol, ZERO)
        if order.side is Side.BUY:
            self.cash = sub(self.cash, amount)
            self.buying_power = sub(self.buying_power, amount)
            self._positions[order.symbol] = add(held, qty)
        else:
            self.cash = add(self.cash, amount)
            self.buying_power = add(self.buying_power, amount)
            left = sub(held, qty)
            if left > 0:
                self._positions[order.symbol] = left
            else:
                self._positions.pop(order.symbol, None)

    def _store(
        self, order: OrderSnapshot, status: OrderStatus, event: str, reason: str | None
    ) -> OrderSnapshot:
        snapshot = order.model_copy(
            update={"status": status, "event": event, "reason": reason, "updated_at": self.now()}
        )
        self._orders[snapshot.broker_order_id] = snapshot
        return snapshot

    def cancel(self, broker_order_id: str) -> OrderSnapshot | None:
        """Cancel an open order (event "canceled"); a terminal one is returned unchanged."""
        order = self._orders.get(broker_order_id)
        if order is None:
            return None
        if order.status.is_terminal:
            return order
        return self._store(order, OrderStatus.CANCELED, "canceled", None)

    def order(self, broker_order_id: str) -> OrderSnapshot | None:
        """The current snapshot of an order, or None."""
        return self._orders.get(broker_order_id)

    def order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        """The current snapshot of the order with this client_order_id, or None."""
        broker_id = self._by_client.get(client_order_id)
        return self._orders.get(broker_id) if broker_id is not None else None

    def orders(self) -> list[OrderSnapshot]:
        """Every order in placement order."""
        return list(self._orders.values())

    def open_orders(self) -> list[OrderSnapshot]:
        """Orders not yet terminal, in placement order."""
        return [o for o in self._orders.values() if not o.status.is_terminal]

    def list_orders(self, *, open_only: bool, after: datetime | None) -> list[OrderSnapshot]:
        """Working orders (open_only), or every order updated after `after`, oldest first."""
        if open_only:
            return self.open_orders()
        return [
            o
            for o in self._orders.values()
            if after is None or o.updated_at is None or o.updated_at >= after
        ]

    # ---- persistence --------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The mutable state as JSON-ready data (decimals as strings)."""
        return {
            "version": STATE_VERSION,
            "account_id": self.account_id,
            "cash": str(self.cash),
            "buying_power": str(self.buying_power),
            "market_open": self.market_open,
            "positions": {symbol: str(qty) for symbol, qty in self._positions.items()},
            "orders": [order.model_dump(mode="json") for order in self._orders.values()],
            "counter": self._counter,
            "fired_faults": sorted(self._fired),
            "external": sorted(self._external),
            "account_reads": self._account_reads,
            "fills": self._fills,
        }

    @classmethod
    def from_state(
        cls, scenario: Scenario, state: dict[str, Any], *, now: Callable[[], datetime] = utc_now
    ) -> Exchange:
        """Rebuild from `to_state` data; quotes, assets and rules come from `scenario`."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported sim state version {state.get('version')!r}")
        exchange = cls(scenario, now=now)
        exchange.account_id = str(state["account_id"])
        exchange.cash = Decimal(str(state["cash"]))
        exchange.buying_power = Decimal(str(state["buying_power"]))
        exchange.market_open = bool(state["market_open"])
        exchange._positions = {
            str(symbol): Decimal(str(qty)) for symbol, qty in state["positions"].items()
        }
        for raw in state["orders"]:
            order = OrderSnapshot.model_validate(raw, strict=False)
            exchange._orders[order.broker_order_id] = order
            exchange._by_client[order.client_order_id] = order.broker_order_id
        exchange._counter = int(state["counter"])
        exchange._fired = {str(key) for key in state["fired_faults"]}
        exchange._external = {str(key) for key in state.get("external", [])}
        exchange._account_reads = int(state.get("account_reads", 0))
        exchange._fills = int(state.get("fills", 0))
        return exchange

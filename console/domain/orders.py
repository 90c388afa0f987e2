"""Orders as the domain sees them: sides, statuses, order specs, broker snapshots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from console.domain.market import Frozen
from console.domain.money import ZERO, cents_half_up, mul


class Side(StrEnum):
    """Order side."""

    SELL = "sell"
    BUY = "buy"

    @property
    def letter(self) -> str:
        """The side's letter in a client order id."""
        return "s" if self is Side.SELL else "b"


class OrderStatus(StrEnum):
    """Broker order status (Alpaca's vocabulary, lower case)."""

    PENDING_NEW = "pending_new"
    NEW = "new"
    ACCEPTED = "accepted"
    ACCEPTED_FOR_BIDDING = "accepted_for_bidding"
    HELD = "held"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    DONE_FOR_DAY = "done_for_day"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REPLACED = "replaced"
    REJECTED = "rejected"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    CALCULATED = "calculated"

    @property
    def is_terminal(self) -> bool:
        """Filled, canceled, rejected, expired (and replaced/done_for_day) end an order."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.REPLACED,
        OrderStatus.DONE_FOR_DAY,
    }
)


class OrderSpec(Frozen):
    """What to trade: exactly one of qty or notional."""

    qty: Decimal | None = None
    notional: Decimal | None = None

    def to_json(self) -> dict[str, str]:
        """{"qty": D} or {"notional": D} with decimals as strings."""
        if self.qty is not None:
            return {"qty": format(self.qty, "f")}
        assert self.notional is not None
        return {"notional": format(self.notional, "f")}


class OrderRequest(Frozen):
    """A market DAY order to submit."""

    client_order_id: str
    symbol: str
    side: Side
    spec: OrderSpec


class OrderSnapshot(Frozen):
    """The broker's view of one order at one moment (a REST answer or a stream update)."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: Side
    status: OrderStatus
    qty: Decimal | None = None
    notional: Decimal | None = None
    filled_qty: Decimal = ZERO
    filled_avg_price: Decimal | None = None
    event: str | None = None  # the stream event (new, fill, partial_fill, canceled, ...)
    reason: str | None = None  # reject reason, when the broker gives one
    updated_at: datetime | None = None

    def filled_notional(self) -> Decimal:
        """filled_qty x filled_avg_price, rounded half-up to cents."""
        if self.filled_avg_price is None:
            return cents_half_up(ZERO)
        return cents_half_up(mul(self.filled_qty, self.filled_avg_price))

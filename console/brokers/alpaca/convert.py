"""Conversions at the alpaca-py boundary: exact Decimals in, checked floats out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from console.domain.money import CENT, QTY_STEP, round_down
from console.domain.orders import OrderSnapshot, OrderSpec, OrderStatus, Side
from console.engine.ports import OrderRejectedError

# Alpaca statuses the domain does not name, mapped to the domain status they behave like.
_STATUS_ALIASES = {
    "pending_review": OrderStatus.PENDING_NEW,
    "accepted_for_bidding": OrderStatus.ACCEPTED,
    "pending_replace": OrderStatus.NEW,
}

# The stream event a REST-reconciled status stands for.
_EVENT_FOR_STATUS = {
    OrderStatus.PENDING_NEW: "pending_new",
    OrderStatus.ACCEPTED: "accepted",
    OrderStatus.NEW: "new",
    OrderStatus.PARTIALLY_FILLED: "partial_fill",
    OrderStatus.FILLED: "fill",
    OrderStatus.DONE_FOR_DAY: "done_for_day",
    OrderStatus.PENDING_CANCEL: "pending_cancel",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "expired",
    OrderStatus.REPLACED: "replaced",
    OrderStatus.REJECTED: "rejected",
    OrderStatus.STOPPED: "stopped",
    OrderStatus.SUSPENDED: "suspended",
    OrderStatus.CALCULATED: "calculated",
}


def enum_text(value: Any) -> str:
    """The string value of an alpaca-py str-Enum (or a plain string)."""
    return str(getattr(value, "value", value))


def to_decimal(value: Any) -> Decimal | None:
    """A broker number as an exact Decimal: strings as written, floats via str() (never binary)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, Decimal):
        return value
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def to_status(value: Any) -> OrderStatus:
    """Alpaca order status -> domain OrderStatus."""
    text = enum_text(value).lower()
    alias = _STATUS_ALIASES.get(text)
    return alias if alias is not None else OrderStatus(text)


def event_for(status: OrderStatus) -> str:
    """The trade_updates event name a status corresponds to."""
    return _EVENT_FOR_STATUS.get(status, status.value)


def snapshot_from_order(
    order: Any, *, event: str | None = None, reason: str | None = None
) -> OrderSnapshot:
    """An alpaca-py Order model (REST answer or stream payload) -> OrderSnapshot."""
    filled_qty = to_decimal(order.filled_qty) or Decimal(0)
    avg = to_decimal(order.filled_avg_price)
    if avg is not None and (avg <= 0 or filled_qty <= 0):
        avg = None  # Alpaca reports "0" until the first fill
    return OrderSnapshot(
        client_order_id=str(order.client_order_id),
        broker_order_id=str(order.id),
        symbol=str(order.symbol),
        side=Side(enum_text(order.side).lower()),
        status=to_status(order.status),
        qty=to_decimal(order.qty),
        notional=to_decimal(order.notional),
        filled_qty=filled_qty,
        filled_avg_price=avg,
        event=event,
        reason=reason,
        updated_at=order.updated_at,
    )


def wire_float(value: Decimal, step: Decimal, what: str) -> float:
    """`value` as the float alpaca-py sends, refusing anything a float would change."""
    if not value.is_finite() or value <= 0:
        raise OrderRejectedError(f"{what} must be a positive number, got {value}")
    if round_down(value, step) != value:
        raise OrderRejectedError(f"{what} {value} is not rounded to {step} (DESIGN §3)")
    result = float(value)
    if Decimal(repr(result)) != value:
        raise OrderRejectedError(f"{what} {value} cannot be sent exactly (float would change it)")
    return result


def order_amount(spec: OrderSpec) -> tuple[str, float]:
    """("qty" | "notional", exact float) for an order spec; exactly one must be set."""
    if (spec.qty is None) == (spec.notional is None):
        raise OrderRejectedError("an order needs exactly one of qty or notional")
    if spec.qty is not None:
        return "qty", wire_float(spec.qty, QTY_STEP, "qty")
    assert spec.notional is not None
    return "notional", wire_float(spec.notional, CENT, "notional")


# Monotonic ordering of an order's life, so a stale update never overwrites a newer one.
_RANK = {
    OrderStatus.PENDING_NEW: 0,
    OrderStatus.ACCEPTED: 0,
    OrderStatus.NEW: 1,
    OrderStatus.SUSPENDED: 1,
    OrderStatus.CALCULATED: 1,
    OrderStatus.STOPPED: 1,
    OrderStatus.PENDING_CANCEL: 2,
    OrderStatus.PARTIALLY_FILLED: 3,
}
_TERMINAL_RANK = 4


def rank(status: OrderStatus) -> int:
    """Position of a status in an order's life (terminal statuses last)."""
    return _TERMINAL_RANK if status.is_terminal else _RANK.get(status, 1)


def is_newer(candidate: OrderSnapshot, last: OrderSnapshot | None) -> bool:
    """True when `candidate` tells something `last` did not (more filled, or a later status)."""
    if last is None:
        return True
    if last.status.is_terminal:
        return False
    if candidate.filled_qty != last.filled_qty:
        return candidate.filled_qty > last.filled_qty
    return rank(candidate.status) > rank(last.status)

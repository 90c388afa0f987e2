"""Conversions at the alpaca-py boundary: exact Decimals in, checked floats out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from console.domain.money import CENT, QTY_STEP, round_down
from console.domain.orders import OrderSnapshot, OrderSpec, OrderStatus, Side
from console.engine.ports import OrderRejectedError

log = structlog.get_logger(__name__)

# Alpaca statuses the domain does not name, mapped to the domain status they behave like.
_STATUS_ALIASES = {"pending_review": OrderStatus.PENDING_NEW}


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
    """Alpaca order status -> domain OrderStatus; an unknown status is logged and read as open."""
    text = enum_text(value).lower()
    alias = _STATUS_ALIASES.get(text)
    if alias is not None:
        return alias
    try:
        return OrderStatus(text)
    except ValueError:
        log.warning("alpaca.unknown_order_status", status=text, treated_as="new")
        return OrderStatus.NEW


def field(order: Any, name: str) -> Any:
    """A field of an order: a raw JSON object (dict) or an alpaca-py model."""
    if isinstance(order, Mapping):
        return order.get(name)
    return getattr(order, name, None)


def to_time(value: Any) -> datetime | None:
    """An RFC 3339 time (Alpaca sends up to nanoseconds) or a datetime, in UTC; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def snapshot_from_order(
    order: Any, *, event: str | None = None, reason: str | None = None
) -> OrderSnapshot:
    """An Alpaca order (raw JSON object or alpaca-py model) -> OrderSnapshot."""
    filled_qty = to_decimal(field(order, "filled_qty")) or Decimal(0)
    avg = to_decimal(field(order, "filled_avg_price"))
    if avg is not None and (avg <= 0 or filled_qty <= 0):
        avg = None  # Alpaca reports "0" until the first fill
    return OrderSnapshot(
        client_order_id=str(field(order, "client_order_id")),
        broker_order_id=str(field(order, "id")),
        symbol=str(field(order, "symbol")),
        side=Side(enum_text(field(order, "side")).lower()),
        status=to_status(field(order, "status")),
        qty=to_decimal(field(order, "qty")),
        notional=to_decimal(field(order, "notional")),
        filled_qty=filled_qty,
        filled_avg_price=avg,
        event=event,
        reason=reason,
        updated_at=to_time(field(order, "updated_at")),
    )


def replaced_by(order: Any) -> str | None:
    """The id of the order that replaced this one (status replaced), else None."""
    if to_status(field(order, "status")) is not OrderStatus.REPLACED:
        return None
    successor = field(order, "replaced_by")
    return str(successor) if successor else None


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

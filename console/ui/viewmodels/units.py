"""Window units: money with a currency symbol, quantities at a readable precision."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from console.domain import formatting as f
from console.domain.columns import ColumnSpec
from console.domain.orders import OrderSpec

R = TypeVar("R")
CURRENCY = "$"
QTY_PLACES = 4  # fractional shares beyond this are shown rounded down, the full value on hover
_QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)


def usd(value: Decimal | None) -> str:
    """$1,234.50 / −$12.00; '—' when unknown."""
    if value is None:
        return f.NONE
    text = f.money(abs(value))
    return f"−{CURRENCY}{text}" if value < 0 else f"{CURRENCY}{text}"


def signed_usd(value: Decimal | None) -> str:
    """+$1,234.57 / −$1,234.57."""
    if value is None:
        return f.NONE
    return f"−{usd(abs(value))}" if value < 0 else f"+{usd(value)}"


def usd_price(value: Decimal | None) -> str:
    """A price with every digit it has: $189.905."""
    return f.NONE if value is None else CURRENCY + f.price_text(value)


def qty_shown(value: Decimal | None) -> str:
    """Whole shares as integers; fractions trimmed, at most 4 places (rounded down)."""
    if value is None:
        return f.NONE
    if value == value.to_integral_value():
        return f"{int(value):,}"
    shown = value.quantize(_QTY_STEP, rounding=ROUND_DOWN)
    text = f.qty_text(shown)
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "") + ("…" if shown != value else "")


def qty_full(value: Decimal | None) -> str | None:
    """The exact quantity for a tooltip when the shown one is shortened, else None."""
    if value is None or not qty_shown(value).endswith("…"):
        return None
    return f"exactly {f.qty_text(value)} shares"


def order_shown(spec: OrderSpec | None) -> str:
    """'12.5 sh' or '$1,000.00' ('—' without an order)."""
    if spec is None:
        return f.NONE
    if spec.qty is not None:
        return f"{qty_shown(spec.qty)} sh"
    return usd(spec.notional)


def _order_full(spec: object) -> str | None:
    if isinstance(spec, OrderSpec) and spec.qty is not None:
        return qty_full(spec.qty)
    return None


def _with_tip(
    column: ColumnSpec[R], full: Callable[[Any], str | None]
) -> Callable[[R], str | None]:
    old = column.tooltip

    def tip(row: R) -> str | None:
        exact = full(column.value(row))
        before = old(row) if old is not None else None
        parts = [part for part in (exact, before) if part]
        return "\n".join(parts) if parts else None

    return tip


def window_column(column: ColumnSpec[R]) -> ColumnSpec[R]:
    """One column spelled for the window: $ on money and prices, readable quantities."""
    if column.fmt is f.money:
        return dataclasses.replace(column, fmt=usd)
    if column.fmt is f.signed_money:
        return dataclasses.replace(column, fmt=signed_usd)
    if column.fmt is f.price_text:
        return dataclasses.replace(column, fmt=usd_price)
    if column.fmt is f.qty_text:
        return dataclasses.replace(column, fmt=qty_shown, tooltip=_with_tip(column, qty_full))
    if column.fmt is f.order:
        return dataclasses.replace(column, fmt=order_shown, tooltip=_with_tip(column, _order_full))
    return column


def window_columns(columns: Sequence[ColumnSpec[R]]) -> tuple[ColumnSpec[R], ...]:
    """Every column spelled for the window."""
    return tuple(window_column(column) for column in columns)

"""Money, quantity and price spellings shared by the terminal tables and the window."""

from __future__ import annotations

from decimal import Decimal

from console.domain.money import cents_half_up


def money(value: Decimal | None) -> str:
    """1234.5 -> '1,234.50' (half-up cents); None -> '—'."""
    if value is None:
        return "—"
    return f"{cents_half_up(value):,.2f}"


def qty_text(value: Decimal | None) -> str:
    """A quantity without trailing zeros; None -> '—'."""
    if value is None:
        return "—"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def price_text(value: Decimal | None) -> str:
    """A price with at least 2 decimals; None -> '—'."""
    if value is None:
        return "—"
    text = qty_text(value)
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}.{frac.ljust(2, '0')}"

"""Display formatting of Decimals, statuses and times (formatting happens only at the view)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtGui import QColor

from console.domain import numfmt
from console.domain.orders import OrderSpec

_CENT = Decimal("0.01")
_BPS = Decimal("0.01")
_PCT = Decimal("0.01")
_HUNDRED = Decimal(100)
_TEN_K = Decimal(10000)

# Status colours: always shown together with the status text, never alone.
GREEN = QColor("#1b7f3b")
AMBER = QColor("#b26a00")
RED = QColor("#b3261e")
GREY = QColor("#5f6368")
BLUE = QColor("#1a5fb4")

STATUS_COLOURS: dict[str, QColor] = {
    "ready": GREEN,
    "filled": GREEN,
    "succeeded": GREEN,
    "skipped": AMBER,
    "partial": AMBER,
    "partially_filled": AMBER,
    "canceled": AMBER,
    "expired": AMBER,
    "pending": GREY,
    "pending_new": GREY,
    "new": BLUE,
    "accepted": BLUE,
    "running": BLUE,
    "blocked": RED,
    "rejected": RED,
    "unknown": RED,
    "failed": RED,
    "halted": RED,
}

STATUS_BACKGROUNDS: dict[str, QColor] = {
    name: QColor(colour.red(), colour.green(), colour.blue(), 36)
    for name, colour in STATUS_COLOURS.items()
}


# One money and one quantity spelling for the CLI tables and the window (domain/numfmt.py).
money = numfmt.money
qty = numfmt.qty_text


def signed_money(value: Decimal | None) -> str:
    """+1,234.57 / −1,234.57."""
    if value is None:
        return "—"
    text = money(abs(value))
    return f"−{text}" if value < 0 else f"+{text}"


def price(value: Decimal | None) -> str:
    """A price: cents, or more digits when the price has them (sub-dollar quotes)."""
    if value is None:
        return "—"
    if value == value.quantize(_CENT):
        return money(value)
    return format(value.normalize(), "f")


def pct(value: Decimal | None, places: int = 2) -> str:
    """A fraction as a percentage: 0.1234 -> 12.34 %."""
    if value is None:
        return "—"
    step = Decimal(1).scaleb(-places)
    return f"{(value * _HUNDRED).quantize(step, rounding=ROUND_HALF_UP)} %"


def signed_pct(value: Decimal | None, places: int = 2) -> str:
    """+1.25 % / −0.40 %."""
    if value is None:
        return "—"
    text = pct(abs(value), places)
    return f"−{text}" if value < 0 else f"+{text}"


def bps(value: Decimal | None) -> str:
    """A fraction in basis points, signed: 0.0012 -> +12.00 bps."""
    if value is None:
        return "—"
    shown = (value * _TEN_K).quantize(_BPS, rounding=ROUND_HALF_UP)
    return f"+{shown} bps" if shown > 0 else (f"−{-shown} bps" if shown < 0 else "0.00 bps")


def order(spec: OrderSpec | None) -> str:
    """'qty 12.5' or 'notional 1,000.00'."""
    if spec is None:
        return "—"
    if spec.qty is not None:
        return f"qty {qty(spec.qty)}"
    return f"notional {money(spec.notional)}"


def status_text(status: str, reason: str | None = None) -> str:
    """'blocked · risk_limit' — the status is always spelled out."""
    return f"{status} · {reason}" if reason else status


def clock_time(moment: datetime | None) -> str:
    """Local wall-clock time with milliseconds."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%H:%M:%S.%f")[:-3]


def duration(seconds: float) -> str:
    """m:ss."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def utc_now() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)

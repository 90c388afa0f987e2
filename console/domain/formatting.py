"""Text spellings of money, quantities, prices, weights, orders, statuses and times (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from console.domain.money import cents_half_up, plain_str
from console.domain.orders import OrderSpec

NONE = "—"
_HUNDRED = Decimal(100)
_TEN_K = Decimal(10000)
_HUNDREDTH = Decimal("0.01")


def money(value: Decimal | None) -> str:
    """1234.5 -> '1,234.50' (half-up cents); None -> '—'."""
    if value is None:
        return NONE
    return f"{cents_half_up(value):,.2f}"


def signed_money(value: Decimal | None) -> str:
    """+1,234.57 / −1,234.57."""
    if value is None:
        return NONE
    text = money(abs(value))
    return f"−{text}" if value < 0 else f"+{text}"


def qty_text(value: Decimal | None) -> str:
    """A quantity without trailing zeros; None -> '—'."""
    if value is None:
        return NONE
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def price_text(value: Decimal | None) -> str:
    """A price with at least 2 decimals and every digit it has; None -> '—'."""
    if value is None:
        return NONE
    text = qty_text(value)
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}.{frac.ljust(2, '0')}"


def pct(value: Decimal | None, places: int = 2) -> str:
    """A fraction as a percentage: 0.1234 -> 12.34 %."""
    if value is None:
        return NONE
    step = Decimal(1).scaleb(-places)
    return f"{(value * _HUNDRED).quantize(step, rounding=ROUND_HALF_UP)} %"


def signed_pct(value: Decimal | None, places: int = 2) -> str:
    """+1.25 % / −0.40 %."""
    if value is None:
        return NONE
    text = pct(abs(value), places)
    return f"−{text}" if value < 0 else f"+{text}"


def bps(value: Decimal | None) -> str:
    """A fraction in basis points, signed: 0.0012 -> +12.00 bps."""
    if value is None:
        return NONE
    shown = (value * _TEN_K).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return f"+{shown} bps" if shown > 0 else (f"−{-shown} bps" if shown < 0 else "0.00 bps")


def order(spec: OrderSpec | None) -> str:
    """The window's spelling: 'qty 12.5' or 'notional 1,000.00'."""
    if spec is None:
        return NONE
    if spec.qty is not None:
        return f"qty {qty_text(spec.qty)}"
    return f"notional {money(spec.notional)}"


def order_text(spec: OrderSpec | None) -> str:
    """The terminal's spelling: '12.5 sh' or '$1,234.00'; '—' when there is no order."""
    if spec is None:
        return NONE
    if spec.qty is not None:
        return f"{qty_text(spec.qty)} sh"
    return f"${money(spec.notional)}"


def status_text(status: str, reason: str | None = None) -> str:
    """The window's spelling: 'blocked · risk_limit' (the status is always spelled out)."""
    return f"{status} · {reason}" if reason else status


def status_line(status: str, reason: str | None, notes: tuple[str, ...] = ()) -> str:
    """The terminal's spelling: 'blocked: risk_limit (odd_lot)'."""
    parts = [status + (f": {reason}" if reason else "")]
    if notes:
        parts.append("(" + ", ".join(notes) + ")")
    return " ".join(parts)


def clock_time(moment: datetime | None) -> str:
    """Local wall-clock time with milliseconds."""
    if moment is None:
        return NONE
    return moment.astimezone().strftime("%H:%M:%S.%f")[:-3]


def duration(seconds: float) -> str:
    """m:ss."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def utc_now() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


def plain(value: object) -> str:
    """A CSV cell: exact decimals without exponent, '' for None, text as is."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def age_text(seconds: Decimal | None) -> str:
    """A quote's age: '4 s', '3 min', '2 h'; '—' when unknown."""
    if seconds is None:
        return NONE
    whole = int(seconds.to_integral_value(ROUND_HALF_UP))  # the nearest second
    if whole < 120:
        return f"{whole} s"
    if whole < 7200:
        return f"{whole // 60} min"
    return f"{whole // 3600} h"


_PHASES = {"approval": "starting", "between": "between the phases", "done": "done"}


def phase_text(phase: str) -> str:
    """'sell phase', 'between the phases', 'buy phase' (a run's phase in words)."""
    return _PHASES.get(phase, f"{phase} phase")


def counted(number: int, noun: str) -> str:
    """'1 page', '3 pages' (a plural in s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def hours_minutes(minutes: Decimal) -> str:
    """'2 h 5 min' or '7 min'."""
    hours, mins = divmod(int(minutes), 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"

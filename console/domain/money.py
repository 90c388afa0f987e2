"""Decimal money and quantity rules: exact parsing and the rounding modes of DESIGN §3."""

from __future__ import annotations

from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
)
from functools import reduce

CENT = Decimal("0.01")
QTY_STEP = Decimal("0.000000001")  # 9 decimals: Alpaca's fractional precision
SCALE_STEP = Decimal("0.000001")
ZERO = Decimal(0)
ONE = Decimal(1)

# Wide enough that no product or quotient of plan values loses a digit before we round it.
_EXACT = Context(prec=60)
EXACT = _EXACT  # for the few hot paths that call the context's methods directly
# Wide enough that normalize() never rounds (the default context keeps only 28 digits).
_UNROUNDED = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class DecimalParseError(ValueError):
    """A value that is not an exact finite decimal."""


def to_decimal(value: object) -> Decimal:
    """Return `value` as an exact finite Decimal (str, int or Decimal; never float)."""
    if isinstance(value, bool):
        raise DecimalParseError("expected a decimal number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise DecimalParseError("expected a decimal number, got an empty string")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise DecimalParseError(f"not a decimal number: {value!r}") from exc
    elif isinstance(value, float):
        raise DecimalParseError("binary floats are not accepted for money; write the number")
    else:
        raise DecimalParseError(f"expected a decimal number, got {type(value).__name__}")
    if not result.is_finite():
        shown = str(value) if isinstance(value, Decimal) else repr(value)
        raise DecimalParseError(f"not a finite number: {shown}")
    return result


# Context methods (not `with localcontext`) keep the hot paths of a 5,000-leg preview cheap.
def mul(a: Decimal, b: Decimal) -> Decimal:
    """Exact product (60 significant digits)."""
    return _EXACT.multiply(a, b)


def div(a: Decimal, b: Decimal) -> Decimal:
    """Quotient to 60 significant digits, before any rounding rule is applied."""
    return _EXACT.divide(a, b)


def add(*values: Decimal) -> Decimal:
    """Exact sum."""
    return reduce(_EXACT.add, values, ZERO)


def sub(a: Decimal, b: Decimal) -> Decimal:
    """Exact difference."""
    return _EXACT.subtract(a, b)


def round_down(value: Decimal, step: Decimal) -> Decimal:
    """Round toward zero to the exponent of `step`."""
    return value.quantize(step, rounding=ROUND_DOWN, context=_EXACT)


def cents_half_up(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_EXACT)


def cents_down(value: Decimal) -> Decimal:
    """Round down to cents."""
    return round_down(value, CENT)


def qty_down(value: Decimal, fractionable: bool) -> Decimal:
    """Round a share quantity down to 9 decimals, or to whole shares."""
    return round_down(value, QTY_STEP if fractionable else ONE)


def whole(value: Decimal) -> Decimal:
    """Round down to whole units."""
    return round_down(value, ONE)


def normalized_str(value: Decimal) -> str:
    """Canonical text of a Decimal: no exponent, no trailing zeros ("0" for zero)."""
    text = str(value)
    if text[-1] != "0" and "E" not in text:  # no trailing zero, no exponent: already canonical
        return text
    if value.is_zero():
        return "0"
    normal = value.normalize(_UNROUNDED)
    text = str(normal)  # fixed-point unless the exponent is positive or the value tiny
    return text if "E" not in text else format(normal, "f")


def plain_str(value: Decimal) -> str:
    """Fixed-point text keeping the value's own exponent (cents stay "12.30")."""
    return format(value, "f")

"""The window's display spellings: the domain's formatters under the names the widgets use."""

from __future__ import annotations

from console.domain.formatting import (
    bps,
    clock_time,
    duration,
    money,
    order,
    pct,
    signed_money,
    signed_pct,
    status_text,
    utc_now,
)
from console.domain.formatting import price_text as price
from console.domain.formatting import qty_text as qty

__all__ = [
    "bps",
    "clock_time",
    "duration",
    "money",
    "order",
    "pct",
    "price",
    "qty",
    "signed_money",
    "signed_pct",
    "status_text",
    "utc_now",
]

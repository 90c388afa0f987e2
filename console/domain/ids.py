"""Deterministic client order ids: pc-<12 hex of plan digest>-<attempt>-<s|b>-<SYMBOL>."""

from __future__ import annotations

import re

from console.domain.orders import Side

MAX_CLIENT_ORDER_ID = 48
_PATTERN = re.compile(r"^pc-([0-9a-f]{12})-(\d+)-([sb])-([A-Z0-9.\-]{1,10})$")


def client_order_id(plan_digest: str, attempt: int, side: Side, symbol: str) -> str:
    """The id a leg is submitted under; the same inputs always give the same id."""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    coid = f"pc-{plan_digest[:12]}-{attempt}-{side.letter}-{symbol}"
    if len(coid) > MAX_CLIENT_ORDER_ID:
        raise ValueError(f"client order id too long: {coid}")
    return coid


def parse_client_order_id(coid: str) -> tuple[str, int, Side, str] | None:
    """(digest prefix, attempt, side, symbol) of one of our ids, or None for a foreign id."""
    match = _PATTERN.match(coid)
    if match is None:
        return None
    prefix, attempt, letter, symbol = match.groups()
    return prefix, int(attempt), Side.SELL if letter == "s" else Side.BUY, symbol

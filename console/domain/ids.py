"""Deterministic client order ids: pc-<12 hex of plan digest>-<attempt>-<s|b>-<SYMBOL>."""

from __future__ import annotations

import re

from console.domain.orders import Side

MAX_CLIENT_ORDER_ID = 48
_PATTERN = re.compile(r"^pc-([0-9a-f]{12})-(\d+)-([sb])-([A-Z0-9.\-]{1,10})$")


def client_order_id_prefix(plan_digest: str, attempt: int, side: Side) -> str:
    """`pc-<12 hex>-<attempt>-<s|b>-`: every id of one phase of one attempt starts so."""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    return f"pc-{plan_digest[:12]}-{attempt}-{side.letter}-"


def plan_order_prefix(plan_digest: str) -> str:
    """`pc-<12 hex>-`: every order of every attempt of one plan starts so."""
    return f"pc-{plan_digest[:12]}-"


def client_order_id(plan_digest: str, attempt: int, side: Side, symbol: str) -> str:
    """The id a leg is submitted under; the same inputs always give the same id."""
    return with_symbol(client_order_id_prefix(plan_digest, attempt, side), symbol)


def with_symbol(prefix: str, symbol: str) -> str:
    """A prefix from `client_order_id_prefix` completed with the symbol (at most 48 chars)."""
    coid = prefix + symbol
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

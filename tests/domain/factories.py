"""Builders for plans and account snapshots used across the domain tests."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from console.domain.market import AccountSnapshot, Asset, Quote
from console.domain.plan import LoadedPlan, parse_plan_bytes

D = Decimal


def item(
    symbol: str, action: str, amount: str, target: str = "0.1", current: str = "0.1", **extra: Any
) -> dict[str, Any]:
    """A plan item dict as a producer would write it."""
    return {
        "symbol": symbol,
        "current_weight": current,
        "target_weight": target,
        "weight_diff": "0",
        "target_value": "0",
        "current_value": "0",
        "trade_amount": amount,
        "action": action,
        "priority": 3,
        **extra,
    }


def plan_doc(*items: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A full plan document."""
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "plan_id": "plan-test",
        "correlation_id": "corr-1",
        "causation_id": "cause-1",
        "timestamp": "2026-11-24T14:30:00Z",
        "items": list(items),
        "total_portfolio_value": "100000",
        "total_trade_value": "0",
        "execution_urgency": "normal",
        "estimated_duration_minutes": 5,
        "metadata": None,
    }
    doc.update(top)
    return doc


def load(doc: dict[str, Any] | str | bytes, source: str = "plan.json") -> LoadedPlan:
    """Parse a plan document (dict, text or bytes)."""
    if isinstance(doc, dict):
        data = json.dumps(doc).encode()
    elif isinstance(doc, str):
        data = doc.encode()
    else:
        data = doc
    return parse_plan_bytes(source, data)


def snapshot(
    *,
    cash: str = "10000",
    buying_power: str | None = None,
    positions: dict[str, str] | None = None,
    quotes: dict[str, tuple[str | None, str | None]] | None = None,
    non_fractionable: tuple[str, ...] = (),
    not_tradable: tuple[str, ...] = (),
    unknown: tuple[str, ...] = (),
    market_open: bool = True,
) -> AccountSnapshot:
    """An account snapshot; every symbol in positions/quotes is a known asset unless `unknown`."""
    positions = positions or {}
    quotes = quotes or {}
    symbols = set(positions) | set(quotes) | set(non_fractionable) | set(not_tradable)
    return AccountSnapshot(
        account_id="ACC-1",
        broker="sim",
        mode="SIM",
        cash=D(cash),
        buying_power=D(buying_power if buying_power is not None else cash),
        positions={s: D(q) for s, q in positions.items()},
        quotes={
            s: Quote(bid=D(b) if b is not None else None, ask=D(a) if a is not None else None)
            for s, (b, a) in quotes.items()
        },
        assets={
            s: Asset(
                symbol=s, fractionable=s not in non_fractionable, tradable=s not in not_tradable
            )
            for s in symbols
            if s not in unknown
        },
        market_open=market_open,
    )

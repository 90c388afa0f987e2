"""Plain helpers for the sim broker tests (order requests, a manual clock, asyncio runner)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from console.brokers.sim.scenario import Scenario, parse_scenario
from console.domain.orders import OrderRequest, OrderSpec, Side

T = TypeVar("T")

BASE: dict[str, Any] = {
    "cash": "10000.00",
    "positions": {"AAPL": "10", "VTI": "3.25"},
    "quotes": {
        "AAPL": {"bid": "189.90", "ask": "190.10"},
        "VTI": {"bid": "250.00", "ask": "250.50"},
        "BRK.A": {"bid": "620000", "ask": "620500"},
        "COST": {"bid": "900.00", "ask": "901.00"},
        "MSFT": {"bid": "400.00", "ask": "400.40"},
    },
    "assets": {"BRK.A": {"fractionable": False}, "COST": {"fractionable": False}},
    "fills": {"latency_ms": 0},
}


def scenario_from(doc: dict[str, Any]) -> Scenario:
    """Parse a scenario written as a Python dict."""
    return parse_scenario("test.json", json.dumps(doc).encode())


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a fresh event loop."""
    return asyncio.run(coro)


def order(
    symbol: str,
    side: str = "buy",
    *,
    qty: str | None = None,
    notional: str | None = None,
    coid: str | None = None,
) -> OrderRequest:
    """An OrderRequest with decimals written as strings."""
    spec = OrderSpec(
        qty=Decimal(qty) if qty is not None else None,
        notional=Decimal(notional) if notional is not None else None,
    )
    return OrderRequest(
        client_order_id=coid or f"pc-000000000000-1-{side[0]}-{symbol}",
        symbol=symbol,
        side=Side(side),
        spec=spec,
    )


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ManualNow:
    """A wall clock (UTC datetimes) the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 6, 13, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

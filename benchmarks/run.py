"""A 200-leg run on the sim broker at 200 requests/minute with 30 ms latency.

Prints wall time, the rate-limit lower bound, their ratio (target <= 1.10) and broker requests
per leg (target <= 1.05: one submit per leg, the update stream supplies the rest).
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.brokers.sim.broker import SimBroker
from console.brokers.sim.scenario import parse_scenario
from console.domain.config import Settings
from console.domain.plan import parse_plan_bytes
from console.engine.executor import PhaseExecutor
from console.engine.gateway import BrokerGateway
from console.engine.session import fetch_snapshot, preview_plan
from console.journal.store import SqliteJournal
from console.logsetup import configure_logging

LEGS = 200
LIMIT = 200
LATENCY_MS = 30


def build() -> tuple[bytes, bytes]:
    """100 sells funding 100 buys."""
    items, positions, quotes = [], {}, {}
    for i in range(LEGS):
        symbol = f"B{i:03d}"
        price = Decimal(20 + i)
        quotes[symbol] = {"bid": str(price), "ask": str(price + Decimal("0.01"))}
        if i % 2 == 0:
            positions[symbol] = "100"
            items.append(
                {
                    "symbol": symbol,
                    "target_weight": "0.001",
                    "current_weight": "0.002",
                    "trade_amount": str(-price * 40),
                    "action": "SELL",
                    "priority": 2,
                }
            )
        else:
            items.append(
                {
                    "symbol": symbol,
                    "target_weight": "0.002",
                    "current_weight": "0",
                    "trade_amount": str(price * 30),
                    "action": "BUY",
                    "priority": 2,
                }
            )
    plan = {
        "schema_version": "1.0",
        "plan_id": "bench-run-200",
        "correlation_id": "c",
        "causation_id": "c",
        "timestamp": "2026-11-24T00:00:00Z",
        "items": items,
        "total_portfolio_value": "1000000",
        "total_trade_value": "0",
    }
    scenario = {
        "cash": "5000",
        "positions": positions,
        "quotes": quotes,
        "fills": {"latency_ms": LATENCY_MS},
        "rate_limit_per_minute": LIMIT,
    }
    return json.dumps(plan).encode(), json.dumps(scenario).encode()


async def main() -> None:
    plan_bytes, scenario_bytes = build()
    loaded = parse_plan_bytes("bench.json", plan_bytes)
    broker = SimBroker(parse_scenario("bench-scenario.json", scenario_bytes))
    gateway = BrokerGateway(broker)
    settings = Settings(max_order_pct_of_equity=Decimal("1"))
    with (
        tempfile.TemporaryDirectory() as tmp,
        SqliteJournal(str(Path(tmp) / "j.sqlite")) as journal,
    ):
        start = time.perf_counter()
        snapshot = await fetch_snapshot(gateway, [i.symbol for i in loaded.plan.items])
        preview = preview_plan(loaded, snapshot, settings, 1)
        state = await PhaseExecutor(gateway, journal, settings).start(preview)
        wall = time.perf_counter() - start
        events = len(journal.events(state.run_id))
    ready = sum(1 for leg in preview.legs if leg.status.value == "ready")
    requests = gateway.requests
    # The broker admits LIMIT requests in any 60 s window: N requests need floor((N-1)/LIMIT)
    # full windows, plus one request's latency.
    bound = math.floor((requests - 1) / LIMIT) * 60 + LATENCY_MS / 1000
    print(
        f"legs: {len(preview.legs)} ({ready} ready)  status: {state.status}  "
        f"journal events: {events}"
    )
    print(
        f"broker requests: {requests} total, by kind {gateway.by_kind}, "
        f"429 answers: {broker.rate_limited}"
    )
    print(f"requests per leg: {requests / ready:.3f} (target <= 1.05)")
    print(
        f"wall time: {wall:.2f} s   rate-limit lower bound: {bound:.2f} s   "
        f"ratio: {wall / bound:.3f} (target <= 1.10)"
    )
    await gateway.close()


if __name__ == "__main__":
    configure_logging(0)  # warnings only on stderr; stdout carries the figures
    asyncio.run(main())

"""A small harness: a plan, a sim broker and a journal, executed by the real PhaseExecutor."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.brokers.sim.broker import SimBroker
from console.brokers.sim.scenario import parse_scenario
from console.domain.config import Settings
from console.domain.events import FundingRecomputed, RecordedEvent
from console.domain.preview_model import Preview
from console.domain.runstate import RunState
from console.engine.executor import ExecutorTuning, PhaseExecutor, ReapprovalGate, RunObserver
from console.engine.gateway import BrokerGateway
from console.engine.retry import RetryPolicy
from console.engine.session import fetch_snapshot, preview_plan
from console.journal.store import SqliteJournal
from tests.domain.factories import item, load, plan_doc

FAST = ExecutorTuning(concurrency=4, cancel_grace=2.0, quiet_poll=0.5)

BASE_SCENARIO: dict[str, Any] = {
    "cash": "1000.00",
    "positions": {"AAPL": "100", "MSFT": "20", "OLD": "7.5"},
    "quotes": {
        "AAPL": {"bid": "190.00", "ask": "190.10"},
        "MSFT": {"bid": "400.00", "ask": "400.50"},
        "OLD": {"bid": "10.00", "ask": "10.02"},
        "VTI": {"bid": "250.00", "ask": "250.20"},
        "COST": {"bid": "900.00", "ask": "901.00"},
    },
    "assets": {"COST": {"fractionable": False}},
    "fills": {"latency_ms": 1},
    "rate_limit_per_minute": 10000,
}

BASE_ITEMS = (
    item("AAPL", "SELL", "-1900.5", target="0.3"),
    item("OLD", "SELL", "-75", target="0"),
    item("VTI", "BUY", "1500.25", target="0.2"),
    item("COST", "BUY", "1850", target="0.1"),
)


def scenario(**changes: Any) -> dict[str, Any]:
    """BASE_SCENARIO with top-level keys replaced and fills/faults merged."""
    doc = json.loads(json.dumps(BASE_SCENARIO))
    for key, value in changes.items():
        if key in ("fills", "faults"):
            doc.setdefault(key, {}).update(value)
        else:
            doc[key] = value
    return doc


class Recorder:
    """A RunObserver that keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []

    def on_event(self, recorded: RecordedEvent) -> None:
        self.events.append(recorded)


class ScriptedGate:
    """A ReapprovalGate answering a fixed decision and remembering what it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[FundingRecomputed] = []

    async def reapprove(self, recomputed: FundingRecomputed) -> bool:
        self.asked.append(recomputed)
        return self.answer


@dataclass
class Harness:
    """One plan against one sim account, journaled to a temp file."""

    tmp: Path
    scenario_doc: dict[str, Any] = field(default_factory=scenario)
    items: tuple[dict[str, Any], ...] = BASE_ITEMS
    settings: Settings = field(
        default_factory=lambda: Settings(max_order_pct_of_equity=Decimal("1"))
    )
    timeout: float = 2.0

    def __post_init__(self) -> None:
        self.journal = SqliteJournal(str(self.tmp / "journal.sqlite"))
        self.broker = SimBroker(
            parse_scenario("scenario.json", json.dumps(self.scenario_doc).encode())
        )
        # Retries in milliseconds: the tests' outages are short and their time is virtual-ish.
        self.gateway = BrokerGateway(
            self.broker, timeout=self.timeout, policy=RetryPolicy(attempts=4, base=0.01, cap=0.05)
        )
        self.loaded = load(plan_doc(*self.items))

    async def preview(self, attempt: int = 1) -> Preview:
        snap = await fetch_snapshot(self.gateway, [i["symbol"] for i in self.items])
        return preview_plan(self.loaded, snap, self.settings, attempt)

    def executor(
        self, *, observer: RunObserver | None = None, gate: ReapprovalGate | None = None
    ) -> PhaseExecutor:
        return PhaseExecutor(
            self.gateway, self.journal, self.settings, observer=observer, gate=gate, tuning=FAST
        )

    async def run(self, **kwargs: Any) -> RunState:
        preview = await self.preview()
        return await self.executor(**kwargs).start(preview)

    def orders_for(self, coid: str) -> int:
        """How many orders the broker holds under this client order id (must never exceed 1)."""
        return sum(1 for o in self.broker.exchange.orders() if o.client_order_id == coid)

    def kinds(self, run_id: str) -> list[str]:
        return [r.event.kind for r in self.journal.events(run_id)]


def execute(coro: Any) -> Any:
    """Run a coroutine on a fresh loop."""
    return asyncio.run(coro)

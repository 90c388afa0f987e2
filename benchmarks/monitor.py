"""Live-monitor benchmark: 50,000 journaled updates for 5,000 orders into the monitor model+view.

Prints figures; asserts nothing. Every update goes the real way: RecordedEvent -> RunViewModel
(RunFolder.apply, coalesced RunState) -> RecordTableModel.upsert_rows -> proxy -> QTableView.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/monitor.py [--orders N] [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QElapsedTimer, QModelIndex, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication, QTableView

from console.domain.events import (
    ApprovalGiven,
    JournalEvent,
    OrderIntent,
    OrderSubmitted,
    OrderUpdate,
    RecordedEvent,
    RunStarted,
)
from console.domain.orders import OrderSpec, OrderStatus, Side
from console.domain.preview_model import Funding, Leg, PreviewStatus
from console.engine.tasks import TaskGroup
from console.ui.models.table_model import KEY_ROLE
from console.ui.viewmodels.run_vm import RunViewModel
from console.ui.widgets.pages import MonitorPage

UPDATES_PER_ORDER = 10  # intent, submitted, 8 fill updates
FLOOD_CHUNK = 1000


def build_events(orders: int) -> list[RecordedEvent]:
    """run_started + approval, then 10 events per order in rounds (all intents first, ...)."""
    legs = [
        Leg(
            symbol=f"S{n:05d}"[:10],
            side=Side.SELL if n % 2 else Side.BUY,
            planned_amount=Decimal("1000.00"),
            scaled_amount=Decimal("1000.00"),
            price=Decimal("100.00"),
            order=OrderSpec(qty=Decimal(10)),
            est_qty=Decimal(10),
            est_notional=Decimal("1000.00"),
            status=PreviewStatus.READY,
            reason=None,
            notes=(),
            client_order_id=f"pc-000000000000-1-{'s' if n % 2 else 'b'}-S{n:05d}",
            fractionable=True,
            position_qty=Decimal(10),
            current_weight=Decimal("0.001"),
            target_weight=Decimal("0.001"),
            priority=3,
        )
        for n in range(orders)
    ]
    funding = Funding(
        buying_power=Decimal(0),
        expected_sell_proceeds=Decimal(0),
        reserve=Decimal(0),
        available_for_buys=Decimal(0),
        planned_buys=Decimal(0),
        scale=Decimal(1),
    )
    head: list[JournalEvent] = [
        RunStarted(
            plan_id="bench", plan_digest="0" * 64, preview_digest="1" * 64, attempt=1,
            broker="sim", mode="SIM", account_id="SIM-1", plan_source="", equity=Decimal(1),
            legs=tuple(legs), holds=(), funding=funding, settings={},
        ),
        ApprovalGiven(preview_digest="1" * 64, approved_by="bench", scale=Decimal(1)),
    ]  # fmt: skip
    body: list[JournalEvent] = []
    for step in range(UPDATES_PER_ORDER):
        for leg in legs:
            coid = leg.client_order_id
            if step == 0:
                body.append(OrderIntent(client_order_id=coid, symbol=leg.symbol, side=leg.side,
                                        order=OrderSpec(qty=Decimal(10))))  # fmt: skip
            elif step == 1:
                body.append(OrderSubmitted(client_order_id=coid, broker_order_id=f"b{coid}",
                                           status=OrderStatus.NEW))  # fmt: skip
            else:
                filled = Decimal(step - 1) * Decimal("1.25")
                status = OrderStatus.FILLED if filled == 10 else OrderStatus.PARTIALLY_FILLED
                body.append(OrderUpdate(client_order_id=coid, broker_order_id=f"b{coid}",
                                        status=status, filled_qty=filled,
                                        filled_avg_price=Decimal("100.01")))  # fmt: skip
    now = datetime.now(UTC)
    return [
        RecordedEvent(seq=n + 1, run_id="run-bench", ts=now, event=event)
        for n, event in enumerate(head + body)
    ]


class TimedView(QTableView):
    """A QTableView that notes which rows each repaint showed, once painting finished."""

    def __init__(self) -> None:
        super().__init__()
        self.bench: Bench | None = None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.bench is None:
            return
        first = max(0, self.rowAt(event.rect().top()))
        last = self.rowAt(event.rect().bottom())
        if last < 0:
            last = self.model().rowCount() - 1
        self.bench.painted_rows(self, first, last)


class Bench:
    """One scenario: feed events, watch the loop and the painting."""

    def __init__(self, app: QApplication, events: list[RecordedEvent]) -> None:
        self.app = app
        self.events = events
        self.vm = RunViewModel(cast(Any, None), cast(Any, None), cast(Any, None), TaskGroup())
        view = TimedView()
        self.page = MonitorPage(self.vm.monitor, None, view=view)
        self.page.resize(1280, 800)
        view.bench = self
        self.page.show()
        self.vm.monitor.flush_listeners.append(self.announced)
        self.vm.monitor.rowsInserted.connect(self.inserted)
        self.arrival: dict[str, float] = {}
        self.unannounced: dict[str, float] = {}
        self.paint_delays: list[float] = []
        self.model_delays: list[float] = []
        self.clock = QElapsedTimer()
        self.clock.start()
        self.last_tick = 0.0
        self.max_stall = 0.0
        self.cpu_start = 0.0
        self.cpu = 0.0
        self.ticker = QTimer()
        self.ticker.setInterval(1)
        self.ticker.timeout.connect(self.tick)

    def now(self) -> float:
        return self.clock.nsecsElapsed() / 1e9

    def tick(self) -> None:
        now = self.now()
        if self.last_tick:
            self.max_stall = max(self.max_stall, now - self.last_tick)
        self.last_tick = now

    def feed(self, recorded: RecordedEvent) -> None:
        coid = getattr(recorded.event, "client_order_id", None)
        if coid is not None and (coid not in self.unannounced or coid not in self.arrival):
            now = self.now()  # the clock only when a delay starts (it costs ~15 ms in all)
            self.arrival.setdefault(coid, now)
            self.unannounced.setdefault(coid, now)
        self.vm.on_event(recorded)

    def announced(self, positions: list[int]) -> None:
        now = self.now()
        for position in positions:
            key = self.vm.monitor.row_at(position).key
            started = self.unannounced.pop(key, None)
            if started is not None:
                self.model_delays.append(now - started)

    def inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self.announced(list(range(first, last + 1)))

    def painted_rows(self, view: QTableView, first: int, last: int) -> None:
        now = self.now()
        model = view.model()
        for row in range(first, last + 1):
            key = str(model.index(row, 0).data(KEY_ROLE))
            started = self.arrival.pop(key, None)
            if started is not None:
                self.paint_delays.append(now - started)

    def settle(self) -> None:
        """Let coalesced flushes and repaints happen."""
        end = self.now() + 0.3
        while self.now() < end or self.vm.monitor.pending:
            self.app.processEvents()

    async def flood(self, chunk: int) -> float:
        self.ticker.start()
        await asyncio.sleep(0.01)
        start = self.now()
        self.cpu_start = time.process_time()
        for number, recorded in enumerate(self.events, start=1):
            self.feed(recorded)
            if chunk and number % chunk == 0:
                await asyncio.sleep(0)  # a stream consumer yields between message batches
        while self.vm.monitor.pending or self.vm._timer.isActive():  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        self.page.table.view.viewport().repaint()
        elapsed = self.now() - start
        self.cpu = time.process_time() - self.cpu_start
        self.ticker.stop()
        return elapsed

    async def paced(self, rate: int) -> float:
        self.ticker.start()
        start = self.now()
        self.cpu_start = time.process_time()
        sent = 0
        total = len(self.events)
        while sent < total:
            due = min(total, int((self.now() - start) * rate) + 1)
            while sent < due:
                self.feed(self.events[sent])
                sent += 1
            await asyncio.sleep(0.005)
        while self.vm.monitor.pending or self.vm._timer.isActive():  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.1)
        elapsed = self.now() - start
        self.cpu = time.process_time() - self.cpu_start
        self.ticker.stop()
        return elapsed


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, bench: Bench, elapsed: float, updates: int) -> None:
    state = bench.vm.state
    done = sum(1 for leg in state.legs if leg.status == "filled") if state else 0
    print(f"[{name}]")
    print(f"  updates fed           {updates:,}  (orders filled at the end: {done:,})")
    print(f"  total time            {elapsed * 1000:,.0f} ms  (target <= 300 ms for a flood)")
    print(
        f"  CPU time (all threads) {bench.cpu * 1000:,.0f} ms  (less sensitive to a busy machine)"
    )
    print(f"  updates/s             {updates / elapsed:,.0f}")
    print(f"  longest loop stall    {bench.max_stall * 1000:,.1f} ms  (target <= 50 ms)")
    print(f"  dataChanged batches   {bench.vm.monitor.batches}")
    for label, values, scope in (
        ("update->model  ", bench.model_delays, "every row"),
        ("update->painted", bench.paint_delays, "visible rows"),
    ):
        print(
            f"  {label} p50/p99/max {_p(values, 0.5) * 1000:.1f} / {_p(values, 0.99) * 1000:.1f}"
            f" / {max(values, default=0) * 1000:.1f} ms  ({len(values):,} samples, {scope})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=5000, help="paced updates per second")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the pre-built events to the cyclic GC (the old, inflated measurement)",
    )
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    events = build_events(args.orders)
    head, body = events[:2], events[2:]
    print(f"{len(body):,} updates for {args.orders:,} orders; Python {sys.version.split()[0]}")
    if not args.no_freeze:
        # The 50,000 pre-built events (~335,000 GC-tracked objects) are a fixture: the console
        # never holds the journal's events (they are folded and dropped). Left to the cyclic GC
        # they make every full collection traverse them (~70-100 ms, the paced stalls). Freezing
        # them (and the start-up objects, as run_gui does once the window is shown) measures the
        # console, not the fixture.
        gc.collect()
        gc.freeze()
        print(f"fixture and start-up objects frozen for the GC: {gc.get_freeze_count():,}")

    async def run() -> None:
        for chunk, name in ((0, "flood: one burst"), (FLOOD_CHUNK, "flood: yield every 1,000")):
            flood = Bench(app, events)
            for recorded in head:
                flood.vm.on_event(recorded)
            flood.events = body
            elapsed = await flood.flood(chunk)
            flood.settle()
            report(name, flood, elapsed, len(body))
            flood.page.close()
            # The finished scenario's bench, view-model and rows are cyclic garbage (Qt slot
            # references): collect them now, or a later scenario times their collection.
            del flood
            gc.collect()
        paced = Bench(app, events)
        for recorded in head:
            paced.vm.on_event(recorded)
        paced.events = body
        elapsed = await paced.paced(args.rate)
        report(f"paced at {args.rate:,}/s", paced, elapsed, len(body))
        paced.page.close()

    with loop:
        loop.run_until_complete(run())


if __name__ == "__main__":
    main()

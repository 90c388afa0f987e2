"""Incident replay on a 100,000-event journal (one run, 2,000 orders).

Prints the write time; the engine's open time (verify the hash chain + list runs + read the run
+ build the ReplayIndex) and index seeks; then the replay window's figures (offscreen): open to
first paint (target <= 1 s), the whole run indexed, the longest event-loop stall while loading,
and seeks in the window (cursor move + every widget brought to it; target max <= 20 ms), p50,
p95 and max over 200 random positions. Figures only, no asserts. `--journal FILE` keeps/reuses
the generated journal. `--runs N` repeats the window figures N times and prints the medians.

How the journal is written: every event goes through `SqliteJournal.append_sync`, one committed
transaction each (the real writer's path, synchronous=FULL). On a slow disk that takes minutes;
pass `--fast-write` to insert the same rows (same payload bytes, same hash chain) in a single
transaction instead. Either way `journal verify` accepts the file.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.domain.events import (
    ApprovalGiven,
    FundingRecomputed,
    JournalEvent,
    OrderIntent,
    OrderSubmitted,
    OrderUpdate,
    PhaseCompleted,
    PhaseStarted,
    RunCompleted,
    RunStarted,
)
from console.domain.fold import fold
from console.domain.orders import OrderSpec, OrderStatus, Side
from console.domain.preview_model import Funding, Leg, PreviewStatus
from console.domain.replay import ReplayIndex
from console.engine.replay import ReplayJournal
from console.journal.codec import encode_event
from console.journal.schema import GENESIS_HASH, format_ts, text_record_hash, utc_now
from console.journal.store import SqliteJournal

D = Decimal
EVENTS = 100_000
ORDERS = 2_000
CONCURRENCY = 4
SEEKS = 200
DIGEST = "b" * 64


def _leg(number: int, side: Side) -> Leg:
    symbol = f"S{number:04d}"
    price = D(20 + number % 300) + D("0.25")
    qty = D(100 + number % 50)
    return Leg(
        symbol=symbol,
        side=side,
        planned_amount=price * qty,
        scaled_amount=price * qty,
        price=price,
        order=OrderSpec(qty=qty),
        est_qty=qty,
        est_notional=price * qty,
        status=PreviewStatus.READY,
        reason=None,
        notes=(),
        client_order_id=f"pc-{DIGEST[:12]}-1-{side.letter}-{symbol}",
        fractionable=True,
        position_qty=qty if side is Side.SELL else D(0),
        current_weight=D("0.0005"),
        target_weight=D("0") if side is Side.SELL else D("0.0005"),
        priority=3,
    )


def _order_events(leg: Leg, broker_id: str, updates: int) -> list[JournalEvent]:
    assert leg.order is not None and leg.order.qty is not None and leg.price is not None
    qty, price = leg.order.qty, leg.price
    events: list[JournalEvent] = [
        OrderIntent(
            client_order_id=leg.client_order_id, symbol=leg.symbol, side=leg.side, order=leg.order
        ),
        OrderSubmitted(
            client_order_id=leg.client_order_id,
            broker_order_id=broker_id,
            status=OrderStatus.ACCEPTED,
        ),
    ]
    for step in range(1, updates + 1):
        done = step == updates
        events.append(
            OrderUpdate(
                client_order_id=leg.client_order_id,
                broker_order_id=broker_id,
                status=OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
                filled_qty=qty if done else (qty * step / updates).quantize(D("0.000000001")),
                filled_avg_price=price,
                event="fill" if done else "partial_fill",
            )
        )
    return events


def _interleave(groups: list[list[JournalEvent]]) -> list[JournalEvent]:
    """Round-robin CONCURRENCY orders at a time, as a bounded-concurrency phase would."""
    out: list[JournalEvent] = []
    for start in range(0, len(groups), CONCURRENCY):
        batch = [list(g) for g in groups[start : start + CONCURRENCY]]
        while any(batch):
            for group in batch:
                if group:
                    out.append(group.pop(0))
    return out


def generate() -> list[JournalEvent]:
    """One run of exactly EVENTS events with ORDERS orders (half sells, half buys)."""
    half = ORDERS // 2
    sells = [_leg(i, Side.SELL) for i in range(half)]
    buys = [_leg(half + i, Side.BUY) for i in range(half)]
    fixed = 8  # run_started, approval, 2 x phase_started/completed, funding, run_completed
    per_order = EVENTS - fixed - 2 * ORDERS  # fill updates to share out
    base, extra = divmod(per_order, ORDERS)
    start = RunStarted(
        plan_id="bench-100k",
        plan_digest=DIGEST,
        preview_digest="c" * 64,
        attempt=1,
        broker="sim",
        mode="SIM",
        account_id="SIM-BENCH",
        plan_source="benchmarks/replay.py",
        equity=D("100000000.00"),
        legs=tuple(sells + buys),
        holds=(),
        funding=Funding(
            buying_power=D("1000000.00"),
            expected_sell_proceeds=D("0"),
            reserve=D("0"),
            available_for_buys=D("1000000.00"),
            planned_buys=D("1000000.00"),
            scale=D("1"),
        ),
        settings={},
    )
    events: list[JournalEvent] = [
        start,
        ApprovalGiven(preview_digest=start.preview_digest, approved_by="bench", scale=D("1")),
    ]
    number = 0
    for side, legs in ((Side.SELL, sells), (Side.BUY, buys)):
        events.append(PhaseStarted(phase=side))
        groups = []
        for leg in legs:
            updates = base + (1 if number < extra else 0)
            groups.append(_order_events(leg, f"b-{number:05d}", updates))
            number += 1
        events += _interleave(groups)
        events.append(PhaseCompleted(phase=side))
        if side is Side.SELL:
            events.append(
                FundingRecomputed(
                    sell_proceeds=D("0"),
                    buying_power_before=D("1000000.00"),
                    buying_power_now=D("1000000.00"),
                    reserve=D("0"),
                    available_for_buys=D("1000000.00"),
                    planned_buys=D("1000000.00"),
                    approved_scale=D("1"),
                    scale=D("1"),
                    needs_reapproval=False,
                    legs=(),
                )
            )
    events.append(RunCompleted(status="succeeded", sell_proceeds=D("0"), buy_spent=D("0")))
    assert len(events) == EVENTS, len(events)
    return events


def write_appends(path: Path, events: list[JournalEvent]) -> None:
    """The real writer path: one committed append per event."""
    with SqliteJournal(path) as journal:
        run_id = journal.new_run_id()
        for event in events:
            journal.append_sync(run_id, event)


def write_fast(path: Path, events: list[JournalEvent]) -> None:
    """The same rows and hash chain as append_sync, inserted in one transaction."""
    with SqliteJournal(path) as journal:
        run_id = journal.new_run_id()
        conn = journal._connection()
    prev = GENESIS_HASH
    rows = []
    ts = format_ts(utc_now())
    for seq, event in enumerate(events, start=1):
        payload = encode_event(event)
        digest = text_record_hash(prev, seq, run_id, ts, event.kind, payload)
        rows.append((seq, run_id, ts, event.kind, payload, prev, digest))
        prev = digest
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO events (seq, run_id, ts, kind, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("head_seq", str(len(events))), ("head_hash", prev)],
    )
    conn.execute("COMMIT")
    conn.close()


def measure(path: Path) -> None:
    """Open + seek figures."""
    started = time.perf_counter()
    journal = SqliteJournal(path, read_only=True)
    replay = ReplayJournal(journal, str(path))
    run = replay.runs[-1]
    index = replay.load(run.run_id)
    opened = time.perf_counter() - started
    t = replay.times
    print(f"events: {len(index):,} in run {run.run_id}; checkpoint every {index.every} events")
    print(
        f"open: {opened:.3f} s (target <= 1 s) = verify {t.verify:.3f} + runs {t.runs:.3f}"
        f" + read {t.read:.3f} + index {t.index:.3f}"
    )
    rng = random.Random(5)
    seqs = [rng.choice(index.seqs) for _ in range(SEEKS)]
    times = []
    for seq in seqs:
        begin = time.perf_counter()
        index.state_at(seq)
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()
    print(
        f"seek over {SEEKS} random positions: max {times[-1]:.2f} ms (target <= 20 ms),"
        f" p50 {statistics.median(times):.2f} ms, p95 {times[int(SEEKS * 0.95) - 1]:.2f} ms"
    )
    sample = seqs[:3]
    folded = [fold(index.events[: index.index_of(s) + 1]) for s in sample]
    same = all(index.state_at(s) == f for s, f in zip(sample, folded, strict=True))
    print(f"spot check state_at == fold(events[:i]) at 3 positions: {same}")
    small = ReplayIndex(index.events[:5000])
    print(f"(5,000-event prefix indexes with checkpoint every {small.every})")
    journal.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_window(path: Path) -> dict[str, float]:
    """The replay window on `path`: open -> first paint, whole run, stalls, seeks (ms)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from console.ui.windows.replay.view import TAB_MONITOR
    from console.ui.windows.replay.window import ReplayWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    window = ReplayWindow(lambda name: SqliteJournal(name, read_only=True))
    window.show()
    app.processEvents()
    clock = QElapsedTimer()
    clock.start()
    ticks = {"last": 0.0, "stall": 0.0}

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if ticks["last"]:
            ticks["stall"] = max(ticks["stall"], now - ticks["last"])
        ticks["last"] = now

    ticker = QTimer()
    ticker.setInterval(1)
    ticker.timeout.connect(tick)
    ticker.start()
    begin = time.perf_counter()
    window.open_path(str(path))
    while window.view is None:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    window.view.repaint()
    first = time.perf_counter() - begin
    while window.loading:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    window.view.repaint()
    whole = time.perf_counter() - begin
    ticker.stop()
    view = window.view
    view.tabs.setCurrentIndex(TAB_MONITOR)  # the heaviest page: every order's row
    rng = random.Random(7)
    positions = [rng.randrange(len(view.index)) for _ in range(SEEKS)]
    seeks = []
    for position in positions:
        started = time.perf_counter()
        view.player.seek(position)
        seeks.append((time.perf_counter() - started) * 1000)
    app.processEvents()
    window.close()
    return {
        "first paint": first * 1000,
        "whole run": whole * 1000,
        "stall": ticks["stall"],
        "seek p50": statistics.median(seeks),
        "seek p95": _pct(seeks, 0.95),
        "seek max": max(seeks),
        "events": float(len(view.index)),
    }


def report_window(path: Path, runs: int) -> None:
    """Median window figures over `runs` opens."""
    rows = [measure_window(path) for _ in range(runs)]

    def med(key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"replay window, {int(med('events')):,} events, median of {runs} opens:")
    print(f"  open -> first paint      {med('first paint'):7.0f} ms  (target <= 1,000 ms)")
    print(f"  open -> whole run shown  {med('whole run'):7.0f} ms  (indexed in the background)")
    print(f"  longest UI stall         {med('stall'):7.1f} ms  (while opening and loading)")
    print(
        f"  seek in the window       p50 {med('seek p50'):.1f} / p95 {med('seek p95'):.1f}"
        f" / max {med('seek max'):.1f} ms  (target max <= 20 ms; {SEEKS} random positions,"
        " monitor page shown)"
    )
    each = ", ".join(f"{row['first paint']:.0f}" for row in rows)
    print(f"  (first paint of each open: {each} ms)")


def main() -> None:
    """Generate (unless --journal exists) and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journal", type=Path)
    parser.add_argument("--fast-write", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="window opens (medians printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.journal or Path(tmp) / "replay-bench.sqlite"
        if not path.exists():
            events = generate()
            begin = time.perf_counter()
            if args.fast_write:
                write_fast(path, events)
                how = "one transaction (--fast-write)"
            else:
                write_appends(path, events)
                how = "append_sync, one commit per event"
            took = time.perf_counter() - begin
            print(f"wrote {len(events):,} events ({ORDERS:,} orders) in {took:.1f} s via {how}")
        measure(path)
        report_window(path, args.runs)


if __name__ == "__main__":
    main()

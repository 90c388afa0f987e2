"""Under a flood of order updates the monitor publishes few, large batches (no timing asserted)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from pytestqt.qtbot import QtBot
from structlog.testing import capture_logs

from console.domain.events import (
    ApprovalGiven,
    JournalEvent,
    OrderIntent,
    OrderUpdate,
    RecordedEvent,
    RunStarted,
)
from console.domain.legstatus import LegStatus
from console.domain.orders import OrderSpec, OrderStatus, Side
from console.domain.preview_model import Funding, Leg, PreviewStatus
from console.engine.tasks import TaskGroup
from console.ui.models.table_model import FLOOD_BATCH_MAX, FLOOD_ROWS
from console.ui.viewmodels.run_vm import RunViewModel

D = Decimal
ORDERS = FLOOD_ROWS + 100


def _leg(n: int) -> Leg:
    return Leg(
        symbol=f"S{n:04d}", side=Side.BUY, planned_amount=D(100), scaled_amount=D(100),
        price=D(10), order=OrderSpec(qty=D(10)), est_qty=D(10), est_notional=D(100),
        status=PreviewStatus.READY, reason=None, notes=(), client_order_id=f"c-{n:04d}",
        fractionable=True, position_qty=D(0), current_weight=D(0), target_weight=D("0.001"),
        priority=3,
    )  # fmt: skip


def _events() -> tuple[list[RecordedEvent], list[Leg]]:
    legs = [_leg(n) for n in range(ORDERS)]
    funding = Funding(buying_power=D(0), expected_sell_proceeds=D(0), reserve=D(0),
                      available_for_buys=D(0), planned_buys=D(0), scale=D(1))  # fmt: skip
    events: list[JournalEvent] = [
        RunStarted(plan_id="p", plan_digest="0" * 64, preview_digest="1" * 64, attempt=1,
                   broker="sim", mode="SIM", account_id="A", plan_source="", equity=D(1),
                   legs=tuple(legs), holds=(), funding=funding, settings={}),
        ApprovalGiven(preview_digest="1" * 64, approved_by="t", scale=D(1)),
    ]  # fmt: skip
    events += [
        OrderIntent(client_order_id=leg.client_order_id, symbol=leg.symbol, side=leg.side,
                    order=OrderSpec(qty=D(10)))
        for leg in legs
    ]  # fmt: skip
    ts = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        RecordedEvent(seq=i + 1, run_id="r", ts=ts, event=e) for i, e in enumerate(events)
    ], legs


def _update(seq: int, leg: Leg, filled: str) -> RecordedEvent:
    return RecordedEvent(
        seq=seq, run_id="r", ts=datetime(2026, 12, 1, tzinfo=UTC),
        event=OrderUpdate(client_order_id=leg.client_order_id, broker_order_id="b",
                          status=OrderStatus.PARTIALLY_FILLED, filled_qty=D(filled),
                          filled_avg_price=D(10)),
    )  # fmt: skip


def test_a_flood_is_published_when_it_pauses_and_every_change_arrives(qtbot: QtBot) -> None:
    vm = RunViewModel(cast(Any, None), cast(Any, None), cast(Any, None), TaskGroup())
    events, legs = _events()
    for recorded in events:
        vm.on_event(recorded)
    vm.flush()  # a flood-sized batch: every order's row appears at once
    assert vm.monitor.rowCount() == ORDERS and vm._flood
    seq = len(events)
    for leg in legs[:10]:
        seq += 1
        vm.on_event(_update(seq, leg, "1"))
    vm._due()  # updates are still arriving: the flush waits for a pause
    assert vm.monitor.row_by_key(legs[0].client_order_id).leg.filled_qty == 0  # type: ignore[union-attr]
    assert vm._timer.isActive()
    vm._due()  # nothing new since: the flood paused, publish now
    row = vm.monitor.row_by_key(legs[0].client_order_id)
    assert (
        row is not None and row.leg.filled_qty == 1 and row.leg.status is LegStatus.PARTIALLY_FILLED
    )
    qtbot.waitUntil(lambda: vm.monitor.pending == 0, timeout=2000)
    assert vm.monitor.batches >= 1


def test_a_flood_batch_is_capped(qtbot: QtBot) -> None:
    vm = RunViewModel(cast(Any, None), cast(Any, None), cast(Any, None), TaskGroup())
    events, _ = _events()
    for recorded in events:
        vm.on_event(recorded)
    vm._flood = True
    vm._touched.update({f"x{n}": None for n in range(FLOOD_BATCH_MAX)})  # a batch at the cap
    vm._arrivals += 1
    vm._due()  # arrivals moved, but the batch is full: flush rather than wait
    assert not vm._touched and vm.monitor.rowCount() == ORDERS


def test_the_monitor_counts_a_refused_transition_without_logging_it_again(
    qtbot: QtBot,
) -> None:
    vm = RunViewModel(cast(Any, None), cast(Any, None), cast(Any, None), TaskGroup())
    events, legs = _events()
    late = RecordedEvent(
        seq=len(events) + 2, run_id="r", ts=datetime(2026, 12, 1, tzinfo=UTC),
        event=OrderUpdate(client_order_id=legs[0].client_order_id, broker_order_id="b",
                          status=OrderStatus.NEW, filled_qty=D(1), filled_avg_price=D(10)),
    )  # fmt: skip
    with capture_logs() as logged:
        for recorded in [*events, _update(len(events) + 1, legs[0], "1"), late]:
            vm.on_event(recorded)
        vm.flush()
    row = vm.monitor.row_by_key(legs[0].client_order_id)
    assert row is not None and row.leg.status is LegStatus.PARTIALLY_FILLED
    assert [(i.current, i.refused) for i in vm._folder.ignored] == [
        (LegStatus.PARTIALLY_FILLED, LegStatus.NEW)
    ]
    assert not [entry for entry in logged if entry["event"] == "leg_transition_ignored"]

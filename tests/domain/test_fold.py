"""fold(events) -> RunState: the pure function shared by the live monitor and replay."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from console.domain.config import Settings
from console.domain.events import (
    ApprovalGiven,
    JournalEvent,
    OrderIntent,
    OrderSubmitted,
    OrderUnknown,
    OrderUpdate,
    RecordedEvent,
    RunCompleted,
    RunStarted,
    event_from_payload,
    event_payload,
)
from console.domain.fold import RunFolder, _Work, fold
from console.domain.legstatus import TRANSITIONS, LegStatus
from console.domain.orders import OrderStatus, Side
from console.domain.preview import compute_preview
from console.domain.runstate import LegState, derive_status, run_state_json
from tests.domain.factories import item, load, plan_doc, snapshot

D = Decimal
FILLED = OrderStatus.FILLED


def _preview():  # type: ignore[no-untyped-def]
    loaded = load(plan_doc(item("AAA", "SELL", "-100"), item("BBB", "BUY", "50")))
    snap = snapshot(
        cash="1000", positions={"AAA": "10"}, quotes={"AAA": ("20", "20"), "BBB": ("5", "5")}
    )
    return compute_preview(loaded.plan, loaded.digest, snap, Settings(max_order_pct_of_equity=D(1)))


def _recorded(events: list[JournalEvent]) -> list[RecordedEvent]:
    ts = datetime(2026, 11, 24, tzinfo=UTC)
    return [RecordedEvent(seq=i + 1, run_id="run-1", ts=ts, event=e) for i, e in enumerate(events)]


def _start() -> tuple[list[JournalEvent], str, str]:
    p = _preview()
    started = RunStarted(
        plan_id=p.plan_id,
        plan_digest=p.plan_digest,
        preview_digest=p.preview_digest,
        attempt=1,
        broker="sim",
        mode="SIM",
        account_id="ACC-1",
        plan_source="x",
        equity=p.equity,
        legs=p.legs,
        holds=p.holds,
        funding=p.funding,
        settings={},
    )
    approval = ApprovalGiven(
        preview_digest=p.preview_digest, approved_by="t", scale=p.funding.scale
    )
    return [started, approval], p.sell[0].client_order_id, p.buy[0].client_order_id


def _update(coid: str, status: OrderStatus, filled: str, price: str | None) -> OrderUpdate:
    return OrderUpdate(
        client_order_id=coid,
        broker_order_id="b1",
        status=status,
        filled_qty=D(filled),
        filled_avg_price=D(price) if price else None,
    )


def test_pending_then_broker_status_then_filled() -> None:
    events, sell, _ = _start()
    events.append(
        OrderIntent(
            client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
        )
    )
    assert fold(_recorded(events)).leg(sell).status == "pending"  # type: ignore[union-attr]
    events.append(
        OrderSubmitted(client_order_id=sell, broker_order_id="b1", status=OrderStatus.ACCEPTED)
    )
    assert fold(_recorded(events)).leg(sell).status == "accepted"  # type: ignore[union-attr]
    events.append(_update(sell, OrderStatus.FILLED, "5", "20.01"))
    state = fold(_recorded(events))
    leg = state.leg(sell)
    assert leg is not None and leg.status == "filled" and leg.filled_notional == D("100.05")
    assert state.sell_proceeds == D("100.05") and state.status == "running"


def test_stream_update_before_the_submit_answer_never_steps_back() -> None:
    events, sell, _ = _start()
    events.append(
        OrderIntent(
            client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
        )
    )
    events.append(_update(sell, OrderStatus.FILLED, "5", "20"))
    events.append(
        OrderSubmitted(client_order_id=sell, broker_order_id="b1", status=OrderStatus.ACCEPTED)
    )
    leg = fold(_recorded(events)).leg(sell)
    assert leg is not None and leg.status == "filled" and leg.submitted


def test_unknown_then_resolved_and_unsent_legs_end_skipped() -> None:
    events, sell, buy = _start()
    events.append(
        OrderIntent(
            client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
        )
    )
    events.append(OrderUnknown(client_order_id=sell, reason="timeout"))
    state = fold(_recorded(events))
    assert state.leg(sell).status == "unknown" and state.incidents[-1].kind == "unknown"  # type: ignore[union-attr]
    events.append(_update(sell, OrderStatus.CANCELED, "2", "20"))
    events.append(RunCompleted(status="partial", sell_proceeds=D("40.00"), buy_spent=D("0.00")))
    state = fold(_recorded(events))
    assert state.leg(buy).status == "skipped" and state.leg(buy).reason == "not_submitted"  # type: ignore[union-attr]
    assert run_state_json(state)["sell_proceeds"] == "40.00"


def test_incremental_folder_equals_fold_and_copies_are_independent() -> None:
    events, sell, _ = _start()
    events += [
        OrderIntent(
            client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
        ),
        _update(sell, OrderStatus.PARTIALLY_FILLED, "1", "20"),
        _update(sell, OrderStatus.FILLED, "5", "20"),
    ]
    recorded = _recorded(events)
    folder = RunFolder()
    snapshots = []
    for r in recorded:
        folder.apply(r)
        snapshots.append(folder.copy())
    for i, snap in enumerate(snapshots):
        assert snap.state() == fold(recorded[: i + 1])


def test_events_round_trip_through_their_payload() -> None:
    events, sell, _ = _start()
    for event in [*events, _update(sell, OrderStatus.FILLED, "5.000000001", "1E+2")]:
        assert event_from_payload(event_payload(event)) == event


def test_derive_status() -> None:
    events, sell, _ = _start()
    events.append(
        OrderIntent(
            client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
        )
    )
    events.append(_update(sell, OrderStatus.REJECTED, "0", None))
    legs = fold(_recorded(events)).legs
    assert derive_status(legs, halted=False) == "failed"
    assert derive_status(legs, halted=True) == "halted"
    events.append(
        _update(sell, OrderStatus.NEW, "0", None)
    )  # a late non-terminal update never reopens
    assert fold(_recorded(events)).leg(sell).status == "rejected"  # type: ignore[union-attr]
    assert derive_status(fold(_recorded(events)).legs, halted=False) == "failed"


def test_work_records_freeze_once_per_change_and_leave_earlier_legs_intact() -> None:
    events, sell, _ = _start()
    recorded = _recorded(
        [
            *events,
            OrderIntent(
                client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
            ),
        ]
    )
    folder = RunFolder()
    for r in recorded:
        folder.apply(r)
    before = folder.leg(sell)
    assert before is not None and before is folder.leg(sell)  # cached until the next change
    folder.apply(
        RecordedEvent(
            seq=99, run_id="run-1", ts=recorded[-1].ts, event=_update(sell, FILLED, "5", "20.5")
        )
    )
    after = folder.leg(sell)
    assert after is not None and after is not before
    assert before.status is LegStatus.PENDING and before.filled_qty == 0  # original intact
    assert after.status is LegStatus.FILLED and after.filled_notional == D("102.50")
    assert after.last_seq == 99 and dataclasses.replace(before, status=LegStatus.FILLED) != after
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.status = LegStatus.NEW  # type: ignore[misc]
    work = _Work(after)
    work.frozen = None
    rebuilt = work.freeze()  # every slot set from the field of the same name
    assert rebuilt == after and rebuilt is not after
    init = [f.name for f in dataclasses.fields(LegState) if f.init]
    assert [getattr(rebuilt, n) for n in init] == [getattr(after, n) for n in init]
    assert rebuilt.filled_notional == after.filled_notional == D("102.50")


def test_a_refused_transition_keeps_the_status_is_counted_and_still_completes_fills() -> None:
    events, sell, _ = _start()
    events += [
        OrderIntent(
            client_order_id=sell, symbol="AAA", side=Side.SELL, order=_preview().sell[0].order
        ),
        _update(sell, OrderStatus.PARTIALLY_FILLED, "1", "20"),
        _update(sell, OrderStatus.NEW, "1", "20"),  # late: a fill was already seen
        _update(sell, OrderStatus.CANCELED, "2", "20"),
        _update(sell, OrderStatus.FILLED, "5", "20"),  # a terminal status is never left ...
    ]
    folder = RunFolder()
    with capture_logs() as logged:
        for r in _recorded(events):
            folder.apply(r)
    leg = folder.leg(sell)
    assert leg is not None and leg.status is LegStatus.CANCELED
    # the executor's fold logs each refusal once (the monitor's mirror fold does not)
    assert [
        (e["current"], e["refused"]) for e in logged if e["event"] == "leg_transition_ignored"
    ] == [
        ("partially_filled", "new"),
        ("canceled", "filled"),
    ]
    assert leg.filled_qty == D("5")  # ... but its fills are completed
    assert [(i.current, i.refused) for i in folder.ignored] == [
        (LegStatus.PARTIALLY_FILLED, LegStatus.NEW),
        (LegStatus.CANCELED, LegStatus.FILLED),
    ]
    assert folder.state() == fold(_recorded(events))


def test_the_transition_table() -> None:
    for status in LegStatus:
        assert status.may_become(status)
        if status.is_terminal:
            assert TRANSITIONS[status] == {status}
    assert LegStatus.PENDING.may_become(LegStatus.UNKNOWN)
    assert LegStatus.PENDING.may_become(LegStatus.SKIPPED)
    assert not LegStatus.NEW.may_become(LegStatus.UNKNOWN)
    assert not LegStatus.NEW.may_become(LegStatus.PENDING)
    assert LegStatus.NEW.may_become(LegStatus.PARTIALLY_FILLED)
    assert LegStatus.PENDING_CANCEL.may_become(LegStatus.NEW)  # a refused cancel
    assert not LegStatus.PARTIALLY_FILLED.may_become(LegStatus.ACCEPTED)
    assert LegStatus.UNKNOWN.may_become(LegStatus.FILLED)
    assert {s.value for s in LegStatus} == {s.value for s in OrderStatus} | {
        "pending",
        "unknown",
        "skipped",
        "blocked",
    }
    assert all(LegStatus.of(s).is_terminal == s.is_terminal for s in OrderStatus)
    assert LegStatus.FILLED == "filled" and json.dumps(LegStatus.FILLED) == '"filled"'

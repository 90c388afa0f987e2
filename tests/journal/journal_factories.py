"""Realistic journal events for the journal tests (and the throwaway measurements)."""

from __future__ import annotations

from decimal import Decimal

from console.domain.events import (
    ApprovalGiven,
    CancelRequested,
    FundingRecomputed,
    JournalEvent,
    LegResized,
    OrderIntent,
    OrderNotPlaced,
    OrderSubmitted,
    OrderUnknown,
    OrderUpdate,
    PhaseCompleted,
    PhaseStarted,
    RunCompleted,
    RunHalted,
    RunStarted,
    RunUnfinished,
    StreamStatus,
)
from console.domain.orders import OrderSpec, OrderStatus, Side
from console.domain.preview_model import Funding, Leg, Note, PreviewStatus, Reason

D = Decimal
PLAN_DIGEST = "3f2a9c1b7d4e" + "0" * 52


def coid(digest: str, attempt: int, side: Side, symbol: str) -> str:
    """The deterministic client order id of DESIGN §4."""
    return f"pc-{digest[:12]}-{attempt}-{side.letter}-{symbol}"


def sell_leg(symbol: str, digest: str = PLAN_DIGEST, attempt: int = 1) -> Leg:
    """A ready fractional sell of 10.5 shares at 189.90."""
    return Leg(
        symbol=symbol,
        side=Side.SELL,
        planned_amount=D("1993.95"),
        scaled_amount=D("1993.95"),
        price=D("189.90"),
        order=OrderSpec(qty=D("10.500000000")),
        est_qty=D("10.500000000"),
        est_notional=D("1993.95"),
        status=PreviewStatus.READY,
        reason=None,
        notes=(Note.CAPPED_AT_POSITION,),
        client_order_id=coid(digest, attempt, Side.SELL, symbol),
        fractionable=True,
        position_qty=D("10.5"),
        current_weight=D("0.19939500"),
        target_weight=D("0"),
        priority=2,
    )


def buy_leg(symbol: str, digest: str = PLAN_DIGEST, attempt: int = 1) -> Leg:
    """A ready notional buy of 1,000.00 at an ask of 250.10."""
    return Leg(
        symbol=symbol,
        side=Side.BUY,
        planned_amount=D("1000.004"),
        scaled_amount=D("1000.004"),
        price=D("250.10"),
        order=OrderSpec(notional=D("1000.00")),
        est_qty=D("3.998400639"),
        est_notional=D("1000.00"),
        status=PreviewStatus.READY,
        reason=None,
        notes=(),
        client_order_id=coid(digest, attempt, Side.BUY, symbol),
        fractionable=True,
        position_qty=D("0"),
        current_weight=D("0"),
        target_weight=D("0.1"),
        priority=2,
    )


def blocked_leg(symbol: str, digest: str = PLAN_DIGEST) -> Leg:
    """A buy blocked for want of a price (unsized: order and estimates are None)."""
    return Leg(
        symbol=symbol,
        side=Side.BUY,
        planned_amount=D("1.631183031914913770169642438E-8"),
        scaled_amount=D("0E-10"),
        price=None,
        order=None,
        est_qty=None,
        est_notional=None,
        status=PreviewStatus.BLOCKED,
        reason=Reason.NO_PRICE,
        notes=(Note.NO_PRICE,),
        client_order_id=coid(digest, 1, Side.BUY, symbol),
        fractionable=False,
        position_qty=D("0"),
        current_weight=D("0"),
        target_weight=D("0.05"),
        priority=5,
    )


def run_started(
    digest: str = PLAN_DIGEST, sells: int = 2, buys: int = 2, attempt: int = 1
) -> RunStarted:
    """A RunStarted with `sells` sell legs, `buys` buy legs and one blocked buy."""
    legs = tuple(sell_leg(f"S{i}", digest, attempt) for i in range(sells))
    legs += tuple(buy_leg(f"B{i}", digest, attempt) for i in range(buys))
    legs += (blocked_leg("BRK.A", digest),)
    return RunStarted(
        plan_id="plan-2026-11-24",
        plan_digest=digest,
        preview_digest="ab" * 32,
        attempt=attempt,
        broker="sim",
        mode="SIM",
        account_id="SIM-ACCOUNT-1",
        plan_source="/home/op/plans/rebalance.json",
        equity=D("10000.0000"),
        legs=legs,
        holds=("VTI",),
        funding=Funding(
            buying_power=D("10000.00"),
            expected_sell_proceeds=D("3987.90"),
            reserve=D("0.00"),
            available_for_buys=D("13987.90"),
            planned_buys=D("2000.008"),
            scale=D("1"),
        ),
        settings={"min_notional": "1.00", "max_order_notional": "100000.00"},
    )


def one_of_each_kind() -> list[JournalEvent]:
    """One realistic event of every kind, in an order a run could record them."""
    start = run_started(sells=1, buys=1)
    sell, buy = start.legs[0], start.legs[1]
    return [
        start,
        ApprovalGiven(preview_digest=start.preview_digest, approved_by="cli --yes", scale=D("1")),
        PhaseStarted(phase=Side.SELL),
        OrderIntent(
            client_order_id=sell.client_order_id,
            symbol=sell.symbol,
            side=Side.SELL,
            order=OrderSpec(qty=D("10.500000000")),
        ),
        OrderSubmitted(
            client_order_id=sell.client_order_id,
            broker_order_id="b-0001",
            status=OrderStatus.ACCEPTED,
        ),
        OrderUpdate(
            client_order_id=sell.client_order_id,
            broker_order_id="b-0001",
            status=OrderStatus.FILLED,
            filled_qty=D("10.500000000"),
            filled_avg_price=D("189.9"),
            event="fill",
        ),
        OrderUnknown(client_order_id=sell.client_order_id, reason="submit timed out after 10 s"),
        CancelRequested(client_order_id=sell.client_order_id, reason="phase_timeout"),
        OrderNotPlaced(client_order_id=sell.client_order_id, reason="not_submitted"),
        StreamStatus(state="silent", detail="no update for 30 s — «quiet»"),
        RunUnfinished(reason="cancels were not confirmed", orders=(sell.client_order_id,)),
        PhaseCompleted(phase=Side.SELL),
        FundingRecomputed(
            sell_proceeds=D("1993.95"),
            buying_power_before=D("10000.00"),
            buying_power_now=D("11993.95"),
            reserve=D("0.00"),
            available_for_buys=D("11993.95"),
            planned_buys=D("1000.004"),
            approved_scale=D("1"),
            scale=D("1"),
            needs_reapproval=False,
            legs=(
                LegResized(
                    client_order_id=buy.client_order_id,
                    scaled_amount=D("1000.004"),
                    order=OrderSpec(notional=D("1000.00")),
                    est_qty=D("3.998400639"),
                    est_notional=D("1000.00"),
                    skipped_reason=None,
                ),
            ),
        ),
        RunHalted(reason="operator pressed HALT"),
        RunCompleted(status="halted", sell_proceeds=D("1993.95"), buy_spent=D("0.00")),
    ]


def full_run(digest: str = PLAN_DIGEST, sells: int = 2, buys: int = 2) -> list[JournalEvent]:
    """A complete succeeded run: every ready leg submitted and filled."""
    start = run_started(digest, sells, buys)
    events: list[JournalEvent] = [
        start,
        ApprovalGiven(preview_digest=start.preview_digest, approved_by="cli --yes", scale=D("1")),
    ]
    n = 0
    for side in (Side.SELL, Side.BUY):
        events.append(PhaseStarted(phase=side))
        for leg in start.legs:
            if leg.side is not side or leg.status is not PreviewStatus.READY:
                continue
            n += 1
            assert leg.order is not None
            qty = leg.order.qty if leg.order.qty is not None else D("3.998400639")
            price = leg.price if leg.price is not None else D("1")
            events += [
                OrderIntent(
                    client_order_id=leg.client_order_id,
                    symbol=leg.symbol,
                    side=side,
                    order=leg.order,
                ),
                OrderSubmitted(
                    client_order_id=leg.client_order_id,
                    broker_order_id=f"b-{n:04d}",
                    status=OrderStatus.ACCEPTED,
                ),
                OrderUpdate(
                    client_order_id=leg.client_order_id,
                    broker_order_id=f"b-{n:04d}",
                    status=OrderStatus.FILLED,
                    filled_qty=qty,
                    filled_avg_price=price,
                    event="fill",
                ),
            ]
        events.append(PhaseCompleted(phase=side))
    events.append(completed(events, "succeeded"))
    return events


def completed(events: list[JournalEvent], status: str) -> RunCompleted:
    """The run_completed the executor would write: totals from folding the events so far."""
    from datetime import UTC, datetime

    from console.domain.events import RecordedEvent
    from console.domain.fold import fold

    stamp = datetime(2026, 11, 24, tzinfo=UTC)
    state = fold(
        RecordedEvent(seq=i + 1, run_id="r", ts=stamp, event=e) for i, e in enumerate(events)
    )
    return RunCompleted(
        status=status,  # type: ignore[arg-type]
        sell_proceeds=state.sell_proceeds,
        buy_spent=state.buy_spent,
    )

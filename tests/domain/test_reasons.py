"""Reason codes in plain words with their numbers (domain/reasons.py) and the column specs."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from console.domain.columns import INCIDENTS, MONITOR, PREVIEW_LEGS, PROBLEMS, RUN_LEGS, SUMMARY
from console.domain.config import Settings
from console.domain.legstatus import LegStatus
from console.domain.orders import Side
from console.domain.preview import compute_preview
from console.domain.preview_model import Leg, Note, PreviewStatus, Reason
from console.domain.reasons import (
    age,
    code_text,
    leg_notes_text,
    leg_reason_text,
    plain_problems,
    run_leg_code,
    run_leg_reason_text,
    usd,
)
from console.domain.runstate import LegState
from tests.domain.factories import item, load, plan_doc, snapshot

D = Decimal


def _leg(**changes: object) -> Leg:
    base = Leg(
        symbol="AAA", side=Side.BUY, planned_amount=D("0.73"), scaled_amount=D("0.73"),
        price=D("62.45"), order=None, est_qty=None, est_notional=None,
        status=PreviewStatus.SKIPPED, reason=Reason.BELOW_MIN_NOTIONAL, notes=(),
        client_order_id="pc-x-1-b-AAA", fractionable=True, position_qty=D(0),
        current_weight=D(0), target_weight=D("0.1"), priority=3,
    )  # fmt: skip
    return base.model_copy(update=changes)


def _run_leg(**changes: object) -> LegState:
    base = LegState(
        client_order_id="pc-x-1-s-VTI", symbol="VTI", side=Side.SELL, planned_amount=D(1000),
        scaled_amount=D(1000), price=D(100), order=None, est_qty=D(10), est_notional=D(1000),
        current_weight=D("0.5"), target_weight=D("0.2"), status=LegStatus.CANCELED, reason=None,
        filled_qty=D(5), filled_avg_price=D(100), intent=True, submitted=True,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_money_and_age_spellings() -> None:
    assert usd(D("7250.4")) == "$7,250.40" and usd(D("-1.005")) == "−$1.01" and usd(None) == "—"
    assert age(D(45)) == "45 s" and age(D(600)) == "10 min" and age(D(7500)) == "2 h 5 min"


def test_preview_leg_reasons_carry_their_numbers() -> None:
    assert leg_reason_text(_leg()) == "below the $1.00 minimum order ($0.73)"
    assert (
        leg_reason_text(_leg(), Settings(min_notional=D(5)))
        == "below the $5.00 minimum order ($0.73)"
    )
    stale = _leg(reason=Reason.STALE_QUOTE, quote_age_seconds=D(600))
    assert leg_reason_text(stale) == "quote 10 min old (limit 60 s)"
    wide = _leg(reason=Reason.WIDE_SPREAD, spread_bps=D("326.6"))
    assert leg_reason_text(wide) == "spread 327 bps (limit 200)"
    foreign = _leg(reason=Reason.OPEN_ORDER)
    assert leg_reason_text(foreign) == "an order placed outside this plan is working on AAA"
    whole = _leg(reason=Reason.ZERO_QTY, fractionable=False, price=D("906.30"))
    assert leg_reason_text(whole) == "whole shares only: $0.73 buys 0 sh at $906.30"
    assert leg_reason_text(_leg(reason=None, status=PreviewStatus.READY)) is None


def test_notes_in_plain_words() -> None:
    capped = _leg(
        side=Side.SELL, reason=None, status=PreviewStatus.READY, position_qty=D("110.537"),
        notes=(Note.CAPPED_AT_POSITION,),
    )  # fmt: skip
    assert leg_notes_text(capped) == "capped at the 110.537 shares held"
    from console.domain.reasons import cap_incidents

    (cap,) = cap_incidents([capped], seq=1)
    assert (cap.code, cap.text, cap.seq) == (
        "capped_at_position",
        "sell capped at the 110.537 shares held",
        1,
    )
    from console.domain.orders import OrderSpec

    cost = _leg(
        reason=None, status=PreviewStatus.READY, fractionable=False, order=OrderSpec(qty=D(8)),
        est_notional=D("7250.40"),
    )  # fmt: skip
    assert leg_notes_text(cost) == "whole shares only: 8 sh = $7,250.40"


def test_run_leg_outcomes_in_plain_words() -> None:
    partial = _run_leg()
    assert run_leg_code(partial) == "partial_canceled"
    assert run_leg_reason_text(partial) == (
        "partially filled (5 sh, $500.00), rest canceled by the broker"
    )
    timeout = _run_leg(reason="phase_timeout", filled_qty=D(0), filled_avg_price=None)
    assert run_leg_reason_text(timeout) == "canceled at the phase timeout"
    halted = _run_leg(reason="halt")
    assert run_leg_reason_text(halted) == "canceled by halt after 5 sh filled"
    refused = _run_leg(
        status=LegStatus.REJECTED, reason="potential wash trade detected (403 40310000)"
    )
    assert run_leg_reason_text(refused) == (
        "refused by the broker: potential wash trade detected (403 40310000)"
    )
    assert run_leg_code(refused) == "broker_refused"
    assert run_leg_reason_text(_run_leg(status=LegStatus.FILLED)) is None
    assert code_text("halt") == "canceled by halt"
    assert code_text("something_new") == "something new"


def test_specs_show_plain_words_and_keep_the_code_in_a_tooltip() -> None:
    columns = {c.key: c for c in PREVIEW_LEGS.columns}
    leg = _leg()
    assert columns["reason_text"].text(leg) == "below the $1.00 minimum order ($0.73)"
    tip = columns["reason_text"].tooltip
    assert tip is not None and "below_min_notional" in (tip(leg) or "")
    status_tip = columns["status"].tooltip
    assert status_tip is not None and "minimum order" in (status_tip(leg) or "")
    capped = _leg(reason=None, notes=(Note.CAPPED_AT_POSITION,), position_qty=D("110.537"))
    notes = columns["notes"]
    assert notes.text(capped) == "capped at the 110.537 shares held"  # not "capped_a…"
    assert notes.tooltip is not None and "capped_at_position" in (notes.tooltip(capped) or "")
    assert "reason_text" in PREVIEW_LEGS.csv_header()
    run_columns = {c.key: c for c in RUN_LEGS.columns}
    assert "rest canceled by the broker" in run_columns["reason_text"].text(_run_leg())
    assert "reason_text" in RUN_LEGS.csv_header()
    assert "reason_text" in [c.key for c in MONITOR.window_columns()]
    assert "reason_text" in [c.key for c in SUMMARY.window_columns()]
    assert [c.key for c in INCIDENTS.columns] == ["seq", "symbol", "text", "code"]
    message = {c.key: c for c in PROBLEMS.columns}["message"]
    assert message.tooltip is not None


def test_preview_problems_in_plain_words() -> None:
    loaded = load(plan_doc(item("AAA", "BUY", "0.73"), item("BBB", "BUY", "500")))
    snap = snapshot(cash="1000", quotes={"AAA": ("10", "10"), "BBB": ("5", "5")})
    preview = compute_preview(loaded.plan, loaded.digest, snap, Settings(), 1)
    problems = plain_problems(preview)
    assert [p.code for p in problems] == [p.code for p in preview.problems]
    assert any(
        p.message == "buy AAA skipped: below the $1.00 minimum order ($0.73)" for p in problems
    )


def test_run_settings_read_back_from_the_journal_text() -> None:
    from console.domain.reasons import run_settings

    text = Settings(min_notional=D("2.50"), allow_margin=True).as_text()
    assert run_settings(text) == Settings(min_notional=D("2.50"), allow_margin=True)
    assert run_settings({"min_notional": "oops"}) == Settings()


def test_run_incidents_from_a_folded_run() -> None:
    from console.domain.events import (
        OrderIntent,
        OrderSubmitted,
        OrderUpdate,
        RunHalted,
        StreamStatus,
    )
    from console.domain.fold import fold
    from console.domain.orders import OrderStatus
    from console.domain.reasons import approved_legs, run_incidents
    from tests.domain.test_fold import _preview, _recorded, _start

    events, sell, _buy = _start()
    order = _preview().sell[0].order
    events += [
        OrderIntent(client_order_id=sell, symbol="AAA", side=Side.SELL, order=order),
        OrderSubmitted(client_order_id=sell, broker_order_id="b1", status=OrderStatus.ACCEPTED),
        StreamStatus(state="silent", detail="no update for 30 s"),
        OrderUpdate(
            client_order_id=sell, broker_order_id="b1", status=OrderStatus.CANCELED,
            filled_qty=D(2), filled_avg_price=D(20),
        ),
        RunHalted(reason="operator halt"),
    ]  # fmt: skip
    recorded = _recorded(events)
    state = fold(recorded)
    legs, seq = approved_legs(recorded)
    assert seq == 1 and legs
    rows = run_incidents(state, approved=legs, approved_seq=seq)
    texts = {row.code: row for row in rows}
    assert texts["stream_silent"].text == "the order stream went silent: no update for 30 s"
    assert texts["partial_canceled"].symbol == "AAA"
    assert "rest canceled by the broker" in texts["partial_canceled"].text
    assert texts["halt"].text == "run halted: operator halt"
    assert [row.seq for row in rows] == sorted(row.seq for row in rows if row.seq is not None) + [
        None for row in rows if row.seq is None
    ]

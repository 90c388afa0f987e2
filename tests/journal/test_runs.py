"""runs() and runs_for_plan(): summaries come from fold, oldest first, kept up to date."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from console.domain.events import (
    FundingRecomputed,
    JournalEvent,
    LegResized,
    OrderUpdate,
)
from console.domain.fold import fold
from console.domain.money import add
from console.domain.orders import OrderStatus, Side
from console.domain.preview_model import Reason
from console.engine.ports import RunSummary
from console.journal import SqliteJournal
from tests.journal.helpers_journal import append_all
from tests.journal.journal_factories import completed, full_run, one_of_each_kind, run_started

PLAN_A = "aa" * 32
PLAN_B = "bb" * 32


def partial_run(digest: str) -> list[JournalEvent]:
    """Attempt 2: the first sell fills half and is canceled; buys are resized/skipped; partial."""
    events = full_run(digest)
    start = events[0]
    assert start.kind == "run_started"
    buy_coid = next(leg.client_order_id for leg in start.legs if leg.side is Side.BUY)
    out: list[JournalEvent] = []
    for event in events[:-1]:
        if getattr(event, "client_order_id", None) == buy_coid:
            continue  # this buy is skipped after the funding recomputation
        if isinstance(event, OrderUpdate) and event.client_order_id.endswith("-s-S0"):
            event = event.model_copy(
                update={"status": OrderStatus.CANCELED, "filled_qty": Decimal("5.25")}
            )
        out.append(event)
    phase_buy = next(i for i, e in enumerate(out) if e.kind == "phase_started" and i > 2)
    out.insert(
        phase_buy,
        FundingRecomputed(
            sell_proceeds=Decimal("2990.93"),
            buying_power_before=Decimal("10000.00"),
            buying_power_now=Decimal("12990.93"),
            reserve=Decimal("0.00"),
            available_for_buys=Decimal("12990.93"),
            planned_buys=Decimal("2000.008"),
            approved_scale=Decimal("1"),
            scale=Decimal("1"),
            needs_reapproval=False,
            legs=(
                LegResized(
                    client_order_id=buy_coid,
                    scaled_amount=Decimal("0.50"),
                    order=None,
                    est_qty=None,
                    est_notional=None,
                    skipped_reason=Reason.BELOW_MIN_NOTIONAL,
                ),
            ),
        ),
    )
    out.append(completed(out, "partial"))
    return out


def build(path: Path) -> dict[str, str]:
    """Four runs: A succeeded, B still running, A attempt 2 partial, a halted one."""
    with SqliteJournal(path) as journal:
        ids = {name: journal.new_run_id() for name in ("a1", "b1", "a2", "c1")}
        append_all(journal, ids["a1"], full_run(PLAN_A))
        append_all(journal, ids["b1"], full_run(PLAN_B)[:6])
        append_all(journal, ids["a2"], partial_run(PLAN_A))
        append_all(journal, ids["c1"], one_of_each_kind())
        append_all(journal, ids["b1"], full_run(PLAN_B)[6:9])
    return ids


def expected_summary(journal: SqliteJournal, run_id: str) -> RunSummary:
    """The summary as fold over every event of the run gives it."""
    events = journal.events(run_id)
    state = fold(events)
    return RunSummary(
        run_id=run_id,
        plan_id=state.plan_id,
        plan_digest=state.plan_digest,
        attempt=state.attempt,
        broker=state.broker,
        mode=state.mode,
        started_at=events[0].ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        status=state.status,
        first_seq=events[0].seq,
        last_seq=events[-1].seq,
        legs=len(state.legs),
        filled_notional=add(state.sell_proceeds, state.buy_spent),
    )


def test_runs_lists_every_run_oldest_first_with_folded_values(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    ids = build(path)
    with SqliteJournal(path, read_only=True) as journal:
        runs = journal.runs()
        assert [r.run_id for r in runs] == [ids["a1"], ids["b1"], ids["a2"], ids["c1"]]
        assert runs == [expected_summary(journal, r.run_id) for r in runs]
    a1, b1, a2, c1 = runs
    assert (a1.status, b1.status, a2.status, c1.status) == (
        "succeeded",
        "running",
        "partial",
        "halted",
    )
    assert (a1.plan_digest, a1.attempt, a1.broker, a1.mode) == (PLAN_A, 1, "sim", "SIM")
    assert a1.legs == 5  # two sells, two buys and the blocked buy
    # 2 x (10.5 x 189.90) + 2 x (3.998400639 x 250.10 -> 1000.00); not run_completed's zeros.
    assert a1.filled_notional == Decimal("5987.90")
    # 996.98 (5.25 x 189.90 = 996.975, half-up) + 1993.95 + 1000.00 (the other buy).
    assert a2.filled_notional == Decimal("3990.93")
    assert b1.last_seq > c1.last_seq  # b1 got events after c1 finished
    assert b1.first_seq == a1.last_seq + 1
    assert a1.started_at.endswith("Z")


def test_runs_for_plan(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    ids = build(path)
    with SqliteJournal(path, read_only=True) as journal:
        fresh = journal.runs_for_plan(PLAN_A)  # folds only those runs
        assert [r.run_id for r in fresh] == [ids["a1"], ids["a2"]]
        assert [r.run_id for r in journal.runs_for_plan(PLAN_B)] == [ids["b1"]]
        assert journal.runs_for_plan("cc" * 32) == []
        everything = journal.runs()
        cached = journal.runs_for_plan(PLAN_A)  # from the up-to-date cache
        assert cached == fresh == [r for r in everything if r.plan_digest == PLAN_A]


def test_runs_follow_new_appends(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with SqliteJournal(path) as writer, SqliteJournal(path, read_only=True) as reader:
        assert reader.runs() == []
        run_id = writer.new_run_id()
        events = full_run(PLAN_A)
        append_all(writer, run_id, events[:4])
        first = reader.runs()
        assert [(r.status, r.last_seq) for r in first] == [("running", 4)]
        assert writer.runs() == first
        append_all(writer, run_id, events[4:])
        final = reader.runs()
        assert [(r.status, r.last_seq) for r in final] == [("succeeded", len(events))]
        assert final == writer.runs() == [expected_summary(reader, run_id)]
        second = writer.new_run_id()
        append_all(writer, second, [run_started(PLAN_A, attempt=2)])
        assert [r.run_id for r in reader.runs_for_plan(PLAN_A)] == [run_id, second]
        assert [r.attempt for r in reader.runs()] == [1, 2]

"""PhaseExecutor on the sim broker: every execution rule of DESIGN §4."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from pathlib import Path

from console.domain.events import (
    FundingRecomputed,
    OrderIntent,
    OrderSubmitted,
    OrderUnknown,
    PhaseCompleted,
)
from console.domain.fold import fold
from console.domain.money import cents_half_up
from tests.domain.factories import item
from tests.engine.harness import Harness, Recorder, ScriptedGate, execute, scenario

D = Decimal


def test_clean_run_fills_everything_and_reports_actual_fills(tmp_path: Path) -> None:
    h = Harness(tmp_path)

    async def go() -> None:
        recorder = Recorder()
        state = await h.run(observer=recorder)
        assert state.status == "succeeded"
        assert [leg.status for leg in state.legs] == ["filled"] * 4
        # sells at the bid, buys at the ask; trade value from fills, not from the plan
        aapl = state.leg(f"pc-{h.loaded.digest[:12]}-1-s-AAPL")
        assert aapl is not None and aapl.filled_avg_price == D("190.00")
        assert state.sell_proceeds == sum(
            (leg.filled_notional for leg in state.legs if leg.side.value == "sell"), D(0)
        )
        assert state.sell_proceeds == cents_half_up(D("10.002631578") * D("190")) + D("75.00")
        # the live observer saw exactly what the journal holds, and fold(journal) == live state
        assert [r.seq for r in recorder.events] == [r.seq for r in h.journal.events(state.run_id)]
        assert fold(h.journal.events(state.run_id)) == state
        # one request per order after the preview's snapshot; the account and the clock are
        # read again by the start gate and between the phases
        assert h.gateway.by_kind["submit"] == 4 and h.gateway.by_kind["account"] == 3
        assert h.gateway.by_kind["clock"] == 3

    execute(go())


def test_intent_is_journaled_before_the_submit_is_acknowledged(tmp_path: Path) -> None:
    h = Harness(tmp_path)

    async def go() -> None:
        state = await h.run()
        events = h.journal.events(state.run_id)
        intents = {
            r.event.client_order_id: r.seq for r in events if isinstance(r.event, OrderIntent)
        }
        submitted = {
            r.event.client_order_id: r.seq for r in events if isinstance(r.event, OrderSubmitted)
        }
        assert intents.keys() == submitted.keys() and len(intents) == 4
        assert all(intents[c] < submitted[c] for c in intents)
        kinds = h.kinds(state.run_id)
        assert kinds[:3] == ["run_started", "approval", "phase_started"]
        # sells complete before funding is recomputed and before any buy intent
        sell_done = kinds.index("phase_completed")
        assert kinds.index("funding_recomputed") > sell_done
        first_buy = next(
            r.seq
            for r in events
            if isinstance(r.event, OrderIntent) and r.event.side.value == "buy"
        )
        assert first_buy > events[sell_done].seq
        assert kinds[-1] == "run_completed"

    execute(go())


def test_partial_sell_scales_buys_down_from_actual_proceeds(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"partial": ["AAPL"]}))

    async def go() -> None:
        state = await h.run()
        aapl = state.legs[0]
        assert aapl.status == "canceled" and aapl.filled_qty == D("5.001315789")
        recomputed = state.recomputed
        assert recomputed is not None
        assert recomputed.sell_proceeds == state.sell_proceeds
        assert recomputed.scale < recomputed.approved_scale
        # never more spent than the cash plus what the sells really brought in
        assert state.buy_spent <= D("1000.00") + state.sell_proceeds
        assert state.status == "partial"

    execute(go())


def test_buys_are_never_scaled_up(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(cash="100000", buying_power="100000"))

    async def go() -> None:
        state = await h.run()
        assert state.recomputed is not None and state.recomputed.scale == 1

    execute(go())


def test_rejected_orders_and_a_failed_run(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"reject": ["AAPL", "OLD", "VTI", "COST"]}))

    async def go() -> None:
        state = await h.run()
        assert [leg.status for leg in state.legs[:2]] == ["rejected", "rejected"]
        assert state.status == "failed"
        assert any(i.kind == "rejected" for i in state.incidents)

    execute(go())


def test_never_fill_is_canceled_at_the_phase_timeout(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"never_fill": ["OLD"]}))
    h.settings = h.settings.model_copy(update={"phase_timeout_seconds": D("0.3")})

    async def go() -> None:
        state = await h.run()
        old = state.legs[1]
        assert old.symbol == "OLD" and old.status == "canceled" and old.filled_qty == 0
        completed = [
            r.event for r in h.journal.events(state.run_id) if isinstance(r.event, PhaseCompleted)
        ]
        assert completed[0].timed_out == (old.client_order_id,)
        assert state.status == "partial"

    execute(go())


def test_rate_limit_answers_are_retried_without_duplicates(tmp_path: Path) -> None:
    h = Harness(
        tmp_path, scenario_doc=scenario(faults={"rate_limit_burst": 3, "burst_retry_after_ms": 20})
    )

    async def go() -> None:
        state = await h.run()
        assert state.status == "succeeded"
        assert h.gateway.rate_limited >= 3
        assert all(h.orders_for(leg.client_order_id) == 1 for leg in state.legs)

    execute(go())


def test_submit_that_times_out_after_reaching_the_broker_is_looked_up(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(faults={"submit_timeout": ["VTI"]}))

    async def go() -> None:
        state = await h.run()
        vti = state.legs[2]
        assert vti.status == "filled" and h.orders_for(vti.client_order_id) == 1
        events = [r.event for r in h.journal.events(state.run_id)]
        assert any(
            isinstance(e, OrderUnknown) and e.client_order_id == vti.client_order_id for e in events
        )
        # acknowledged by the look-up (or by the stream, when its update came first): once
        acks = [
            e.via
            for e in events
            if isinstance(e, OrderSubmitted) and e.client_order_id == vti.client_order_id
        ]
        assert acks in (["lookup"], ["stream"])
        assert h.gateway.by_kind["submit"] == 4  # no second submit
        assert state.status == "succeeded"

    execute(go())


def test_submit_error_that_never_landed_is_confirmed_absent_then_sent_once(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(faults={"submit_error": ["COST"]}))

    async def go() -> None:
        state = await h.run()
        cost = state.legs[3]
        assert cost.status == "filled" and h.orders_for(cost.client_order_id) == 1
        assert h.gateway.by_kind["lookup"] >= 1

    execute(go())


def test_hung_submit_times_out_and_is_resolved_without_a_second_order(tmp_path: Path) -> None:
    h = Harness(
        tmp_path,
        scenario_doc=scenario(faults={"submit_hang": ["AAPL"], "hang_seconds": 30}),
        timeout=0.3,
    )

    async def go() -> None:
        state = await h.run()
        aapl = state.legs[0]
        assert aapl.status == "filled" and h.orders_for(aapl.client_order_id) == 1

    execute(go())


def test_halt_cancels_open_orders_and_stops_submitting(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"never_fill": ["AAPL"]}))

    async def go() -> None:
        executor = h.executor()
        preview = await h.preview()
        task = asyncio.create_task(executor.start(preview))
        while (
            executor.run_id is None
            or not executor._folder.started
            or not any(leg.submitted for leg in executor.state().legs)
        ):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        executor.halt("test halt")
        state = await task
        assert state.status == "halted" and state.halted_reason == "test halt"
        assert state.legs[0].status == "canceled"
        assert all(leg.status == "skipped" and leg.reason == "halted" for leg in state.legs[2:])
        assert not any(leg.intent for leg in state.legs if leg.side.value == "buy")

    execute(go())


def test_reapproval_gate_declined_halts_before_buys(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"partial": ["AAPL"]}))

    async def go() -> None:
        gate = ScriptedGate(False)
        state = await h.run(gate=gate)
        assert len(gate.asked) == 1 and gate.asked[0].needs_reapproval
        assert state.status == "halted"
        assert not any(leg.intent for leg in state.legs if leg.side.value == "buy")

    execute(go())


def test_reapproval_gate_accepted_runs_scaled_buys(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"partial": ["AAPL"]}))

    async def go() -> None:
        gate = ScriptedGate(True)
        state = await h.run(gate=gate)
        assert [a.scope for a in state.approvals] == ["run", "buy_phase"]
        assert state.approvals[-1].scale == gate.asked[0].scale
        assert state.status == "partial"

    execute(go())


def test_gate_not_consulted_within_tolerance(tmp_path: Path) -> None:
    h = Harness(tmp_path)

    async def go() -> None:
        gate = ScriptedGate(False)
        state = await h.run(gate=gate)
        assert gate.asked == [] and state.status == "succeeded"

    execute(go())


def test_scale_dropping_to_zero_skips_buys(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(cash="0", fills={"reject": ["AAPL", "OLD"]}))

    async def go() -> None:
        state = await h.run()
        recomputed: FundingRecomputed | None = state.recomputed
        assert recomputed is not None and recomputed.scale == 0
        buys = [leg for leg in state.legs if leg.side.value == "buy"]
        assert [leg.status for leg in buys] == ["skipped", "skipped"]
        assert [leg.reason for leg in buys] == ["below_min_notional", "zero_qty_after_rounding"]
        assert state.status == "failed"  # submitted sells filled nothing

    execute(go())


def test_run_without_ready_legs_succeeds_and_submits_nothing(tmp_path: Path) -> None:
    h = Harness(tmp_path, items=(item("AAPL", "HOLD", "0"), item("ZZZ", "BUY", "100")))

    async def go() -> None:
        state = await h.run()
        assert state.status == "succeeded" and h.gateway.by_kind.get("submit", 0) == 0

    execute(go())


def test_resume_reconciles_and_never_submits_twice(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(faults={"fill_delay_ms": {"VTI": 300}}))

    async def go() -> None:
        executor = h.executor()
        preview = await h.preview()
        task = asyncio.create_task(executor.start(preview))
        vti = preview.buy[0].client_order_id
        while executor.run_id is None or not executor._folder.started:
            await asyncio.sleep(0.005)
        while not ((leg := executor.state().leg(vti)) and leg.submitted):
            await asyncio.sleep(0.01)
        task.cancel()  # the process "dies" between submit and fill
        with contextlib.suppress(asyncio.CancelledError):
            await task
        run_id = executor.run_id
        assert run_id is not None and not fold(h.journal.events(run_id)).finished
        state = await h.executor().resume(run_id)
        assert state.status == "succeeded"
        assert all(h.orders_for(leg.client_order_id) == 1 for leg in state.legs)

    execute(go())


def test_silence_is_journaled_and_open_orders_are_reconciled_by_rest(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(fills={"never_fill": ["OLD"]}))
    h.settings = h.settings.model_copy(update={"phase_timeout_seconds": D("1.2")})

    async def go() -> None:
        state = await h.run()
        kinds = h.kinds(state.run_id)
        assert "stream_status" in kinds  # quiet_poll is 0.5 s in the harness
        assert any(i.kind == "stream_silent" for i in state.incidents)
        assert h.gateway.by_kind.get("orders", 0) >= 1  # one listing per reconcile pass

    execute(go())

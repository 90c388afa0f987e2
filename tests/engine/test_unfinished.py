"""No run ends with working orders; status and fills are one commit; one executor per run."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.brokers.sim.broker import SimBroker
from console.brokers.sim.scenario import Faults
from console.domain.events import (
    ApprovalGiven,
    JournalEvent,
    OrderIntent,
    OrderSubmitted,
    OrderUpdate,
    PhaseStarted,
    RecordedEvent,
    RunStarted,
    RunUnfinished,
)
from console.domain.orders import OrderRequest, OrderSnapshot, OrderStatus, Side
from console.engine.executor import PhaseExecutor
from console.engine.ports import RunLockedError, RunRefusedError
from console.journal.store import SqliteJournal
from tests.engine.harness import FAST, Harness, execute, scenario


def _stuck(**faults: Any) -> dict[str, Any]:
    return scenario(fills={"never_fill": ["AAPL"]}, faults=faults)


def test_a_failed_cancel_leaves_the_run_unfinished_and_the_next_run_resumes_it(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, scenario_doc=_stuck(cancel_fail=["AAPL"]))
    h.settings = h.settings.model_copy(update={"phase_timeout_seconds": Decimal(1)})

    async def go() -> None:
        executor = h.executor()
        state = await executor.start(await h.preview())
        aapl = state.legs[0]
        assert executor.unfinished is not None
        assert aapl.client_order_id in executor.unfinished.open_orders
        assert "not confirmed" in executor.unfinished.reason
        assert state.status == "running"  # no run_completed
        assert "run_completed" not in h.kinds(state.run_id)
        stopped = [r.event for r in h.journal.events(state.run_id)][-1]
        assert isinstance(stopped, RunUnfinished)  # where and why this process stopped
        assert stopped.orders == (aapl.client_order_id,) and "not confirmed" in stopped.reason
        assert h.broker.exchange.order_by_client_id(aapl.client_order_id).status is (
            OrderStatus.ACCEPTED
        )
        # No buy went out beside a sell that may still fill.
        assert all(not leg.intent for leg in state.legs if leg.side is Side.BUY)

        # The next run of the plan resumes it; once the cancel goes through, it ends.
        h.broker.scenario = h.broker.scenario.model_copy(update={"faults": Faults()})
        resumed = await h.executor().resume(state.run_id)
        assert resumed.status == "partial"
        assert resumed.leg(aapl.client_order_id).status == "canceled"
        assert resumed.leg(aapl.client_order_id).reason == "phase_timeout"
        assert all(h.orders_for(leg.client_order_id) <= 1 for leg in resumed.legs)

    execute(go())


def test_a_cancel_confirmed_only_by_the_resume_keeps_the_executors_reason(
    tmp_path: Path,
) -> None:
    """The why of a cancel is journaled before the request, not kept in the process's memory."""
    h = Harness(tmp_path, scenario_doc=_stuck(cancel_fail=["AAPL"]))
    h.settings = h.settings.model_copy(update={"phase_timeout_seconds": Decimal(1)})

    async def go() -> None:
        state = await h.executor().start(await h.preview())
        aapl = state.legs[0]
        assert "cancel_requested" in h.kinds(state.run_id)
        # The cancel goes through at the broker after the process gave up waiting for it.
        placed = h.broker.exchange.order_by_client_id(aapl.client_order_id)
        assert placed is not None
        h.broker.exchange.cancel(placed.broker_order_id)
        resumed = await h.executor().resume(state.run_id)
        leg = resumed.leg(aapl.client_order_id)
        assert leg.status == "canceled"
        assert leg.reason == "phase_timeout"
        # Only one cancel request in all: the resume found the order already canceled.
        assert h.kinds(state.run_id).count("cancel_requested") == 1

    execute(go())


def test_three_503s_on_the_account_read_between_phases_are_retried(tmp_path: Path) -> None:
    # Reads of the account: preview, the start gate, then three failures between the phases.
    h = Harness(
        tmp_path, scenario_doc=scenario(faults={"account_errors": 3, "account_errors_after": 2})
    )

    async def go() -> None:
        executor = h.executor()
        state = await executor.start(await h.preview())
        assert executor.unfinished is None
        assert state.status == "succeeded"

    execute(go())


def test_a_broker_outage_between_phases_ends_unfinished_not_with_an_error(
    tmp_path: Path,
) -> None:
    h = Harness(
        tmp_path, scenario_doc=scenario(faults={"account_errors": 50, "account_errors_after": 2})
    )

    async def go() -> None:
        executor = h.executor()
        state = await executor.start(await h.preview())
        assert executor.unfinished is not None
        assert "could not be read between the phases" in executor.unfinished.reason
        assert executor.unfinished.open_orders == ()  # the sells are done, nothing works
        assert "run_completed" not in h.kinds(state.run_id)
        assert all(not leg.intent for leg in state.legs if leg.side is Side.BUY)

    execute(go())


class _FailingJournal(SqliteJournal):
    """A journal whose appends fail (as on a full disk) from the `fail_at`-th on."""

    def __init__(self, path: Path, fail_at: int) -> None:
        super().__init__(path)
        self.fail_at = fail_at
        self.appends = 0

    async def append(self, run_id: str, event: JournalEvent) -> RecordedEvent:
        self.appends += 1
        if self.appends >= self.fail_at:
            raise sqlite3.OperationalError("database or disk is full")
        return await super().append(run_id, event)


def test_a_failed_journal_append_stops_submitting_and_the_run_resumes(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    path = tmp_path / "full.sqlite"
    # run_started, approval, phase_started, intent AAPL, submitted AAPL: the 6th append fails.
    failing = _FailingJournal(path, fail_at=6)

    async def go() -> None:
        executor = PhaseExecutor(h.gateway, failing, h.settings, tuning=FAST)
        state = await executor.start(await h.preview())
        assert executor.unfinished is not None
        assert "journal append failed" in executor.unfinished.reason
        assert "resumed" in executor.unfinished.reason
        run_id = state.run_id
        sent_before = len(h.broker.exchange.orders())
        assert sent_before <= 2  # submitting stopped: no buy went out
        failing.close()

        healthy = SqliteJournal(path)
        resumed = await PhaseExecutor(h.gateway, healthy, h.settings, tuning=FAST).resume(run_id)
        assert resumed.status == "succeeded"
        assert all(h.orders_for(leg.client_order_id) == 1 for leg in resumed.legs)
        healthy.close()

    execute(go())


class _FailsFrom(SqliteJournal):
    """A journal whose appends fail (a full disk) from the first event of `kind` on."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(path)
        self.kind = kind
        self.failing = False

    async def append(self, run_id: str, event: JournalEvent) -> RecordedEvent:
        self.failing = self.failing or event.kind == self.kind
        if self.failing:
            raise sqlite3.OperationalError("database or disk is full")
        return await super().append(run_id, event)


@pytest.mark.parametrize("kind", ["cancel_requested", "run_halted"])
def test_a_journal_that_fails_never_keeps_a_cancel_from_the_broker(
    tmp_path: Path, kind: str
) -> None:
    """Nothing blocks HALT (or a phase timeout's cancels): the record fails, the cancel goes."""
    h = Harness(tmp_path, scenario_doc=_stuck())
    h.settings = h.settings.model_copy(update={"phase_timeout_seconds": Decimal(30)})
    failing = _FailsFrom(tmp_path / "full.sqlite", kind)

    async def go() -> None:
        executor = PhaseExecutor(h.gateway, failing, h.settings, tuning=FAST)
        if kind == "run_halted":
            loop = asyncio.get_running_loop()
            loop.call_later(0.5, executor.halt, "operator halt")
        else:
            h.settings = h.settings.model_copy(update={"phase_timeout_seconds": Decimal(1)})
            executor.settings = h.settings
        state = await executor.start(await h.preview())
        assert executor.unfinished is not None and "journal append failed" in (
            executor.unfinished.reason
        )
        aapl = h.broker.exchange.order_by_client_id(state.legs[0].client_order_id)
        assert aapl is not None and aapl.status is OrderStatus.CANCELED  # the cancel went out
        failing.close()

    execute(go())


class _Deaf(SimBroker):
    """A sim whose update stream never delivers anything (a stream that is down)."""

    async def _never(self) -> AsyncIterator[OrderSnapshot]:
        await asyncio.Event().wait()
        yield  # pragma: no cover

    def updates(self) -> AsyncIterator[OrderSnapshot]:
        return self._never()

    async def get_order_by_client_id(self, client_order_id: str) -> OrderSnapshot | None:
        await asyncio.sleep(0.05)  # the look-up lands after the fill
        return await super().get_order_by_client_id(client_order_id)


def test_an_order_found_filled_by_a_look_up_is_one_commit_with_its_fills(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=scenario(faults={"submit_timeout": ["VTI"]}))
    h.broker = _Deaf(h.broker.scenario)
    h.gateway.broker = h.broker

    async def go() -> None:
        state = await h.run()
        vti = state.legs[2]
        assert vti.status == "filled" and vti.filled_qty > 0
        facts = [
            r.event
            for r in h.journal.events(state.run_id)
            if isinstance(r.event, (OrderSubmitted, OrderUpdate))
            and r.event.client_order_id == vti.client_order_id
        ]
        # One event: the acknowledgement carries the status and the fills together.
        assert len(facts) == 1
        (ack,) = facts
        assert isinstance(ack, OrderSubmitted)
        assert ack.status is OrderStatus.FILLED and ack.filled_qty == vti.filled_qty
        assert ack.filled_avg_price is not None

    execute(go())


def test_resume_repairs_a_leg_recorded_terminal_without_its_fills(tmp_path: Path) -> None:
    """A journal written by the old two-commit code, cut between the commits, is repaired."""
    h = Harness(tmp_path)

    async def go() -> None:
        preview = await h.preview()
        sell = preview.sell[0]
        journal = h.journal
        run_id = journal.new_run_id()
        executor = h.executor()
        settings = h.settings.as_text()
        for event in (
            RunStarted(
                plan_id=preview.plan_id,
                plan_digest=preview.plan_digest,
                preview_digest=preview.preview_digest,
                attempt=1,
                broker="sim",
                mode="SIM",
                account_id=preview.account.account_id,
                plan_source="",
                equity=preview.equity,
                legs=preview.legs,
                holds=preview.holds,
                funding=preview.funding,
                settings=settings,
            ),
            ApprovalGiven(preview_digest=preview.preview_digest, approved_by="t", scale=Decimal(1)),
            PhaseStarted(phase=Side.SELL),
            OrderIntent(
                client_order_id=sell.client_order_id,
                symbol=sell.symbol,
                side=Side.SELL,
                order=sell.order,
            ),
        ):
            await journal.append(run_id, event)
        # The broker filled it; the journal got only the status (the crash cut the fills).
        assert sell.order is not None
        placed = h.broker.exchange.place(
            OrderRequest(
                client_order_id=sell.client_order_id,
                symbol=sell.symbol,
                side=Side.SELL,
                spec=sell.order,
            )
        )
        h.broker.exchange.execute(placed.broker_order_id)
        await journal.append(
            run_id,
            OrderSubmitted(
                client_order_id=sell.client_order_id,
                broker_order_id=placed.broker_order_id,
                status=OrderStatus.FILLED,
                via="lookup",
            ),
        )
        state = await executor.resume(run_id)
        leg = state.leg(sell.client_order_id)
        assert leg is not None and leg.status == "filled" and leg.filled_qty == sell.order.qty
        assert state.sell_proceeds > 0
        assert h.orders_for(sell.client_order_id) == 1

    execute(go())


def test_a_second_executor_on_a_live_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    h = Harness(tmp_path, scenario_doc=_stuck())
    h.settings = h.settings.model_copy(update={"phase_timeout_seconds": Decimal(3)})

    async def go() -> None:
        first = h.executor()
        preview = await h.preview()
        running = asyncio.ensure_future(first.start(preview))
        while first.run_id is None or "order_intent" not in h.kinds(first.run_id):
            assert not running.done(), running.exception()
            await asyncio.sleep(0.01)
        other = SqliteJournal(h.journal.path)
        second = PhaseExecutor(h.gateway, other, h.settings, tuning=FAST)
        with pytest.raises(RunLockedError) as refused:
            await second.resume(first.run_id)
        assert "pid" in str(refused.value) and "since" in str(refused.value)
        with pytest.raises(RunRefusedError):
            await PhaseExecutor(h.gateway, other, h.settings, tuning=FAST).start(preview)
        await running
        other.close()

    execute(go())


def test_the_same_plan_and_attempt_never_starts_twice(tmp_path: Path) -> None:
    h = Harness(tmp_path)

    async def go() -> None:
        preview = await h.preview()
        await h.executor().start(preview)
        with pytest.raises(RunRefusedError, match="already ran"):
            await h.executor().start(preview)  # approving the old preview again
        assert len(h.journal.runs()) == 1

    execute(go())

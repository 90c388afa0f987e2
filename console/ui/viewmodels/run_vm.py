"""The live run: observer of journaled events (folded with RunFolder), re-approval gate, halt."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import structlog
from PySide6.QtCore import QObject, QTimer, Signal

from console.domain import formatting as f
from console.domain.columns import MONITOR, Align, ColumnSpec
from console.domain.config import Settings
from console.domain.events import (
    ApprovalGiven,
    FundingRecomputed,
    OrderIntent,
    OrderNotPlaced,
    OrderSubmitted,
    OrderUnknown,
    OrderUpdate,
    PhaseCompleted,
    PhaseStarted,
    RecordedEvent,
    RunStarted,
    StreamStatus,
)
from console.domain.fold import RunFolder
from console.domain.market import AccountSnapshot
from console.domain.money import ZERO
from console.domain.orders import Side
from console.domain.preview_model import Preview
from console.domain.rows import MonitorRow
from console.domain.runstate import RunState
from console.domain.summary import RunSummary as SummaryView
from console.domain.summary import approved_planned, compute_summary
from console.engine.executor import ExecutorTuning, PhaseExecutor, ReapprovalGate, RunObserver
from console.engine.gateway import BrokerGateway
from console.engine.ports import BrokerError, Journal, RunRefusedError, RunSummary
from console.engine.session import fetch_snapshot
from console.engine.tasks import TaskGroup
from console.ui.models.table_model import (
    FLOOD_BATCH_MAX,
    FLOOD_MS,
    FLOOD_ROWS,
    QUIET_MS,
    RecordTableModel,
)
from console.ui.viewmodels.approval_vm import Clock
from console.ui.viewmodels.units import window_columns

log = structlog.get_logger(__name__)

FLUSH_MS = 25
LATE_S = 0.010  # a flush timer this late found the event loop busy
AMBER_AFTER = 10.0
RED_AFTER = 30.0


class OrderCanceller(Protocol):
    """The executor's order flow: cancels orders of the run and journals their outcome."""

    async def cancel(self, coids: list[str], why: str, started_at: datetime) -> list[str]: ...


class Executor(Protocol):
    """What the run view-model needs of a PhaseExecutor."""

    @property
    def orders(self) -> OrderCanceller: ...

    @property
    def run_id(self) -> str | None: ...

    async def start(self, preview: Preview, *, plan_source: str = "") -> RunState: ...

    async def resume(self, run_id: str) -> RunState: ...

    def halt(self, reason: str = "operator halt") -> None: ...


ExecutorFactory = Callable[[RunObserver, ReapprovalGate, str], Executor]


def executor_factory(
    gateway: BrokerGateway,
    journal: Journal,
    settings: Settings,
    tuning: ExecutorTuning | None = None,
) -> ExecutorFactory:
    """Build PhaseExecutors wired to the view-model as observer and re-approval gate."""

    def build(observer: RunObserver, gate: ReapprovalGate, approved_by: str) -> Executor:
        return PhaseExecutor(
            gateway,
            journal,
            settings,
            observer=observer,
            gate=gate,
            approved_by=approved_by,
            tuning=tuning,
        )

    return build


def _order_age(row: MonitorRow) -> int | None:
    """Seconds since the order's intent: to its last update once terminal, else to now."""
    if row.first_seen is None:
        return None
    end = row.leg.updated_at if row.leg.is_terminal and row.leg.updated_at else f.utc_now()
    return max(0, int((end - row.first_seen).total_seconds()))


def _age_text(seconds: Any) -> str:
    return f.NONE if seconds is None else f.duration(float(seconds))


AGE_COLUMN: ColumnSpec[MonitorRow] = ColumnSpec(
    "age", "Age", _order_age, _age_text, Align.RIGHT, width=56,
    tooltip=lambda row: "time since the order was sent (to its final state once it has one)",
)  # fmt: skip


def monitor_columns(*, age: bool = True) -> tuple[ColumnSpec[MonitorRow], ...]:
    """The live monitor's columns: the monitor spec in window units, the order age second.

    Replay shows the same columns without the age (a wall-clock figure, not the cursor's).
    """
    by_key = {column.key: column for column in window_columns(MONITOR.window_columns())}
    first = [by_key.pop(key) for key in MONITOR_FIRST if key in by_key]
    return (first[0], *((AGE_COLUMN,) if age else ()), *first[1:], *by_key.values())


# Status right after the symbol, so it is in view at the window's 1024 px minimum.
MONITOR_FIRST = ("time", "symbol", "side", "status", "order", "filled_qty", "filled_avg_price",
                 "filled_notional")  # fmt: skip


def _display_folder() -> RunFolder:
    """The monitor's fold of the executor's events: the executor's own fold logs what it refuses."""
    return RunFolder(log_ignored=False)


class RunViewModel(QObject):
    """Feeds every journaled event through RunFolder and shows the folded state, coalesced."""

    run_started = Signal(str)
    state_changed = Signal(RunState)
    run_finished = Signal(RunState)
    run_failed = Signal(str)
    summary_ready = Signal(SummaryView)
    reapproval_requested = Signal(FundingRecomputed)
    reapproval_resolved = Signal(bool)
    run_refused = Signal(str)
    account_refreshed = Signal(AccountSnapshot)
    stream_changed = Signal(str, str)
    phase_changed = Signal(str)

    def __init__(
        self,
        gateway: BrokerGateway,
        journal: Journal,
        factory: ExecutorFactory,
        tasks: TaskGroup,
        *,
        clock: Clock = time.monotonic,
        phase_timeout: float = 300.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.journal = journal
        self._factory = factory
        self._tasks = tasks
        self._clock = clock
        self.phase_timeout = phase_timeout
        self.monitor: RecordTableModel[MonitorRow] = RecordTableModel(
            monitor_columns(), key=lambda row: row.key, parent=self
        )
        self.started: RunStarted | None = None
        self.approved_by = ""
        self.approved_at: datetime | None = None
        self.phase: Side | None = None
        self._phase_started_at = 0.0
        self.stream_state = "ok"
        self.account_after: AccountSnapshot | None = None
        self.state: RunState | None = None
        self.summary: SummaryView | None = None
        self.executor: Executor | None = None
        self.task: asyncio.Task[RunState | None] | None = None
        self._folder = _display_folder()
        self._touched: dict[str, None] = {}
        self._first_seen: dict[str, datetime] = {}
        self._gate: asyncio.Future[bool] | None = None
        self.pending_reapproval: FundingRecomputed | None = None
        self._started_at = 0.0
        self._active = False
        self.last_update_at: float | None = None
        self._last_flush = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)
        self._arrivals = 0  # events scheduled so far (a flood is still arriving when it moves)
        self._arrivals_seen = 0
        self._flood = False  # the last flush touched >= FLOOD_ROWS orders
        self._due_at = 0.0  # when the flush timer should fire (perf_counter seconds)
        self._armed = False  # the flush timer is running
        self._ages = QTimer(self)
        self._ages.setInterval(1000)
        self._ages.timeout.connect(self.refresh_ages)

    # -- queries -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a run task is executing."""
        return self._active and self.task is not None and not self.task.done()

    @property
    def paused(self) -> bool:
        """True while the run waits for a re-approval."""
        return self._gate is not None and not self._gate.done()

    def unfinished_runs(self) -> list[RunSummary]:
        """Runs in the journal that never completed (offered for resume)."""
        return [run for run in self.journal.runs() if run.status == "running"]

    def phase_time_left(self) -> float | None:
        """Seconds until the current phase times out (None outside a phase or a run)."""
        if not self.running or self.phase is None or self.paused:
            return None
        return max(0.0, self.phase_timeout - (self._clock() - self._phase_started_at))

    def approved_planned(self, side: Side) -> Decimal:
        """The approved estimate of a phase (what 'planned' means on screen), 0 before a run."""
        return approved_planned(self.started.legs, side) if self.started is not None else ZERO

    def health(self) -> tuple[str, float | None]:
        """Stream health (ok, amber, red, paused or idle) and seconds since the last update."""
        last = self.last_update_at
        if not self.running:
            return "idle", (self._clock() - last) if last is not None else None
        age = self._clock() - (last if last is not None else self._started_at)
        if self.paused:
            return "paused", age
        state = self.state
        if state is not None and not any(leg.intent and not leg.is_terminal for leg in state.legs):
            return "ok", age
        if age > RED_AFTER:
            return "red", age
        if age > AMBER_AFTER:
            return "amber", age
        return "ok", age

    # -- RunObserver ---------------------------------------------------------------------
    def on_event(self, recorded: RecordedEvent) -> None:
        """Fold one journaled event in; the view refreshes on the next coalesced flush."""
        event = recorded.event
        # The order events are the flood: the shortest path first.
        if (
            type(event) is OrderUpdate
            or type(event) is OrderSubmitted
            or type(event) is OrderUnknown
            or type(event) is OrderNotPlaced
        ):
            self._folder.apply(recorded)
            self._touched[event.client_order_id] = None
            self.last_update_at = self._clock()
            self._schedule()
            return
        if isinstance(event, RunStarted):
            self._reset()
            self.started = event
        self._folder.apply(recorded)
        if isinstance(event, ApprovalGiven) and event.scope == "run":
            self.approved_by, self.approved_at = event.approved_by, recorded.ts
            self.run_started.emit(recorded.run_id)
        elif isinstance(event, PhaseStarted):
            self.phase, self._phase_started_at = event.phase, self._clock()
            self.phase_changed.emit(event.phase.value)
        elif isinstance(event, PhaseCompleted):
            self.phase = None
            self.phase_changed.emit("")
            if self._active:
                self.refresh_account()
        elif isinstance(event, StreamStatus):
            self.stream_state = event.state
            log.warning("stream_status", state=event.state, detail=event.detail)
            self.stream_changed.emit(event.state, event.detail)
        if isinstance(event, OrderIntent):
            self._first_seen.setdefault(event.client_order_id, recorded.ts)
            self._touched[event.client_order_id] = None
        elif isinstance(event, FundingRecomputed):
            for resized in event.legs:
                self._touched[resized.client_order_id] = None
        self._schedule()

    def _reset(self) -> None:
        self.started = None
        self.approved_by, self.approved_at, self.phase = "", None, None
        self.stream_state = "ok"
        self._folder = _display_folder()
        self._touched.clear()
        self._first_seen.clear()
        self.summary = None
        self.monitor.clear()

    def _schedule(self) -> None:
        self._arrivals += 1
        if not self._armed:  # the timer's state, without asking Qt once per event
            self._armed = True
            now = time.perf_counter()
            wait = max(0, int(FLUSH_MS - (now - self._last_flush) * 1000))
            self._due_at = now + wait / 1000
            self._timer.start(wait)

    def _due(self) -> None:
        """Flush, unless a flood is still arriving: then wait for a pause (<= FLOOD_MS apart).

        A timer that fires late found the loop busy (painting, folding): that is no pause.
        """
        self._armed = False
        now = time.perf_counter()
        waited = (now - self._last_flush) * 1000
        arriving = self._arrivals != self._arrivals_seen or now - self._due_at > LATE_S
        if (
            self._flood
            and arriving
            and waited < FLOOD_MS
            and len(self._touched) < FLOOD_BATCH_MAX  # bounds one flush's work (the stall)
        ):
            self._arrivals_seen = self._arrivals
            self._armed = True
            wait = max(1, int(min(QUIET_MS, FLOOD_MS - waited)))
            self._due_at = now + wait / 1000
            self._timer.start(wait)
            return
        self.flush()

    def flush(self) -> None:
        """Publish the folded state: upsert the touched orders, announce the new RunState."""
        self._timer.stop()
        self._armed = False
        self._last_flush = time.perf_counter()
        self._arrivals_seen = self._arrivals
        self._flood = len(self._touched) >= FLOOD_ROWS
        try:
            state = self._folder.state()
        except ValueError:
            return
        if self._touched:  # O(touched) look-ups, not a dict of every leg per flush
            folder = self._folder
            rows = [
                MonitorRow(leg, self._first_seen.get(coid))
                for coid in self._touched
                if (leg := folder.leg(coid)) is not None and leg.intent
            ]
            self._touched.clear()
            self.monitor.upsert_rows(rows)
            if self._flood:  # this flush already waited for the flood to pause: repaint now
                self.monitor.flush()
        self.state = state
        self.state_changed.emit(state)

    def refresh_ages(self) -> None:
        """Repaint the age of every order that may still be working (once a second)."""
        folder = self._folder
        rows = [
            row
            for row in self.monitor.rows()
            if (leg := folder.leg(row.key)) is not None and not leg.is_terminal
        ]
        if rows:
            self.monitor.upsert_rows(rows)

    def refresh_account(self) -> None:
        """Read the account again (after a phase, at the end); `account_refreshed` tells."""
        symbols = [leg.symbol for leg in self.started.legs] if self.started is not None else []
        self._tasks.spawn(self._read_account(symbols), name="run-account")

    async def _read_account(self, symbols: list[str]) -> AccountSnapshot | None:
        try:
            snapshot = await fetch_snapshot(self.gateway, symbols)
        except BrokerError as exc:
            log.warning("account_refresh_failed", error=str(exc))
            return None
        self.account_after = snapshot
        self.account_refreshed.emit(snapshot)
        return snapshot

    def cancel_orders(self, coids: list[str]) -> None:
        """The operator cancels orders of the running run (journaled with reason 'operator')."""
        executor = self.executor
        if executor is None or not self.running or not coids:
            return
        log.warning("operator_cancel", run_id=executor.run_id, orders=coids)
        started = self.state.started_at if self.state is not None else f.utc_now()
        self._tasks.spawn(self._cancel(executor, list(coids), started), name="operator-cancel")

    async def _cancel(self, executor: Executor, coids: list[str], started: datetime) -> None:
        try:
            still_open = await executor.orders.cancel(coids, "operator", started)
        except Exception as exc:  # a failed cancel must not break the run; the log says it
            log.exception("operator_cancel_failed", error=str(exc))
            return
        if still_open:
            log.warning("operator_cancel_unconfirmed", orders=still_open)

    # -- ReapprovalGate ------------------------------------------------------------------
    async def reapprove(self, recomputed: FundingRecomputed) -> bool:
        """Pause the run until the operator re-approves the scaled buys (True) or halts (False)."""
        self._gate = asyncio.get_running_loop().create_future()
        self.pending_reapproval = recomputed
        log.warning(
            "reapproval_needed",
            approved=str(recomputed.approved_scale),
            scale=str(recomputed.scale),
        )
        self.flush()
        self.reapproval_requested.emit(recomputed)
        try:
            return await self._gate
        finally:
            self._gate = None
            self.pending_reapproval = None

    def resolve_reapproval(self, approved: bool) -> None:
        """The operator's answer to the re-approval pause."""
        gate = self._gate
        if gate is not None and not gate.done():
            gate.set_result(approved)
            log.info("reapproval_answered", approved=approved)
            self.reapproval_resolved.emit(approved)

    # -- intents -------------------------------------------------------------------------
    def start(self, preview: Preview, approved_by: str, plan_source: str = "") -> None:
        """Execute an approved preview."""
        executor = self._factory(self, self, approved_by)
        self._begin(executor, executor.start(preview, plan_source=plan_source), "run-start")

    def resume(self, run_id: str, approved_by: str = "gui resume") -> None:
        """Continue an unfinished run from the journal."""
        self._reset()
        for recorded in self.journal.events(run_id):
            self.on_event(recorded)
        log.info("operator_resume", run_id=run_id, by=approved_by)
        executor = self._factory(self, self, approved_by)
        self._begin(executor, executor.resume(run_id), "run-resume")

    def _begin(self, executor: Executor, work: Coroutine[Any, Any, RunState], name: str) -> None:
        if self.running:
            work.close()
            raise RuntimeError("a run is already in progress")
        self.executor = executor
        self._started_at = self._clock()
        self.last_update_at = None
        self._active = True
        self._ages.start()
        self.task = self._tasks.spawn(self._drive(work), name=name)

    async def _drive(self, work: Coroutine[Any, Any, RunState]) -> RunState | None:
        try:
            final = await work
        except asyncio.CancelledError:
            self._active = False
            self._ages.stop()
            log.warning("run_interrupted", run_id=self.executor.run_id if self.executor else None)
            raise
        except RunRefusedError as exc:  # nothing journaled, nothing sent: said inline
            self._active = False
            self._ages.stop()
            log.warning("run_refused", reason=str(exc))
            self.run_refused.emit(str(exc))
            return None
        except Exception as exc:
            self._active = False
            self._ages.stop()
            log.exception("run_failed", error=str(exc))
            self.flush()
            self.run_failed.emit(f"{type(exc).__name__}: {exc}")
            return None
        self._active = False
        self._ages.stop()
        self.phase = None
        self.flush()
        self.refresh_ages_final()
        self.state = final
        self.run_finished.emit(final)
        after = await self._read_account([leg.symbol for leg in final.legs])
        self.summary = compute_summary(final, after)
        self.summary_ready.emit(self.summary)
        return final

    def refresh_ages_final(self) -> None:
        """Every row once more at the end, so each age stops at the order's final state."""
        self.monitor.upsert_rows(self.monitor.rows())

    def halt(self, reason: str = "operator halt") -> None:
        """Kill switch: stop submitting, cancel open orders; a pending re-approval is declined."""
        if self.executor is None or not self.running:
            return
        log.warning("operator_halt", run_id=self.executor.run_id, reason=reason)
        self.executor.halt(reason)
        self.resolve_reapproval(False)

    async def interrupt(self) -> None:
        """Stop following the run without journaling an end (closing the window): resumable."""
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

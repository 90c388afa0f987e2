"""PhaseExecutor: write-ahead, sell-then-buy execution with reconciliation and a kill switch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from console.domain.config import Settings
from console.domain.events import (
    ApprovalGiven,
    FundingRecomputed,
    JournalEvent,
    PhaseCompleted,
    PhaseStarted,
    RecordedEvent,
    RunCompleted,
    RunHalted,
    RunStarted,
    RunUnfinished,
    StreamStatus,
)
from console.domain.fold import RunFolder
from console.domain.funding import recompute_funding
from console.domain.market import MarketClock
from console.domain.orders import Side
from console.domain.preview import gate_refusal
from console.domain.preview_model import Preview
from console.domain.runstate import LegState, RunState, derive_status
from console.engine.gateway import BrokerGateway
from console.engine.order_flow import ExecutorTuning, OrderFlow
from console.engine.ports import AccountInfo, BrokerError, Journal, RunLock, RunRefusedError
from console.engine.tasks import TaskGroup

__all__ = [
    "ExecutorTuning",
    "JournalWriteError",
    "PhaseExecutor",
    "ReapprovalGate",
    "RunObserver",
    "Unfinished",
]

log = structlog.get_logger(__name__)

HEARTBEAT_SECONDS = 5.0


class RunObserver(Protocol):
    """Receives every journaled event of the run, on the loop thread, right after it is stored."""

    def on_event(self, recorded: RecordedEvent) -> None: ...


class ReapprovalGate(Protocol):
    """Asked between phases when funding fell more than 0.5% below the approved scale."""

    async def reapprove(self, recomputed: FundingRecomputed) -> bool: ...


class JournalWriteError(Exception):
    """An event could not be committed to the journal: nothing more may be submitted."""


@dataclass(frozen=True)
class Unfinished:
    """Why a run stopped without run_completed, and which of its orders may still be working."""

    reason: str
    open_orders: tuple[str, ...]

    def describe(self) -> str:
        """One line for the operator."""
        orders = ", ".join(self.open_orders) if self.open_orders else "none known"
        return f"{self.reason}; orders that may still be working: {orders}"


class _StopError(Exception):
    """Ends the drive early with an Unfinished outcome."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PhaseExecutor:
    """Runs one approved preview: sells, funding from actual fills, buys; journal first.

    A run never ends while any of its orders may still be working: when a cancel fails, a final
    state cannot be confirmed, the broker cannot be read between the phases or the journal
    cannot be written, no run_completed is written and `unfinished` says why; the next run of
    the plan resumes it.
    """

    def __init__(
        self,
        gateway: BrokerGateway,
        journal: Journal,
        settings: Settings,
        *,
        observer: RunObserver | None = None,
        gate: ReapprovalGate | None = None,
        approved_by: str = "cli --yes",
        tuning: ExecutorTuning | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.settings = settings
        self.observer = observer
        self.gate = gate
        self.approved_by = approved_by
        self.tuning = tuning or ExecutorTuning()
        self._clock = clock
        self._folder = RunFolder()
        self._run_id: str | None = None
        self._halt_reason: str | None = None
        self._halt_event = asyncio.Event()
        self._changed = asyncio.Event()
        self._tasks = TaskGroup()
        self.unfinished: Unfinished | None = None
        self.orders = OrderFlow(
            gateway,
            self._folder,
            self._append,
            self._changed,
            self.tuning,
            halting=lambda: self.halting,
            halt=self.halt,
            clock=clock,
        )

    @property
    def run_id(self) -> str | None:
        """The run being executed (None before start)."""
        return self._run_id

    def state(self) -> RunState:
        """The current folded state."""
        return self._folder.state()

    def halt(self, reason: str = "operator halt") -> None:
        """Kill switch: stop submitting, cancel the run's open orders, end `halted`."""
        if self._halt_reason is None:
            self._halt_reason = reason
            log.warning("halt_requested", run_id=self._run_id, reason=reason)
        self._halt_event.set()
        self._changed.set()

    @property
    def halting(self) -> bool:
        """True once halt() was called."""
        return self._halt_reason is not None

    async def _append(self, event: JournalEvent) -> RecordedEvent:
        assert self._run_id is not None
        try:
            recorded = await self.journal.append(self._run_id, event)
        except Exception as exc:  # disk full, read-only file, lost connection
            log.error("journal_append_failed", kind=event.kind, error=repr(exc))
            raise JournalWriteError(f"journal append failed ({event.kind}): {exc}") from exc
        self._folder.apply(recorded)
        self._changed.set()
        if self.observer is not None:
            try:
                self.observer.on_event(recorded)
            except Exception:  # an observer must never break execution
                log.exception("observer_failed", kind=event.kind)
        return recorded

    async def start(self, preview: Preview, *, plan_source: str = "") -> RunState:
        """Journal the run and its approval, then execute it to the end.

        Refused (RunRefusedError, nothing journaled, nothing sent) while another process holds
        the plan's run lock, when this plan and attempt already has a run in the journal, or
        when the market or the account cannot fill it now.
        """
        lock = self.journal.lock_run(preview.plan_digest)
        try:
            self._refuse_existing(preview)
            await self._gate_now()
            return await self._start_locked(preview, plan_source, lock)
        finally:
            lock.release()

    def _refuse_existing(self, preview: Preview) -> None:
        for run in self.journal.runs_for_plan(preview.plan_digest):
            if run.status == "running":
                raise RunRefusedError(
                    f"plan {preview.plan_id} has an unfinished run {run.run_id} (attempt "
                    f"{run.attempt}): resume it before starting another"
                )
            if run.attempt == preview.attempt:
                raise RunRefusedError(
                    f"plan {preview.plan_id} attempt {preview.attempt} already ran (run "
                    f"{run.run_id}, {run.status}); refresh the preview for a new attempt"
                )

    async def _gate_now(self) -> None:
        """Refuse while the market is closed or near the close, or the account cannot trade."""
        try:
            clock = await self.gateway.get_clock()
            account = await self.gateway.get_account()
        except BrokerError as exc:
            raise RunRefusedError(f"the broker could not be read before the run: {exc}") from exc
        refusal = gate_refusal(clock, account.status, self.settings)
        if refusal is not None:
            raise RunRefusedError(refusal)

    async def _start_locked(self, preview: Preview, plan_source: str, lock: RunLock) -> RunState:
        self._run_id = self.journal.new_run_id()
        try:
            await self._append(
                RunStarted(
                    plan_id=preview.plan_id,
                    plan_digest=preview.plan_digest,
                    preview_digest=preview.preview_digest,
                    attempt=preview.attempt,
                    broker=self.gateway.name,
                    mode=self.gateway.mode,
                    account_id=preview.account.account_id,
                    plan_source=plan_source,
                    equity=preview.equity,
                    legs=preview.legs,
                    holds=preview.holds,
                    funding=preview.funding,
                    settings=self.settings.as_text(),
                )
            )
            await self._append(
                ApprovalGiven(
                    preview_digest=preview.preview_digest,
                    approved_by=self.approved_by,
                    scale=preview.funding.scale,
                )
            )
        except JournalWriteError as exc:
            if not self._folder.started:
                raise  # nothing was journaled and nothing sent: the caller reports the failure
            self.unfinished = Unfinished(f"{exc}; nothing was submitted", ())
            return self.state()
        log.info(
            "run_started", run_id=self._run_id, plan_id=preview.plan_id, legs=len(preview.legs)
        )
        return await self._drive(resuming=False, lock=lock)

    async def resume(self, run_id: str) -> RunState:
        """Continue an unfinished run: reconcile every intent by client order id, then go on.

        Refused (RunRefusedError) while another live process executes it, or while the market
        or the account cannot fill it; a dead holder's lock is taken over.
        """
        first = self.journal.events(run_id)[:1]
        if not first or not isinstance(first[0].event, RunStarted):
            raise RunRefusedError(f"run {run_id} is not in the journal")
        self._run_id = run_id
        lock = self.journal.lock_run(first[0].event.plan_digest)
        try:
            # Folded under the lock: the previous holder may have written more before dying.
            for recorded in self.journal.events(run_id):
                self._folder.apply(recorded)
            if self._folder.state().finished:
                return self._folder.state()
            await self._gate_now()
            log.info("run_resumed", run_id=run_id)
            return await self._drive(resuming=True, lock=lock)
        finally:
            lock.release()

    def _started_at(self) -> datetime:
        return self.state().started_at

    async def _heartbeat(self, lock: RunLock) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            lock.beat()

    async def _drive(self, *, resuming: bool, lock: RunLock) -> RunState:
        consumer = self._tasks.spawn(self.orders.consume_updates(), name=f"updates-{self._run_id}")
        self._tasks.spawn(self._heartbeat(lock), name=f"run-lock-{self._run_id}")
        try:
            if resuming:
                await self.orders.reconcile(self._started_at(), include_unsent=True)
            if self._folder.state().halted_reason is not None and self._halt_reason is None:
                self._halt_reason = self._folder.state().halted_reason
            if not self.halting:
                await self._phase(Side.SELL)
            if not self.halting and self.state().recomputed is None:
                await self._between_phases()
            if not self.halting:
                await self._phase(Side.BUY)
            if self.halting:
                await self._do_halt()
            still_open = self._open_orders()
            if still_open:
                raise _StopError("orders whose final state could not be confirmed")
            final = self.state()
            status = derive_status(final.legs, halted=final.halted_reason is not None)
            await self._append(
                RunCompleted(
                    status=status, sell_proceeds=final.sell_proceeds, buy_spent=final.buy_spent
                )
            )
            log.info("run_completed", run_id=self._run_id, status=status)
        except _StopError as stop:
            await self._stop_unfinished(stop.reason)
        except JournalWriteError as exc:
            await self._stop_unfinished(
                f"{exc}; submitting stopped, the run can be resumed", journal_ok=False
            )
        finally:
            consumer.cancel()
            await self._tasks.cancel_all()
        return self.state()

    async def _stop_unfinished(self, reason: str, *, journal_ok: bool = True) -> None:
        self.unfinished = Unfinished(reason, tuple(self._open_orders()))
        log.error("run_unfinished", run_id=self._run_id, detail=self.unfinished.describe())
        if journal_ok:  # for incident replay: where this process stopped, and why
            try:
                await self._append(RunUnfinished(reason=reason, orders=self.unfinished.open_orders))
            except JournalWriteError as exc:
                log.error("run_unfinished_not_journaled", run_id=self._run_id, error=str(exc))

    def _open_orders(self) -> list[str]:
        return [leg.client_order_id for leg in self._folder.legs() if self._may_work(leg)]

    @staticmethod
    def _may_work(leg: LegState) -> bool:
        return leg.intent and not leg.is_terminal

    # -- phases -----------------------------------------------------------------------------

    def _phase_legs(self, side: Side) -> list[LegState]:
        return [
            leg
            for leg in self._folder.legs()
            if leg.side is side and leg.status not in ("skipped", "blocked")
        ]

    async def _phase(self, side: Side) -> None:
        state = self.state()
        phase_name = "sell" if side is Side.SELL else "buy"
        done_phases = {"between", "buy", "done"} if side is Side.SELL else {"done"}
        if state.phase in done_phases:
            return
        if state.phase != phase_name:
            await self._append(PhaseStarted(phase=side))
        deadline = self._clock() + float(self.settings.phase_timeout_seconds)
        pending = [
            leg
            for leg in self._phase_legs(side)
            if not leg.intent or leg.client_order_id in self.orders.resubmit
        ]
        semaphore = asyncio.Semaphore(self.tuning.concurrency)

        async def send(leg: LegState) -> None:
            async with semaphore:
                if not self.halting:
                    await self.orders.submit(leg)

        await asyncio.gather(*(send(leg) for leg in pending))
        timed_out = await self._await_terminal(side, deadline)
        if self.halting:
            return
        if timed_out:
            log.warning("phase_timeout", phase=phase_name, open=len(timed_out))
            still_open = await self.orders.cancel(timed_out, "phase_timeout", self._started_at())
            if still_open:
                # Never go on (nor end) beside orders that may still be working.
                raise _StopError(f"the {phase_name} phase timed out and cancels were not confirmed")
        await self._append(PhaseCompleted(phase=side, timed_out=tuple(timed_out)))

    async def _await_terminal(self, side: Side, deadline: float) -> list[str]:
        """Wait for every leg of the phase to end; return the ids still open at the deadline."""
        last_change = self._clock()
        epoch = self.gateway.updates_epoch
        while True:
            # Cleared before looking, so a change made while we look (or reconcile) wakes us.
            self._changed.clear()
            open_legs = [leg for leg in self._phase_legs(side) if not leg.is_terminal]
            if not open_legs or self.halting:
                return []
            now = self._clock()
            if now >= deadline:
                return [leg.client_order_id for leg in open_legs]
            live = self.gateway.updates_live
            poll = self.tuning.quiet_poll if live else self.tuning.rest_poll
            if (now_epoch := self.gateway.updates_epoch) != epoch:
                reconnected, epoch = epoch > 0, now_epoch
                if reconnected:  # what happened while the stream was down was never sent
                    log.info("stream_reconnected_reconciling", phase=side.value)
                    await self.orders.reconcile(self._started_at(), include_unsent=False)
                    last_change = self._clock()
                    continue
            if now - last_change >= poll:
                if not self.orders.stream_silent:
                    self.orders.stream_silent = True
                    why = (
                        f"no order update for {poll:g} s"
                        if live
                        else "the order stream is not connected"
                    )
                    await self._append(
                        StreamStatus(
                            state="silent",
                            detail=f"{why} with {len(open_legs)} orders open: reconciling by "
                            f"REST every {poll:g} s",
                        )
                    )
                # The stream may have a gap (or none is connected): one listing of the orders.
                await self.orders.reconcile(self._started_at(), include_unsent=False)
                last_change = self._clock()
            # Wake at least every rest_poll: a stream that drops mid-phase is then noticed
            # within seconds (nothing arrives to wake us), not after quiet_poll.
            wait = min(deadline - now, poll, self.tuning.rest_poll)
            try:
                async with asyncio.timeout(wait):
                    await self._changed.wait()
                last_change = self._clock()
            except TimeoutError:
                pass

    async def _do_halt(self) -> None:
        reason = self._halt_reason or "halt"
        unrecorded: JournalWriteError | None = None
        if self.state().halted_reason is None:
            try:
                await self._append(RunHalted(reason=reason))
            except JournalWriteError as exc:  # nothing blocks HALT: the cancels still go out
                unrecorded = exc
        open_ids = self._open_orders()
        if open_ids:
            still_open = await self.orders.cancel(open_ids, "halt", self._started_at())
            if still_open:
                raise _StopError("halt: cancels were not confirmed")
        if unrecorded is not None:
            raise unrecorded

    async def _read_broker(self) -> tuple[MarketClock, AccountInfo]:
        """The clock and the account, read again (transient failures retried by the gateway)."""
        try:
            clock = await self.gateway.get_clock()
            account = await self.gateway.get_account()
        except BrokerError as exc:
            raise _StopError(f"the broker could not be read between the phases ({exc})") from exc
        return clock, account

    async def _between_phases(self) -> None:
        """Re-check that buys can be placed, then fund them from actual proceeds."""
        if not any(leg.status not in ("skipped", "blocked") for leg in self._phase_legs(Side.BUY)):
            await self._recompute_funding(None)
            return
        clock, account = await self._read_broker()
        why = gate_refusal(clock, account.status, self.settings)
        if why is not None:
            self.halt(f"buys not sent: {why}")
            return
        await self._recompute_funding(account)

    async def _recompute_funding(self, account: AccountInfo | None) -> None:
        if account is None:
            _, account = await self._read_broker()
        recomputed = recompute_funding(
            self.state(),
            cash_now=account.cash,
            buying_power_now=account.buying_power,
            allow_margin=self.settings.allow_margin,
            min_notional=self.settings.min_notional,
        )
        await self._append(recomputed)
        if recomputed.needs_reapproval and self.gate is not None:
            approved = await self.gate.reapprove(recomputed)
            if approved and not self.halting:
                await self._append(
                    ApprovalGiven(
                        preview_digest=self.state().preview_digest,
                        approved_by=self.approved_by,
                        scope="buy_phase",
                        scale=recomputed.scale,
                    )
                )
            else:
                self.halt("operator declined the re-scaled buy phase")

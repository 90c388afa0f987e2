"""PhaseExecutor: write-ahead, sell-then-buy execution with reconciliation and a kill switch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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
    StreamStatus,
)
from console.domain.fold import RunFolder
from console.domain.funding import recompute_funding
from console.domain.orders import Side
from console.domain.preview_model import Preview
from console.domain.runstate import LegState, RunState, derive_status
from console.engine.gateway import BrokerGateway
from console.engine.order_flow import ExecutorTuning, OrderFlow
from console.engine.ports import (
    Journal,
)
from console.engine.tasks import TaskGroup

__all__ = ["ExecutorTuning", "PhaseExecutor", "ReapprovalGate", "RunObserver"]

log = structlog.get_logger(__name__)


class RunObserver(Protocol):
    """Receives every journaled event of the run, on the loop thread, right after it is stored."""

    def on_event(self, recorded: RecordedEvent) -> None: ...


class ReapprovalGate(Protocol):
    """Asked between phases when funding fell more than 0.5% below the approved scale."""

    async def reapprove(self, recomputed: FundingRecomputed) -> bool: ...


class PhaseExecutor(OrderFlow):
    """Runs one approved preview: sells, funding from actual fills, buys; journal first."""

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
        self._resubmit: set[str] = set()
        self._stream_silent = False

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
        recorded = await self.journal.append(self._run_id, event)
        self._folder.apply(recorded)
        self._changed.set()
        if self.observer is not None:
            try:
                self.observer.on_event(recorded)
            except Exception:  # an observer must never break execution
                log.exception("observer_failed", kind=event.kind)
        return recorded

    async def start(self, preview: Preview, *, plan_source: str = "") -> RunState:
        """Journal the run and its approval, then execute it to the end."""
        self._run_id = self.journal.new_run_id()
        settings = self.settings.as_text()
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
                settings=settings,
            )
        )
        await self._append(
            ApprovalGiven(
                preview_digest=preview.preview_digest,
                approved_by=self.approved_by,
                scale=preview.funding.scale,
            )
        )
        log.info(
            "run_started", run_id=self._run_id, plan_id=preview.plan_id, legs=len(preview.legs)
        )
        return await self._drive(resuming=False)

    async def resume(self, run_id: str) -> RunState:
        """Continue an unfinished run: reconcile every intent by client order id, then go on."""
        self._run_id = run_id
        for recorded in self.journal.events(run_id):
            self._folder.apply(recorded)
        if self._folder.state().finished:
            return self._folder.state()
        log.info("run_resumed", run_id=run_id)
        return await self._drive(resuming=True)

    async def _drive(self, *, resuming: bool) -> RunState:
        consumer = self._tasks.spawn(self._consume_updates(), name=f"updates-{self._run_id}")
        try:
            if resuming:
                await self._reconcile_open(include_unsent=True)
            if self._folder.state().halted_reason is not None and self._halt_reason is None:
                self._halt_reason = self._folder.state().halted_reason
            if not self.halting:
                await self._phase(Side.SELL)
            if not self.halting and self.state().recomputed is None:
                await self._recompute_funding()
            if not self.halting:
                await self._phase(Side.BUY)
            if self.halting:
                await self._do_halt()
            final = self.state()
            status = derive_status(final.legs, halted=final.halted_reason is not None)
            await self._append(
                RunCompleted(
                    status=status, sell_proceeds=final.sell_proceeds, buy_spent=final.buy_spent
                )
            )
            log.info("run_completed", run_id=self._run_id, status=status)
            return self.state()
        finally:
            consumer.cancel()
            await self._tasks.cancel_all()

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
            if not leg.intent or leg.client_order_id in self._resubmit
        ]
        semaphore = asyncio.Semaphore(self.tuning.concurrency)

        async def send(leg: LegState) -> None:
            async with semaphore:
                if not self.halting:
                    await self._submit(leg)

        await asyncio.gather(*(send(leg) for leg in pending))
        timed_out = await self._await_terminal(side, deadline)
        if self.halting:
            return
        if timed_out:
            log.warning("phase_timeout", phase=phase_name, open=len(timed_out))
            await self._cancel_open(timed_out)
        await self._append(PhaseCompleted(phase=side, timed_out=tuple(timed_out)))

    async def _await_terminal(self, side: Side, deadline: float) -> list[str]:
        """Wait for every leg of the phase to end; return the ids still open at the deadline."""
        last_change = self._clock()
        while True:
            # Cleared before looking, so a change made while we look (or reconcile) wakes us.
            self._changed.clear()
            open_legs = [leg for leg in self._phase_legs(side) if not leg.is_terminal]
            if not open_legs or self.halting:
                return []
            now = self._clock()
            if now >= deadline:
                return [leg.client_order_id for leg in open_legs]
            if now - last_change >= self.tuning.quiet_poll:
                if not self._stream_silent:
                    self._stream_silent = True
                    await self._append(
                        StreamStatus(
                            state="silent",
                            detail=f"no order update for {self.tuning.quiet_poll:g} s "
                            f"with {len(open_legs)} orders open: reconciling by REST",
                        )
                    )
                await self._reconcile_open(include_unsent=False)  # the stream may have a gap
                last_change = self._clock()
            wait = min(deadline - now, self.tuning.quiet_poll)
            try:
                async with asyncio.timeout(wait):
                    await self._changed.wait()
                last_change = self._clock()
            except TimeoutError:
                pass

    async def _do_halt(self) -> None:
        reason = self._halt_reason or "halt"
        if self.state().halted_reason is None:
            await self._append(RunHalted(reason=reason))
        open_ids = [
            leg.client_order_id for leg in self._folder.legs() if leg.intent and not leg.is_terminal
        ]
        if open_ids:
            await self._cancel_open(open_ids)

    async def _recompute_funding(self) -> None:
        account = await self.gateway.get_account()
        recomputed = recompute_funding(
            self.state(), account.buying_power, self.settings.min_notional
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

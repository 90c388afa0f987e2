"""Order-level work of a run: write-ahead submits, look-ups, reconciliation, stream, cancels."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from console.domain.events import (
    JournalEvent,
    OrderIntent,
    OrderSubmitted,
    OrderUnknown,
    OrderUpdate,
    RecordedEvent,
    StreamStatus,
)
from console.domain.fold import RunFolder
from console.domain.orders import OrderRequest, OrderSnapshot, OrderStatus
from console.domain.runstate import PENDING, UNKNOWN, LegState
from console.engine.gateway import BrokerGateway
from console.engine.ports import BrokerError, DuplicateClientOrderIdError, OrderRejectedError

log = structlog.get_logger(__name__)


class ExecutorTuning:
    """Timing knobs that are not operator settings (tests shorten them)."""

    def __init__(
        self,
        *,
        concurrency: int = 8,
        cancel_grace: float = 10.0,
        quiet_poll: float = 15.0,
        lookup_attempts: int = 4,
        lookup_backoff: float = 0.5,
    ) -> None:
        self.concurrency = concurrency
        self.cancel_grace = cancel_grace
        self.quiet_poll = quiet_poll
        self.lookup_attempts = lookup_attempts
        self.lookup_backoff = lookup_backoff


class OrderFlow:
    """Submits, settles and follows the orders of one run; PhaseExecutor drives the phases.

    Every fact goes to the journal first (`_append`), then into the fold; nothing is sent for a
    leg whose `order_intent` is not committed, and an ambiguous answer is settled by a look-up.
    """

    gateway: BrokerGateway
    tuning: ExecutorTuning
    _folder: RunFolder
    _clock: Callable[[], float]
    _changed: asyncio.Event
    _resubmit: set[str]
    _stream_silent: bool

    @property
    def halting(self) -> bool:
        """True once halt() was called."""
        raise NotImplementedError

    async def _append(self, event: JournalEvent) -> RecordedEvent:
        raise NotImplementedError

    async def _submit(self, leg: LegState) -> None:
        """Journal the intent (once), then send the order; settle any ambiguous answer."""
        self._resubmit.discard(leg.client_order_id)
        if not leg.intent:
            assert leg.order is not None
            await self._append(
                OrderIntent(
                    client_order_id=leg.client_order_id,
                    symbol=leg.symbol,
                    side=leg.side,
                    order=leg.order,
                )
            )
        await self._send(leg, allow_resubmit=True)

    async def _send(self, leg: LegState, *, allow_resubmit: bool) -> None:
        assert leg.order is not None
        coid = leg.client_order_id
        request = OrderRequest(
            client_order_id=coid, symbol=leg.symbol, side=leg.side, spec=leg.order
        )
        try:
            snapshot = await self.gateway.submit_order(request)
        except DuplicateClientOrderIdError:
            log.info("duplicate_client_order_id", client_order_id=coid)
            await self._resolve(
                coid, "the broker already has this client_order_id", allow_resubmit=False
            )
            return
        except OrderRejectedError as exc:
            await self._append(
                OrderUpdate(
                    client_order_id=coid,
                    broker_order_id="",
                    status=OrderStatus.REJECTED,
                    filled_qty=leg.filled_qty,
                    filled_avg_price=None,
                    event="rejected",
                    reason=str(exc),
                    source="submit",
                )
            )
            return
        except BrokerError as exc:
            log.warning("submit_outcome_unknown", client_order_id=coid, error=str(exc))
            if allow_resubmit:  # journal the ambiguity once, not again on the second send
                await self._append(
                    OrderUnknown(client_order_id=coid, reason=f"{type(exc).__name__}: {exc}")
                )
            await self._resolve(coid, str(exc), allow_resubmit=allow_resubmit)
            return
        await self._record_snapshot(snapshot, via="submit")

    async def _record_snapshot(self, snap: OrderSnapshot, *, via: str) -> None:
        leg = self._folder.leg(snap.client_order_id)
        if leg is None:
            return
        if not leg.submitted:
            await self._append(
                OrderSubmitted(
                    client_order_id=snap.client_order_id,
                    broker_order_id=snap.broker_order_id,
                    status=snap.status,
                    via="lookup" if via == "lookup" else "submit",
                )
            )
        await self._record_update(snap, source="lookup" if via == "lookup" else "submit")

    async def _record_update(self, snap: OrderSnapshot, *, source: str) -> None:
        leg = self._folder.leg(snap.client_order_id)
        if leg is None:
            return
        unchanged = leg.status == snap.status.value and leg.filled_qty == snap.filled_qty
        if unchanged or (leg.is_terminal and not snap.status.is_terminal):
            return
        await self._append(
            OrderUpdate(
                client_order_id=snap.client_order_id,
                broker_order_id=snap.broker_order_id,
                status=snap.status,
                filled_qty=snap.filled_qty,
                filled_avg_price=snap.filled_avg_price,
                event=snap.event,
                reason=snap.reason,
                source="stream"
                if source == "stream"
                else ("lookup" if source == "lookup" else "submit"),
            )
        )

    async def _lookup(self, coid: str) -> tuple[bool, OrderSnapshot | None]:
        """(answered, snapshot) for a client order id, retrying transient failures."""
        for attempt in range(self.tuning.lookup_attempts):
            try:
                return True, await self.gateway.get_order_by_client_id(coid)
            except BrokerError as exc:
                log.warning(
                    "lookup_failed", client_order_id=coid, error=str(exc), attempt=attempt + 1
                )
                await asyncio.sleep(self.tuning.lookup_backoff * 2**attempt)
        return False, None

    async def _resolve(self, coid: str, why: str, *, allow_resubmit: bool) -> None:
        """Settle an ambiguous submit by looking the order up (never by blind resubmission)."""
        answered, snap = await self._lookup(coid)
        if snap is not None:
            await self._record_snapshot(snap, via="lookup")
            return
        if answered and allow_resubmit and not self.halting:
            # The broker has no such order: the request never landed. The same id is safe to
            # send once more; a duplicate answer would send us back here through a look-up.
            leg = self._folder.leg(coid)
            if leg is not None:
                log.info("resubmit_after_absent_lookup", client_order_id=coid)
                await self._send(leg, allow_resubmit=False)
                return
        log.error("order_unresolved", client_order_id=coid, why=why)

    async def _reconcile_open(self, *, include_unsent: bool) -> None:
        """Look up every intent that is not terminal; absent unacknowledged ones are re-sent."""
        for leg in self._folder.legs():
            if not leg.intent or leg.is_terminal:
                continue
            answered, snap = await self._lookup(leg.client_order_id)
            if snap is not None:
                await self._record_snapshot(snap, via="lookup")
            elif answered and include_unsent and leg.status in (PENDING, UNKNOWN):
                self._resubmit.add(leg.client_order_id)

    async def _consume_updates(self) -> None:
        async for snap in self.gateway.updates():
            try:
                if self._stream_silent:
                    self._stream_silent = False
                    await self._append(
                        StreamStatus(state="restored", detail="order updates resumed")
                    )
                await self._record_update(snap, source="stream")
            except Exception:
                log.exception("update_not_recorded", client_order_id=snap.client_order_id)

    async def _cancel_open(self, coids: list[str]) -> None:
        """Cancel open orders, wait for confirmations, then look up whatever is still open."""
        for coid in coids:
            leg = self._folder.leg(coid)
            if leg is None or leg.is_terminal:
                continue
            broker_id = leg.broker_order_id
            if not broker_id:
                _, snap = await self._lookup(coid)
                if snap is None:
                    continue
                await self._record_snapshot(snap, via="lookup")
                broker_id = snap.broker_order_id
            try:
                await self.gateway.cancel_order(broker_id)
            except BrokerError as exc:
                log.warning("cancel_failed", client_order_id=coid, error=str(exc))
        deadline = self._clock() + self.tuning.cancel_grace
        while self._clock() < deadline:
            if all((leg := self._folder.leg(c)) is None or leg.is_terminal for c in coids):
                return
            self._changed.clear()
            try:
                async with asyncio.timeout(max(0.0, deadline - self._clock())):
                    await self._changed.wait()
            except TimeoutError:
                break
        for coid in coids:
            leg = self._folder.leg(coid)
            if leg is not None and leg.intent and not leg.is_terminal:
                _, snap = await self._lookup(coid)
                if snap is not None:
                    await self._record_snapshot(snap, via="lookup")

"""Order-level work of a run: write-ahead submits, look-ups, reconciliation, stream, cancels."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from console.domain.events import (
    CancelRequested,
    JournalEvent,
    OrderIntent,
    OrderNotPlaced,
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
from console.engine.ports import (
    AuthenticationError,
    BrokerError,
    DuplicateClientOrderIdError,
    OrderRejectedError,
)

log = structlog.get_logger(__name__)

# Orders are listed from a little before the run's first event: the broker's clock may differ.
CLOCK_SKEW = timedelta(minutes=5)


class ExecutorTuning:
    """Timing knobs that are not operator settings (tests shorten them)."""

    def __init__(
        self,
        *,
        concurrency: int = 8,
        cancel_grace: float = 10.0,
        quiet_poll: float = 15.0,
        rest_poll: float = 2.0,
    ) -> None:
        self.concurrency = concurrency
        self.cancel_grace = cancel_grace
        self.quiet_poll = quiet_poll  # no update for this long on a live stream: list by REST
        self.rest_poll = rest_poll  # the stream not connected: list by REST this often


Append = Callable[[JournalEvent], Awaitable[RecordedEvent]]


class OrderFlow:
    """Submits, settles, follows and cancels the orders of one run (the executor drives phases).

    Every fact goes to the journal first (`append`), then into the fold; nothing is sent for a
    leg whose `order_intent` is not committed, and an ambiguous answer is settled by a look-up.
    An order's status and its fills are always one journal event (one commit).
    """

    def __init__(
        self,
        gateway: BrokerGateway,
        folder: RunFolder,
        append: Append,
        changed: asyncio.Event,
        tuning: ExecutorTuning,
        halting: Callable[[], bool],
        halt: Callable[[str], None],
        clock: Callable[[], float],
    ) -> None:
        self.gateway = gateway
        self.folder = folder
        self._append = append
        self._changed = changed
        self.tuning = tuning
        self._halting = halting
        self._halt = halt
        self._clock = clock
        self.resubmit: set[str] = set()
        self.stream_silent = False

    # ---- submits --------------------------------------------------------------------------

    async def submit(self, leg: LegState) -> None:
        """Journal the intent (once), then send the order; settle any ambiguous answer."""
        self.resubmit.discard(leg.client_order_id)
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
            # A refusal is final at once: never 'unknown', never waiting for the phase timeout.
            log.warning("order_refused", client_order_id=coid, reason=exc.reason)
            await self._append(
                OrderUpdate(
                    client_order_id=coid,
                    broker_order_id="",
                    status=OrderStatus.REJECTED,
                    filled_qty=leg.filled_qty,
                    filled_avg_price=None,
                    event="rejected",
                    reason=exc.reason,
                    source="submit",
                )
            )
            return
        except AuthenticationError as exc:
            # Not a refusal of this order (DESIGN §4): the keys are refused, so nothing was
            # placed and nothing more can be. Stop the run; the halt settles what is open.
            log.error("submit_credentials_refused", client_order_id=coid, error=str(exc))
            self._halt(f"the broker refused the credentials mid-run ({exc})")
            return
        except BrokerError as exc:
            log.warning("submit_outcome_unknown", client_order_id=coid, error=str(exc))
            if allow_resubmit:  # journal the ambiguity once, not again on the second send
                await self._append(
                    OrderUnknown(client_order_id=coid, reason=f"{type(exc).__name__}: {exc}")
                )
            await self._resolve(coid, str(exc), allow_resubmit=allow_resubmit)
            return
        await self.record(snapshot, source="submit")

    # ---- recording --------------------------------------------------------------------------

    async def record(self, snap: OrderSnapshot, *, source: str) -> None:
        """Journal what the broker says of an order: one event with its status and fills."""
        leg = self.folder.leg(snap.client_order_id)
        if leg is None:
            return
        reason = snap.reason
        if snap.status is OrderStatus.CANCELED and reason is None:
            reason = self.folder.cancel_reason(snap.client_order_id)
        if not leg.submitted:
            await self._append(
                OrderSubmitted(
                    client_order_id=snap.client_order_id,
                    broker_order_id=snap.broker_order_id,
                    status=snap.status,
                    via="submit"
                    if source == "submit"
                    else "stream"
                    if source == "stream"
                    else "lookup",
                    filled_qty=snap.filled_qty,
                    filled_avg_price=snap.filled_avg_price,
                    reason=reason,
                )
            )
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
                reason=reason,
                source="stream"
                if source == "stream"
                else ("lookup" if source in ("lookup", "reconcile") else "submit"),
            )
        )

    # ---- look-ups and reconciliation --------------------------------------------------------

    async def lookup(self, coid: str) -> tuple[bool, OrderSnapshot | None]:
        """(answered, snapshot) for a client order id; transient failures retried by the gateway."""
        try:
            return True, await self.gateway.get_order_by_client_id(coid)
        except BrokerError as exc:
            log.warning("lookup_failed", client_order_id=coid, error=str(exc))
            return False, None

    async def _resolve(self, coid: str, why: str, *, allow_resubmit: bool) -> None:
        """Settle an ambiguous submit by looking the order up (never by blind resubmission)."""
        answered, snap = await self.lookup(coid)
        if snap is not None:
            await self.record(snap, source="lookup")
            return
        if answered and allow_resubmit and not self._halting():
            # The broker has no such order: the request never landed. The same id is safe to
            # send once more; a duplicate answer would send us back here through a look-up.
            leg = self.folder.leg(coid)
            if leg is not None:
                log.info("resubmit_after_absent_lookup", client_order_id=coid)
                await self._send(leg, allow_resubmit=False)
                return
        log.error("order_unresolved", client_order_id=coid, why=why)

    def needs_reconcile(self, leg: LegState) -> bool:
        """An intent whose final state is not known, or a terminal leg whose fills look lost."""
        if not leg.intent:
            return False
        if not leg.is_terminal:
            return True
        # Defence in depth (journals written before status and fills were one commit): a leg
        # recorded filled with nothing filled, or with fills but no average price.
        if leg.status == OrderStatus.FILLED.value and leg.filled_qty == 0:
            return True
        return leg.filled_qty > 0 and leg.filled_avg_price is None

    async def reconcile(self, started_at: datetime, *, include_unsent: bool) -> bool:
        """One pass: list the run's orders once and record what changed; True if answered.

        Intents the list does not show are looked up one by one only when resuming
        (`include_unsent`): an absent, never-acknowledged one is then re-sent under its id.
        """
        wanted = [leg for leg in self.folder.legs() if self.needs_reconcile(leg)]
        if not wanted:
            return True
        try:
            listed = await self.gateway.list_orders(open_only=False, after=started_at - CLOCK_SKEW)
        except BrokerError as exc:
            log.warning("reconcile_failed", error=str(exc))
            return False
        by_coid = {snap.client_order_id: snap for snap in listed}
        for leg in wanted:
            snap = by_coid.get(leg.client_order_id)
            if snap is not None:
                await self.record(snap, source="reconcile")
                continue
            if not include_unsent:
                continue
            answered, found = await self.lookup(leg.client_order_id)
            if found is not None:
                await self.record(found, source="lookup")
            elif answered and leg.status in (PENDING, UNKNOWN):
                self.resubmit.add(leg.client_order_id)
        return True

    async def consume_updates(self) -> None:
        """Record every stream update (a failure to record one is logged, never fatal)."""
        async for snap in self.gateway.updates():
            try:
                if self.stream_silent:
                    self.stream_silent = False
                    await self._append(
                        StreamStatus(state="restored", detail="order updates resumed")
                    )
                await self.record(snap, source="stream")
            except Exception:
                log.exception("update_not_recorded", client_order_id=snap.client_order_id)

    # ---- cancels ----------------------------------------------------------------------------

    async def cancel(self, coids: list[str], why: str, started_at: datetime) -> list[str]:
        """Cancel open orders, wait for confirmations, reconcile; return those still open."""
        unrecorded: Exception | None = None
        for coid in coids:
            leg = self.folder.leg(coid)
            if leg is None or leg.is_terminal:
                continue
            broker_id = leg.broker_order_id
            if not broker_id:
                answered, snap = await self.lookup(coid)
                if snap is None:
                    if answered:  # the broker has no such order: nothing works, nothing to send
                        log.warning("order_never_placed", client_order_id=coid, why=why)
                        reason = "halted" if why == "halt" else "not_submitted"
                        await self._append(OrderNotPlaced(client_order_id=coid, reason=reason))
                    continue
                await self.record(snap, source="lookup")
                broker_id = snap.broker_order_id
                if snap.status.is_terminal:
                    continue
            # Journaled first: the why survives a crash before the cancel is confirmed.
            try:
                await self._append(CancelRequested(client_order_id=coid, reason=why))
            except Exception as exc:  # a failed journal: the cancel still goes out, then we stop
                unrecorded = unrecorded or exc
            try:
                await self.gateway.cancel_order(broker_id)
            except BrokerError as exc:
                log.warning("cancel_failed", client_order_id=coid, error=str(exc))
        if unrecorded is not None:
            raise unrecorded
        # One listing at once: an order that filled before its cancel (the answer "not
        # cancelable") or whose cancel is already done ends here without waiting the grace.
        await self.reconcile(started_at, include_unsent=False)
        deadline = self._clock() + self.tuning.cancel_grace
        while self._clock() < deadline:
            if not self._still_open(coids):
                return []
            self._changed.clear()
            try:
                # Without a live stream nothing would wake us: look again every rest_poll.
                wait = deadline - self._clock()
                if not self.gateway.updates_live:
                    wait = min(wait, self.tuning.rest_poll)
                async with asyncio.timeout(max(0.0, wait)):
                    await self._changed.wait()
            except TimeoutError:
                if self.gateway.updates_live:
                    break
                await self.reconcile(started_at, include_unsent=False)
        await self.reconcile(started_at, include_unsent=False)
        return self._still_open(coids)

    def _still_open(self, coids: list[str]) -> list[str]:
        open_now = []
        for coid in coids:
            leg = self.folder.leg(coid)
            if leg is not None and leg.intent and not leg.is_terminal:
                open_now.append(coid)
        return open_now

"""fold(events) -> RunState: the pure fold shared by the live monitor, the executor and replay.

Events are matched exhaustively (`match` + `assert_never`): a new event kind is a type error.
A leg's status moves only along LegStatus's transition table; an update that may not follow
(updates arrive out of order) keeps the status, is logged and counted in `RunFolder.ignored`,
and still completes the leg's fills.

Hot path: while events are applied, a changed leg lives in a mutable `_Work` record (a few
attribute writes per order update); the frozen LegState is built only when someone asks for
the leg or the state, once per change, not once per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, assert_never

import structlog

from console.domain.events import (
    ApprovalGiven,
    CancelRequested,
    FundingRecomputed,
    OrderIntent,
    OrderNotPlaced,
    OrderSubmitted,
    OrderUnknown,
    OrderUpdate,
    PhaseCompleted,
    PhaseStarted,
    RecordedEvent,
    RunCompleted,
    RunHalted,
    RunStarted,
    RunUnfinished,
    StreamStatus,
)
from console.domain.legstatus import TRANSITIONS, LegStatus
from console.domain.orders import OrderSpec, OrderStatus, Side
from console.domain.preview_model import Leg, PreviewStatus
from console.domain.runstate import Incident, LegState, Phase, RunState, RunStatus

log = structlog.get_logger(__name__)

_OF_ORDER = {status: LegStatus.of(status) for status in OrderStatus}
_new = object.__new__
_SET: tuple[Any, ...] = tuple(LegState.__dict__[f.name].__set__ for f in fields(LegState) if f.init)
_SET_NOTIONAL: Any = LegState.__dict__["_notional"].__set__


@dataclass(frozen=True, slots=True)
class IgnoredTransition:
    """A status update the transition table refused (the leg kept its status)."""

    seq: int
    client_order_id: str
    current: LegStatus
    refused: LegStatus


class _Work:
    """A leg's fields while events change it; `freeze()` gives the LegState (cached)."""

    __slots__ = (
        "broker_order_id",
        "client_order_id",
        "current_weight",
        "est_notional",
        "est_qty",
        "filled_avg_price",
        "filled_qty",
        "frozen",
        "intent",
        "last_seq",
        "order",
        "planned_amount",
        "price",
        "reason",
        "scaled_amount",
        "side",
        "status",
        "submitted",
        "symbol",
        "target_weight",
        "updated_at",
    )

    def __init__(self, leg: LegState) -> None:
        self.client_order_id: str = leg.client_order_id
        self.symbol: str = leg.symbol
        self.side: Side = leg.side
        self.planned_amount: Decimal = leg.planned_amount
        self.scaled_amount: Decimal = leg.scaled_amount
        self.price: Decimal | None = leg.price
        self.order: OrderSpec | None = leg.order
        self.est_qty: Decimal | None = leg.est_qty
        self.est_notional: Decimal | None = leg.est_notional
        self.current_weight: Decimal = leg.current_weight
        self.target_weight: Decimal = leg.target_weight
        self.status: LegStatus = leg.status
        self.reason: str | None = leg.reason
        self.broker_order_id: str | None = leg.broker_order_id
        self.filled_qty: Decimal = leg.filled_qty
        self.filled_avg_price: Decimal | None = leg.filled_avg_price
        self.submitted: bool = leg.submitted
        self.intent: bool = leg.intent
        self.updated_at: datetime | None = leg.updated_at
        self.last_seq: int | None = leg.last_seq
        self.frozen: LegState | None = leg

    def freeze(self) -> LegState:
        """The immutable LegState of the current fields (built once per change)."""
        frozen = self.frozen
        if frozen is None:
            # The slots' own setters: the frozen dataclass's __init__ at half the cost.
            frozen = _new(LegState)
            _SET[0](frozen, self.client_order_id)
            _SET[1](frozen, self.symbol)
            _SET[2](frozen, self.side)
            _SET[3](frozen, self.planned_amount)
            _SET[4](frozen, self.scaled_amount)
            _SET[5](frozen, self.price)
            _SET[6](frozen, self.order)
            _SET[7](frozen, self.est_qty)
            _SET[8](frozen, self.est_notional)
            _SET[9](frozen, self.current_weight)
            _SET[10](frozen, self.target_weight)
            _SET[11](frozen, self.status)
            _SET[12](frozen, self.reason)
            _SET[13](frozen, self.broker_order_id)
            _SET[14](frozen, self.filled_qty)
            _SET[15](frozen, self.filled_avg_price)
            _SET[16](frozen, self.submitted)
            _SET[17](frozen, self.intent)
            _SET[18](frozen, self.updated_at)
            _SET[19](frozen, self.last_seq)
            _SET_NOTIONAL(frozen, None)
            self.frozen = frozen
        return frozen


def _leg_from_preview(leg: Leg) -> LegState:
    status = LegStatus.PENDING if leg.status is PreviewStatus.READY else LegStatus(leg.status.value)
    return LegState(
        client_order_id=leg.client_order_id,
        symbol=leg.symbol,
        side=leg.side,
        planned_amount=leg.planned_amount,
        scaled_amount=leg.scaled_amount,
        price=leg.price,
        order=leg.order,
        est_qty=leg.est_qty,
        est_notional=leg.est_notional,
        current_weight=leg.current_weight,
        target_weight=leg.target_weight,
        status=status,
        reason=leg.reason.value if leg.reason is not None else None,
    )


class RunFolder:
    """Applies events one at a time; `state()` gives the frozen RunState (pure, no I/O).

    `log_ignored=False` keeps refused transitions out of the log (replay's seeks re-apply
    events the index build already logged); they are counted in `ignored` either way.
    """

    def __init__(self, *, log_ignored: bool = True) -> None:
        self._start: RunStarted | None = None
        self._run_id = ""
        self._started_at: datetime | None = None
        self._legs: dict[str, LegState] = {}  # frozen legs; `_changed` ones are stale
        self._work: dict[str, _Work] = {}
        self._changed: list[_Work] = []  # work records changed since `_legs` was brought up
        self._status: RunStatus = "running"
        self._phase: Phase = "approval"
        self._recomputed: FundingRecomputed | None = None
        self._approvals: list[ApprovalGiven] = []
        self._halted: str | None = None
        self._cancel_why: dict[str, str] = {}  # why the executor asked to cancel, per order
        self._incidents: list[Incident] = []
        self._stream = "ok"
        self._at_seq = 0
        self._count = 0
        self.log_ignored = log_ignored
        self.ignored: list[IgnoredTransition] = []

    def copy(self) -> RunFolder:
        """An independent copy (frozen legs are shared; work records are frozen first)."""
        self._settle()
        clone = RunFolder.__new__(RunFolder)
        clone.__dict__.update(self.__dict__)
        clone._legs = dict(self._legs)
        clone._work = {}
        clone._changed = []
        clone._approvals = list(self._approvals)
        clone._cancel_why = dict(self._cancel_why)
        clone._incidents = list(self._incidents)
        clone.ignored = list(self.ignored)
        return clone

    def _settle(self) -> None:
        """Bring `_legs` up to date: freeze the work records changed since the last time."""
        changed = self._changed
        if changed:
            legs = self._legs
            for work in changed:
                legs[work.client_order_id] = work.freeze()
            changed.clear()

    @property
    def at_seq(self) -> int:
        """Seq of the last applied event."""
        return self._at_seq

    @property
    def started(self) -> bool:
        """True once run_started was applied."""
        return self._start is not None

    def leg(self, client_order_id: str) -> LegState | None:
        """The current state of one leg (O(1))."""
        work = self._work.get(client_order_id)
        if work is not None:
            return work.freeze()
        return self._legs.get(client_order_id)

    def cancel_reason(self, client_order_id: str) -> str | None:
        """Why the executor last asked to cancel this order (`cancel_requested`), if it did."""
        return self._cancel_why.get(client_order_id)

    def legs(self) -> list[LegState]:
        """Every leg, in preview order (changed legs are frozen once, then shared)."""
        self._settle()
        return list(self._legs.values())

    def _leg_tuple(self) -> tuple[LegState, ...]:
        self._settle()
        return tuple(self._legs.values())

    def _working(self, coid: str) -> _Work | None:
        work = self._work.get(coid)
        if work is None:
            leg = self._legs.get(coid)
            if leg is None:
                return None
            work = self._work[coid] = _Work(leg)
        return work

    def apply(self, recorded: RecordedEvent) -> None:
        """Fold one event in."""
        event = recorded.event
        self._at_seq = recorded.seq
        self._count += 1
        match event:
            case OrderUpdate() | OrderSubmitted():  # by far the most frequent: matched first
                self._apply_order(
                    recorded,
                    event.client_order_id,
                    event.broker_order_id,
                    event.status,
                    event.filled_qty,
                    event.filled_avg_price,
                    event.reason,
                    acknowledged=type(event) is OrderSubmitted,
                )
                if event.status is OrderStatus.REJECTED:
                    leg = self._legs.get(event.client_order_id)
                    self._incident(
                        recorded,
                        "rejected",
                        leg.symbol if leg else None,
                        f"{event.client_order_id} rejected"
                        + (f": {event.reason}" if event.reason else ""),
                    )
            case RunStarted():
                self._start = event
                self._run_id = recorded.run_id
                self._started_at = recorded.ts
                self._legs = {leg.client_order_id: _leg_from_preview(leg) for leg in event.legs}
                self._work = {}
                self._changed = []
            case ApprovalGiven():
                self._approvals.append(event)
                if event.scope == "buy_phase":
                    self._incident(
                        recorded,
                        "reapproval",
                        None,
                        f"buy phase re-approved at scale {event.scale}",
                    )
            case PhaseStarted():
                self._phase = "sell" if event.phase is Side.SELL else "buy"
            case PhaseCompleted():
                self._phase = "between" if event.phase is Side.SELL else "done"
            case OrderIntent():
                work = self._working(event.client_order_id)
                if work is not None:
                    work.intent = True
                    work.order = event.order
                    self._move(work, LegStatus.PENDING, recorded)
                    self._touch(work, recorded)
            case OrderUnknown():
                work = self._working(event.client_order_id)
                if work is not None and self._move(work, LegStatus.UNKNOWN, recorded):
                    self._touch(work, recorded)
                self._incident(recorded, "unknown", work.symbol if work else None, event.reason)
            case OrderNotPlaced():
                work = self._working(event.client_order_id)
                if work is not None and self._move(work, LegStatus.SKIPPED, recorded):
                    work.reason = event.reason
                    self._touch(work, recorded)
            case CancelRequested():
                self._cancel_why[event.client_order_id] = event.reason
            case FundingRecomputed():
                self._recomputed = event
                for resized in event.legs:
                    work = self._working(resized.client_order_id)
                    if work is None:
                        continue
                    work.scaled_amount = resized.scaled_amount
                    work.order = resized.order
                    work.est_qty = resized.est_qty
                    work.est_notional = resized.est_notional
                    if resized.skipped_reason is not None and self._move(
                        work, LegStatus.SKIPPED, recorded
                    ):
                        work.reason = resized.skipped_reason.value
                    self._touch(work, recorded)
                if event.needs_reapproval:
                    self._incident(recorded, "reapproval", None, f"buy scale fell to {event.scale}")
            case RunHalted():
                self._halted = event.reason
                self._incident(recorded, "halt", None, event.reason)
            case RunUnfinished():
                working = ", ".join(event.orders) or "none"
                self._incident(
                    recorded,
                    "unfinished",
                    None,
                    f"{event.reason}; orders that may still be working: {working}",
                )
            case StreamStatus():
                self._stream = "ok" if event.state == "restored" else event.state
                if event.state != "restored":
                    self._incident(
                        recorded, f"stream_{event.state}", None, event.detail or event.state
                    )
            case RunCompleted():
                self._status = event.status
                self._phase = "done"
                why = "halted" if event.status == "halted" else "not_submitted"
                for coid in list(self._legs):
                    leg = self.leg(coid)
                    if leg is not None and leg.status is LegStatus.PENDING and not leg.intent:
                        work = self._working(coid)
                        assert work is not None
                        if self._move(work, LegStatus.SKIPPED, recorded):
                            work.reason = why
            case _:
                assert_never(event)

    def _incident(
        self, recorded: RecordedEvent, kind: str, symbol: str | None, message: str
    ) -> None:
        self._incidents.append(
            Incident(seq=recorded.seq, kind=kind, symbol=symbol, message=message)
        )

    def _touch(self, work: _Work, recorded: RecordedEvent) -> None:
        work.updated_at = recorded.ts
        work.last_seq = recorded.seq
        self._changes(work)

    def _changes(self, work: _Work) -> None:
        """The work record is about to change: its frozen leg is stale from here on."""
        if work.frozen is not None:
            work.frozen = None
            self._changed.append(work)

    def _move(self, work: _Work, status: LegStatus, recorded: RecordedEvent) -> bool:
        """Set the status if the table allows it; otherwise keep it, count and log the refusal."""
        current = work.status
        if status in TRANSITIONS[current]:
            work.status = status
            self._changes(work)
            return True
        refused = IgnoredTransition(recorded.seq, work.client_order_id, current, status)
        self.ignored.append(refused)
        if self.log_ignored:
            log.info(
                "leg_transition_ignored",
                seq=refused.seq,
                client_order_id=refused.client_order_id,
                current=current.value,
                refused=status.value,
            )
        return False

    def _apply_order(
        self,
        recorded: RecordedEvent,
        coid: str,
        broker_order_id: str,
        status: OrderStatus,
        filled_qty: Decimal | None,
        avg_price: Decimal | None,
        reason: str | None,
        *,
        acknowledged: bool,
    ) -> None:
        work = self._work.get(coid)  # the hot path of the monitor and of replay
        if work is None:
            work = self._working(coid)
            if work is None:
                return
        work.intent = True
        if broker_order_id:
            work.broker_order_id = broker_order_id
        if acknowledged:
            work.submitted = True
        target = _OF_ORDER[status]
        if target is not work.status:
            self._move(work, target, recorded)
        # A terminal leg's fills may still be completed; fills never shrink.
        if filled_qty is not None and filled_qty >= work.filled_qty:
            work.filled_qty = filled_qty
            if avg_price is not None:
                work.filled_avg_price = avg_price
        if reason:
            work.reason = reason
        work.updated_at = recorded.ts
        work.last_seq = recorded.seq
        if work.frozen is not None:  # _changes, inlined on the hot path
            work.frozen = None
            self._changed.append(work)

    def state(self) -> RunState:
        """The frozen RunState after every applied event."""
        start = self._start
        if start is None or self._started_at is None:
            raise ValueError("the events do not begin with run_started")
        # Every field below is already typed by the events and the fold: no re-validation.
        return RunState.model_construct(
            run_id=self._run_id,
            plan_id=start.plan_id,
            plan_digest=start.plan_digest,
            preview_digest=start.preview_digest,
            attempt=start.attempt,
            broker=start.broker,
            mode=start.mode,
            account_id=start.account_id,
            plan_source=start.plan_source,
            equity=start.equity,
            started_at=self._started_at,
            status=self._status,
            phase=self._phase,
            legs=self._leg_tuple(),
            holds=start.holds,
            funding=start.funding,
            recomputed=self._recomputed,
            approvals=tuple(self._approvals),
            halted_reason=self._halted,
            incidents=tuple(self._incidents),
            stream=self._stream,
            at_seq=self._at_seq,
            event_count=self._count,
        )


def fold(events: Iterable[RecordedEvent]) -> RunState:
    """Fold a run's events (in seq order) into its RunState."""
    folder = RunFolder()
    for recorded in events:
        folder.apply(recorded)
    return folder.state()

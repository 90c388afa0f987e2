"""RunState and the pure fold(events) -> RunState shared by the live monitor and replay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from console.domain.events import (
    ApprovalGiven,
    FundingRecomputed,
)
from console.domain.legstatus import LegStatus
from console.domain.market import Frozen
from console.domain.money import ZERO, add, cents_half_up, mul, plain_str
from console.domain.orders import OrderSpec, Side
from console.domain.preview_model import Funding

FinalStatus = Literal["succeeded", "partial", "failed", "halted"]
RunStatus = Literal["running", "succeeded", "partial", "failed", "halted"]
Phase = Literal["approval", "sell", "between", "buy", "done"]

# Leg statuses beyond the broker's: not yet acknowledged, unresolved, never sent.
PENDING = LegStatus.PENDING
UNKNOWN = LegStatus.UNKNOWN
NEVER_SENT = frozenset({LegStatus.SKIPPED, LegStatus.BLOCKED})
_ZERO_CENTS = cents_half_up(ZERO)


@dataclass(frozen=True, slots=True)
class LegState:
    """One leg of a run at one moment (immutable; the fold builds a new one when it changes)."""

    client_order_id: str
    symbol: str
    side: Side
    planned_amount: Decimal
    scaled_amount: Decimal
    price: Decimal | None
    order: OrderSpec | None
    est_qty: Decimal | None
    est_notional: Decimal | None
    current_weight: Decimal
    target_weight: Decimal
    status: LegStatus
    reason: str | None
    broker_order_id: str | None = None
    filled_qty: Decimal = ZERO
    filled_avg_price: Decimal | None = None
    submitted: bool = False
    intent: bool = False
    updated_at: datetime | None = None
    last_seq: int | None = None
    # filled_notional, computed on first use (a pure function of the fields above).
    _notional: Decimal | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def filled_notional(self) -> Decimal:
        """Actual filled notional: filled_qty x avg price, half-up to cents (computed once)."""
        notional = self._notional
        if notional is None:
            if self.filled_avg_price is None:
                notional = _ZERO_CENTS
            else:
                notional = cents_half_up(mul(self.filled_qty, self.filled_avg_price))
            object.__setattr__(self, "_notional", notional)  # a cache, like cached_property
        return notional

    @property
    def is_terminal(self) -> bool:
        """Filled/canceled/rejected/expired (and replaced/done_for_day), or never sent."""
        return self.status.is_terminal


class Incident(Frozen):
    """An event worth jumping to in replay: reject, unknown outcome, halt, re-approval, silence."""

    seq: int
    kind: str
    symbol: str | None
    message: str


class RunState(Frozen):
    """A run folded from its journal events up to `at_seq`."""

    run_id: str
    plan_id: str
    plan_digest: str
    preview_digest: str
    attempt: int
    broker: str
    mode: str
    account_id: str
    plan_source: str
    equity: Decimal
    started_at: datetime
    status: RunStatus
    phase: Phase
    legs: tuple[LegState, ...]
    holds: tuple[str, ...]
    funding: Funding
    recomputed: FundingRecomputed | None
    approvals: tuple[ApprovalGiven, ...]
    halted_reason: str | None
    incidents: tuple[Incident, ...]
    stream: str
    at_seq: int
    event_count: int

    @property
    def sell_proceeds(self) -> Decimal:
        """Sum of the sells' actual filled notional."""
        return cents_half_up(
            add(*(leg.filled_notional for leg in self.legs if leg.side is Side.SELL))
        )

    @property
    def buy_spent(self) -> Decimal:
        """Sum of the buys' actual filled notional."""
        return cents_half_up(
            add(*(leg.filled_notional for leg in self.legs if leg.side is Side.BUY))
        )

    def leg(self, client_order_id: str) -> LegState | None:
        """The leg with this client order id."""
        for leg in self.legs:
            if leg.client_order_id == client_order_id:
                return leg
        return None

    @property
    def finished(self) -> bool:
        """True once run_completed was recorded."""
        return self.status != "running"


def derive_status(legs: Iterable[LegState], halted: bool) -> FinalStatus:
    """succeeded / partial / failed / halted from the legs that were submitted."""
    if halted:
        return "halted"
    sent = [leg for leg in legs if leg.intent]
    if not sent:
        return "succeeded"
    if all(leg.status is LegStatus.FILLED for leg in sent):
        return "succeeded"
    if any(leg.filled_qty > 0 for leg in sent):
        return "partial"
    return "failed"


def leg_json(leg: LegState) -> dict[str, Any]:
    """A leg in the `run --format json` shape."""
    return {
        "client_order_id": leg.client_order_id,
        "symbol": leg.symbol,
        "side": leg.side.value,
        "planned_amount": plain_str(leg.planned_amount),
        "order": leg.order.to_json() if leg.order is not None else None,
        "status": leg.status.value,
        "reason": None if leg.status is LegStatus.FILLED else leg.reason,
        "filled_qty": plain_str(leg.filled_qty),
        "filled_avg_price": plain_str(leg.filled_avg_price)
        if leg.filled_avg_price is not None
        else None,
        "filled_notional": plain_str(leg.filled_notional),
    }


def run_state_json(state: RunState) -> dict[str, Any]:
    """The RunState in the `run --format json` shape (without broker_requests)."""
    return {
        "run_id": state.run_id,
        "status": state.status,
        "legs": [leg_json(leg) for leg in state.legs],
        "sell_proceeds": plain_str(state.sell_proceeds),
        "buy_spent": plain_str(state.buy_spent),
    }


def reported_status(status: str, *, executing: bool, at_end: bool = True) -> str:
    """A run's status as reports show it: `unfinished` when stopped without run_completed.

    At the end of its record, no run_completed and no live executor means orders may still be
    working; `run` resumes it. Before the end (replay's cursor) the status is the fold's.
    """
    return "unfinished" if at_end and status == "running" and not executing else status

"""Journal event types: immutable facts of a run, folded into RunState (DESIGN §5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from console.domain.market import Frozen
from console.domain.orders import OrderSpec, OrderStatus, Side
from console.domain.preview_model import Funding, Leg, Reason


class RunStarted(Frozen):
    """A run began: the approved preview's legs and funding, frozen."""

    kind: Literal["run_started"] = "run_started"
    plan_id: str
    plan_digest: str
    preview_digest: str
    attempt: int
    broker: str
    mode: str
    account_id: str
    plan_source: str
    equity: Decimal
    legs: tuple[Leg, ...]
    holds: tuple[str, ...]
    funding: Funding
    settings: dict[str, str]


class ApprovalGiven(Frozen):
    """The operator (or `--yes`) approved exactly this preview digest / buy scale."""

    kind: Literal["approval"] = "approval"
    preview_digest: str
    approved_by: str
    scope: Literal["run", "buy_phase"] = "run"
    scale: Decimal


class PhaseStarted(Frozen):
    """A phase began submitting."""

    kind: Literal["phase_started"] = "phase_started"
    phase: Side


class OrderIntent(Frozen):
    """Write-ahead: this order is about to be submitted (committed before the request)."""

    kind: Literal["order_intent"] = "order_intent"
    client_order_id: str
    symbol: str
    side: Side
    order: OrderSpec


class OrderSubmitted(Frozen):
    """The broker acknowledged the order (or a look-up found it), with its fills so far.

    Status and fills travel in this one event (one journal commit): a crash can never leave a
    leg terminal with its fills missing. Journals from before carry no fills (None).
    """

    kind: Literal["order_submitted"] = "order_submitted"
    client_order_id: str
    broker_order_id: str
    status: OrderStatus
    via: Literal["submit", "lookup", "stream"] = "submit"
    filled_qty: Decimal | None = None
    filled_avg_price: Decimal | None = None
    reason: str | None = None


class OrderUpdate(Frozen):
    """A change of an order: status, cumulative fill, average price, broker event."""

    kind: Literal["order_update"] = "order_update"
    client_order_id: str
    broker_order_id: str
    status: OrderStatus
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    event: str | None = None
    reason: str | None = None
    source: Literal["stream", "lookup", "submit", "reconcile", "operator"] = "stream"


class OrderNotPlaced(Frozen):
    """The broker has no order under an intent's id: none was placed, and none will be sent."""

    kind: Literal["order_not_placed"] = "order_not_placed"
    client_order_id: str
    reason: str  # the never-sent leg's reason code: halted or not_submitted


class CancelRequested(Frozen):
    """Write-ahead: the executor is about to ask the broker to cancel this order, and why.

    The why (`phase_timeout`, `halt`, `operator`) becomes the canceled leg's reason, also when
    the cancel is confirmed only by a later resume.
    """

    kind: Literal["cancel_requested"] = "cancel_requested"
    client_order_id: str
    reason: str


class OrderUnknown(Frozen):
    """A submit whose outcome could not be established (timeout, ambiguous error)."""

    kind: Literal["order_unknown"] = "order_unknown"
    client_order_id: str
    reason: str
    resolved: bool = False


class LegResized(Frozen):
    """A buy leg's order after the between-phase funding recomputation."""

    client_order_id: str
    scaled_amount: Decimal
    order: OrderSpec | None
    est_qty: Decimal | None
    est_notional: Decimal | None
    skipped_reason: Reason | None


class FundingRecomputed(Frozen):
    """Funding from actual sell fills and current buying power; the buy legs as resized."""

    kind: Literal["funding_recomputed"] = "funding_recomputed"
    sell_proceeds: Decimal
    buying_power_before: Decimal
    buying_power_now: Decimal
    cash_now: Decimal | None = None  # None in journals from before cash-only funding
    spendable_now: Decimal | None = None
    reserve: Decimal
    available_for_buys: Decimal
    planned_buys: Decimal
    approved_scale: Decimal
    scale: Decimal
    needs_reapproval: bool
    legs: tuple[LegResized, ...]


class PhaseCompleted(Frozen):
    """A phase ended; `timed_out` lists orders still open at the timeout (then canceled)."""

    kind: Literal["phase_completed"] = "phase_completed"
    phase: Side
    timed_out: tuple[str, ...] = ()


class RunHalted(Frozen):
    """The kill switch: no more submits, open orders canceled."""

    kind: Literal["run_halted"] = "run_halted"
    reason: str


class RunUnfinished(Frozen):
    """The executing process stopped without run_completed: why, and the orders that may work.

    Not written when the process dies (a crash, SIGKILL) or when the journal itself failed.
    """

    kind: Literal["run_unfinished"] = "run_unfinished"
    reason: str
    orders: tuple[str, ...] = ()


class StreamStatus(Frozen):
    """The order-update stream went silent, dropped, or came back."""

    kind: Literal["stream_status"] = "stream_status"
    state: Literal["silent", "dropped", "restored"]
    detail: str = ""


class RunCompleted(Frozen):
    """The run finished with this status and these actual totals."""

    kind: Literal["run_completed"] = "run_completed"
    status: Literal["succeeded", "partial", "failed", "halted"]
    sell_proceeds: Decimal
    buy_spent: Decimal


JournalEvent = Annotated[
    RunStarted
    | ApprovalGiven
    | PhaseStarted
    | OrderIntent
    | OrderSubmitted
    | OrderUpdate
    | OrderUnknown
    | OrderNotPlaced
    | CancelRequested
    | FundingRecomputed
    | PhaseCompleted
    | RunHalted
    | RunUnfinished
    | StreamStatus
    | RunCompleted,
    Field(discriminator="kind"),
]

_ADAPTER: TypeAdapter[JournalEvent] = TypeAdapter(JournalEvent)

EVENT_KINDS = (
    "run_started",
    "approval",
    "phase_started",
    "order_intent",
    "order_submitted",
    "order_update",
    "order_unknown",
    "order_not_placed",
    "cancel_requested",
    "funding_recomputed",
    "phase_completed",
    "run_halted",
    "run_unfinished",
    "stream_status",
    "run_completed",
)


class RecordedEvent(Frozen):
    """An event as stored in the journal: its journal-wide seq, run and UTC time."""

    seq: int
    run_id: str
    ts: datetime
    event: JournalEvent


def event_payload(event: JournalEvent) -> dict[str, Any]:
    """The JSON-ready payload of an event (decimals as strings)."""
    payload: dict[str, Any] = event.model_dump(mode="json")
    return payload


def event_from_payload(payload: dict[str, Any]) -> JournalEvent:
    """Rebuild an event from its stored JSON payload."""
    return _ADAPTER.validate_python(payload, strict=False)

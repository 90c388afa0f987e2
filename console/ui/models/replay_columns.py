"""Declarative columns of the replay's run list and event log."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from console.domain.events import (
    ApprovalGiven,
    FundingRecomputed,
    OrderIntent,
    OrderSubmitted,
    OrderUnknown,
    OrderUpdate,
    PhaseCompleted,
    PhaseStarted,
    RecordedEvent,
    RunCompleted,
    RunHalted,
    RunStarted,
    StreamStatus,
)
from console.engine.ports import RunSummary
from console.ui import fmt
from console.ui.models.table_model import CENTER, RIGHT, Column, RecordTableModel


class RunListModel(RecordTableModel[RunSummary]):
    """The journal's runs, with how far each is covered by the verified hash chain."""

    def __init__(self, parent: QObject | None = None) -> None:
        self._limit: int | None = None
        super().__init__(run_columns(lambda: self._limit), key=lambda r: r.run_id, parent=parent)

    def set_verified_upto(self, limit: int | None) -> None:
        """The last verified seq (None: the whole journal); call before set_rows."""
        self._limit = limit


def _chain(run: RunSummary, limit: int | None) -> str:
    if limit is None or run.last_seq <= limit:
        return "verified"
    if run.first_seq > limit:
        return "after bad seq"
    return f"verified to {limit}"


def run_columns(verified_upto: Callable[[], int | None] = lambda: None) -> list[Column[RunSummary]]:
    """Columns of the journal's run list (status and totals past a bad seq are unverified)."""
    return [
        Column(
            "chain",
            "Chain",
            value=lambda r: _chain(r, verified_upto()),
            foreground=lambda r: fmt.RED if _chain(r, verified_upto()) != "verified" else None,
            width=120,
        ),
        Column("started", "Started (UTC)", value=lambda r: r.started_at[:19], width=150),
        Column("plan", "Plan", value=lambda r: r.plan_id, width=170),
        Column("attempt", "Att", value=lambda r: r.attempt, align=RIGHT, width=40),
        Column("broker", "Broker / mode", value=lambda r: f"{r.broker} / {r.mode}", width=100),
        Column(
            "status",
            "Status",
            value=lambda r: r.status,
            foreground=lambda r: fmt.STATUS_COLOURS.get(r.status),
            status=True,
            width=80,
        ),
        Column("legs", "Legs", value=lambda r: r.legs, align=RIGHT, width=50),
        Column(
            "filled",
            "Filled notional",
            value=lambda r: r.filled_notional,
            fmt=fmt.money,
            align=RIGHT,
            width=120,
        ),
        Column(
            "seqs",
            "Seqs",
            value=lambda r: r.first_seq,
            display=lambda r: f"{r.first_seq}–{r.last_seq}",
            align=CENTER,
            width=110,
        ),
        Column("run", "Run id", value=lambda r: r.run_id, width=250),
    ]


def event_subject(recorded: RecordedEvent) -> str:
    """The order (or phase) an event is about."""
    event = recorded.event
    if isinstance(event, OrderIntent | OrderSubmitted | OrderUpdate | OrderUnknown):
        return event.client_order_id
    if isinstance(event, PhaseStarted | PhaseCompleted):
        return f"{event.phase.value} phase"
    return ""


def event_details(recorded: RecordedEvent) -> str:
    """A one-line description of an event (exact decimals, formatted for the view)."""
    e = recorded.event
    if isinstance(e, RunStarted):
        return f"plan {e.plan_id} · {len(e.legs)} legs · {e.broker}/{e.mode} · attempt {e.attempt}"
    if isinstance(e, ApprovalGiven):
        return f"{e.scope} approved by {e.approved_by} at scale {e.scale}"
    if isinstance(e, OrderIntent):
        return f"{e.side.value} {e.symbol} {fmt.order(e.order)}"
    if isinstance(e, OrderSubmitted):
        return f"{e.status.value} as {e.broker_order_id} (via {e.via})"
    if isinstance(e, OrderUpdate):
        text = (
            f"{e.status.value} · filled {fmt.qty(e.filled_qty)} @ {fmt.price(e.filled_avg_price)}"
        )
        return text + (f" · {e.reason}" if e.reason else "")
    if isinstance(e, OrderUnknown):
        return f"outcome unknown: {e.reason}"
    if isinstance(e, FundingRecomputed):
        return (
            f"proceeds {fmt.money(e.sell_proceeds)} · available {fmt.money(e.available_for_buys)}"
            f" · scale {e.approved_scale} → {e.scale}"
            + (" · needs re-approval" if e.needs_reapproval else "")
        )
    if isinstance(e, PhaseCompleted):
        return f"timed out: {', '.join(e.timed_out)}" if e.timed_out else "completed"
    if isinstance(e, PhaseStarted):
        return "started"
    if isinstance(e, RunHalted):
        return e.reason
    if isinstance(e, StreamStatus):
        return f"stream {e.state}" + (f": {e.detail}" if e.detail else "")
    assert isinstance(e, RunCompleted)
    return f"{e.status} · sold {fmt.money(e.sell_proceeds)} · bought {fmt.money(e.buy_spent)}"


def event_columns() -> list[Column[RecordedEvent]]:
    """Columns of the replay's event log."""
    return [
        Column("seq", "Seq", value=lambda r: r.seq, align=RIGHT, width=70),
        Column("time", "Time", value=lambda r: r.ts, fmt=fmt.clock_time, width=100),
        Column("kind", "Kind", value=lambda r: r.event.kind, width=140),
        Column("subject", "Order / phase", value=event_subject, width=230),
        Column("details", "Details", value=event_details, width=520),
    ]

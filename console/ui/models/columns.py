"""Declarative column specs, one per table: legs, holds, problems, monitor, summary, errors, log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtGui import QColor

from console.domain.preview_model import Leg, Problem
from console.domain.rows import IssueRow, LogRow, MonitorRow, WeightBar
from console.domain.summary import SummaryRow
from console.ui import fmt
from console.ui.models.table_model import CENTER, RIGHT, Column

R = TypeVar("R")

LEVEL_COLOURS = {
    "debug": fmt.GREY,
    "info": fmt.BLUE,
    "warning": fmt.AMBER,
    "error": fmt.RED,
    "critical": fmt.RED,
}


def _status_fg(status: Callable[[R], str]) -> Callable[[R], QColor | None]:
    return lambda row: fmt.STATUS_COLOURS.get(status(row))


def _status_bg(status: Callable[[R], str]) -> Callable[[R], QColor | None]:
    return lambda row: fmt.STATUS_BACKGROUNDS.get(status(row))


def _status_column(
    status: Callable[[R], str], reason: Callable[[R], str | None], tip: Callable[[R], str | None]
) -> Column[R]:
    return Column(
        "status",
        "Status",
        value=status,
        fmt=str,
        sort_key=status,
        foreground=_status_fg(status),
        background=_status_bg(status),
        tooltip=tip,
        width=190,
        status=True,
        display=lambda row: fmt.status_text(status(row), reason(row)),
    )


def _weights(current: Any, target: Any) -> str:
    return f"{fmt.pct(current)} → {fmt.pct(target)}"


def leg_columns() -> list[Column[Leg]]:
    """Columns of the Sell phase and Buy phase tables (the preview)."""
    return [
        Column("symbol", "Symbol", value=lambda leg: leg.symbol, width=64),
        Column("side", "Side", value=lambda leg: leg.side.value, width=40, align=CENTER),
        Column(
            "weights",
            "Weight now → target",
            value=lambda leg: (leg.current_weight, leg.target_weight),
            fmt=lambda pair: _weights(*pair),
            sort_key=lambda leg: leg.target_weight - leg.current_weight,
            align=RIGHT,
            width=136,
        ),
        Column(
            "planned",
            "Planned amount",
            value=lambda leg: leg.planned_amount,
            fmt=fmt.money,
            align=RIGHT,
            tooltip=lambda leg: (
                f"scaled to {fmt.money(leg.scaled_amount)}"
                if leg.scaled_amount != leg.planned_amount
                else None
            ),
            width=112,
        ),
        Column("price", "Price", value=lambda leg: leg.price, fmt=fmt.price, align=RIGHT, width=78),
        Column(
            "order",
            "Order",
            value=lambda leg: leg.order,
            fmt=fmt.order,
            sort_key=lambda leg: leg.est_notional,
            align=RIGHT,
            width=140,
        ),
        Column(
            "est_qty", "Est qty", value=lambda leg: leg.est_qty, fmt=fmt.qty, align=RIGHT, width=112
        ),
        Column(
            "est_notional",
            "Est notional",
            value=lambda leg: leg.est_notional,
            fmt=fmt.money,
            align=RIGHT,
            width=100,
        ),
        _status_column(
            lambda leg: leg.status.value,
            lambda leg: leg.reason.value if leg.reason is not None else None,
            lambda leg: f"{leg.status.value}: {leg.reason.value}" if leg.reason else None,
        ),
        Column(
            "notes",
            "Notes",
            value=lambda leg: ", ".join(note.value for note in leg.notes),
            fmt=lambda text: text or "",
            width=80,
        ),
        Column("coid", "Client order id", value=lambda leg: leg.client_order_id, width=195),
    ]


def hold_columns() -> list[Column[WeightBar]]:
    """Columns of the Holds table."""
    return [
        Column("symbol", "Symbol", value=lambda bar: bar.symbol, width=90),
        Column("current", "Current weight", value=lambda b: b.current, fmt=fmt.pct, align=RIGHT),
        Column("target", "Target weight", value=lambda b: b.target, fmt=fmt.pct, align=RIGHT),
        Column(
            "diff",
            "Difference",
            value=lambda b: b.target - b.current,
            fmt=fmt.signed_pct,
            align=RIGHT,
        ),
    ]


def problem_columns() -> list[Column[Problem]]:
    """Columns of the Problems table."""
    severity: Callable[[Problem], str] = lambda p: "warning" if p.symbol is None else "leg"  # noqa: E731
    return [
        Column(
            "kind",
            "Kind",
            value=severity,
            foreground=lambda p: fmt.AMBER if p.symbol is None else fmt.RED,
            width=80,
        ),
        Column("code", "Code", value=lambda p: p.code.value, width=170),
        Column("symbol", "Symbol", value=lambda p: p.symbol or "—", width=80),
        Column("message", "Message", value=lambda p: p.message, width=560),
    ]


def monitor_columns() -> list[Column[MonitorRow]]:
    """Columns of the live Order monitor."""
    return [
        Column("time", "Time", value=lambda r: r.first_seen, fmt=fmt.clock_time, width=100),
        Column("coid", "Client order id", value=lambda r: r.leg.client_order_id, width=200),
        Column("symbol", "Symbol", value=lambda r: r.leg.symbol, width=70),
        Column("side", "Side", value=lambda r: r.leg.side.value, align=CENTER, width=50),
        Column(
            "order", "Order", value=lambda r: r.leg.order, fmt=fmt.order, align=RIGHT, width=150
        ),
        Column("filled", "Filled qty", value=lambda r: r.leg.filled_qty, fmt=fmt.qty, align=RIGHT),
        Column(
            "avg",
            "Avg fill price",
            value=lambda r: r.leg.filled_avg_price,
            fmt=fmt.price,
            align=RIGHT,
        ),
        Column(
            "notional",
            "Filled notional",
            value=lambda r: r.leg.filled_notional,
            fmt=fmt.money,
            align=RIGHT,
            width=120,
        ),
        _status_column(
            lambda r: r.leg.status,
            lambda r: r.leg.reason if r.leg.status in ("rejected", "skipped") else None,
            lambda r: r.leg.reason,
        ),
        Column(
            "updated",
            "Last update",
            value=lambda r: r.leg.updated_at,
            fmt=fmt.clock_time,
            width=100,
        ),
    ]


def summary_columns() -> list[Column[SummaryRow]]:
    """Columns of the Summary table."""
    return [
        Column("symbol", "Symbol", value=lambda r: r.symbol, width=70),
        Column("side", "Side", value=lambda r: r.side.value, align=CENTER, width=50),
        _status_column(lambda r: r.status, lambda r: r.reason, lambda r: r.reason),
        Column("pqty", "Planned qty", value=lambda r: r.planned_qty, fmt=fmt.qty, align=RIGHT),
        Column("fqty", "Filled qty", value=lambda r: r.filled_qty, fmt=fmt.qty, align=RIGHT),
        Column(
            "pnot",
            "Planned notional",
            value=lambda r: r.planned_notional,
            fmt=fmt.money,
            align=RIGHT,
            width=120,
        ),
        Column(
            "fnot",
            "Filled notional",
            value=lambda r: r.filled_notional,
            fmt=fmt.money,
            align=RIGHT,
            width=120,
        ),
        Column(
            "pprice", "Preview price", value=lambda r: r.preview_price, fmt=fmt.price, align=RIGHT
        ),
        Column("avg", "Avg fill price", value=lambda r: r.avg_price, fmt=fmt.price, align=RIGHT),
        Column(
            "slip",
            "Slippage",
            value=lambda r: r.slippage,
            fmt=fmt.bps,
            align=RIGHT,
            tooltip=lambda r: (
                f"{fmt.signed_money(r.slippage_cost)} against the preview price (+ = worse)"
                if r.slippage_cost is not None
                else None
            ),
            width=100,
        ),
        Column(
            "drift",
            "Drift after run",
            value=lambda r: r.drift,
            fmt=fmt.signed_pct,
            align=RIGHT,
            tooltip=lambda r: (
                f"weight {fmt.pct(r.weight_after)} vs target {fmt.pct(r.target_weight)}"
                if r.weight_after is not None
                else "no post-run snapshot"
            ),
            width=110,
        ),
    ]


def issue_columns() -> list[Column[IssueRow]]:
    """Columns of the inline error panel."""
    return [
        Column("file", "File", value=lambda r: r.file, width=260),
        Column(
            "item",
            "Item",
            value=lambda r: r.item,
            fmt=lambda v: "—" if v is None else str(v),
            align=RIGHT,
            width=50,
        ),
        Column("field", "Field", value=lambda r: r.field or "(file)", width=160),
        Column("message", "Message", value=lambda r: r.message, width=520),
    ]


def log_columns() -> list[Column[LogRow]]:
    """Columns of the event-log dock."""
    return [
        Column("time", "Time", value=lambda r: r.ts, fmt=fmt.clock_time, width=100),
        Column(
            "level",
            "Level",
            value=lambda r: r.level,
            foreground=lambda r: LEVEL_COLOURS.get(r.level),
            width=70,
            status=True,
        ),
        Column("event", "Event", value=lambda r: r.event, width=200),
        Column("details", "Details", value=lambda r: r.details, width=600),
    ]

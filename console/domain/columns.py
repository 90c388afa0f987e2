"""One declarative column spec per table, read by the window, the CSV export and the terminal.

A `TableSpec` lists each column once: its key (also the CSV header), its header, a value getter
(Decimal, str, int, datetime or None: exact, what CSV writes), a display formatter, alignment,
tooltip and tone. Each rendering picks its columns by key: `window`, `csv` and `terminal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from console.domain import formatting as f
from console.domain.canonical import canonical_json
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
    event_payload,
)
from console.domain.orders import OrderSpec
from console.domain.preview_model import Leg, Problem
from console.domain.reasons import (
    IncidentRow,
    leg_codes,
    leg_notes_text,
    leg_reason_text,
    outcome_code,
    outcome_text,
    run_leg_code,
    run_leg_reason_text,
)
from console.domain.rows import IssueRow, LogRow, MonitorRow, WeightBar
from console.domain.runstate import LegState
from console.domain.summary import SummaryRow

R = TypeVar("R")
S = TypeVar("S")


class Align(StrEnum):
    """Horizontal alignment of a column's cells and header."""

    LEFT = "left"
    RIGHT = "right"
    CENTER = "center"


class Tone(StrEnum):
    """What a cell's colour means; the window maps each tone to a palette-derived colour."""

    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    INFO = "info"
    MUTED = "muted"


STATUS_TONES: dict[str, Tone] = {
    "ready": Tone.GOOD,
    "filled": Tone.GOOD,
    "succeeded": Tone.GOOD,
    "skipped": Tone.WARN,
    "partial": Tone.WARN,
    "partially_filled": Tone.WARN,
    "canceled": Tone.WARN,
    "expired": Tone.WARN,
    "pending": Tone.MUTED,
    "pending_new": Tone.MUTED,
    "new": Tone.INFO,
    "accepted": Tone.INFO,
    "running": Tone.INFO,
    "blocked": Tone.BAD,
    "rejected": Tone.BAD,
    "unknown": Tone.BAD,
    "failed": Tone.BAD,
    "halted": Tone.BAD,
    "unfinished": Tone.BAD,
}
LEVEL_TONES: dict[str, Tone] = {
    "debug": Tone.MUTED,
    "info": Tone.INFO,
    "warning": Tone.WARN,
    "error": Tone.BAD,
    "critical": Tone.BAD,
}


def _text(value: object) -> str:
    return f.NONE if value is None else str(value)


@dataclass(frozen=True)
class ColumnSpec(Generic[R]):
    """How one column reads, spells, aligns, explains, sorts and tones a row."""

    key: str  # stable id and CSV header
    header: str  # the window's (and the terminal's) header
    value: Callable[[R], Any]  # the exact value: Decimal, str, int, datetime or None
    fmt: Callable[[Any], str] = _text  # display spelling of the value
    align: Align = Align.LEFT
    tooltip: Callable[[R], str | None] | None = None
    display: Callable[[R], str] | None = None  # display text built from the whole row
    terminal: Callable[[R], str] | None = None  # the terminal's spelling when it differs
    short: str | None = None  # the terminal's header when it differs
    sort_key: Callable[[R], Any] | None = None
    tone: Callable[[R], Tone | None] | None = None
    shade: bool = False  # tint the cell's background with its tone (status cells)
    status: bool = False  # the column the window's status filter reads
    width: int = 110  # the window's default width in pixels

    def text(self, row: R) -> str:
        """The displayed text of this column for `row`."""
        if self.display is not None:
            return self.display(row)
        return self.fmt(self.value(row))

    def terminal_text(self, row: R) -> str:
        """The text of this column in a terminal table."""
        return self.terminal(row) if self.terminal is not None else self.text(row)

    def csv_cell(self, row: R) -> str:
        """The CSV cell: the exact value as plain text ('' for None)."""
        return f.plain(self.value(row))

    def sort_value(self, row: R) -> Any:
        """The value rows sort by (Decimal and str compare exactly, in Python)."""
        return self.sort_key(row) if self.sort_key is not None else self.value(row)

    def via(self, get: Callable[[S], R]) -> ColumnSpec[S]:
        """This column read from a row type that holds an R (e.g. a monitor row's leg)."""

        def lift(fn: Callable[[R], Any] | None) -> Any:
            return None if fn is None else (lambda row: fn(get(row)))

        return ColumnSpec(
            self.key,
            self.header,
            value=lambda row: self.value(get(row)),
            fmt=self.fmt,
            align=self.align,
            tooltip=lift(self.tooltip),
            display=lift(self.display),
            terminal=lift(self.terminal),
            short=self.short,
            sort_key=lift(self.sort_key),
            tone=lift(self.tone),
            shade=self.shade,
            status=self.status,
            width=self.width,
        )


@dataclass(frozen=True)
class TableSpec(Generic[R]):
    """Every column of one table once, and which (in which order) each rendering shows."""

    name: str
    columns: tuple[ColumnSpec[R], ...]
    window: tuple[str, ...] | None = None  # None: every column, in spec order
    csv: tuple[str, ...] | None = None
    terminal: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        keys = [column.key for column in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {self.name}: duplicate column keys")
        for view in (self.window, self.csv, self.terminal):
            missing = set(view or ()) - set(keys)
            if missing:
                raise ValueError(f"table {self.name}: unknown column keys {sorted(missing)}")

    def pick(self, keys: Sequence[str] | None) -> tuple[ColumnSpec[R], ...]:
        """The columns with these keys, in this order (None: every column)."""
        if keys is None:
            return self.columns
        by_key = {column.key: column for column in self.columns}
        return tuple(by_key[key] for key in keys)

    def window_columns(self) -> tuple[ColumnSpec[R], ...]:
        """The columns the window's table shows."""
        return self.pick(self.window)

    def csv_header(self) -> list[str]:
        """The CSV header row (the column keys)."""
        return [column.key for column in self.pick(self.csv)]

    def csv_rows(self, rows: Iterable[R]) -> list[list[str]]:
        """Every row as CSV cells with exact decimals."""
        columns = self.pick(self.csv)
        return [[column.csv_cell(row) for column in columns] for row in rows]

    def terminal_lines(self, rows: Iterable[R]) -> list[str]:
        """A padded plain-text table: header, rule and one line per row."""
        columns = self.pick(self.terminal)
        headers = [column.short or column.header for column in columns]
        cells = [[column.terminal_text(row) for column in columns] for row in rows]
        widths = [len(header) for header in headers]
        for line in cells:
            widths = [max(w, len(cell)) for w, cell in zip(widths, line, strict=True)]

        def render(line: list[str]) -> str:
            parts = [
                cell.rjust(width) if column.align is Align.RIGHT else cell.ljust(width)
                for column, cell, width in zip(columns, line, widths, strict=True)
            ]
            return "  ".join(parts).rstrip()

        return [render(headers), "  ".join("-" * w for w in widths), *map(render, cells)]

    def via(
        self,
        name: str,
        get: Callable[[S], R],
        *extra: ColumnSpec[S],
        window: tuple[str, ...] | None = None,
    ) -> TableSpec[S]:
        """This table read from rows that hold an R, with extra columns first."""
        return TableSpec(
            name,
            (*extra, *(column.via(get) for column in self.columns)),
            window=window or self.window,
            csv=self.csv,
            terminal=self.terminal,
        )


def _status_tone(status: Callable[[R], str]) -> Callable[[R], Tone | None]:
    return lambda row: STATUS_TONES.get(status(row))


def _status_column(
    status: Callable[[R], str],
    reason: Callable[[R], str | None],
    *,
    terminal: Callable[[R], str] | None = None,
    tip: Callable[[R], str | None] | None = None,
) -> ColumnSpec[R]:
    return ColumnSpec(
        "status",
        "Status",
        value=status,
        tooltip=tip or reason,
        terminal=terminal,
        tone=_status_tone(status),
        shade=True,
        status=True,
        width=110,
    )


def _money(key: str, header: str, get: Callable[[R], Decimal | None], **kw: Any) -> ColumnSpec[R]:
    return ColumnSpec(key, header, value=get, fmt=f.money, align=Align.RIGHT, **kw)


def _qty(key: str, header: str, get: Callable[[R], Decimal | None], **kw: Any) -> ColumnSpec[R]:
    return ColumnSpec(key, header, value=get, fmt=f.qty_text, align=Align.RIGHT, **kw)


def _price(key: str, header: str, get: Callable[[R], Decimal | None], **kw: Any) -> ColumnSpec[R]:
    return ColumnSpec(key, header, value=get, fmt=f.price_text, align=Align.RIGHT, **kw)


def _text_col(key: str, header: str, get: Callable[[R], Any], **kw: Any) -> ColumnSpec[R]:
    return ColumnSpec(key, header, value=get, **kw)


class _Ordered(Protocol):
    @property
    def order(self) -> OrderSpec | None: ...
    @property
    def est_notional(self) -> Decimal | None: ...


OrderedT = TypeVar("OrderedT", bound=_Ordered)


def _order_columns(row: type[OrderedT], *, width: int) -> tuple[ColumnSpec[OrderedT], ...]:
    """The order as the window and terminal spell it, and its exact qty and notional for CSV."""
    return (
        ColumnSpec(
            "order",
            "Order",
            value=lambda r: r.order,
            fmt=f.order,
            terminal=lambda r: f.order_text(r.order),
            sort_key=lambda r: r.est_notional,
            align=Align.RIGHT,
            width=width,
        ),
        _text_col("order_qty", "Order qty", lambda r: r.order.qty if r.order else None),
        _text_col(
            "order_notional", "Order notional", lambda r: r.order.notional if r.order else None
        ),
    )


def _leg_reason(leg: Leg) -> str | None:
    return leg.reason.value if leg.reason is not None else None


def _with_code(text: str | None, code: str | None) -> str | None:
    """A tooltip: the plain words and the code behind them."""
    if not text:
        return code or None
    return f"{text}\n(code: {code})" if code else text


def _leg_words_tip(leg: Leg) -> str | None:
    words = "; ".join(p for p in (leg_reason_text(leg), leg_notes_text(leg)) if p)
    return _with_code(words, leg_codes(leg))


def _planned_tip(leg: Leg) -> str | None:
    if leg.scaled_amount == leg.planned_amount:
        return None
    return f"scaled to {f.money(leg.scaled_amount)}"


def _quote_tip(leg: Leg) -> str:
    age = f.age_text(leg.quote_age_seconds)
    spread = f"{leg.spread_bps:.1f} bps" if leg.spread_bps is not None else "one-sided or none"
    return f"quote age {age}, spread {spread}"


PREVIEW_LEGS: TableSpec[Leg] = TableSpec(
    "preview legs",
    (
        _text_col("symbol", "Symbol", lambda leg: leg.symbol, width=64),
        _text_col("side", "Side", lambda leg: leg.side.value, align=Align.CENTER, width=40),
        ColumnSpec(
            "weights",
            "Weight now → target",
            value=lambda leg: leg.target_weight - leg.current_weight,
            display=lambda leg: f"{f.pct(leg.current_weight)} → {f.pct(leg.target_weight)}",
            align=Align.RIGHT,
            width=136,
        ),
        _text_col("current_weight", "Current weight", lambda leg: leg.current_weight),
        _text_col("target_weight", "Target weight", lambda leg: leg.target_weight),
        _money("planned_amount", "Planned amount", lambda leg: leg.planned_amount, width=112,
               tooltip=_planned_tip),
        _money("scaled_amount", "Planned", lambda leg: leg.scaled_amount),
        _price("price", "Price", lambda leg: leg.price, width=78),
        ColumnSpec(
            "quote_age",
            "Age",
            value=lambda leg: leg.quote_age_seconds,
            fmt=f.age_text,
            align=Align.RIGHT,
            width=56,
            tooltip=_quote_tip,
        ),
        *_order_columns(Leg, width=140),
        _qty("est_qty", "Est qty", lambda leg: leg.est_qty, width=112),
        _money("est_notional", "Est notional", lambda leg: leg.est_notional, width=100),
        _status_column(
            lambda leg: leg.status.value,
            _leg_reason,
            tip=lambda leg: _with_code(leg_reason_text(leg), _leg_reason(leg)),
            terminal=lambda leg: f.status_line(
                leg.status.value, _leg_reason(leg), tuple(n.value for n in leg.notes)
            ),
        ),
        _text_col("reason", "Reason", _leg_reason),
        ColumnSpec(
            "reason_text",
            "Why",
            value=lambda leg: leg_reason_text(leg),
            fmt=lambda v: v or "",
            tooltip=_leg_words_tip,
            width=220,
        ),
        ColumnSpec(
            "notes",
            "Notes",
            value=lambda leg: " ".join(note.value for note in leg.notes),
            display=lambda leg: leg_notes_text(leg),
            tooltip=_leg_words_tip,
            width=220,
        ),
        _text_col("client_order_id", "Client order id", lambda leg: leg.client_order_id, width=195),
    ),
    window=("symbol", "side", "weights", "planned_amount", "price", "quote_age", "order",
            "est_qty", "est_notional", "status", "reason_text", "notes", "client_order_id"),
    csv=("side", "symbol", "current_weight", "target_weight", "planned_amount", "scaled_amount",
         "price", "quote_age", "order_qty", "order_notional", "est_qty", "est_notional", "status",
         "reason", "reason_text", "notes", "client_order_id"),
    terminal=("symbol", "scaled_amount", "price", "quote_age", "order", "est_qty",
              "est_notional", "status"),
)  # fmt: skip
"""The preview's Sell phase and Buy phase tables."""

HOLDS: TableSpec[WeightBar] = TableSpec(
    "holds",
    (
        _text_col("symbol", "Symbol", lambda bar: bar.symbol, width=90),
        ColumnSpec("current", "Current weight", lambda b: b.current, f.pct, Align.RIGHT),
        ColumnSpec("target", "Target weight", lambda b: b.target, f.pct, Align.RIGHT),
        ColumnSpec("diff", "Difference", lambda b: b.target - b.current, f.signed_pct, Align.RIGHT),
    ),
)
"""The preview's Holds table."""

PROBLEMS: TableSpec[Problem] = TableSpec(
    "problems",
    (
        ColumnSpec(
            "kind",
            "Kind",
            value=lambda p: "warning" if p.symbol is None else "leg",
            tone=lambda p: Tone.WARN if p.symbol is None else Tone.BAD,
            width=80,
        ),
        _text_col("code", "Code", lambda p: p.code.value, width=170),
        _text_col("symbol", "Symbol", lambda p: p.symbol or f.NONE, width=80),
        _text_col(
            "message", "Message", lambda p: p.message, width=560,
            tooltip=lambda p: _with_code(p.message, p.code.value),
        ),
    ),
)  # fmt: skip
"""The preview's Problems table."""


def _run_reason(leg: LegState) -> str | None:
    return leg.reason if leg.status in ("skipped", "blocked", "rejected") else None


def _run_words_tip(leg: LegState) -> str | None:
    return _with_code(run_leg_reason_text(leg), run_leg_code(leg))


RUN_LEGS: TableSpec[LegState] = TableSpec(
    "run legs",
    (
        _text_col("client_order_id", "Client order id", lambda r: r.client_order_id, width=200),
        _text_col("symbol", "Symbol", lambda r: r.symbol, width=70),
        _text_col("side", "Side", lambda r: r.side.value, align=Align.CENTER, width=50),
        _money("planned_amount", "Planned amount", lambda r: r.planned_amount),
        _money("scaled_amount", "Scaled amount", lambda r: r.scaled_amount),
        _price("price", "Preview price", lambda r: r.price),
        *_order_columns(LegState, width=150),
        _qty("est_qty", "Est qty", lambda r: r.est_qty),
        _money("est_notional", "Est notional", lambda r: r.est_notional),
        _status_column(
            lambda r: r.status,
            _run_reason,
            terminal=lambda r: f.status_line(r.status, _run_reason(r)),
            tip=_run_words_tip,
        ),
        _text_col("reason", "Reason", lambda r: r.reason),
        ColumnSpec(
            "reason_text",
            "Why",
            value=lambda r: run_leg_reason_text(r),
            fmt=lambda v: v or "",
            tooltip=_run_words_tip,
            width=260,
        ),
        _qty("filled_qty", "Filled qty", lambda r: r.filled_qty),
        _price("filled_avg_price", "Avg fill price", lambda r: r.filled_avg_price,
               short="Avg price"),
        _money("filled_notional", "Filled notional", lambda r: r.filled_notional, width=120),
        _text_col("broker_order_id", "Broker order id", lambda r: r.broker_order_id),
        _text_col("last_seq", "Last seq", lambda r: r.last_seq, align=Align.RIGHT),
        ColumnSpec("updated_at", "Last update", lambda r: r.updated_at, f.clock_time, width=100),
    ),
    csv=("client_order_id", "symbol", "side", "planned_amount", "scaled_amount", "price",
         "order_qty", "order_notional", "est_qty", "est_notional", "status", "reason",
         "reason_text", "filled_qty", "filled_avg_price", "filled_notional", "broker_order_id",
         "last_seq"),
    terminal=("symbol", "side", "order", "status", "filled_qty", "filled_avg_price",
              "filled_notional"),
)  # fmt: skip
"""A run's legs: the replay's legs CSV, `run`/`replay`'s terminal table (and the monitor)."""

MONITOR: TableSpec[MonitorRow] = RUN_LEGS.via(
    "monitor",
    lambda row: row.leg,
    ColumnSpec("time", "Time", lambda r: r.first_seen, f.clock_time, width=100),
    window=("time", "client_order_id", "symbol", "side", "order", "filled_qty",
            "filled_avg_price", "filled_notional", "status", "reason_text", "updated_at"),
)  # fmt: skip
"""The live Order monitor and the replay's monitor page: a run's legs with their first seen time."""


def _weight_tip(row: SummaryRow) -> str:
    if row.weight_after is None:
        return "no post-run snapshot"
    return f"weight {f.pct(row.weight_after)} vs target {f.pct(row.target_weight)}"


def _slippage_tip(row: SummaryRow) -> str | None:
    if row.slippage_cost is None:
        return None
    return f"{f.signed_money(row.slippage_cost)} against the preview price (+ = worse)"


def _summary_words(row: SummaryRow) -> str | None:
    return outcome_text(
        row.status, row.reason, row.filled_qty, row.filled_notional, symbol=row.symbol,
        amount=row.planned_notional,
    )  # fmt: skip


def _summary_tip(row: SummaryRow) -> str | None:
    return _with_code(_summary_words(row), outcome_code(row.status, row.reason, row.filled_qty))


SUMMARY: TableSpec[SummaryRow] = TableSpec(
    "summary",
    (
        _text_col("client_order_id", "Client order id", lambda r: r.client_order_id),
        _text_col("symbol", "Symbol", lambda r: r.symbol, width=70),
        _text_col("side", "Side", lambda r: r.side.value, align=Align.CENTER, width=50),
        _status_column(lambda r: r.status, lambda r: r.reason, tip=_summary_tip),
        _text_col("reason", "Reason", lambda r: r.reason),
        ColumnSpec(
            "reason_text", "Why", value=_summary_words, fmt=lambda v: v or "",
            tooltip=_summary_tip, width=260,
        ),
        _money("planned_amount", "Approved", lambda r: r.planned_amount, width=110),
        _money("scaled_amount", "After funding", lambda r: r.scaled_amount, width=110),
        _qty("planned_qty", "Sized qty", lambda r: r.planned_qty),
        _qty("filled_qty", "Filled qty", lambda r: r.filled_qty),
        _money("planned_notional", "Sized notional", lambda r: r.planned_notional, width=120),
        _money("filled_notional", "Filled notional", lambda r: r.filled_notional, width=120),
        _price("preview_price", "Preview price", lambda r: r.preview_price),
        _price("filled_avg_price", "Avg fill price", lambda r: r.avg_price),
        ColumnSpec("slippage", "Slippage", lambda r: r.slippage, f.bps, Align.RIGHT,
                   tooltip=_slippage_tip, width=100),
        _money("slippage_cost", "Slippage cost", lambda r: r.slippage_cost),
        _text_col("target_weight", "Target weight", lambda r: r.target_weight),
        _text_col("weight_after", "Weight after", lambda r: r.weight_after),
        ColumnSpec("drift", "Drift after run", lambda r: r.drift, f.signed_pct, Align.RIGHT,
                   tooltip=_weight_tip, width=110),
    ),
    window=("symbol", "side", "status", "reason_text", "planned_amount", "planned_qty",
            "filled_qty", "planned_notional", "filled_notional", "preview_price",
            "filled_avg_price", "slippage", "drift"),
)  # fmt: skip
"""The end-of-run Summary table and its CSV export."""

INCIDENTS: TableSpec[IncidentRow] = TableSpec(
    "incidents",
    (
        _text_col("seq", "Seq", lambda r: r.seq, align=Align.RIGHT, width=60),
        _text_col("symbol", "Symbol", lambda r: r.symbol, width=70),
        _text_col(
            "text", "What happened", lambda r: r.text, width=520,
            tooltip=lambda r: _with_code(r.text, r.code),
        ),
        _text_col("code", "Code", lambda r: r.code, width=140),
    ),
)  # fmt: skip
"""A run's incidents in plain words (the Problems of a run, its report and its CSV)."""

ISSUES: TableSpec[IssueRow] = TableSpec(
    "file issues",
    (
        _text_col("file", "File", lambda r: r.file, width=260),
        ColumnSpec("item", "Item", lambda r: r.item, align=Align.RIGHT, width=50),
        _text_col("field", "Field", lambda r: r.field or "(file)", width=160),
        _text_col("message", "Message", lambda r: r.message, width=520),
    ),
)
"""The inline error panel of a refused file."""

LOG: TableSpec[LogRow] = TableSpec(
    "log",
    (
        ColumnSpec("time", "Time", lambda r: r.ts, f.clock_time, width=100),
        _text_col(
            "level", "Level", lambda r: r.level, tone=lambda r: LEVEL_TONES.get(r.level),
            status=True, width=70,
        ),
        _text_col("event", "Event", lambda r: r.event, width=200),
        _text_col("details", "Details", lambda r: r.details, width=600),
    ),
)  # fmt: skip
"""The event-log dock."""


class RunListing(Protocol):
    """One journaled run as listed (the engine's RunSummary has these fields)."""

    @property
    def run_id(self) -> str: ...
    @property
    def plan_id(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def broker(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def started_at(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def first_seq(self) -> int: ...
    @property
    def last_seq(self) -> int: ...
    @property
    def legs(self) -> int: ...
    @property
    def filled_notional(self) -> Decimal: ...


def chain_text(run: RunListing, verified_upto: int | None) -> str:
    """How far a run is covered by the verified hash chain."""
    if verified_upto is None or run.last_seq <= verified_upto:
        return "verified"
    if run.first_seq > verified_upto:
        return "after bad seq"
    return f"verified to {verified_upto}"


def runs_table(verified_upto: Callable[[], int | None] = lambda: None) -> TableSpec[RunListing]:
    """The journal's run list (status and totals past a bad seq are unverified)."""
    return TableSpec(
        "runs",
        (
            ColumnSpec(
                "chain",
                "Chain",
                value=lambda r: chain_text(r, verified_upto()),
                tone=lambda r: None if chain_text(r, verified_upto()) == "verified" else Tone.BAD,
                width=120,
            ),
            _text_col("started_at", "Started (UTC)", lambda r: r.started_at[:19], width=150),
            _text_col("plan_id", "Plan", lambda r: r.plan_id, width=170),
            _text_col("attempt", "Att", lambda r: r.attempt, align=Align.RIGHT, width=40),
            _text_col("broker", "Broker / mode", lambda r: f"{r.broker} / {r.mode}", width=100),
            _text_col(
                "status", "Status", lambda r: r.status, tone=_status_tone(lambda r: r.status),
                status=True, width=80,
            ),
            _text_col("legs", "Legs", lambda r: r.legs, align=Align.RIGHT, width=50),
            _money("filled_notional", "Filled notional", lambda r: r.filled_notional, width=120),
            ColumnSpec(
                "seqs", "Seqs", lambda r: r.first_seq, align=Align.CENTER, width=110,
                display=lambda r: f"{r.first_seq}–{r.last_seq}",
            ),
            _text_col("run_id", "Run id", lambda r: r.run_id, width=250),
        ),
        terminal=("run_id", "plan_id", "attempt", "broker", "status", "legs",
                  "filled_notional", "seqs"),
    )  # fmt: skip


def event_subject(recorded: RecordedEvent) -> str:
    """The order (or phase) an event is about."""
    event = recorded.event
    if isinstance(
        event,
        OrderIntent
        | OrderSubmitted
        | OrderUpdate
        | OrderUnknown
        | OrderNotPlaced
        | CancelRequested,
    ):
        return event.client_order_id
    if isinstance(event, PhaseStarted | PhaseCompleted):
        return f"{event.phase.value} phase"
    return ""


def event_details(recorded: RecordedEvent) -> str:
    """A one-line description of an event (exact decimals, formatted for reading)."""
    e = recorded.event
    if isinstance(e, RunStarted):
        return (
            f"plan {e.plan_id} · {f.counted(len(e.legs), 'leg')} · {e.broker}/{e.mode} · "
            f"attempt {e.attempt}"
        )
    if isinstance(e, ApprovalGiven):
        return f"{e.scope} approved by {e.approved_by} at scale {e.scale}"
    if isinstance(e, OrderIntent):
        return f"{e.side.value} {e.symbol} {f.order(e.order)}"
    if isinstance(e, OrderSubmitted):
        return f"{e.status.value} as {e.broker_order_id} (via {e.via})"
    if isinstance(e, OrderUpdate):
        text = (
            f"{e.status.value} · filled {f.qty_text(e.filled_qty)} @ "
            f"{f.price_text(e.filled_avg_price)}"
        )
        return text + (f" · {e.reason}" if e.reason else "")
    if isinstance(e, OrderUnknown):
        return f"outcome unknown: {e.reason}"
    if isinstance(e, OrderNotPlaced):
        return f"never placed: the broker has no such order ({e.reason})"
    if isinstance(e, CancelRequested):
        return f"cancel requested ({e.reason})"
    if isinstance(e, FundingRecomputed):
        return (
            f"proceeds {f.money(e.sell_proceeds)} · available {f.money(e.available_for_buys)}"
            f" · scale {e.approved_scale} → {e.scale}"
            + (" · needs re-approval" if e.needs_reapproval else "")
        )
    if isinstance(e, PhaseCompleted):
        return f"timed out: {', '.join(e.timed_out)}" if e.timed_out else "completed"
    if isinstance(e, PhaseStarted):
        return "started"
    if isinstance(e, RunHalted):
        return e.reason
    if isinstance(e, RunUnfinished):
        return f"stopped without run_completed: {e.reason}" + (
            f" · may still be working: {', '.join(e.orders)}" if e.orders else ""
        )
    if isinstance(e, StreamStatus):
        return f"stream {e.state}" + (f": {e.detail}" if e.detail else "")
    assert isinstance(e, RunCompleted)
    return f"{e.status} · sold {f.money(e.sell_proceeds)} · bought {f.money(e.buy_spent)}"


EVENTS: TableSpec[RecordedEvent] = TableSpec(
    "events",
    (
        _text_col("seq", "Seq", lambda r: r.seq, align=Align.RIGHT, width=70),
        ColumnSpec("ts", "Time", lambda r: r.ts, f.clock_time, width=100),
        _text_col("run_id", "Run id", lambda r: r.run_id),
        _text_col("kind", "Kind", lambda r: r.event.kind, width=140),
        _text_col("subject", "Order / phase", event_subject, width=230),
        _text_col("details", "Details", event_details, width=520),
        _text_col("payload", "Payload", lambda r: canonical_json(event_payload(r.event))),
    ),
    window=("seq", "ts", "kind", "subject", "details"),
    csv=("seq", "ts", "run_id", "kind", "payload"),
)
"""The replay's event log and its CSV export (the canonical JSON payload, as journaled)."""

"""Tab pages: Sell phase, Buy phase + funding, Holds + weights, Problems, monitor, summary."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain import formatting as f
from console.domain.columns import (
    HOLDS,
    PREVIEW_LEGS,
    PROBLEMS,
    STATUS_TONES,
    SUMMARY,
    ColumnSpec,
    Tone,
)
from console.domain.orders import Side
from console.domain.preview_model import Funding, Leg, Preview, Problem
from console.domain.reasons import plain_problems
from console.domain.rows import MonitorRow, WeightBar
from console.domain.runstate import LegState, RunState
from console.domain.summary import RunSummary, SummaryRow, approved_planned
from console.ui import fmt
from console.ui.models.table_model import RecordTableModel
from console.ui.palette import css_frame, status_colour
from console.ui.viewmodels.units import signed_usd, usd, window_columns
from console.ui.widgets.account_panels import OpenOrdersPanel
from console.ui.widgets.charts import FundingPanel, WeightChart
from console.ui.widgets.inline import ConfirmBar
from console.ui.widgets.tables import RecordTable

LEG_STATUSES = ("ready", "skipped", "blocked")
ORDER_STATUSES = (
    "pending", "new", "accepted", "partially_filled", "filled", "canceled", "rejected",
    "expired", "unknown",
)  # fmt: skip
RUN_STATUSES = (*ORDER_STATUSES, "skipped", "blocked")


class LiveStatus:
    """Each approved leg's live status during a run (client order id -> folded leg)."""

    def __init__(self) -> None:
        self.legs: dict[str, LegState] = {}

    def text(self, leg: Leg) -> str:
        """The live status of a leg, or '—' before a run."""
        state = self.legs.get(leg.client_order_id)
        if state is None:
            return f.NONE
        if state.filled_qty and state.status != "filled":
            return f"{state.status} · {fmt.qty(state.filled_qty)} filled"
        return state.status

    def tone(self, leg: Leg) -> Tone | None:
        """The tone of the live status."""
        state = self.legs.get(leg.client_order_id)
        return STATUS_TONES.get(state.status) if state is not None else None

    def tip(self, leg: Leg) -> str | None:
        """The reason of the live status."""
        state = self.legs.get(leg.client_order_id)
        return state.reason if state is not None else None


def _leg_columns(live: LiveStatus) -> tuple[ColumnSpec[Leg], ...]:
    live_column: ColumnSpec[Leg] = ColumnSpec(
        "live", "Live status", value=live.text, tone=live.tone, tooltip=live.tip, shade=True,
        width=150,
    )  # fmt: skip
    columns = window_columns(PREVIEW_LEGS.window_columns())
    return (*columns[:2], live_column, *columns[2:])


LIVE_COLUMN = 2  # after Symbol and Side: hidden until a run shows its legs


class RunBanner(QLabel):
    """Above the Sell and Buy tables during and after a run: what is shown and since when."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setStyleSheet(f"#{name}{{{css_frame(Tone.INFO)}padding:4px;font-weight:bold;}}")
        self.hide()


def _page(banner: QLabel, body: QWidget) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(banner)
    layout.addWidget(body, 1)
    return page


class ReviewPages:
    """The four pre-trade review pages and their models.

    Before a run they show the current preview; once a run starts, the Sell and Buy pages show
    the approved preview read-only, a banner ("approved 14:02 by NAME · running") and each
    leg's live status, until the operator asks for the fresh preview.
    """

    def __init__(self, settings: QSettings | None) -> None:
        self.live = LiveStatus()
        self.sell_model: RecordTableModel[Leg] = RecordTableModel(
            _leg_columns(self.live), key=lambda leg: leg.client_order_id
        )
        self.buy_model: RecordTableModel[Leg] = RecordTableModel(
            _leg_columns(self.live), key=lambda leg: leg.client_order_id
        )
        self.hold_model: RecordTableModel[WeightBar] = RecordTableModel(
            HOLDS.window_columns(), key=lambda bar: bar.symbol
        )
        self.problem_model: RecordTableModel[Problem] = RecordTableModel(
            PROBLEMS.window_columns(), key=lambda p: (p.code.value, p.symbol or "")
        )
        self.sell_table = RecordTable("sell", self.sell_model, settings, statuses=LEG_STATUSES)
        self.buy_table = RecordTable("buy", self.buy_model, settings, statuses=LEG_STATUSES)
        self.funding = FundingPanel()
        self.funding.setObjectName("fundingPanel")
        self.sell_banner = RunBanner("sellBanner")
        self.buy_banner = RunBanner("buyBanner")
        self.sell = _page(self.sell_banner, self.sell_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.buy_table)
        split.addWidget(self.funding)
        split.setSizes([330, 190])
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.buy = _page(self.buy_banner, split)
        self.holds_table = RecordTable("holds", self.hold_model, settings)
        self.chart = WeightChart()
        self.chart.setObjectName("weightChart")
        chart_scroll = QScrollArea()
        chart_scroll.setWidgetResizable(True)
        chart_scroll.setWidget(self.chart)
        self.holds = QSplitter(Qt.Orientation.Horizontal)
        self.holds.addWidget(self.holds_table)
        self.holds.addWidget(chart_scroll)
        self.holds.setSizes([520, 700])
        self.problems_table = RecordTable("problems", self.problem_model, settings)
        self.open_orders = OpenOrdersPanel(settings)
        self.problems = QSplitter(Qt.Orientation.Vertical)
        self.problems.setObjectName("problemsPage")
        self.problems.addWidget(self.problems_table)
        self.problems.addWidget(self.open_orders)
        self.problems.setSizes([300, 160])
        self.tables = [self.sell_table, self.buy_table, self.holds_table, self.problems_table]
        self.showing_run = False
        self._show_live(False)

    def _show_live(self, on: bool) -> None:
        for table in (self.sell_table, self.buy_table):
            table.view.setColumnHidden(LIVE_COLUMN, not on)

    def show_preview(self, preview: Preview, weights: list[WeightBar]) -> None:
        """Fill every review page from a preview (the editable, pre-run view)."""
        self.showing_run = False
        self.live.legs.clear()
        self._show_live(False)
        for banner in (self.sell_banner, self.buy_banner):
            banner.hide()
        self.sell_model.set_rows(preview.sell)
        self.buy_model.set_rows(preview.buy)
        held = set(preview.holds)
        self.hold_model.set_rows([bar for bar in weights if bar.symbol in held])
        self.problem_model.set_rows(plain_problems(preview))  # plain words, codes kept
        self.funding.set_funding(preview.funding)
        self.chart.set_bars(weights)

    def show_run(self, legs: Sequence[Leg], funding: Funding, banner: str) -> None:
        """Pin the Sell and Buy pages to a run's approved legs (read-only) under a banner."""
        self.showing_run = True
        self.live.legs.clear()
        self._show_live(True)
        self.sell_model.set_rows([leg for leg in legs if leg.side.value == "sell"])
        self.buy_model.set_rows([leg for leg in legs if leg.side.value == "buy"])
        self.funding.set_funding(funding)
        self.set_banner(banner)

    def set_banner(self, text: str) -> None:
        """The run banner over the Sell and Buy pages."""
        for label in (self.sell_banner, self.buy_banner):
            label.setText(text)
            label.show()

    def update_live(self, legs: Iterable[LegState]) -> None:
        """Each approved leg's live status (repaints only the legs whose status changed)."""
        if not self.showing_run:
            return
        changed: list[str] = []
        for leg in legs:
            before = self.live.legs.get(leg.client_order_id)
            if before is None or before.status != leg.status or before.filled_qty != leg.filled_qty:
                self.live.legs[leg.client_order_id] = leg
                changed.append(leg.client_order_id)
        for model in (self.sell_model, self.buy_model):
            rows = [row for coid in changed if (row := model.row_by_key(coid)) is not None]
            if rows:
                model.upsert_rows(rows)


class MonitorPage(QWidget):
    """The live order monitor (rows appended as orders are sent, repainted when they change).

    With `controls`, the operator can cancel the selected order or every open one, after an
    inline confirmation; `cancel_requested` carries the client order ids.
    """

    cancel_requested = Signal(list)

    def __init__(
        self,
        model: RecordTableModel[MonitorRow],
        settings: QSettings | None,
        view: QTableView | None = None,
        *,
        controls: bool = False,
    ) -> None:
        super().__init__()
        self.model = model
        self.table = RecordTable("monitor", model, settings, statuses=ORDER_STATUSES, view=view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.countdown = QLabel()
        self.countdown.setObjectName("phaseCountdown")
        self.cancel_one = QPushButton("Cancel order…")
        self.cancel_one.setObjectName("cancelOrder")
        self.cancel_one.setToolTip("Cancel the selected open order at the broker (journaled)")
        self.cancel_all = QPushButton("Cancel all open…")
        self.cancel_all.setObjectName("cancelAllOpen")
        self.cancel_all.setToolTip("Cancel every open order of this run (journaled)")
        self.confirm = ConfirmBar("cancelConfirm", self)
        self.cancel_one.clicked.connect(self._ask_one)
        self.cancel_all.clicked.connect(self._ask_all)
        self.enabled = False
        self.cancel_action: QAction | None = None
        if controls:
            bar = QHBoxLayout()
            bar.setContentsMargins(4, 2, 4, 0)
            bar.addWidget(self.countdown, 1)
            bar.addWidget(self.cancel_one)
            bar.addWidget(self.cancel_all)
            layout.addLayout(bar)
            layout.addWidget(self.confirm)
            self.table.view.selectionModel().selectionChanged.connect(self.refresh_controls)
            self.table.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            self.cancel_action = QAction("Cancel this order…", self.table.view)
            self.cancel_action.triggered.connect(self._ask_one)
            self.table.view.addAction(self.cancel_action)
        else:
            for widget in (self.countdown, self.cancel_one, self.cancel_all):
                widget.hide()
        layout.addWidget(self.table)
        self.set_running(False)

    def set_countdown(self, text: str) -> None:
        """The time left before the phase timeout cancels what is still open."""
        self.countdown.setText(text)

    def set_running(self, running: bool) -> None:
        """Cancels are offered only while a run is executing."""
        self.enabled = running
        if not running:
            self.confirm.hide()
            self.countdown.setText("")
        self.refresh_controls()

    def refresh_controls(self, *_: object) -> None:
        """Enable the cancel buttons for open orders only."""
        selected = self.selected_open()
        self.cancel_one.setEnabled(self.enabled and bool(selected))
        if self.cancel_action is not None:
            self.cancel_action.setEnabled(self.enabled and bool(selected))
        self.cancel_all.setEnabled(self.enabled and bool(self.open_orders()))

    def open_orders(self) -> list[str]:
        """Client order ids of the run's orders that may still be working."""
        return [
            row.leg.client_order_id
            for row in self.model.rows()
            if row.leg.intent and not row.leg.is_terminal
        ]

    def selected_open(self) -> list[str]:
        """The selected rows' client order ids that may still be working."""
        coids: list[str] = []
        for index in self.table.view.selectionModel().selectedRows():
            row = self.model.row_at(self.table.proxy.mapToSource(index).row())
            if row.leg.intent and not row.leg.is_terminal:
                coids.append(row.leg.client_order_id)
        return coids

    def _ask_one(self) -> None:
        coids = self.selected_open()
        if coids:
            self.confirm.ask(
                f"Cancel {', '.join(coids)} at the broker? The run goes on with the other orders.",
                "Cancel the order",
                lambda: self.cancel_requested.emit(coids),
            )

    def _ask_all(self) -> None:
        coids = self.open_orders()
        if coids:
            self.confirm.ask(
                f"Cancel all {len(coids)} open orders of this run at the broker?",
                f"Cancel {len(coids)} orders",
                lambda: self.cancel_requested.emit(coids),
            )


class SummaryPage(QWidget):
    """Planned vs filled per leg, totals, status and residual drift; Export CSV."""

    def __init__(self, settings: QSettings | None) -> None:
        super().__init__()
        self.approved: dict[str, Leg] = {}
        self.model: RecordTableModel[SummaryRow] = RecordTableModel(
            self._columns(), key=lambda row: row.client_order_id
        )
        self.table = RecordTable("summary", self.model, settings, statuses=RUN_STATUSES)
        self.totals = QLabel("No run yet.")
        self.totals.setObjectName("summaryTotals")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export = QPushButton("&Export CSV…")
        self.export.setObjectName("exportSummary")
        self.export.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.totals, 1)
        top.addWidget(self.export, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def _columns(self) -> tuple[ColumnSpec[SummaryRow], ...]:
        """The summary's window columns; 'planned' reads the approved leg when one is known."""

        def planned(key: str, row: SummaryRow) -> Decimal | None:
            leg = self.approved.get(row.client_order_id)
            if leg is None:
                return row.planned_qty if key == "planned_qty" else row.planned_notional
            return leg.est_qty if key == "planned_qty" else leg.est_notional

        def rescaled(row: SummaryRow) -> str | None:
            leg = self.approved.get(row.client_order_id)
            if leg is None or leg.est_notional == row.planned_notional:
                return None
            return f"approved {usd(leg.est_notional)}; rescaled to {usd(row.planned_notional)}"

        columns: list[ColumnSpec[SummaryRow]] = []
        for column in window_columns(SUMMARY.window_columns()):
            if column.key in ("planned_qty", "planned_notional"):
                column = dataclasses.replace(
                    column, value=functools.partial(planned, column.key), tooltip=rescaled
                )
            columns.append(column)
        return tuple(columns)

    def show_run(
        self, summary: RunSummary, state: RunState | None, approved_legs: Sequence[Leg]
    ) -> None:
        """A run as the live console shows it (replay too): 'planned' is the approved estimate."""
        scale = ""
        if state is not None and state.recomputed is not None:
            scale = (
                f" (buy scale {fmt.pct(state.recomputed.scale)}, approved "
                f"{fmt.pct(state.recomputed.approved_scale)})"
            )
        approved = (
            (approved_planned(approved_legs, Side.SELL), approved_planned(approved_legs, Side.BUY))
            if approved_legs
            else None
        )
        self.show_summary(summary, approved, scale, approved_legs)

    def show_summary(
        self,
        summary: RunSummary,
        approved: tuple[Decimal, Decimal] | None = None,
        scale: str = "",
        approved_legs: Sequence[Leg] = (),
    ) -> None:
        """Show a finished run; `approved` = the approved (sell, buy) estimates, which is what
        'planned' means on screen, `scale` the buy scale's own figure and `approved_legs` the
        run's approved legs (each row's planned qty and notional)."""
        self.approved = {leg.client_order_id: leg for leg in approved_legs}
        self.model.set_rows(summary.rows)
        sells, buys = approved or (summary.planned_sells, summary.planned_buys)
        word = "approved" if approved is not None else "planned"
        colour = status_colour(summary.status).name()
        halted = f" — {summary.halted_reason}" if summary.halted_reason else ""
        drift = (
            f"largest residual drift {fmt.pct(summary.max_abs_drift)}"
            if summary.max_abs_drift is not None
            else "residual drift unknown (no post-run snapshot)"
        )
        self.totals.setText(
            f"<b>Run {summary.run_id}</b> · plan {summary.plan_id} · status "
            f"<b style='color:{colour}'>{summary.status.upper()}</b>{halted}<br>"
            f"Sold {usd(summary.sell_proceeds)} of {usd(sells)} {word}"
            f" · bought {usd(summary.buy_spent)} of {usd(buys)} {word}{scale}"
            f" · {summary.filled}/{summary.submitted} submitted orders filled in full"
            f"{f', {summary.partly_filled} partly' if summary.partly_filled else ''}"
            f" · slippage vs preview {signed_usd(summary.slippage_cost)} · {drift}"
        )
        self.export.setEnabled(True)

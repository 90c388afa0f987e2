"""Tab pages: Sell phase, Buy phase + funding, Holds + weights, Problems, monitor, summary."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
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

from console.domain.columns import HOLDS, PREVIEW_LEGS, PROBLEMS, SUMMARY
from console.domain.preview_model import Leg, Preview, Problem
from console.domain.reasons import plain_problems
from console.domain.rows import MonitorRow, WeightBar
from console.domain.summary import RunSummary, SummaryRow
from console.ui import fmt
from console.ui.models.table_model import RecordTableModel
from console.ui.palette import status_colour
from console.ui.widgets.charts import FundingPanel, WeightChart
from console.ui.widgets.tables import RecordTable

LEG_STATUSES = ("ready", "skipped", "blocked")
ORDER_STATUSES = (
    "pending", "new", "accepted", "partially_filled", "filled", "canceled", "rejected",
    "expired", "unknown",
)  # fmt: skip
RUN_STATUSES = (*ORDER_STATUSES, "skipped", "blocked")


class ReviewPages:
    """The four pre-trade review pages and their models."""

    def __init__(self, settings: QSettings | None) -> None:
        self.sell_model: RecordTableModel[Leg] = RecordTableModel(
            PREVIEW_LEGS.window_columns(), key=lambda leg: leg.client_order_id
        )
        self.buy_model: RecordTableModel[Leg] = RecordTableModel(
            PREVIEW_LEGS.window_columns(), key=lambda leg: leg.client_order_id
        )
        self.hold_model: RecordTableModel[WeightBar] = RecordTableModel(
            HOLDS.window_columns(), key=lambda bar: bar.symbol
        )
        self.problem_model: RecordTableModel[Problem] = RecordTableModel(
            PROBLEMS.window_columns(), key=lambda p: (p.code.value, p.symbol or "")
        )
        self.sell = RecordTable("sell", self.sell_model, settings, statuses=LEG_STATUSES)
        self.buy_table = RecordTable("buy", self.buy_model, settings, statuses=LEG_STATUSES)
        self.funding = FundingPanel()
        self.funding.setObjectName("fundingPanel")
        self.buy = QSplitter(Qt.Orientation.Vertical)
        self.buy.addWidget(self.buy_table)
        self.buy.addWidget(self.funding)
        self.buy.setSizes([330, 190])
        self.buy.setStretchFactor(0, 3)
        self.buy.setStretchFactor(1, 2)
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
        self.problems = RecordTable("problems", self.problem_model, settings)
        self.tables = [self.sell, self.buy_table, self.holds_table, self.problems]

    def show_preview(self, preview: Preview, weights: list[WeightBar]) -> None:
        """Fill every review page from a preview."""
        self.sell_model.set_rows(preview.sell)
        self.buy_model.set_rows(preview.buy)
        held = set(preview.holds)
        self.hold_model.set_rows([bar for bar in weights if bar.symbol in held])
        self.problem_model.set_rows(plain_problems(preview))  # plain words, codes kept
        self.funding.set_funding(preview.funding)
        self.chart.set_bars(weights)


class MonitorPage(QWidget):
    """The live order monitor (rows appended as orders are sent, repainted when they change)."""

    def __init__(
        self,
        model: RecordTableModel[MonitorRow],
        settings: QSettings | None,
        view: QTableView | None = None,
    ) -> None:
        super().__init__()
        self.table = RecordTable("monitor", model, settings, statuses=ORDER_STATUSES, view=view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)


class SummaryPage(QWidget):
    """Planned vs filled per leg, totals, status and residual drift; Export CSV."""

    def __init__(self, settings: QSettings | None) -> None:
        super().__init__()
        self.model: RecordTableModel[SummaryRow] = RecordTableModel(
            SUMMARY.window_columns(), key=lambda row: row.client_order_id
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

    def show_summary(self, summary: RunSummary) -> None:
        """Show a finished run."""
        self.model.set_rows(summary.rows)
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
            f"Sold {fmt.money(summary.sell_proceeds)} of {fmt.money(summary.planned_sells)} planned"
            f" · bought {fmt.money(summary.buy_spent)} of {fmt.money(summary.planned_buys)} planned"
            f" · {summary.filled}/{summary.submitted} submitted orders filled in full"
            f"{f', {summary.partly_filled} partly' if summary.partly_filled else ''}"
            f" · slippage vs preview {fmt.signed_money(summary.slippage_cost)} · {drift}"
        )
        self.export.setEnabled(True)

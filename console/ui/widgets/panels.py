"""Inline panels: the bad-file error panel, per-phase run progress and the event-log dock."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.columns import ISSUES, Tone
from console.domain.errors import InputError
from console.domain.rows import IssueRow, issue_rows
from console.ui import fmt
from console.ui.models.logbridge import LEVELS, LogBridge, levels_at_least
from console.ui.models.table_model import RecordTableModel
from console.ui.palette import css_colour, css_frame
from console.ui.viewmodels.units import usd
from console.ui.widgets.tables import RecordTable

PROGRESS_STEPS = 1000


class ErrorPanel(QFrame):
    """Every error of a refused file (file, item, field, message); the loaded plan is untouched."""

    dismissed = Signal()

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"#errorPanel{{{css_frame(Tone.BAD)}}}")
        self.title = QLabel()
        self.title.setObjectName("errorTitle")
        self.title.setWordWrap(True)
        self.title.setStyleSheet(css_colour(Tone.BAD) + "font-weight:bold;")
        self.close_button = QPushButton("&Dismiss")
        self.close_button.clicked.connect(self._dismiss)
        self.model: RecordTableModel[IssueRow] = RecordTableModel(
            ISSUES.window_columns(), key=lambda row: row.number, parent=self
        )
        self.table = RecordTable("errors", self.model, settings, parent=self)
        self.table.view.setSortingEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.setMaximumHeight(260)
        self.hide()

    def show_error(self, error: InputError, kept_plan: str | None) -> None:
        """List every issue of `error` and show the panel."""
        rows = issue_rows(error)
        kept = f"the loaded plan {kept_plan} is unchanged" if kept_plan else "no plan is loaded"
        plural = "s" if len(rows) != 1 else ""
        self.title.setText(f"Could not load {error.file}: {len(rows)} error{plural} — {kept}.")
        self.model.set_rows(rows)
        self.show()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class PhaseProgress(QWidget):
    """One progress bar per phase: filled notional / planned notional."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.phase = QLabel("No run")
        self.phase.setObjectName("runPhase")
        self.bars: dict[str, QProgressBar] = {}
        layout.addWidget(self.phase, 0, 0, 1, 2)
        for row, side in enumerate(("sell", "buy"), start=1):
            bar = QProgressBar(self)
            bar.setObjectName(f"{side}Progress")
            bar.setRange(0, PROGRESS_STEPS)
            bar.setValue(0)
            bar.setFormat(f"{side} phase: —")
            bar.setTextVisible(True)
            layout.addWidget(QLabel(f"{side.capitalize()} phase"), row, 0)
            layout.addWidget(bar, row, 1)
            self.bars[side] = bar

    def set_progress(
        self, side: str, filled: Decimal, planned: Decimal, label: str = "planned"
    ) -> None:
        """Show filled / planned notional of one phase (`label`: what `planned` is)."""
        bar = self.bars[side]
        ratio = Decimal(0) if planned <= 0 else min(Decimal(1), filled / planned)
        bar.setValue(int(ratio * PROGRESS_STEPS))
        bar.setFormat(f"{usd(filled)} of {usd(planned)} {label} ({fmt.pct(ratio, 0)})")
        bar.setToolTip(f"{side} phase: filled notional of the {label} estimate")

    def set_phase(self, text: str) -> None:
        """Show the run's phase and status."""
        self.phase.setText(text)


class LogDock(QDockWidget):
    """The event log (structlog records), filterable by level."""

    def __init__(
        self, bridge: LogBridge, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Event log", parent)
        self.setObjectName("eventLogDock")
        body = QWidget(self)
        self.level = QComboBox(body)
        self.level.setObjectName("logLevel")
        for level in LEVELS[:-1]:
            self.level.addItem(level.upper(), level)
        self.level.setCurrentIndex(1)
        self.table = RecordTable("log", bridge.model, settings, parent=body)
        self.table.view.setSortingEnabled(False)
        self.level.currentIndexChanged.connect(self._level_changed)
        caption = QLabel("&Level at least:")
        caption.setBuddy(self.level)
        bar = QHBoxLayout()
        bar.addWidget(caption)
        bar.addWidget(self.level)
        bar.addStretch(1)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.setWidget(body)
        self._level_changed()
        bridge.model.rowsInserted.connect(self._follow)

    def _level_changed(self, *_: object) -> None:
        self.table.set_status_filter(levels_at_least(str(self.level.currentData())))

    def _follow(self, *_: object) -> None:
        view = self.table.view
        bar = view.verticalScrollBar()
        if bar.value() >= bar.maximum() - 2:
            view.scrollToBottom()

    def set_level(self, level: str) -> None:
        """Show records at `level` and above."""
        index = self.level.findData(level)
        if index >= 0:
            self.level.setCurrentIndex(index)

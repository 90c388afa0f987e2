"""The re-approval dialog between phases: continue with scaled-down buys or halt."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.columns import Tone
from console.domain.events import FundingRecomputed
from console.ui import fmt
from console.ui.dialogs.common import bold as _bold
from console.ui.palette import css_badge


class ReapprovalDialog(QDialog):
    """Between phases: funding fell below the approved scale; continue scaled or halt."""

    answered = Signal(bool)

    def __init__(self, recomputed: FundingRecomputed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reapprovalDialog")
        self.setWindowTitle("Re-approve the buy phase")
        self.setModal(False)
        intro = QLabel(
            "The sell phase raised less than the preview expected. The buy phase is paused: "
            "continue with the scaled-down buys, or halt the run."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Sell proceeds:", _bold(fmt.money(recomputed.sell_proceeds)))
        form.addRow("Buying power now:", QLabel(fmt.money(recomputed.buying_power_now)))
        form.addRow("Available for buys:", QLabel(fmt.money(recomputed.available_for_buys)))
        form.addRow("Planned buys:", QLabel(fmt.money(recomputed.planned_buys)))
        form.addRow(
            "Scale:", _bold(f"{recomputed.approved_scale} approved → {recomputed.scale} now")
        )
        table = QTableWidget(len(recomputed.legs), 4, self)
        table.setObjectName("resizedLegs")
        table.setHorizontalHeaderLabels(["Client order id", "Amount", "Order", "Skipped"])
        for row, leg in enumerate(recomputed.legs):
            values = (
                leg.client_order_id,
                fmt.money(leg.scaled_amount),
                fmt.order(leg.order),
                leg.skipped_reason.value if leg.skipped_reason is not None else "",
            )
            for col, text in enumerate(values):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self.continue_button = QPushButton("&Continue with scaled buys")
        self.continue_button.setObjectName("continueButton")
        self.halt_button = QPushButton("&Halt run")
        self.halt_button.setObjectName("haltButton")
        self.halt_button.setStyleSheet(css_badge(Tone.BAD) + "font-weight:bold;")
        buttons = QDialogButtonBox()
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.halt_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.finished.connect(self._finished)
        self.resize(640, 420)

    def _finished(self, result: int) -> None:
        self.answered.emit(result == QDialog.DialogCode.Accepted.value)

"""Non-modal dialogs (always `open()`, never `exec()`): approval, re-approval, questions, help."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.events import FundingRecomputed
from console.ui import fmt
from console.ui.approval_vm import ApprovalFacts


def _bold(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight:bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ApprovalDialog(QDialog):
    """Summarises exactly what will run; the preview's TTL counts down; LIVE needs a typed code."""

    def __init__(
        self,
        facts: ApprovalFacts,
        time_left: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("approvalDialog")
        self.setWindowTitle(f"Approve run — {facts.plan_id}")
        self.setModal(False)
        self.facts = facts
        self._time_left = time_left
        heading = QLabel(
            "Approve exactly this run. Nothing is sent before you approve; the approval is void "
            "if the plan is reloaded, when it expires, or if a refresh moves a price beyond the "
            "drift band."
        )
        heading.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Plan:", _bold(facts.plan_id))
        form.addRow("Preview digest:", _bold(facts.short_digest))
        form.addRow("Attempt:", QLabel(str(facts.attempt)))
        form.addRow("Account:", QLabel(f"{facts.account_id} ({facts.mode})"))
        form.addRow(
            "Sell phase:", _bold(f"{facts.sells_ready} orders · {fmt.money(facts.sells_total)}")
        )
        form.addRow(
            "Buy phase:",
            _bold(
                f"{facts.buys_ready} orders · {fmt.money(facts.buys_total)} (scale {facts.scale})"
            ),
        )
        form.addRow("Holds:", QLabel(str(facts.holds)))
        form.addRow("Skipped:", self._listing(facts.skipped))
        form.addRow("Blocked:", self._listing(facts.blocked))
        if facts.warnings:
            warn = QLabel("\n".join(f"⚠ {w}" for w in facts.warnings))
            warn.setWordWrap(True)
            warn.setStyleSheet("color:#b26a00;")
            form.addRow("Warnings:", warn)
        self.countdown = QLabel()
        self.countdown.setObjectName("ttlCountdown")
        form.addRow("Preview valid for:", self.countdown)
        self.code: QLineEdit | None = None
        if facts.mode == "LIVE":
            self.code = QLineEdit()
            self.code.setObjectName("liveCode")
            self.code.setPlaceholderText("last 4 characters of the account")
            self.code.setMaxLength(4)
            self.code.textChanged.connect(self._update)
            live = QLabel("LIVE account: type the last 4 characters of the account number")
            live.setStyleSheet("color:#b3261e;font-weight:bold;")
            live.setWordWrap(True)
            form.addRow(live)
            form.addRow("Account code:", self.code)
        self.buttons = QDialogButtonBox()
        self.approve_button = QPushButton("&Approve")
        self.approve_button.setObjectName("approveButton")
        self.buttons.addButton(self.approve_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._approve)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._update)
        self._timer.start()
        self._update()
        self.resize(560, self.sizeHint().height())

    @staticmethod
    def _listing(items: Sequence[str]) -> QLabel:
        label = QLabel("\n".join(items) if items else "none")
        label.setWordWrap(True)
        return label

    def can_approve(self) -> bool:
        """TTL left and, for LIVE, the right code typed."""
        if self._time_left() <= 0:
            return False
        return self.code is None or self.code.text() == self.facts.confirm_code

    def _update(self, *_: object) -> None:
        left = self._time_left()
        if left > 0:
            self.countdown.setText(f"{fmt.duration(left)} — approve before it expires")
            self.countdown.setStyleSheet("color:#b26a00;" if left < 60 else "")
        else:
            self.countdown.setText("expired — close this dialog and refresh quotes (F5)")
            self.countdown.setStyleSheet("color:#b3261e;font-weight:bold;")
        self.approve_button.setEnabled(self.can_approve())

    def _approve(self) -> None:
        if self.can_approve():
            self.accept()

    def done(self, result: int) -> None:
        """Stop the countdown when the dialog closes."""
        self._timer.stop()
        super().done(result)


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
        self.halt_button.setStyleSheet("background:#b3261e;color:white;font-weight:bold;")
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


def ask(
    parent: QWidget,
    title: str,
    text: str,
    yes: str,
    on_yes: Callable[[], None],
    *,
    no: str = "Cancel",
    on_no: Callable[[], None] | None = None,
    name: str = "question",
) -> QMessageBox:
    """A non-modal question (open(), never exec()); the callbacks run when it is answered."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button)

    def answered(_: int) -> None:
        if box.clickedButton() is yes_button:
            on_yes()
        elif on_no is not None:
            on_no()
        box.deleteLater()

    box.finished.connect(answered)
    box.open()
    return box


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts."""

    def __init__(self, shortcuts: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(shortcuts), 2, self)
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        for row, (action, keys) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(action))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(460, 520)

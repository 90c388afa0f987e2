"""The approval dialog: what will run, the preview's TTL countdown, LIVE's typed code."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.columns import Tone
from console.ui import fmt
from console.ui.dialogs.common import bold as _bold
from console.ui.palette import css_colour
from console.ui.viewmodels.approval_vm import ApprovalFacts
from console.ui.viewmodels.units import usd


class ApprovalDialog(QDialog):
    """Summarises exactly what will run; the preview's TTL counts down; LIVE needs a typed code."""

    def __init__(
        self,
        facts: ApprovalFacts,
        time_left: Callable[[], float],
        parent: QWidget | None = None,
        *,
        approver: str = "",
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
        form.addRow("Sell phase:", _bold(f"{facts.sells_ready} orders · {usd(facts.sells_total)}"))
        form.addRow(
            "Buy phase:",
            _bold(
                f"{facts.buys_ready} orders · {usd(facts.buys_total)} "
                f"(buy scale {fmt.pct(facts.scale)})"
            ),
        )
        form.addRow("Holds:", QLabel(str(facts.holds)))
        form.addRow("Skipped:", self._listing(facts.skipped))
        form.addRow("Blocked:", self._listing(facts.blocked))
        if facts.warnings:
            warn = QLabel("\n".join(f"⚠ {w}" for w in facts.warnings))
            warn.setWordWrap(True)
            warn.setStyleSheet(css_colour(Tone.WARN))
            form.addRow("Warnings:", warn)
        self.countdown = QLabel()
        self.countdown.setObjectName("ttlCountdown")
        form.addRow("Preview valid for:", self.countdown)
        self.approver = QLineEdit(approver)
        self.approver.setObjectName("approverName")
        self.approver.setMaxLength(80)
        self.approver.setToolTip("Recorded as approved_by in the journal (remembered)")
        self.approver.textChanged.connect(self._update)
        form.addRow("Approved &by:", self.approver)
        self.code: QLineEdit | None = None
        if facts.mode == "LIVE":
            self.code = QLineEdit()
            self.code.setObjectName("liveCode")
            self.code.setPlaceholderText("last 4 characters of the account")
            self.code.setMaxLength(4)
            self.code.textChanged.connect(self._update)
            live = QLabel("LIVE account: type the last 4 characters of the account number")
            live.setStyleSheet(css_colour(Tone.BAD) + "font-weight:bold;")
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
        if self._time_left() <= 0 or not self.approver_name():
            return False
        return self.code is None or self.code.text() == self.facts.confirm_code

    def approver_name(self) -> str:
        """The name typed in 'Approved by'."""
        return self.approver.text().strip()

    def _update(self, *_: object) -> None:
        left = self._time_left()
        if left > 0:
            self.countdown.setText(f"{fmt.duration(left)} — approve before it expires")
            self.countdown.setStyleSheet(css_colour(Tone.WARN) if left < 60 else "")
        else:
            self.countdown.setText("expired — close this dialog and refresh quotes (F5)")
            self.countdown.setStyleSheet(css_colour(Tone.BAD) + "font-weight:bold;")
        self.approve_button.setEnabled(self.can_approve())

    def _approve(self) -> None:
        if self.can_approve():
            self.accept()

    def done(self, result: int) -> None:
        """Stop the countdown when the dialog closes."""
        self._timer.stop()
        super().done(result)

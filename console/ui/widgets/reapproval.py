"""The inline re-approval panel between the phases: continue with scaled-down buys or halt."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from console.domain.columns import Tone
from console.domain.events import FundingRecomputed
from console.domain.money import ZERO, add
from console.ui import fmt
from console.ui.palette import css_badge, css_frame
from console.ui.viewmodels.units import usd


def _bold(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setStyleSheet("font-weight:bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ReapprovalPanel(QFrame):
    """Shown in the main window while the run waits; the tabs, HALT and Ctrl+. stay usable."""

    answered = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reapprovalPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"#reapprovalPanel{{{css_frame(Tone.WARN)}}}")
        self.title = QLabel(
            "<b>Re-approve the buy phase.</b> The sell phase raised less than the preview "
            "expected; the buys are paused until you answer."
        )
        self.title.setWordWrap(True)
        self.approved = _bold("—", "approvedScale")
        self.scale = _bold("—", "newScale")
        self.proceeds = _bold("—", "sellProceeds")
        self.spendable = _bold("—", "spendableNow")
        self.buys = QLabel("—")
        self.buys.setObjectName("resizedBuys")
        self.buys.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        for col, (caption, label) in enumerate(
            (
                ("Approved scale", self.approved),
                ("New scale", self.scale),
                ("Sell proceeds", self.proceeds),
                ("Spendable now", self.spendable),
            )
        ):
            grid.addWidget(QLabel(caption), 0, col)
            grid.addWidget(label, 1, col)
        self.continue_button = QPushButton("&Continue with scaled buys")
        self.continue_button.setObjectName("continueButton")
        self.halt_button = QPushButton("Halt run")
        self.halt_button.setObjectName("reapprovalHalt")
        self.halt_button.setStyleSheet(css_badge(Tone.BAD) + "font-weight:bold;padding:4px 12px;")
        self.continue_button.clicked.connect(lambda: self._answer(True))
        self.halt_button.clicked.connect(lambda: self._answer(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.buys, 1)
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.halt_button)
        layout = QGridLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title, 0, 0)
        layout.addLayout(grid, 1, 0)
        layout.addLayout(buttons, 2, 0)
        self.hide()

    def ask(self, recomputed: FundingRecomputed, approved_buys: Decimal | None = None) -> None:
        """Show the numbers of a funding recomputation and wait for Continue or Halt;
        `approved_buys` is the buy phase's approved estimate (what 'planned' means)."""
        self.approved.setText(fmt.pct(recomputed.approved_scale))
        self.scale.setText(fmt.pct(recomputed.scale))
        self.proceeds.setText(usd(recomputed.sell_proceeds))
        spendable = recomputed.spendable_now
        self.spendable.setText(
            usd(spendable if spendable is not None else recomputed.buying_power_now)
        )
        sized = [leg for leg in recomputed.legs if leg.skipped_reason is None]
        skipped = len(recomputed.legs) - len(sized)
        total = add(ZERO, *(leg.scaled_amount for leg in sized))
        approved = f" (approved: {usd(approved_buys)})" if approved_buys is not None else ""
        self.buys.setText(
            f"{len(sized)} buys for {usd(total)} at the new scale{approved}"
            + (f" · {skipped} skipped after scaling" if skipped else "")
        )
        self.show()
        self.continue_button.setFocus()

    def _answer(self, approved: bool) -> None:
        self.hide()
        self.answered.emit(approved)

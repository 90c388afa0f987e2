"""The start page shown when the console opens without a plan: open, demo, journal, recent."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

_PATH_ROLE = int(Qt.ItemDataRole.UserRole)


class StartPage(QWidget):
    """Big first steps (a plan, the demo, a journal to replay) and the recent plans."""

    open_plan = Signal()
    open_demo = Signal()
    open_journal = Signal()
    open_recent = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        title = QLabel("<h2>Phase Console</h2>")
        intro = QLabel(
            "Supervised sell-then-buy rebalancing: open a plan to preview it against the account, "
            "approve it, and watch the sells fund the buys. Nothing is sent before you approve."
        )
        intro.setWordWrap(True)
        self.plan_button = self._button("Open a plan…", "A plan JSON or a targets CSV (Ctrl+O)")
        self.demo_button = self._button(
            "Open the demo", "The bundled demo plan on the simulated broker"
        )
        self.journal_button = self._button(
            "Open a journal (replay)…", "Replay a journaled run at any event (Ctrl+Shift+O)"
        )
        self.plan_button.setObjectName("startOpenPlan")
        self.demo_button.setObjectName("startOpenDemo")
        self.journal_button.setObjectName("startOpenJournal")
        self.plan_button.clicked.connect(self.open_plan)
        self.demo_button.clicked.connect(self.open_demo)
        self.journal_button.clicked.connect(self.open_journal)
        buttons = QHBoxLayout()
        for button in (self.plan_button, self.demo_button, self.journal_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.setObjectName("startRecent")
        self.recent.setAccessibleName("Recent plans")
        self.recent.itemActivated.connect(self._activated)
        self.recent.setFrameShape(QFrame.Shape.StyledPanel)
        self.empty = QLabel("No recent plans yet.")
        self.empty.setObjectName("startNoRecent")
        self.empty.setEnabled(False)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(intro)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addSpacing(16)
        column.addWidget(QLabel("<b>Recent plans</b> (double-click or Enter to open)"))
        column.addWidget(self.empty)
        column.addWidget(self.recent, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.addLayout(column, 1)
        self.setMinimumSize(480, 300)

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setMinimumHeight(40)
        button.setMinimumWidth(170)
        return button

    def set_recent(self, paths: list[str]) -> None:
        """Show the recent plans (name, then the folder), newest first."""
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{Path(path).name}    —    {Path(path).parent}")
            item.setData(_PATH_ROLE, path)
            item.setToolTip(path)
            self.recent.addItem(item)
        self.empty.setVisible(not paths)
        self.recent.setVisible(bool(paths))

    def _activated(self, item: QListWidgetItem) -> None:
        path = item.data(_PATH_ROLE)
        if isinstance(path, str):
            self.open_recent.emit(path)

"""A table view over a RecordTableModel with sort, a status filter and remembered header state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.models.table_model import RecordFilterProxy, RecordTableModel

ALL = "All statuses"


class RecordTable(QWidget):
    """Sortable, status-filterable table; column widths and order persist under `name`."""

    def __init__(
        self,
        name: str,
        model: RecordTableModel[Any],
        settings: QSettings | None = None,
        *,
        statuses: Sequence[str] = (),
        filter_label: str = "Status:",
        parent: QWidget | None = None,
        view: QTableView | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.model = model
        self._settings = settings
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.view = view if view is not None else QTableView(self)
        self.view.setObjectName(f"{name}View")
        self.view.setModel(self.proxy)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.proxy.sort(-1, Qt.SortOrder.AscendingOrder)  # model order until a header is clicked
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for number, column in enumerate(model.columns):
            header.resizeSection(number, column.width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter: QComboBox | None = None
        if statuses:
            bar = QHBoxLayout()
            self.filter = QComboBox(self)
            self.filter.setObjectName(f"{name}Filter")
            self.filter.addItem(ALL)
            for status in statuses:
                self.filter.addItem(status)
            self.filter.currentTextChanged.connect(self._filter_changed)
            caption = QLabel(filter_label)
            caption.setBuddy(self.filter)
            bar.addWidget(caption)
            bar.addWidget(self.filter)
            bar.addStretch(1)
            layout.addLayout(bar)
        layout.addWidget(self.view)
        self.restore_state()

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_status_filter(None if text == ALL else (text,))

    def set_status_filter(self, statuses: Iterable[str] | None) -> None:
        """Filter programmatically (None: all)."""
        self.proxy.set_status_filter(statuses)

    def _key(self) -> str:
        return f"tables/{self.name}/header"

    def restore_state(self) -> None:
        """Restore the column widths and order saved for this table."""
        if self._settings is None:
            return
        value = self._settings.value(self._key())
        if isinstance(value, QByteArray | bytes) and value:
            header = self.view.horizontalHeader()
            header.restoreState(QByteArray(value))
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.proxy.sort(-1, Qt.SortOrder.AscendingOrder)

    def save_state(self) -> None:
        """Remember the column widths and order."""
        if self._settings is not None:
            self._settings.setValue(self._key(), self.view.horizontalHeader().saveState())

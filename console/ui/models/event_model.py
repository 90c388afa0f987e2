"""The replay's event log: every event of the run, showing those up to the cursor (O(delta))."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from typing_extensions import override

from console.domain.columns import EVENTS, ColumnSpec, Tone
from console.domain.events import RecordedEvent
from console.ui.models.table_model import QT_ALIGN
from console.ui.palette import tone_colour, tone_shade

AnyIndex = QModelIndex | QPersistentModelIndex
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
SEQ_ROLE = int(Qt.ItemDataRole.UserRole) + 10


class EventLogModel(QAbstractTableModel):
    """Rows are the run's events 0..cursor; moving the cursor inserts or removes the delta."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[ColumnSpec[RecordedEvent], ...] = EVENTS.window_columns()
        self._events: tuple[RecordedEvent, ...] = ()
        self._problems: frozenset[int] = frozenset()
        self._visible = 0
        self._texts: dict[int, list[str]] = {}

    def set_events(self, events: Sequence[RecordedEvent], problem_seqs: Sequence[int]) -> None:
        """A new run: no row visible until `show_upto`."""
        self.beginResetModel()
        self._events = tuple(events)
        self._problems = frozenset(problem_seqs)
        self._visible = 0
        self._texts.clear()
        self.endResetModel()

    def show_upto(self, position: int) -> None:
        """Show events[0..position] (position -1: none)."""
        count = max(0, min(len(self._events), position + 1))
        if count > self._visible:
            self.beginInsertRows(QModelIndex(), self._visible, count - 1)
            self._visible = count
            self.endInsertRows()
        elif count < self._visible:
            self.beginRemoveRows(QModelIndex(), count, self._visible - 1)
            self._visible = count
            self.endRemoveRows()

    def event_at(self, row: int) -> RecordedEvent:
        """The event shown in a row."""
        return self._events[row]

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Visible events (a flat table)."""
        return 0 if parent.isValid() else self._visible

    @override
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(self.columns)

    @override
    def data(self, index: AnyIndex, role: int = DISPLAY) -> Any:
        """Text, alignment, problem colours and the seq of one cell."""
        row, col = index.row(), index.column()
        if (
            not (0 <= row < self._visible and 0 <= col < len(self.columns))
            or index.parent().isValid()
        ):
            return None
        recorded = self._events[row]
        if role == DISPLAY:
            texts = self._texts.get(row)
            if texts is None:
                texts = self._texts[row] = [c.text(recorded) for c in self.columns]
            return texts[col]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return QT_ALIGN[self.columns[col].align]
        if role == Qt.ItemDataRole.ForegroundRole and recorded.seq in self._problems:
            return tone_colour(Tone.BAD)
        if role == Qt.ItemDataRole.BackgroundRole and recorded.seq in self._problems:
            return tone_shade(Tone.BAD)
        if role == Qt.ItemDataRole.ToolTipRole and col == len(self.columns) - 1:
            return self.data(index, DISPLAY)
        if role == SEQ_ROLE:
            return recorded.seq
        return None

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        """Column headers."""
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == DISPLAY:
                return self.columns[section].header
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return QT_ALIGN[self.columns[section].align]
        return None

"""The generic Qt table model over the domain's column specs: keyed rows, coalesced repaints."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from typing_extensions import override

from console.domain.columns import Align, ColumnSpec
from console.ui.palette import tone_colour, tone_shade

R = TypeVar("R")
AnyIndex = QModelIndex | QPersistentModelIndex

QT_ALIGN: dict[Align, int] = {
    Align.LEFT: int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value),
    Align.RIGHT: int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value),
    Align.CENTER: int(Qt.AlignmentFlag.AlignCenter.value),
}

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TEXT, _ALIGN, _TIP, _FG, _BG, _KEY = range(6)
_ROLE_KIND = {
    DISPLAY: _TEXT,
    int(Qt.ItemDataRole.TextAlignmentRole): _ALIGN,
    int(Qt.ItemDataRole.ToolTipRole): _TIP,
    int(Qt.ItemDataRole.ForegroundRole): _FG,
    int(Qt.ItemDataRole.BackgroundRole): _BG,
    KEY_ROLE: _KEY,
}

COALESCE_MS = 50
# A flood (this many rows changed in a batch) spaces batches up to FLOOD_MS apart: each batch
# costs a repaint of the visible rows (~15-25 ms of Python data() calls) whatever its size.
FLOOD_ROWS = 500
FLOOD_MS = 200
# In a flood, a batch goes out QUIET_MS after the last change (the flood has stopped).
QUIET_MS = 30
# A producer that paces its own flood (the run view-model) publishes once this many rows wait,
# pause or not: one batch's work stays under an event-loop stall (~4 us per order).
FLOOD_BATCH_MAX = 8000
# More separate changed ranges than this are sent as one spanning range.
MAX_RANGES = 24


def _sortable(value: Any) -> tuple[int, Any]:
    """Order None first, numbers numerically, everything else as text."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | Decimal):
        return (1, value)
    return (2, str(value))


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """Rows keyed by id; new rows append at the end, changed rows repaint in ≤ 1 batch / 50 ms.

    Under a flood of changes (≥ FLOOD_ROWS rows per batch) batches are spaced up to FLOOD_MS
    apart, and go out QUIET_MS after the flood stops: a few repaints instead of one per 50 ms.
    """

    def __init__(
        self,
        columns: Sequence[ColumnSpec[R]],
        key: Callable[[R], Hashable],
        parent: QObject | None = None,
        *,
        coalesce_ms: int = COALESCE_MS,
    ) -> None:
        super().__init__(parent)
        self.columns: tuple[ColumnSpec[R], ...] = tuple(columns)
        self._key = key
        self._rows: list[R] = []
        self._index: dict[Hashable, int] = {}
        self._dirty: set[int] = set()
        self._texts: dict[int, list[str]] = {}  # display texts per row, dropped on change
        self._aligns = [QT_ALIGN[column.align] for column in self.columns]
        self._coalesce_ms = coalesce_ms
        self._last_flush = 0.0
        self._last_batch = 0  # rows in the last batch
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self.batches = 0  # dataChanged batches emitted (for tests and benchmarks)
        self.flush_listeners: list[Callable[[list[int]], None]] = []

    # -- Qt model API ---------------------------------------------------------------------
    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of rows (0 under any parent: a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    @override
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(self.columns)

    @override
    def data(self, index: AnyIndex, role: int = DISPLAY) -> Any:
        """Text, alignment, tooltip, colours and key of one cell (Qt asks ~8 roles per cell)."""
        kind = _ROLE_KIND.get(role)
        if kind is None:
            return None
        row_no = index.row()
        col_no = index.column()
        if row_no < 0 or row_no >= len(self._rows) or col_no < 0 or col_no >= len(self.columns):
            return None
        if kind == _TEXT:
            texts = self._texts.get(row_no)
            if texts is None:
                row = self._rows[row_no]
                texts = self._texts[row_no] = [column.text(row) for column in self.columns]
            return texts[col_no]
        if kind == _ALIGN:
            return self._aligns[col_no]
        column = self.columns[col_no]
        row = self._rows[row_no]
        if kind == _FG:
            return tone_colour(column.tone(row)) if column.tone is not None else None
        if kind == _BG:
            if column.tone is None or not column.shade:
                return None
            return tone_shade(column.tone(row))
        if kind == _TIP:
            return column.tooltip(row) if column.tooltip is not None else None
        return str(self._key(row))

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column headers; rows are numbered."""
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self.columns):
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].header
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return QT_ALIGN[self.columns[section].align]
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    # -- rows -----------------------------------------------------------------------------
    def rows(self) -> list[R]:
        """A copy of every row in model order."""
        return list(self._rows)

    def row_at(self, row_no: int) -> R:
        """The row at a model position."""
        return self._rows[row_no]

    def row_by_key(self, key: Hashable) -> R | None:
        """The row with this key, if present."""
        position = self._index.get(key)
        return self._rows[position] if position is not None else None

    def position_of(self, key: Hashable) -> int | None:
        """Model position of the row with this key."""
        return self._index.get(key)

    def sort_value(self, row_no: int, col_no: int) -> tuple[int, Any]:
        """The comparable sort value of one cell."""
        return _sortable(self.columns[col_no].sort_value(self._rows[row_no]))

    def status_value(self, row_no: int) -> str | None:
        """The status text the filter reads (the first status column's value)."""
        for column in self.columns:
            if column.status:
                return str(column.value(self._rows[row_no]))
        return None

    def set_rows(self, rows: Iterable[R]) -> None:
        """Replace every row (a new plan or preview; never used per event)."""
        self._timer.stop()
        self._dirty.clear()
        self.beginResetModel()
        self._texts.clear()
        self._rows = list(rows)
        self._index = {self._key(row): position for position, row in enumerate(self._rows)}
        self.endResetModel()

    def clear(self) -> None:
        """Remove every row."""
        self.set_rows(())

    def drop_first(self, count: int) -> None:
        """Remove the oldest `count` rows (bounded logs)."""
        count = min(count, len(self._rows))
        if count <= 0:
            return
        self.flush()
        self.beginRemoveRows(QModelIndex(), 0, count - 1)
        del self._rows[:count]
        self._texts.clear()
        self._index = {self._key(row): position for position, row in enumerate(self._rows)}
        self.endRemoveRows()

    def upsert_rows(self, rows: Iterable[R]) -> None:
        """Replace rows whose key exists (coalesced repaint); append new ones at the end."""
        fresh: list[R] = []
        for row in rows:
            key = self._key(row)
            position = self._index.get(key)
            if position is None:
                self._index[key] = len(self._rows) + len(fresh)
                fresh.append(row)
            elif position >= len(self._rows):
                fresh[position - len(self._rows)] = row
            else:
                self._rows[position] = row
                self._texts.pop(position, None)
                self._dirty.add(position)
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()
        if self._dirty:
            self._arm()

    def _arm(self) -> None:
        """Schedule the next batch (≥ coalesce_ms after the last; a flood waits for quiet)."""
        flood = self._last_batch >= FLOOD_ROWS or len(self._dirty) >= FLOOD_ROWS
        if not flood and self._timer.isActive():
            return
        now = time.perf_counter() * 1000
        since = now - self._last_flush * 1000
        earliest = self._coalesce_ms - since
        if flood:
            latest = max(earliest, FLOOD_MS - since)
            wait = min(latest, max(earliest, QUIET_MS))
        else:
            wait = earliest
        self._timer.start(max(0, int(wait)))

    def flush(self) -> None:
        """Emit the pending changes as one batch of dataChanged ranges."""
        self._timer.stop()
        if not self._dirty:
            return
        changed = sorted(self._dirty)
        self._dirty.clear()
        self._last_flush = time.perf_counter()
        self._last_batch = len(changed)
        self.batches += 1
        last_col = len(self.columns) - 1
        ranges: list[tuple[int, int]] = []
        for position in changed:
            if ranges and position == ranges[-1][1] + 1:
                ranges[-1] = (ranges[-1][0], position)
            else:
                ranges.append((position, position))
        if len(ranges) > MAX_RANGES:
            ranges = [(changed[0], changed[-1])]
        for top, bottom in ranges:
            self.dataChanged.emit(self.index(top, 0), self.index(bottom, last_col))
        for listener in self.flush_listeners:
            listener(changed)

    @property
    def pending(self) -> int:
        """Rows changed but not yet announced."""
        return len(self._dirty)


class RecordFilterProxy(QSortFilterProxyModel):
    """Sorts by each column's exact sort key and filters by status text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._allowed: frozenset[str] | None = None
        self.setDynamicSortFilter(True)

    def set_status_filter(self, allowed: Iterable[str] | None) -> None:
        """Show only rows whose status is one of `allowed` (None: every row)."""
        self.beginFilterChange()
        self._allowed = frozenset(allowed) if allowed is not None else None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def status_filter(self) -> frozenset[str] | None:
        """The statuses shown, or None for all."""
        return self._allowed

    def _source(self) -> RecordTableModel[Any]:
        model = self.sourceModel()
        assert isinstance(model, RecordTableModel)
        return model

    @override
    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        """Rows whose status is allowed."""
        if self._allowed is None:
            return True
        status = self._source().status_value(source_row)
        return status is None or status.split(" ")[0] in self._allowed

    @override
    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        """Compare the columns' exact sort keys (Decimal stays Decimal)."""
        model = self._source()
        a = model.sort_value(left.row(), left.column())
        b = model.sort_value(right.row(), right.column())
        if a[0] != b[0]:
            return a[0] < b[0]
        result: bool = a[1] < b[1]
        return result

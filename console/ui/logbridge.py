"""A structlog processor that copies every record into the event-log dock's model."""

from __future__ import annotations

import itertools
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from console.ui.columns import LogRow, log_columns
from console.ui.table_model import RecordTableModel

MAX_ROWS = 5000
LEVELS = ("debug", "info", "warning", "error", "critical")
_HIDDEN_KEYS = frozenset({"event", "level", "timestamp", "logger", "exc_info", "_record"})


class LogBridge(QObject):
    """Receives structlog records on any thread and appends them to `model` on the GUI thread."""

    record = Signal(object)

    def __init__(self, parent: QObject | None = None, *, max_rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.model: RecordTableModel[LogRow] = RecordTableModel(
            log_columns(), key=lambda row: row.number, parent=self
        )
        self._numbers = itertools.count(1)
        self._max_rows = max_rows
        self.record.connect(self._append)

    def processor(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """structlog processor: forward a copy of the record, pass the record on unchanged."""
        level = str(event_dict.get("level", method_name)).lower()
        details = " ".join(
            f"{key}={value}" for key, value in event_dict.items() if key not in _HIDDEN_KEYS
        )
        row = LogRow(
            number=next(self._numbers),
            ts=datetime.now(UTC),
            level="warning" if level == "warn" else level,
            event=str(event_dict.get("event", "")),
            details=details,
        )
        try:
            self.record.emit(row)
        except RuntimeError:  # the bridge was deleted (application shutting down)
            pass
        return event_dict

    @Slot(object)
    def _append(self, row: LogRow) -> None:
        if self.model.rowCount() >= self._max_rows:
            self.model.drop_first(self._max_rows // 10)
        self.model.upsert_rows((row,))


def levels_at_least(level: str) -> frozenset[str] | None:
    """The levels shown for a minimum level ('debug': every record, None)."""
    if level not in LEVELS or level == "debug":
        return None
    return frozenset(LEVELS[LEVELS.index(level) :])

"""A structlog processor that copies every record into the event-log dock's model."""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from console.domain.columns import LOG
from console.domain.rows import LogRow
from console.ui.models.table_model import RecordTableModel

MAX_ROWS = 5000
LEVELS = ("debug", "info", "warning", "error", "critical")
_HIDDEN_KEYS = frozenset({"event", "level", "timestamp", "logger", "exc_info", "_record"})


class LogBridge(QObject):
    """Receives structlog records on any thread and appends them to `model` on the GUI thread."""

    record = Signal(LogRow)

    def __init__(self, parent: QObject | None = None, *, max_rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.model: RecordTableModel[LogRow] = RecordTableModel(
            LOG.window_columns(), key=lambda row: row.number, parent=self
        )
        self._numbers = itertools.count(1)
        self._max_rows = max_rows
        self._handler: logging.Handler | None = None
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
        with contextlib.suppress(RuntimeError):  # the bridge was deleted at shutdown
            self.record.emit(row)
        return event_dict

    def handler(self) -> logging.Handler:
        """A stdlib logging handler feeding this bridge (structlog routed through stdlib)."""
        if self._handler is None:
            self._handler = _BridgeHandler(self)
        return self._handler

    def detach(self) -> None:
        """Stop receiving records from the root logger."""
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler = None

    @Slot(LogRow)
    def _append(self, row: LogRow) -> None:
        if self.model.rowCount() >= self._max_rows:
            self.model.drop_first(self._max_rows // 10)
        self.model.upsert_rows((row,))


class _BridgeHandler(logging.Handler):
    """Forwards stdlib records (structlog event dicts or plain messages) to a LogBridge."""

    def __init__(self, bridge: LogBridge) -> None:
        super().__init__(logging.DEBUG)
        self.bridge = bridge

    def emit(self, record: logging.LogRecord) -> None:
        """Convert and forward one record."""
        if isinstance(record.msg, dict):
            event: dict[str, Any] = dict(record.msg)
        else:
            event = {"event": record.getMessage(), "logger": record.name}
        event["level"] = record.levelname.lower()
        self.bridge.processor(None, record.levelname.lower(), event)


def levels_at_least(level: str) -> frozenset[str] | None:
    """The levels shown for a minimum level ('debug': every record, None)."""
    if level not in LEVELS or level == "debug":
        return None
    return frozenset(LEVELS[LEVELS.index(level) :])

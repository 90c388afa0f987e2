"""The replay's run list: the journal's runs and how far the verified hash chain covers each."""

from __future__ import annotations

from PySide6.QtCore import QObject

from console.domain.columns import RunListing, runs_table
from console.ui.models.table_model import RecordTableModel


class RunListModel(RecordTableModel[RunListing]):
    """The journal's runs, with how far each is covered by the verified hash chain."""

    def __init__(self, parent: QObject | None = None) -> None:
        self._limit: int | None = None
        columns = runs_table(lambda: self._limit).window_columns()
        super().__init__(columns, key=lambda r: r.run_id, parent=parent)

    def set_verified_upto(self, limit: int | None) -> None:
        """The last verified seq (None: the whole journal); call before set_rows."""
        self._limit = limit

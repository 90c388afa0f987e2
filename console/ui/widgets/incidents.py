"""The Problems tab's run part: every incident of the run in plain words, the code on hover."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget
from typing_extensions import override

from console.domain.columns import INCIDENTS
from console.domain.events import RecordedEvent
from console.domain.preview_model import Leg
from console.domain.reasons import IncidentRow, approved_legs, run_incidents
from console.domain.runstate import RunState
from console.ui.models.table_model import RecordTableModel
from console.ui.widgets.tables import RecordTable

REFRESH_MS = 250


def _key(row: IncidentRow) -> tuple[int, str, str]:
    return (row.seq if row.seq is not None else -1, row.code, row.symbol or "")


class IncidentsPanel(QWidget):
    """Partly filled then canceled, phase timeouts, caps, refusals, stream silences, halts."""

    def __init__(
        self,
        events_of: Callable[[str], Sequence[RecordedEvent]],
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runIncidents")
        self._events_of = events_of
        self._run_id: str | None = None
        self._approved: tuple[tuple[Leg, ...], int | None] = ((), None)
        self._pending: RunState | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self.model: RecordTableModel[IncidentRow] = RecordTableModel(
            INCIDENTS.window_columns(), key=_key
        )
        self.table = RecordTable("incidents", self.model, settings)
        self.title = QLabel("<b>During the run</b>: no run yet")
        self.title.setObjectName("runIncidentsTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)

    def show_state(self, state: RunState) -> None:
        """Take a run's state; shown within REFRESH_MS, or when the panel is next shown.

        A flood of order updates costs the event loop nothing here: the incidents are derived
        at most every REFRESH_MS and only while the panel is visible.
        """
        self._pending = state
        if not self._timer.isActive():
            self._timer.start()

    def _refresh(self) -> None:
        if self._pending is not None and self.isVisible():
            self.render_state(self._pending)
            self._pending = None

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refresh()

    def render_state(self, state: RunState) -> None:
        """Show the incidents of the run at this state (the approved preview read once per run)."""
        if state.run_id != self._run_id:
            self._run_id = state.run_id
            self._approved = approved_legs(self._events_of(state.run_id)[:1])
        legs, seq = self._approved
        rows = run_incidents(state, approved=legs, approved_seq=seq)
        self.model.set_rows(rows)
        count = len(rows)
        self.title.setText(
            f"<b>During run {state.run_id}</b>: "
            + (f"{count} incident{'s' if count != 1 else ''}" if count else "nothing went wrong")
        )


def add_to_problems_tab(tabs: QTabWidget, panel: IncidentsPanel) -> bool:
    """Put `panel` under the preview's problems, in the same tab (found by its title)."""
    for index in range(tabs.count()):
        title = tabs.tabText(index)
        if title.replace("&", "") != "Problems":
            continue
        problems = tabs.widget(index)
        if problems is None:
            return False
        was_current = tabs.currentIndex() == index
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("problemsSplit")
        tabs.removeTab(index)
        split.addWidget(problems)
        split.addWidget(panel)
        problems.show()  # a page taken out of the tabs stays hidden otherwise
        split.setSizes([300, 300])
        tabs.insertTab(index, split, title)
        if was_current:
            tabs.setCurrentIndex(index)
        return True
    return False

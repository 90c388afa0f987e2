"""The replay window: a journal's runs, the run at the cursor, its event log, integrity, exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from console.domain.columns import Tone
from console.domain.formatting import counted
from console.domain.replay import ReplayIndex
from console.domain.runstate import RunState
from console.engine.ports import Journal
from console.engine.replay import ReplayError, ReplayJournal, SizedJournal
from console.ui import export as exports
from console.ui.assets import app_icon
from console.ui.dialogs.shortcuts import ShortcutsDialog
from console.ui.models.event_model import EventLogModel
from console.ui.models.run_list import RunListModel
from console.ui.palette import css_badge
from console.ui.widgets.tables import RecordTable
from console.ui.windows.replay.loader import ReplayLoader
from console.ui.windows.replay.view import ReplayRunView

JournalOpener = Callable[[str], Journal]
BANNER_STYLE = "font-weight:bold;padding:6px;"
BACKGROUND_FROM = 5_000
"""Journals and runs with more events than this load in a worker thread (first screen first);
smaller ones load at once (a few tens of ms)."""

# (text, shortcuts, object name, handler attribute)
_REPLAY_ACTIONS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("&Play / pause", ("Space",), "actionReplayPlay", "toggle_play"),
    ("Step &back", ("Left", ","), "actionReplayBack", "step_back"),
    ("Step &forward", ("Right", "."), "actionReplayForward", "step_forward"),
    ("&Next problem", ("N",), "actionReplayNextProblem", "next_problem"),
    ("Pre&vious problem", ("Shift+N",), "actionReplayPrevProblem", "prev_problem"),
    ("&Start of run", ("Home",), "actionReplayStart", "go_start"),
    ("&End of run", ("End",), "actionReplayEnd", "go_end"),
    ("Speed 1×", ("1",), "actionReplaySpeed1", "speed_1"),
    ("Speed 10×", ("2",), "actionReplaySpeed10", "speed_10"),
    ("Speed 100×", ("3",), "actionReplaySpeed100", "speed_100"),
    ("Speed max", ("4",), "actionReplaySpeedMax", "speed_max"),
)


class ReplayWindow(QMainWindow):
    """File > Open journal…: list runs, replay one at any event, verify, export."""

    closed = Signal()

    def __init__(
        self, opener: JournalOpener | None = None, settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self.setObjectName("replayWindow")
        self.setWindowTitle("Phase Console — incident replay")
        self._opener = opener
        self._settings = settings
        self.replay: ReplayJournal | None = None
        self.view: ReplayRunView | None = None
        self.banner = QLabel()
        self.banner.setObjectName("tamperBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(css_badge(Tone.BAD) + BANNER_STYLE)
        self.banner.hide()
        self.placeholder = QLabel("Open a journal (Ctrl+O), then choose a run.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        central = QWidget(self)
        self._layout = QVBoxLayout(central)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.addWidget(self.banner)
        self._layout.addWidget(self.placeholder, 1)
        self.setCentralWidget(central)
        self._build_docks()
        self._build_menus()
        self.resize(1280, 800)
        self.background_from = BACKGROUND_FROM
        self._token = 0  # the current load; results of replaced loads are dropped
        self._loading: Journal | None = None  # opened, not yet verified by the worker
        self.loader = ReplayLoader(self)
        self.loader.opened.connect(self._loaded_journal)
        self.loader.first_page.connect(self._loaded_first_page)
        self.loader.loaded.connect(self._loaded_run)
        self.loader.progress.connect(self._load_progress)
        self.loader.failed.connect(self._load_failed)
        self.busy = QProgressBar()
        self.busy.setObjectName("replayLoading")
        self.busy.setRange(0, 0)  # busy: the worker reports stages, not fractions
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().showMessage("No journal open")

    # -- layout ---------------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.runs_model = RunListModel(self)
        body = QWidget()
        self.runs_table = RecordTable("replayRuns", self.runs_model, self._settings, parent=body)
        self.runs_table.view.activated.connect(self._run_activated)
        self.runs_table.view.doubleClicked.connect(self._run_activated)
        self.open_run_button = QPushButton("&Open run")
        self.open_run_button.clicked.connect(self._open_selected)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.runs_table)
        layout.addWidget(self.open_run_button)
        self.runs_dock = QDockWidget("Runs", self)
        self.runs_dock.setObjectName("replayRunsDock")
        self.runs_dock.setWidget(body)
        self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.runs_dock)
        self.events_model = EventLogModel(self)
        self.events_view = QTableView()
        self.events_view.setObjectName("replayEventsView")
        self.events_view.setModel(self.events_model)
        self.events_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.events_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.events_view.verticalHeader().setVisible(False)
        self.events_view.verticalHeader().setDefaultSectionSize(22)
        self.events_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.events_view.setWordWrap(False)
        header = self.events_view.horizontalHeader()
        header.setStretchLastSection(True)
        for number, column in enumerate(self.events_model.columns):
            header.resizeSection(number, column.width)
        self.events_view.clicked.connect(self._event_clicked)
        self.events_dock = QDockWidget("Journal events up to the cursor", self)
        self.events_dock.setObjectName("replayEventsDock")
        self.events_dock.setWidget(self.events_view)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.events_dock)
        self.resizeDocks([self.runs_dock], [150], Qt.Orientation.Vertical)
        self.resizeDocks([self.events_dock], [190], Qt.Orientation.Vertical)

    def _action(self, text: str, keys: tuple[str, ...], name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open journal…", ("Ctrl+O",), "actionReplayOpen")
        self.reload_action = self._action("&Reload (verify again)", ("F5",), "actionReplayReload")
        self.act_legs = self._action("Export &legs CSV…", ("Ctrl+E",), "actionExportLegs")
        self.act_events = self._action("Export e&vents CSV…", ("Ctrl+Shift+E",), "actionEv")
        self.act_state = self._action("Export &state JSON…", ("Ctrl+J",), "actionExportState")
        self.act_report = self._action("Export run &report PDF…", ("Ctrl+P",), "actionReplayPdf")
        close = self._action("&Close", ("Ctrl+W",), "actionReplayClose")
        for action in (self.open_action, self.reload_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        for action in (self.act_legs, self.act_events, self.act_state, self.act_report):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(close)
        self.open_action.triggered.connect(self.choose_journal)
        self.reload_action.triggered.connect(self.reload)
        self.act_legs.triggered.connect(lambda: self._save("legs", "CSV (*.csv)", "csv"))
        self.act_events.triggered.connect(lambda: self._save("events", "CSV (*.csv)", "csv"))
        self.act_state.triggered.connect(lambda: self._save("state", "JSON (*.json)", "json"))
        self.act_report.triggered.connect(lambda: self._save("report", "PDF (*.pdf)", "pdf"))
        close.triggered.connect(self.close)
        replay_menu = bar.addMenu("&Replay")
        self.replay_actions: dict[str, QAction] = {}
        for text, keys, name, handler in _REPLAY_ACTIONS:
            action = self._action(text, keys, name)
            action.triggered.connect(getattr(self, handler))
            replay_menu.addAction(action)
            self.replay_actions[handler] = action
        help_menu = bar.addMenu("&Help")
        shortcuts = self._action("&Keyboard shortcuts", ("F1",), "actionReplayShortcuts")
        shortcuts.triggered.connect(self.show_shortcuts)
        help_menu.addAction(shortcuts)
        self._update_actions()

    def _update_actions(self) -> None:
        has_run = self.view is not None
        for action in (self.act_legs, self.act_events, self.act_state, self.act_report):
            action.setEnabled(has_run)
        for action in self.replay_actions.values():
            action.setEnabled(has_run)
        self.reload_action.setEnabled(self.replay is not None and self._opener is not None)

    # -- opening --------------------------------------------------------------------------
    def choose_journal(self) -> None:
        """A non-modal file dialog for a journal file."""
        dialog = QFileDialog(self, "Open journal", "", "Journals (*.sqlite *.db);;All files (*)")
        dialog.setObjectName("openJournalDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open_path)
        dialog.open()

    def open_path(self, path: str) -> None:
        """Open a journal file read-only through the composition root's opener."""
        if self._opener is None:
            return
        try:
            journal = self._opener(path)
        except Exception as exc:  # shown to the operator; the window stays usable
            self.statusBar().showMessage(f"Cannot open {path}: {exc}")
            return
        self.open_journal(journal, path)

    def open_journal(self, journal: Journal, name: str = "") -> None:
        """Verify the chain, list the runs and open the latest run that can be replayed.

        A large journal is verified and loaded in a worker thread: the window stays live, the
        status bar shows the stage, and the run's first events are shown before the rest.
        """
        self._close_journal()
        self._token += 1
        self.setWindowTitle(f"Phase Console — replay of {Path(name).name or 'journal'}")
        size = journal.last_seq() if isinstance(journal, SizedJournal) else 0
        if size > self.background_from:
            self._drop_view()  # the previous journal's run is not shown under the new name
            self.runs_model.set_rows([])
            self.events_model.set_events([], [])
            self._update_actions()
            self._loading = journal
            self._busy(f"Opening {name or 'journal'} ({size:,} events)…")
            self.loader.open_journal(self._token, journal, name, _latest_openable)
            return
        replay = ReplayJournal(journal, name)
        self._show_journal(replay)
        run_id = _latest_openable(replay)
        if run_id is not None:
            self.open_run(run_id)
        else:
            self._update_actions()
        self._say_opened(replay)

    def _show_journal(self, replay: ReplayJournal) -> None:
        self.replay = replay
        self._show_integrity(replay)
        self.runs_model.set_verified_upto(replay.replay_limit)
        self.runs_model.set_rows(replay.runs)

    def _say_opened(self, replay: ReplayJournal) -> None:
        verified = "verified" if not replay.tampered else "NOT verified"
        self.statusBar().showMessage(
            f"{replay.name}: {replay.verification.event_count} events, chain {verified}, "
            f"{len(replay.runs)} runs"
        )

    # -- background loads (results arrive on the GUI thread) --------------------------------
    def _busy(self, text: str) -> None:
        self.busy.show()
        self.statusBar().showMessage(text)
        if self.view is None:
            self.placeholder.setText(text)

    def _idle(self) -> None:
        self.busy.hide()
        self.placeholder.setText("Open a journal (Ctrl+O), then choose a run.")

    @property
    def loading(self) -> bool:
        """True while a worker loads the journal or a run."""
        return self.busy.isVisibleTo(self)

    def _load_progress(self, token: int, text: str) -> None:
        if token == self._token:
            self._busy(text)

    def _load_failed(self, token: int, text: str) -> None:
        if token == self._token:
            self._idle()
            self.statusBar().showMessage(text)

    def _loaded_journal(self, token: int, replay: ReplayJournal) -> None:
        if token != self._token:
            return
        self._loading = None
        self._show_journal(replay)
        if _latest_openable(replay) is None:
            self._idle()
            self._update_actions()
            self._say_opened(replay)

    def _loaded_first_page(self, token: int, index: ReplayIndex) -> None:
        if token != self._token:
            return
        self._show_run(index)
        if self.view is not None and self.replay is not None:
            last = self.replay.run(index.run_id).last_seq
            limit = self.replay.replay_limit
            self.view.loading_upto = min(last, limit) if limit is not None else last
            self.view.show_position(self.view.player.position)

    def _loaded_run(self, token: int, index: ReplayIndex) -> None:
        if token != self._token:
            return
        self._idle()
        view = self.view
        if view is not None and view.index.run_id == index.run_id:
            self.events_model.set_events(index.events, [p.seq for p in index.problems])
            view.set_index(index)
        else:
            self._show_run(index)
        if self.replay is not None:
            self._say_opened(self.replay)

    def _show_integrity(self, replay: ReplayJournal) -> None:
        if not replay.tampered:
            self.banner.hide()
            return
        bad = replay.first_bad_seq
        detail = replay.verification.detail.removeprefix(f"seq {bad}: ")
        text = (
            f"Journal integrity check FAILED at seq {bad}: {detail}. "
            f"Opened read-only; replay stops at seq {replay.replay_limit} (the last verified "
            "event) and runs that begin later cannot be opened."
        )
        if replay.runs_error:
            text += f" The run list could not be read: {replay.runs_error}"
        self.banner.setText(text)
        self.banner.show()

    def reload(self) -> None:
        """Open the same file again (verify again, pick up events a running console appended)."""
        if self.replay is None or self._opener is None:
            return
        name = self.replay.name
        current = self.view.index.run_id if self.view is not None else None
        self.open_path(name)
        replay = self.replay
        if (
            current is not None
            and replay is not None
            and any(r.run_id == current for r in replay.runs)
        ):
            self.open_run(current)

    def _run_activated(self, index: QModelIndex) -> None:
        key = index.data(int(Qt.ItemDataRole.UserRole) + 2)
        if isinstance(key, str):
            self.open_run(key)

    def _open_selected(self) -> None:
        rows = self.runs_table.view.selectionModel().selectedRows()
        if rows:
            self._run_activated(rows[0])

    def open_run(self, run_id: str) -> None:
        """Load one run and show it at its last (verified) event (a large run: its first
        events at once, the whole run when the worker has indexed it)."""
        replay = self.replay
        if replay is None:
            return
        self._token += 1
        try:
            large = replay.span(run_id) > self.background_from
            if large:
                replay.require_openable(run_id)
            else:
                index = replay.load(run_id)
        except ReplayError as exc:
            self.statusBar().showMessage(str(exc))
            return
        if large:
            self._busy(f"Loading run {run_id}…")
            self.loader.load_run(self._token, replay, run_id)
            return
        self._idle()
        self._show_run(index)

    def _drop_view(self) -> None:
        if self.view is not None:
            self.view.player.pause()
            self._layout.removeWidget(self.view)
            self.view.hide()  # at once: deleteLater waits for the event loop
            self.view.deleteLater()
            self.view = None
            self.placeholder.show()

    def _show_run(self, index: ReplayIndex) -> None:
        run_id = index.run_id
        self._drop_view()
        self.placeholder.hide()
        listed = self.runs_model.row_by_key(run_id)  # as `journal runs` reports it
        executing = listed is None or listed.status != "unfinished"
        view = ReplayRunView(index, self._settings, executing=executing)
        self.view = view
        self._layout.addWidget(view, 1)
        self.events_model.set_events(index.events, [p.seq for p in index.problems])
        view.player.position_changed.connect(self._cursor_moved)
        self._cursor_moved(view.player.position)
        position = self.runs_model.position_of(run_id)
        if position is not None:
            proxy = self.runs_table.proxy.mapFromSource(self.runs_model.index(position, 0))
            self.runs_table.view.selectRow(proxy.row())
        self._update_actions()
        view.timeline.setFocus()

    def _cursor_moved(self, position: int) -> None:
        self.events_model.show_upto(position)
        row = self.events_model.index(position, 0)
        self.events_view.selectRow(position)
        self.events_view.scrollTo(row)

    def _event_clicked(self, index: QModelIndex) -> None:
        if self.view is not None and index.isValid():
            self.view.player.pause()
            self.view.player.seek(index.row())

    # -- replay actions -------------------------------------------------------------------
    def toggle_play(self) -> None:
        """Play or pause."""
        if self.view is not None:
            self.view.player.toggle()

    def step_back(self) -> None:
        """One event back."""
        if self.view is not None:
            self.view.player.step(-1)

    def step_forward(self) -> None:
        """One event forward."""
        if self.view is not None:
            self.view.player.step(1)

    def next_problem(self) -> None:
        """Jump to the next problem event."""
        if self.view is not None and self.view.player.next_problem() is None:
            self.statusBar().showMessage("No further problem in this run", 5000)

    def prev_problem(self) -> None:
        """Jump to the previous problem event."""
        if self.view is not None and self.view.player.prev_problem() is None:
            self.statusBar().showMessage("No earlier problem in this run", 5000)

    def go_start(self) -> None:
        """The run's first event."""
        if self.view is not None:
            self.view.player.step(-len(self.view.index))

    def go_end(self) -> None:
        """The run's last event."""
        if self.view is not None:
            self.view.player.step(len(self.view.index))

    def speed_1(self) -> None:
        """Play at 1× event time."""
        self._speed(0)

    def speed_10(self) -> None:
        """Play at 10× event time."""
        self._speed(1)

    def speed_100(self) -> None:
        """Play at 100× event time."""
        self._speed(2)

    def speed_max(self) -> None:
        """Play as fast as the display allows."""
        self._speed(3)

    def _speed(self, number: int) -> None:
        if self.view is not None:
            self.view.set_speed_index(number)

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts."""
        rows = [
            (action.text().replace("&", "").rstrip("…"), ", ".join(
                k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
            ))
            for action in self.actions()
            if action.shortcuts()
        ]  # fmt: skip
        rows.append(("Scrub", "click or drag on the timeline"))
        rows.append(("Move the cursor to an event", "click it in the event log"))
        ShortcutsDialog(rows, self).open()

    # -- exports --------------------------------------------------------------------------
    @property
    def cursor_state(self) -> RunState | None:
        """The RunState at the cursor."""
        return self.view.state if self.view is not None else None

    def _save(self, what: str, pattern: str, suffix: str) -> None:
        if self.view is None:
            return
        name = f"{self.view.index.run_id}-{what}-seq{self.view.player.seq}.{suffix}"
        dialog = QFileDialog(self, f"Export {what}", name, pattern)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(getattr(self, f"export_{what}"))
        dialog.open()

    def export_legs(self, path: str) -> None:
        """Legs at the cursor as CSV."""
        if self.view is not None:
            state = self.view.state
            self._export(path, lambda: exports.legs_csv(state, path))

    def export_events(self, path: str) -> None:
        """The run's events up to the cursor as CSV."""
        if self.view is not None:
            events = self.view.index.events[: self.view.player.position + 1]
            self._export(path, lambda: exports.events_csv(events, path))

    def export_state(self, path: str) -> None:
        """The RunState at the cursor as `replay --format json` JSON."""
        if self.view is not None:
            view = self.view
            state, seq, last = view.state, view.player.seq, view.index.last_seq
            self._export(path, lambda: exports.state_json(state, seq, last, path))

    def export_report(self, path: str) -> None:
        """The post-trade run report PDF of the run at the cursor (`replay --at SEQ --pdf`)."""
        if self.view is None or self.replay is None:
            return
        view, replay = self.view, self.replay
        run_id, seq = view.index.run_id, view.player.seq
        head = replay.journal.head_hash(run_id, upto_seq=seq)
        first = view.index.events[:1]

        def write() -> str:
            pages = exports.run_pdf(view.state, head, path, replay.name, first)
            return f" ({counted(pages, 'page')}, at seq {seq})"

        self._export(path, write)

    def _export(self, path: str, write: Callable[[], str | None]) -> None:
        """Run one export; the status bar says where it went, or why it could not be written."""
        try:
            detail = write() or ""
        except OSError as exc:
            self.statusBar().showMessage(exports.cannot_export(path, exc))
            return
        self.statusBar().showMessage(f"Exported {path}{detail}", 10000)

    # -- closing --------------------------------------------------------------------------
    def _close_journal(self) -> None:
        self._token += 1  # whatever a worker still loads is dropped
        self._idle()
        if self.view is not None:
            self.view.player.pause()
        if self.replay is not None:
            self.replay.close()
            self.replay = None
        if self._loading is not None:
            self._loading.close()
            self._loading = None

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        self._close_journal()
        event.accept()
        self.closed.emit()


def _latest_openable(replay: ReplayJournal) -> str | None:
    """The run a journal opens on: the latest one that begins within the verified prefix."""
    openable = [run for run in replay.runs if replay.can_open(run)]
    return openable[-1].run_id if openable else None

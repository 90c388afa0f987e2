"""File intents of the main window: start page, open, recent, remainder, reset, CSV and PDF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QLayout,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from console.domain.formatting import counted
from console.domain.plan import LoadedPlan
from console.domain.remainder import build_remainder, plan_json_bytes, remainder_stamp
from console.engine.ports import BrokerError
from console.engine.session import fetch_snapshot
from console.engine.tasks import TaskGroup
from console.ui import export, prefs
from console.ui.viewmodels.preview_vm import PreviewViewModel
from console.ui.viewmodels.run_vm import RunViewModel
from console.ui.widgets.incidents import IncidentsPanel, add_to_problems_tab
from console.ui.widgets.start_page import StartPage


def remainder_path(source: str, stamp: str) -> Path:
    """`<name>-rem-<stamp>.json` beside the plan file (never an existing file: -2, -3, ...)."""
    plan = Path(source)
    base = plan.with_name(f"{plan.stem}-rem-{stamp}.json")
    candidate, number = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.stem}-{number}.json")
        number += 1
    return candidate


def _bundled(source: str) -> bool:
    """Whether the plan is a bundled file (the demo): its remainder goes to the documents."""
    from console.resources import demo_plan_path

    try:
        return Path(source).resolve().parent == demo_plan_path().resolve().parent
    except (OSError, FileNotFoundError):
        return False


def _layout_holding(layout: QLayout | None, widget: QWidget) -> QLayout | None:
    """The (nested) layout that holds `widget` directly."""
    if layout is None:
        return None
    if layout.indexOf(widget) >= 0:
        return layout
    for index in range(layout.count()):
        item = layout.itemAt(index)
        child = item.layout() if item is not None else None
        found = _layout_holding(child, widget)
        if found is not None:
            return found
    return None


class FileController(QObject):
    """Loading plans (open, recent, drop), resetting the sim account, exporting CSV and PDF."""

    message = Signal(str)
    loaded = Signal(str)  # the plan file that loaded
    recent_changed = Signal()

    def __init__(
        self,
        qsettings: QSettings,
        tasks: TaskGroup,
        previews: PreviewViewModel,
        runs: RunViewModel,
        recent_menu: QMenu,
        window: QWidget,
        *,
        reset: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(window)
        self._qsettings = qsettings
        self._tasks = tasks
        self._previews = previews
        self._runs = runs
        self._recent = recent_menu
        self._window = window  # parent of the file dialogs
        self._reset = reset
        self.question: QMessageBox | None = None
        self.start_page = StartPage()
        self.stack: QStackedWidget | None = None
        self._tabs: QWidget | None = None
        self.remainder_action = QAction("Plan the rema&inder", window)
        self.remainder_action.setObjectName("actionPlanRemainder")
        self.remainder_action.setToolTip(
            "After a partial or halted run: a new plan that trades what is left, against the "
            "account now, saved beside the plan and loaded as a preview"
        )
        self.remainder_action.triggered.connect(self.plan_remainder)
        self.remainder_button = QPushButton("Plan the rema&inder…")
        self.remainder_button.setObjectName("planRemainder")
        self.remainder_button.setToolTip(self.remainder_action.toolTip())
        self.remainder_button.clicked.connect(self.plan_remainder)
        self.remainder_path: Path | None = None
        self.incidents = IncidentsPanel(lambda run_id: runs.journal.events(run_id), qsettings)
        runs.state_changed.connect(self.incidents.show_state)
        runs.run_finished.connect(self.incidents.show_state)
        page = self.start_page
        page.open_plan.connect(self.choose_file)
        page.open_demo.connect(self.open_demo)
        page.open_journal.connect(self.open_journal)
        page.open_recent.connect(self.open_path)
        previews.preview_changed.connect(self.show_tabs)
        previews.preview_changed.connect(self._update_remainder)
        runs.run_started.connect(lambda _run_id: self.show_tabs())
        runs.run_started.connect(lambda _run_id: self._update_remainder())
        runs.run_finished.connect(lambda _state: self._update_remainder())
        self._update_remainder()

    def install(self, tabs: QWidget, summary_export: QWidget) -> None:
        """Put the start page in front of `tabs` (same place in the layout), add the remainder
        to the File menu and a button beside the summary's export button."""
        holder = tabs.parentWidget()
        layout = holder.layout() if holder is not None else None
        self.stack = QStackedWidget(holder)
        self.stack.setObjectName("startStack")
        if layout is not None:
            layout.replaceWidget(tabs, self.stack)
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(tabs)
        self._tabs = tabs
        self.stack.setCurrentWidget(self.start_page)
        if isinstance(tabs, QTabWidget):
            add_to_problems_tab(tabs, self.incidents)
        if isinstance(self._window, QMainWindow):
            for action in self._window.menuBar().actions():
                menu = action.menu()
                if isinstance(menu, QMenu) and action.text().replace("&", "") == "File":
                    anchor = next((a for a in menu.actions() if "CSV" in a.text()), None)
                    if anchor is not None:
                        menu.insertAction(anchor, self.remainder_action)
                    else:
                        menu.addAction(self.remainder_action)
                    break
        page = summary_export.parentWidget()
        row = _layout_holding(page.layout() if page is not None else None, summary_export)
        if isinstance(row, QBoxLayout):
            row.insertWidget(
                row.indexOf(summary_export), self.remainder_button, 0, Qt.AlignmentFlag.AlignTop
            )
        self.refresh_recent()

    @property
    def showing_start(self) -> bool:
        """Whether the start page is in front (no plan loaded, no run)."""
        return self.stack is not None and self.stack.currentWidget() is self.start_page

    def show_tabs(self) -> None:
        """Bring the preview/run tabs in front of the start page."""
        if self.stack is not None and self._tabs is not None:
            self.stack.setCurrentWidget(self._tabs)

    def open_demo(self) -> None:
        """Open the bundled demo plan."""
        from console.resources import demo_plan_path

        self.open_path(str(demo_plan_path()))

    def open_journal(self) -> None:
        """File > Open journal (replay), through the window's action."""
        action = self._window.findChild(QAction, "actionOpenJournal")
        if action is not None:
            action.trigger()
        else:
            self.message.emit("Replay is not available in this window")

    def refresh_recent(self) -> None:
        """Rebuild File > Recent plans."""
        self._recent.clear()
        files = prefs.recent_files(self._qsettings)
        for number, path in enumerate(files, start=1):
            action = self._recent.addAction(f"&{number} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self._recent.setEnabled(bool(files))
        self.start_page.set_recent(files)
        self.recent_changed.emit()

    def open_path(self, path: str) -> None:
        """Load a plan file (refused while a run is in progress)."""
        if self._runs.running:
            self.message.emit("A run is in progress: finish or halt it before loading another plan")
            return
        self._tasks.spawn(self._load(path), name="load-plan")

    async def _load(self, path: str) -> None:
        if await self._previews.load(path):
            prefs.add_recent(self._qsettings, path)
            self.refresh_recent()
            self.loaded.emit(path)
            self.message.emit(f"Loaded {path}")

    def refresh(self) -> None:
        """Refresh quotes and recompute the preview (F5)."""
        self._tasks.spawn(self._previews.refresh(), name="refresh")

    @property
    def can_reset(self) -> bool:
        """Whether the broker can be put back to its scenario (the sim broker)."""
        return self._reset is not None

    def ask_reset_account(self) -> None:
        """File > Reset simulated account: confirm (non-modal), then start from the scenario."""
        if self._reset is None:
            return
        if self._runs.running or self._runs.unfinished_runs():
            self.message.emit("Reset refused: a run is in progress or unfinished (resume it first)")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Reset simulated account",
            "Put the simulated account back to its scenario (cash, positions, no orders)?\n"
            "The journal keeps every past run.",
            QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("resetAccountBox")
        box.button(QMessageBox.StandardButton.Reset).clicked.connect(self.reset_account)
        self.question = box
        box.open()

    def reset_account(self) -> None:
        """Reset the simulated account, void any approval and re-preview the plan."""
        if self._reset is None or self._runs.running:
            return
        self._reset()
        self.message.emit("Simulated account reset to its scenario")
        self.refresh()

    def choose_file(self) -> None:
        """File > Open: a non-modal file dialog."""
        dialog = QFileDialog(self._window, "Open plan", "", "Plans (*.json *.csv);;All files (*)")
        dialog.setObjectName("openDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open_path)
        dialog.show()  # modeless, not open() (window-modal): Ctrl+. must reach the window

    def _save_dialog(
        self, title: str, name: str, pattern: str, then: Callable[[str], None]
    ) -> None:
        dialog = QFileDialog(self._window, title, name, pattern)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(then)
        dialog.show()  # modeless, not open() (window-modal): Ctrl+. must reach the window

    def choose_csv(self) -> None:
        """Export CSV (Ctrl+E): the run summary when there is one, else the preview."""
        summary = self._runs.summary
        base = summary.run_id if summary else (self._previews.plan_id or "preview")
        self._save_dialog("Export CSV", f"{base}.csv", "CSV (*.csv)", self.export_csv)

    def export_csv(self, path: str) -> None:
        """Write the summary (after a run) or the preview as CSV."""
        self._export(path, lambda: self._write_csv(path))

    def _write_csv(self, path: str) -> str | None:
        state = self._runs.state
        if self._runs.summary is not None:
            totals = export.summary_csv(self._runs.summary, path)
            if state is not None:
                incidents = totals.with_name(totals.name.replace("-totals", "-incidents"))
                export.incidents_csv(state, incidents, self._runs.journal.events(state.run_id)[:1])
                return f"Exported {path}, {totals.name} and {incidents.name}"
        elif self._previews.preview is not None:
            export.preview_csv(self._previews.preview, path)
        else:
            return None
        return f"Exported {path}"

    def choose_pdf(self) -> None:
        """Export a printable PDF: the run report after a run, else the pre-trade review."""
        state = self._runs.state if self._runs.summary is not None else None
        base = f"{state.run_id}-report" if state else f"{self._previews.plan_id or 'preview'}"
        self._save_dialog("Export PDF report", f"{base}.pdf", "PDF (*.pdf)", self.export_pdf)

    def export_pdf(self, path: str) -> None:
        """Write the run report (after a run) or the preview's review report as PDF."""
        self._export(path, lambda: self._write_pdf(path))

    def _write_pdf(self, path: str) -> str | None:
        state = self._runs.state
        if self._runs.summary is not None and state is not None:
            journal = self._runs.journal
            head = journal.head_hash(state.run_id)
            events = journal.events(state.run_id)[:1]
            where = str(getattr(journal, "path", ""))
            pages = export.run_pdf(state, head, path, where, events)
        elif self._previews.preview is not None:
            loaded = self._previews.loaded
            pages = export.preview_pdf(
                self._previews.preview, path, loaded.source if loaded else ""
            )
        else:
            return None
        return f"Exported {path} ({counted(pages, 'page')})"

    def _export(self, path: str, write: Callable[[], str | None]) -> None:
        """Run one export and say what was written, or why the file could not be written."""
        try:
            said = write()
        except OSError as exc:
            self.message.emit(export.cannot_export(path, exc))
            return
        if said is not None:
            self.message.emit(said)

    # -- the remainder ------------------------------------------------------------------
    def _update_remainder(self) -> None:
        enabled = self._previews.loaded is not None and not self._runs.running
        self.remainder_action.setEnabled(enabled)
        self.remainder_button.setEnabled(enabled)

    def plan_remainder(self) -> None:
        """Build the remainder of the loaded plan against the account now, save it, load it."""
        loaded = self._previews.loaded
        if loaded is None:
            self.message.emit("Load a plan first: the remainder continues a plan")
            return
        if self._runs.running:
            self.message.emit("A run is in progress: plan the remainder once it has ended")
            return
        self._tasks.spawn(self._plan_remainder(loaded), name="plan-remainder")

    async def _plan_remainder(self, loaded: LoadedPlan) -> None:
        previews = self._previews
        try:
            symbols = [item.symbol for item in loaded.plan.items]
            snapshot = await fetch_snapshot(previews.gateway, symbols)
        except BrokerError as exc:
            self.message.emit(f"Broker error while planning the remainder: {exc}")
            return
        now = datetime.now(UTC)
        remainder = build_remainder(loaded, snapshot, previews.settings, now)
        data = plan_json_bytes(remainder.plan)
        documents = Path(platformdirs.user_documents_dir())
        beside = documents / Path(loaded.source).name if _bundled(loaded.source) else None
        path = remainder_path(str(beside or loaded.source), remainder_stamp(now))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:  # a read-only folder: the user's documents folder instead
            if beside is not None:
                self.message.emit(f"Cannot save the remainder plan: {exc}")
                return
            path = remainder_path(str(documents / path.name), remainder_stamp(now))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        self.remainder_path = path
        self.message.emit(f"Remainder plan saved as {path}")
        await self._load(str(path))

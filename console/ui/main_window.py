"""The operator console window: widgets display view-model state and forward intents."""

from __future__ import annotations

import os
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from console.domain.config import Settings
from console.domain.errors import InputError
from console.domain.events import FundingRecomputed
from console.domain.orders import Side
from console.domain.runstate import RunState
from console.engine.gateway import BrokerGateway
from console.engine.ports import CredentialStore, Journal
from console.engine.tasks import TaskGroup
from console.ui import dialogs, export, prefs
from console.ui.actions import build_actions
from console.ui.approval_vm import ApprovalState, ApprovalViewModel, Clock, approval_facts
from console.ui.logbridge import LogBridge
from console.ui.preview_vm import PreviewViewModel
from console.ui.run_vm import ExecutorFactory, RunViewModel
from console.ui.settings_dialog import ConnectionChecker, SettingsDialog
from console.ui.summary import RunSummary, phase_progress
from console.ui.views import MonitorPage, ReviewPages, SummaryPage
from console.ui.widgets.account_strip import AccountStrip, LiveBanner
from console.ui.widgets.panels import ErrorPanel, LogDock, PhaseProgress

log = structlog.get_logger(__name__)
TAB_MONITOR, TAB_SUMMARY = 4, 5


@dataclass
class WindowContext:
    """Everything the window is wired to (built by the composition root, or by tests)."""

    gateway: BrokerGateway
    journal: Journal
    settings: Settings
    qsettings: QSettings
    executor_factory: ExecutorFactory
    log_bridge: LogBridge
    tasks: TaskGroup = field(default_factory=TaskGroup)
    clock: Clock = time.monotonic
    operator: str = "gui"
    credentials: CredentialStore | None = None
    check_connection: ConnectionChecker | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)


class MainWindow(QMainWindow):
    """Load, preview, approve, run, monitor, halt and summarise one plan at a time."""

    closed = Signal()

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.approval = ApprovalViewModel(
            ctx.settings.approval_ttl_seconds, ctx.settings.drift_band, clock=ctx.clock, parent=self
        )
        self.previews = PreviewViewModel(
            ctx.gateway, ctx.journal, ctx.settings, self.approval, clock=ctx.clock, parent=self
        )
        self.runs = RunViewModel(
            ctx.gateway, ctx.journal, ctx.executor_factory, ctx.tasks, clock=ctx.clock, parent=self
        )
        self.acts = build_actions(self)
        self._build(ctx)
        self._connect()
        self._close_confirmed = False
        self.approval_dialog: dialogs.ApprovalDialog | None = None
        self.reapproval_dialog: dialogs.ReapprovalDialog | None = None
        self.question: QMessageBox | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._latest_state: RunState | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(200)
        self._progress_timer.timeout.connect(self._show_progress)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self._refresh_title()
        self._refresh_recent()
        self._update_actions()

    # -- layout --------------------------------------------------------------------------
    def _build(self, ctx: WindowContext) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.live_banner: LiveBanner | None = None
        if ctx.gateway.mode == "LIVE":
            self.live_banner = LiveBanner(central)
            layout.addWidget(self.live_banner)
        self.strip = AccountStrip(ctx.gateway.name, ctx.gateway.mode, central)
        layout.addWidget(self.strip)
        self.error_panel = ErrorPanel(ctx.qsettings, central)
        layout.addWidget(self.error_panel)
        bar = QHBoxLayout()
        self.approval_label = QLabel("Not approved")
        self.approval_label.setObjectName("approvalStatus")
        self.approval_label.setWordWrap(True)
        self.progress = PhaseProgress(central)
        self.approve_button = QPushButton("&Approve…")
        self.run_button = QPushButton("&Run")
        self.halt_button = QPushButton("HALT")
        self.halt_button.setObjectName("haltButton")
        self.halt_button.setToolTip("Halt and cancel every open order of the run (Ctrl+.)")
        self.halt_button.setStyleSheet(
            "QPushButton{background:#b3261e;color:white;font-weight:bold;padding:4px 18px;}"
            "QPushButton:disabled{background:#e6b3b0;}"
        )
        bar.addWidget(self.approval_label, 2)
        bar.addWidget(self.progress, 3)
        for button in (self.approve_button, self.run_button, self.halt_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.review = ReviewPages(ctx.qsettings)
        self.monitor = MonitorPage(self.runs.monitor, ctx.qsettings)
        self.summary_page = SummaryPage(ctx.qsettings)
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("tabs")
        for page, title in (
            (self.review.sell, "&Sell phase"),
            (self.review.buy, "&Buy phase"),
            (self.review.holds, "H&olds"),
            (self.review.problems, "&Problems"),
            (self.monitor, "Order &monitor"),
            (self.summary_page, "Su&mmary"),
        ):
            self.tabs.addTab(page, title)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.log_dock = LogDock(ctx.log_bridge, ctx.qsettings, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.resizeDocks([self.log_dock], [170], Qt.Orientation.Vertical)
        self.statusBar().showMessage("Ready")
        self.tables = [
            *self.review.tables,
            self.monitor.table,
            self.summary_page.table,
            self.log_dock.table,
            self.error_panel.table,
        ]
        self.resize(1280, 800)
        geometry = prefs.load_bytes(ctx.qsettings, "window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        layout_state = prefs.load_bytes(ctx.qsettings, "window/state")
        if layout_state is not None:
            self.restoreState(layout_state)

    def _connect(self) -> None:
        a = self.acts
        a.open.triggered.connect(self.choose_file)
        a.export_csv.triggered.connect(self.choose_csv)
        a.export_pdf.triggered.connect(self.choose_pdf)
        a.settings.triggered.connect(self.open_settings)
        a.quit.triggered.connect(self.close)
        a.refresh.triggered.connect(self.refresh)
        a.approve.triggered.connect(self.open_approval)
        a.run.triggered.connect(self.start_run)
        a.halt.triggered.connect(self.halt)
        a.resume.triggered.connect(self.offer_resume)
        a.show_log.triggered.connect(self._show_log)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        for number, action in enumerate(a.tabs):
            action.triggered.connect(lambda _=False, n=number: self.tabs.setCurrentIndex(n))
        self.approve_button.clicked.connect(self.open_approval)
        self.run_button.clicked.connect(self.start_run)
        self.halt_button.clicked.connect(self.halt)
        self.summary_page.export.clicked.connect(self.choose_csv)
        p, r = self.previews, self.runs
        p.preview_changed.connect(self._preview_changed)
        p.plan_changed.connect(self._plan_changed)
        p.account_changed.connect(self._account_changed)
        p.load_failed.connect(self._load_failed)
        p.busy_changed.connect(lambda _busy: self._update_actions())
        p.message.connect(self._message)
        self.approval.changed.connect(self._approval_changed)
        self.approval.voided.connect(lambda why: self._message(f"Approval void: {why}"))
        r.state_changed.connect(self._run_state)
        r.run_finished.connect(self._run_finished)
        r.run_failed.connect(lambda why: self._message(f"Run failed: {why}"))
        r.summary_ready.connect(self._summary_ready)
        r.reapproval_requested.connect(self._reapproval)
        self.error_panel.dismissed.connect(self.previews.dismiss_error)

    # -- helpers -------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run a coroutine on the loop; the task is referenced and its failure logged."""
        self.ctx.tasks.spawn(coro, name=name)

    def _message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _refresh_title(self) -> None:
        self.setWindowTitle(f"Phase Console — {self.previews.plan_id or 'no plan'}")

    def _refresh_recent(self) -> None:
        menu = self.acts.recent
        menu.clear()
        files = prefs.recent_files(self.ctx.qsettings)
        for number, path in enumerate(files, start=1):
            action = menu.addAction(f"&{number} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        menu.setEnabled(bool(files))

    def _update_actions(self) -> None:
        running, busy = self.runs.running, self.previews.busy
        has_preview = self.previews.preview is not None
        can_approve = has_preview and not running and not busy
        can_run = self.approval.state is ApprovalState.APPROVED and not running and not busy
        a = self.acts
        for action, button, enabled in (
            (a.approve, self.approve_button, can_approve),
            (a.run, self.run_button, can_run),
            (a.halt, self.halt_button, running),
        ):
            action.setEnabled(enabled)
            button.setEnabled(enabled)
        a.open.setEnabled(not running)
        a.recent.setEnabled(not running and bool(prefs.recent_files(self.ctx.qsettings)))
        a.refresh.setEnabled(not busy)
        a.export_pdf.setEnabled(has_preview)
        a.export_csv.setEnabled(has_preview or self.runs.summary is not None)
        a.resume.setEnabled(not running)

    def _tick(self) -> None:
        state, age = self.runs.health()
        self.strip.set_health(state, age)
        self.approval_label.setText(self.approval.describe())

    def start(self, plan: str | None = None) -> None:
        """After the window is shown: load the plan (or the account) and offer a resume."""
        if plan:
            self.open_path(plan)
        else:
            self.refresh()
        if self.runs.unfinished_runs():
            self.offer_resume()

    # -- loading -------------------------------------------------------------------------
    def open_path(self, path: str) -> None:
        """Load a plan file (refused while a run is in progress)."""
        if self.runs.running:
            self._message("A run is in progress: finish or halt it before loading another plan")
            return
        self.spawn(self._load(path), name="load-plan")

    async def _load(self, path: str) -> None:
        if await self.previews.load(path):
            prefs.add_recent(self.ctx.qsettings, path)
            self._refresh_recent()
            self.error_panel.hide()
            self.tabs.setCurrentIndex(0)
            self._message(f"Loaded {path}")

    def refresh(self) -> None:
        """Refresh quotes and recompute the preview (F5)."""
        self.spawn(self.previews.refresh(), name="refresh")

    def choose_file(self) -> None:
        """File > Open: a non-modal file dialog."""
        dialog = QFileDialog(self, "Open plan", "", "Plans (*.json *.csv);;All files (*)")
        dialog.setObjectName("openDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open_path)
        dialog.open()

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    def _load_failed(self, error: InputError) -> None:
        self.error_panel.show_error(error, self.previews.plan_id)
        self._message(f"Could not load {error.file}")

    def _plan_changed(self) -> None:
        self._refresh_title()

    def _preview_changed(self) -> None:
        preview = self.previews.preview
        if preview is None:
            return
        self.review.show_preview(preview, self.previews.weights())
        if self.approval_dialog is not None and self.approval_dialog.isVisible():
            self.approval_dialog.reject()
            self._message("The preview changed: review it and approve again")
        self._update_actions()

    def _account_changed(self) -> None:
        self.strip.set_account(self.previews.account, self.previews.equity)

    # -- approval and run ----------------------------------------------------------------
    def open_approval(self) -> None:
        """Open the non-modal approval dialog for the current preview."""
        preview = self.previews.preview
        if preview is None or self.runs.running:
            return
        at = self.previews.preview_at
        facts = approval_facts(preview, self.previews.previous_runs())
        dialog = dialogs.ApprovalDialog(facts, lambda: self.approval.preview_time_left(at), self)
        dialog.accepted.connect(lambda: self.approval.approve(preview, self.ctx.operator))
        self.approval_dialog = dialog
        dialog.open()

    def _approval_changed(self) -> None:
        self.approval_label.setText(self.approval.describe())
        self._update_actions()

    def start_run(self) -> None:
        """Execute the approved preview (Ctrl+R)."""
        if self.runs.running or not self.approval.valid:
            self._message(self.approval.describe())
            return
        preview = self.approval.consume()
        source = self.previews.loaded.source if self.previews.loaded is not None else ""
        self.runs.start(preview, self.ctx.operator, plan_source=source)
        self.progress.set_phase("Run starting…")
        self.tabs.setCurrentIndex(TAB_MONITOR)
        self._update_actions()

    def halt(self) -> None:
        """Kill switch (Ctrl+.)."""
        if self.runs.running:
            self.runs.halt("operator halt (GUI)")
            self._message("Halt requested: cancelling open orders")

    def _run_state(self, state: RunState) -> None:
        """Progress and phase, at most a few times a second (summing every leg is O(legs))."""
        self._latest_state = state
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _show_progress(self) -> None:
        state = self._latest_state
        if state is None:
            return
        for side in (Side.SELL, Side.BUY):
            filled, planned = phase_progress(state, side)
            self.progress.set_progress(side.value, filled, planned)
        paused = " · paused for re-approval" if self.runs.paused else ""
        self.progress.set_phase(f"Run {state.run_id}: {state.phase} phase · {state.status}{paused}")
        self._update_actions()

    def _run_finished(self, state: RunState) -> None:
        self._latest_state = state
        self._show_progress()
        self.progress.set_phase(f"Run {state.run_id} finished: {state.status.upper()}")
        self._message(f"Run finished: {state.status}")
        if self.reapproval_dialog is not None and self.reapproval_dialog.isVisible():
            self.reapproval_dialog.reject()
        self._update_actions()
        if self._close_confirmed:
            self.close()

    def _summary_ready(self, summary: RunSummary) -> None:
        self.summary_page.show_summary(summary)
        self.tabs.setCurrentIndex(TAB_SUMMARY)
        self._update_actions()

    def _reapproval(self, recomputed: FundingRecomputed) -> None:
        dialog = dialogs.ReapprovalDialog(recomputed, self)
        dialog.answered.connect(self.runs.resolve_reapproval)
        self.reapproval_dialog = dialog
        dialog.open()

    # -- resume and close ----------------------------------------------------------------
    def offer_resume(self) -> None:
        """Offer to resume the latest unfinished run from the journal (non-modal)."""
        unfinished = self.runs.unfinished_runs()
        if not unfinished or self.runs.running:
            if not unfinished:
                self._message("No unfinished run in the journal")
            return
        run = unfinished[-1]
        self.question = dialogs.ask(
            self,
            "Resume unfinished run",
            f"Run {run.run_id} of plan {run.plan_id} (attempt {run.attempt}, started "
            f"{run.started_at}) did not finish. Resume it? Every order is reconciled with the "
            "broker by client order id first; nothing is placed twice.",
            "&Resume run",
            lambda: self.resume(run.run_id),
            no="&Not now",
            name="resumeQuestion",
        )

    def resume(self, run_id: str) -> None:
        """Resume an unfinished run."""
        self.runs.resume(run_id)
        self.tabs.setCurrentIndex(TAB_MONITOR)
        self._update_actions()

    def open_settings(self) -> None:
        """File > Settings (Ctrl+,): the non-modal settings dialog (never exec())."""
        dialog = self.settings_dialog
        if dialog is None:
            dialog = SettingsDialog(
                self.ctx.qsettings,
                self.ctx.tasks,
                credentials=self.ctx.credentials,
                checker=self.ctx.check_connection,
                env=self.ctx.env,
                session_mode=self.ctx.gateway.mode,
                parent=self,
            )
            self.settings_dialog = dialog
        else:
            dialog.refresh_keyring()
        dialog.show()  # modeless, not open(): HALT (Ctrl+.) stays reachable during a run
        dialog.activateWindow()

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts."""
        dialogs.ShortcutsDialog(self.acts.shortcut_table(), self).open()

    def _show_log(self) -> None:
        self.log_dock.show()
        self.log_dock.raise_()
        self.log_dock.table.view.setFocus()

    def save_layout(self) -> None:
        """Remember window geometry and every table's column widths and order."""
        prefs.save_bytes(self.ctx.qsettings, "window/geometry", self.saveGeometry())
        prefs.save_bytes(self.ctx.qsettings, "window/state", self.saveState())
        for table in self.tables:
            table.save_state()
        self.ctx.qsettings.sync()

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runs.running and not self._close_confirmed:
            event.ignore()
            self.question = dialogs.ask(
                self,
                "A run is in progress",
                "Orders of this run may still be open at the broker. Close anyway? The journal "
                "stays consistent and the next start offers to resume the run.",
                "&Close anyway",
                self._close_anyway,
                no="&Keep running",
                name="closeQuestion",
            )
            return
        if self.runs.running:
            event.ignore()
            return
        self.save_layout()
        event.accept()
        self.closed.emit()

    def _close_anyway(self) -> None:
        self._close_confirmed = True
        log.warning(
            "closing_during_run", run_id=self.runs.state.run_id if self.runs.state else None
        )
        self.spawn(self._interrupt_and_close(), name="close-during-run")

    async def _interrupt_and_close(self) -> None:
        await self.runs.interrupt()
        self.close()

    # -- exports -------------------------------------------------------------------------
    def _save_dialog(self, title: str, name: str, pattern: str, then: Any) -> None:
        dialog = QFileDialog(self, title, name, pattern)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(then)
        dialog.open()

    def choose_csv(self) -> None:
        """Export CSV (Ctrl+E): the run summary when there is one, else the preview."""
        base = (
            self.runs.summary.run_id if self.runs.summary else (self.previews.plan_id or "preview")
        )
        self._save_dialog("Export CSV", f"{base}.csv", "CSV (*.csv)", self.export_csv)

    def export_csv(self, path: str) -> None:
        """Write the summary (after a run) or the preview as CSV."""
        if self.runs.summary is not None:
            export.summary_csv(self.runs.summary, path)
        elif self.previews.preview is not None:
            export.preview_csv(self.previews.preview, path)
        else:
            return
        self._message(f"Exported {path}")

    def choose_pdf(self) -> None:
        """Export the preview as a printable PDF report."""
        name = f"{self.previews.plan_id or 'preview'}.pdf"
        self._save_dialog("Export PDF report", name, "PDF (*.pdf)", self.export_pdf)

    def export_pdf(self, path: str) -> None:
        """Write the preview report as PDF."""
        if self.previews.preview is None:
            return
        source = self.previews.loaded.source if self.previews.loaded is not None else ""
        export.preview_pdf(self.previews.preview, path, source)
        self._message(f"Exported {path}")

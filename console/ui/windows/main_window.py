"""The operator console window: widgets display view-model state and forward intents."""

from __future__ import annotations

from importlib import metadata

import structlog
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from console.domain.columns import Tone
from console.domain.errors import InputError
from console.domain.market import AccountSnapshot, OpenOrder
from console.domain.runstate import RunState
from console.domain.summary import RunSummary
from console.ui import fmt, prefs
from console.ui.assets import app_icon
from console.ui.dialogs.common import ask
from console.ui.dialogs.settings import SettingsDialog
from console.ui.dialogs.shortcuts import ShortcutsDialog
from console.ui.palette import css_badge, css_tint
from console.ui.viewmodels.approval_vm import ApprovalState, ApprovalViewModel
from console.ui.viewmodels.preview_vm import PreviewViewModel
from console.ui.viewmodels.run_vm import RunViewModel
from console.ui.widgets.account_panels import PositionsPanel
from console.ui.widgets.account_strip import AccountStrip, LiveBanner
from console.ui.widgets.inline import ElidedLabel, NoticeBar
from console.ui.widgets.notifier import Notifier
from console.ui.widgets.pages import MonitorPage, ReviewPages, SummaryPage
from console.ui.widgets.panels import ErrorPanel, LogDock, PhaseProgress
from console.ui.widgets.reapproval import ReapprovalPanel
from console.ui.windows.actions import build_actions
from console.ui.windows.context import TAB_MONITOR, TAB_SUMMARY, WindowContext
from console.ui.windows.file_controller import FileController
from console.ui.windows.run_controller import RunController

__all__ = ["TAB_MONITOR", "TAB_SUMMARY", "MainWindow", "WindowContext"]
log = structlog.get_logger(__name__)
MINIMUM_SIZE = QSize(1024, 700)


def app_version() -> str:
    """The installed package's version (importlib.metadata), or 'unknown' from a bare tree."""
    try:
        return metadata.version("phase-console")
    except metadata.PackageNotFoundError:
        return "unknown"


class MainWindow(QMainWindow):
    """Load, preview, approve, run, monitor, halt and summarise one plan at a time.

    The window lays out the widgets and routes intents: a RunController owns approval, run,
    halt, progress, re-approval and resume; a FileController owns open, recent, reset and
    exports. Each owns its own state and talks back through typed signals.
    """

    closed = Signal()

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.approval = ApprovalViewModel(
            ctx.settings.approval_ttl_seconds, ctx.settings.drift_band, clock=ctx.clock, parent=self
        )
        self.previews = PreviewViewModel(
            ctx.gateway, ctx.journal, ctx.settings, self.approval, clock=ctx.clock, parent=self
        )
        self.runs = RunViewModel(
            ctx.gateway,
            ctx.journal,
            ctx.executor_factory,
            ctx.tasks,
            clock=ctx.clock,
            phase_timeout=float(ctx.settings.phase_timeout_seconds),
            parent=self,
        )
        self.acts = build_actions(self)
        self.notifier = Notifier(app_icon(), self)
        self._build(ctx)
        self.run_control = RunController(
            ctx.qsettings,
            ctx.tasks,
            self.approval,
            self.previews,
            self.runs,
            self.progress,
            self.reapproval,
            self.notifier,
            self,
        )
        self.files = FileController(
            ctx.qsettings,
            ctx.tasks,
            self.previews,
            self.runs,
            self.acts.recent,
            self,
            reset=ctx.reset_account,
        )
        self.files.install(self.tabs, self.summary_page.export)  # start page, remainder
        self._connect()
        self._close_confirmed = False
        self.question: QMessageBox | None = None
        self.about_box: QMessageBox | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.gate_reason: str | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self._refresh_title()
        self.files.refresh_recent()
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
        self.notice = NoticeBar("runNotice", central)
        layout.addWidget(self.notice)
        self.gate_notice = NoticeBar("gateNotice", central)
        self.gate_notice.close_button.hide()
        layout.addWidget(self.gate_notice)
        self.reapproval = ReapprovalPanel(central)
        layout.addWidget(self.reapproval)
        bar = QHBoxLayout()
        self.approval_label = ElidedLabel("Not approved")
        self.approval_label.setObjectName("approvalStatus")
        self.progress = PhaseProgress(central)
        self.approve_button = QPushButton("&Approve…")
        self.run_button = QPushButton("&Run")
        self.halt_button = QPushButton("HALT")
        self.halt_button.setObjectName("haltButton")
        self.halt_button.setToolTip("Halt and cancel every open order of the run (Ctrl+.)")
        self.halt_button.setStyleSheet(
            f"QPushButton{{{css_badge(Tone.BAD)}font-weight:bold;padding:4px 18px;}}"
            f"QPushButton:disabled{{{css_tint(Tone.BAD)}}}"
        )
        bar.addWidget(self.approval_label, 2)
        bar.addWidget(self.progress, 3)
        for button in (self.approve_button, self.run_button, self.halt_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.review = ReviewPages(ctx.qsettings)
        self.review.funding.set_funding(None, ctx.settings.allow_margin)
        self.monitor = MonitorPage(self.runs.monitor, ctx.qsettings, controls=True)
        self.summary_page = SummaryPage(ctx.qsettings)
        self.positions = PositionsPanel(ctx.qsettings)
        self.new_preview_button = QPushButton("Show the new preview")
        self.new_preview_button.setObjectName("showNewPreview")
        self.new_preview_button.hide()
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("tabs")
        for page, title in (
            (self.review.sell, "&Sell phase"),
            (self.review.buy, "&Buy phase"),
            (self.review.holds, "H&olds"),
            (self.review.problems, "&Problems"),
            (self.monitor, "Order &monitor"),
            (self.summary_page, "Su&mmary"),
            (self.positions, "Pos&itions"),
        ):
            self.tabs.addTab(page, title)
        self.tabs.setCornerWidget(self.new_preview_button)
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
            self.positions.table,
            self.review.open_orders.table,
        ]
        self.setMinimumSize(MINIMUM_SIZE)
        self.resize(1280, 800)
        geometry = prefs.load_bytes(ctx.qsettings, "window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        layout_state = prefs.load_bytes(ctx.qsettings, "window/state")
        if layout_state is not None:
            self.restoreState(layout_state)

    def _connect(self) -> None:
        a, runs, files = self.acts, self.run_control, self.files
        a.open.triggered.connect(files.choose_file)
        a.export_csv.triggered.connect(files.choose_csv)
        a.export_pdf.triggered.connect(files.choose_pdf)
        a.settings.triggered.connect(self.open_settings)
        a.reset_account.triggered.connect(files.ask_reset_account)
        a.reset_account.setVisible(files.can_reset)
        a.quit.triggered.connect(self.close)
        a.refresh.triggered.connect(files.refresh)
        a.approve.triggered.connect(runs.open_approval)
        a.run.triggered.connect(runs.start_run)
        a.halt.triggered.connect(runs.halt)
        a.resume.triggered.connect(runs.offer_resume)
        a.show_log.triggered.connect(self._show_log)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.about.triggered.connect(self.show_about)
        for number, action in enumerate(a.tabs):
            action.triggered.connect(lambda _=False, n=number: self.tabs.setCurrentIndex(n))
        self.approve_button.clicked.connect(runs.open_approval)
        self.run_button.clicked.connect(runs.start_run)
        self.halt_button.clicked.connect(runs.halt)
        self.summary_page.export.clicked.connect(files.choose_csv)
        for controller in (runs, files):
            controller.message.connect(self._message)
        runs.refused.connect(self.notice.show_message)
        self.monitor.cancel_requested.connect(runs.cancel_orders)
        self.review.open_orders.cancel_requested.connect(self._cancel_open_order)
        self.new_preview_button.clicked.connect(self.show_current_preview)
        self.runs.run_started.connect(self._run_started)
        self.runs.state_changed.connect(self._run_progress)
        self.runs.account_refreshed.connect(self.previews.set_account)
        runs.actions_changed.connect(self._update_actions)
        runs.tab_requested.connect(self.tabs.setCurrentIndex)
        runs.summary_ready.connect(self._summary_ready)
        files.loaded.connect(self._loaded)
        files.recent_changed.connect(self._update_actions)
        p = self.previews
        p.preview_changed.connect(self._preview_changed)
        p.plan_changed.connect(self._refresh_title)
        p.account_changed.connect(self._account_changed)
        p.load_failed.connect(self._load_failed)
        p.busy_changed.connect(lambda _busy: self._update_actions())
        p.message.connect(self._message)
        self.approval.changed.connect(self._approval_changed)
        self.approval.voided.connect(lambda why: self._message(f"Approval void: {why}"))
        self.runs.run_finished.connect(self._run_ended)
        self.runs.run_refused.connect(self._run_refused)
        self.runs.run_finished.connect(self._close_if_confirmed)
        self.error_panel.dismissed.connect(self.previews.dismiss_error)

    # -- state shown --------------------------------------------------------------------
    def _tick(self) -> None:
        state, age = self.runs.health()
        if state != self.strip.health.property("state") and state in ("amber", "red"):
            log.warning("stream_health", state=state, silent_seconds=round(age or 0.0))
            if state == "red":
                self.notifier.notify(
                    "Order updates silent", f"no update for {fmt.duration(age or 0.0)}", urgent=True
                )
        self.strip.set_health(state, age)
        clock = self.previews.clock_now()
        if clock is not None:
            self.strip.set_clock(clock, clock.is_open)
        self.run_control.tick()
        left = self.runs.phase_time_left()
        if left is not None and self.runs.phase is not None:
            self.monitor.set_countdown(
                f"{self.runs.phase.value} phase times out in {fmt.duration(left)}: what is still "
                "open is then cancelled"
            )
        elif self.runs.paused:
            self.monitor.set_countdown("paused for re-approval")
        self._update_actions()
        self.approval_label.setText(self._approval_text())

    def start(self, plan: str | None = None) -> None:
        """After the window is shown: load the plan (or the account) and offer a resume."""
        if plan:
            self.files.open_path(plan)
        else:
            self.files.refresh()
        if self.runs.unfinished_runs():
            self.run_control.offer_resume()

    def _message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _refresh_title(self) -> None:
        self.setWindowTitle(f"Phase Console — {self.previews.plan_id or 'no plan'}")

    def _approval_text(self) -> str:
        if self.gate_reason and self.approval.state is not ApprovalState.APPROVED:
            return f"Approve disabled: {self.gate_reason}"
        if self.review.showing_run and not self.runs.running:
            return f"{self.approval.describe()} · showing the finished run"
        return self.approval.describe()

    def _update_actions(self) -> None:
        running, busy = self.runs.running, self.previews.busy
        has_preview = self.previews.preview is not None
        self.gate_reason = self.previews.gate_refusal() if has_preview else None
        pinned = self.review.showing_run
        can_approve = has_preview and not running and not busy and not self.gate_reason
        can_approve = can_approve and not pinned
        can_run = self.approval.state is ApprovalState.APPROVED and not running and not busy
        can_run = can_run and not self.gate_reason
        why = self.gate_reason or (
            "the tabs show a run: press 'Show the new preview' first" if pinned else ""
        )
        self.approve_button.setToolTip(f"Approve disabled: {why}" if why and not running else "")
        if self.gate_reason and not running:
            if self.gate_notice.isHidden():
                log.warning("approve_disabled", reason=self.gate_reason)
            self.gate_notice.show_message(f"Approve is disabled: {self.gate_reason}.", Tone.WARN)
        elif not self.gate_notice.isHidden():
            self.gate_notice.hide()
        self.monitor.set_running(running)
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

    def _preview_changed(self) -> None:
        preview = self.previews.preview
        if preview is None:
            return
        self.review.open_orders.set_orders(self.previews.foreign_open_orders())
        self.run_control.close_stale_approval()
        if self.review.showing_run and (self.runs.running or self.run_control.refreshing_after_run):
            # The tabs keep the approved preview of the run; the fresh one waits for the operator.
            self.new_preview_button.setText(f"Show the new preview (attempt {preview.attempt})")
            self.new_preview_button.setToolTip(
                f"The plan previewed again as attempt {preview.attempt}: it would trade the "
                "plan's amounts in full again. To trade only what is left after this run, use "
                "Plan the remainder… on the Planned vs actual tab."
            )
            self.new_preview_button.setVisible(not self.runs.running)
            self._update_actions()
            return
        self.show_current_preview()

    def show_current_preview(self) -> None:
        """Leave the run view: the tabs show the current (fresh) preview again."""
        preview = self.previews.preview
        self.new_preview_button.hide()
        if preview is None or self.runs.running:
            return
        self.review.show_preview(preview, self.previews.weights())
        self.review.funding.set_funding(preview.funding, self.ctx.settings.allow_margin)
        self._update_actions()

    def _run_banner(self, status: str) -> str:
        started = self.runs.started
        at = self.runs.approved_at
        when = at.astimezone().strftime("%H:%M") if at is not None else "—"
        attempt = f" · attempt {started.attempt}" if started is not None else ""
        return (
            f"Approved {when} by {self.runs.approved_by or '—'}{attempt} · {status} — this is "
            "the approved preview, read-only; the Live status column follows each order"
        )

    def _run_started(self, _run_id: str) -> None:
        started = self.runs.started
        if started is None:
            return
        self.notice.hide()
        self.new_preview_button.hide()
        self.review.show_run(started.legs, started.funding, self._run_banner("running"))
        self._update_actions()

    def _run_progress(self, state: RunState) -> None:
        self.review.update_live(state.legs)
        self.monitor.set_running(self.runs.running)
        if self.review.showing_run and self.runs.running:
            paused = "paused for re-approval" if self.runs.paused else f"running ({state.phase})"
            self.review.set_banner(self._run_banner(paused))

    def _run_ended(self, state: RunState) -> None:
        self.review.update_live(state.legs)
        if self.review.showing_run:
            self.review.set_banner(self._run_banner(f"finished: {state.status}"))
        self._update_actions()

    def _run_refused(self, _why: str) -> None:
        """A resume was refused after its journaled preview was shown: say it is not running."""
        if self.review.showing_run:
            self.review.set_banner(self._run_banner("not running: the resume was refused"))
            self.new_preview_button.setText("Show the current preview")
            self.new_preview_button.show()
        self._update_actions()

    def _cancel_open_order(self, order: OpenOrder) -> None:
        self.ctx.tasks.spawn(self.previews.cancel_open_order(order), name="cancel-open-order")

    def _approval_changed(self) -> None:
        self.approval_label.setText(self._approval_text())
        self._update_actions()

    def _loaded(self, _path: str) -> None:
        self.error_panel.hide()
        if not self.runs.running:  # a late "loaded" never takes the operator off a run
            self.tabs.setCurrentIndex(0)

    def _load_failed(self, error: InputError) -> None:
        self.error_panel.show_error(error, self.previews.plan_id)
        self._message(f"Could not load {error.file}")

    def _summary_ready(self, summary: RunSummary) -> None:
        started = self.runs.started
        self.summary_page.show_run(
            summary, self.runs.state, started.legs if started is not None else ()
        )
        self.tabs.setCurrentIndex(TAB_SUMMARY)

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.files.open_path(files[0])

    def _account_changed(self) -> None:
        account: AccountSnapshot | None = self.previews.account
        self.strip.set_account(account, self.previews.equity)
        self.positions.set_account(account, self.previews.targets())
        if not self.runs.running:
            self.review.open_orders.set_orders(self.previews.foreign_open_orders())

    # -- dialogs, layout and close -------------------------------------------------------
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
        """Help > Keyboard shortcuts (F1), modeless."""
        dialog = ShortcutsDialog(self.acts.shortcut_table(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.shortcuts_dialog = dialog

    def show_about(self) -> None:
        """Help > About: the version (modeless)."""
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setWindowTitle("About Phase Console")
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setText(
            f"<b>Phase Console {app_version()}</b><br>Supervised sell-then-buy rebalancing: "
            "preview, approve, run, monitor, halt and replay."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.about_box = box

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
            self.question = ask(
                self,
                "A run is in progress",
                "Orders of this run may still be open at the broker. Close anyway? The journal "
                "stays consistent and the next start offers to resume the run.",
                "&Close anyway",
                self._close_anyway,
                no="&Keep running",
                name="closeQuestion",
                default_yes=False,
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
        self.ctx.tasks.spawn(self._interrupt_and_close(), name="close-during-run")

    def _close_if_confirmed(self, _state: RunState) -> None:
        if self._close_confirmed:
            self.close()

    async def _interrupt_and_close(self) -> None:
        await self.runs.interrupt()
        self.close()

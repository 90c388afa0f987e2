"""What the main window's parts share: its context, widgets, view-models and small helpers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QPushButton, QTabWidget

from console.domain.config import Settings
from console.domain.runstate import RunState
from console.engine.gateway import BrokerGateway
from console.engine.ports import CredentialStore, Journal
from console.engine.tasks import TaskGroup
from console.ui import prefs
from console.ui.dialogs.approval import ApprovalDialog
from console.ui.dialogs.reapproval import ReapprovalDialog
from console.ui.dialogs.settings import ConnectionChecker, SettingsDialog
from console.ui.models.logbridge import LogBridge
from console.ui.viewmodels.approval_vm import ApprovalState, ApprovalViewModel, Clock
from console.ui.viewmodels.preview_vm import PreviewViewModel
from console.ui.viewmodels.run_vm import ExecutorFactory, RunViewModel
from console.ui.widgets.account_strip import AccountStrip, LiveBanner
from console.ui.widgets.pages import ReviewPages, SummaryPage
from console.ui.widgets.panels import ErrorPanel, PhaseProgress
from console.ui.windows.actions import Actions

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
    reset_account: Callable[[], None] | None = None  # the sim broker's: back to its scenario


class WindowBase(QMainWindow):
    """Attributes and helpers shared by the window's file intents and run control."""

    ctx: WindowContext
    acts: Actions
    approval: ApprovalViewModel
    previews: PreviewViewModel
    runs: RunViewModel
    review: ReviewPages
    summary_page: SummaryPage
    tabs: QTabWidget
    strip: AccountStrip
    live_banner: LiveBanner | None
    error_panel: ErrorPanel
    approval_label: QLabel
    progress: PhaseProgress
    approve_button: QPushButton
    run_button: QPushButton
    halt_button: QPushButton
    approval_dialog: ApprovalDialog | None
    reapproval_dialog: ReapprovalDialog | None
    settings_dialog: SettingsDialog | None
    question: QMessageBox | None
    _close_confirmed: bool
    _latest_state: RunState | None
    _progress_timer: QTimer

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run a coroutine on the loop; the task is referenced and its failure logged."""
        self.ctx.tasks.spawn(coro, name=name)

    def _message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _refresh_title(self) -> None:
        self.setWindowTitle(f"Phase Console — {self.previews.plan_id or 'no plan'}")

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

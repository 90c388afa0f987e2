"""Run control of the main window: approval, run, halt, progress, re-approval, resume."""

from __future__ import annotations

import structlog
from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from console.domain import formatting as f
from console.domain.events import FundingRecomputed
from console.domain.orders import Side
from console.domain.runstate import RunState
from console.domain.summary import RunSummary, phase_progress
from console.engine.tasks import TaskGroup
from console.ui import fmt, prefs
from console.ui.dialogs.approval import ApprovalDialog
from console.ui.dialogs.common import ask
from console.ui.viewmodels.approval_vm import ApprovalViewModel, approval_facts
from console.ui.viewmodels.preview_vm import PreviewViewModel
from console.ui.viewmodels.run_vm import RunViewModel
from console.ui.widgets.notifier import Notifier
from console.ui.widgets.panels import PhaseProgress
from console.ui.widgets.reapproval import ReapprovalPanel
from console.ui.windows.context import TAB_MONITOR

PROGRESS_MS = 200
log = structlog.get_logger(__name__)


class RunController(QObject):
    """Approve, run, halt and follow a run; answer re-approvals inline; resume unfinished runs.

    Nothing here is modal: the approval dialog is shown modeless, the re-approval is a panel in
    the main window and a refused run is a notice above the tabs, so HALT (Ctrl+.) and the tabs
    stay usable whatever is open.
    """

    message = Signal(str)
    refused = Signal(str)
    actions_changed = Signal()
    tab_requested = Signal(int)
    summary_ready = Signal(RunSummary)

    def __init__(
        self,
        qsettings: QSettings,
        tasks: TaskGroup,
        approval: ApprovalViewModel,
        previews: PreviewViewModel,
        runs: RunViewModel,
        progress: PhaseProgress,
        reapproval: ReapprovalPanel,
        notifier: Notifier,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self._qsettings = qsettings
        self._tasks = tasks
        self._approval = approval
        self._previews = previews
        self._runs = runs
        self._progress = progress
        self.reapproval = reapproval
        self.notifier = notifier
        self._window = window  # parent of the dialogs
        self.approval_dialog: ApprovalDialog | None = None
        self.question: QMessageBox | None = None
        self.refreshing_after_run = False
        self._latest_state: RunState | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        runs.state_changed.connect(self._run_state)
        runs.run_finished.connect(self._run_finished)
        runs.run_failed.connect(self._run_failed)
        runs.run_refused.connect(self._run_refused)
        runs.summary_ready.connect(self._summary_ready)
        runs.reapproval_requested.connect(self._reapproval)
        runs.reapproval_resolved.connect(lambda _answer: self.reapproval.hide())
        runs.stream_changed.connect(self._stream_changed)
        reapproval.answered.connect(self._reapproval_answered)

    @property
    def approver(self) -> str:
        """The approver's name (Settings; the OS user by default)."""
        return prefs.approver_name(self._qsettings)

    def open_approval(self) -> None:
        """Show the modeless approval dialog for the current preview."""
        preview = self._previews.preview
        if preview is None or self._runs.running:
            return
        if self.approval_dialog is not None and self.approval_dialog.isVisible():
            self.approval_dialog.reject()
        at = self._previews.preview_at
        facts = approval_facts(preview, self._previews.previous_runs())
        dialog = ApprovalDialog(
            facts,
            lambda: self._approval.preview_time_left(at),
            self._window,
            approver=self.approver,
        )
        dialog.accepted.connect(lambda: self._approved(dialog, preview))
        self.approval_dialog = dialog
        dialog.show()  # modeless, never open()/exec(): HALT and Ctrl+. stay reachable
        dialog.activateWindow()

    def _approved(self, dialog: ApprovalDialog, preview: object) -> None:
        name = dialog.approver_name()
        prefs.set_approver_name(self._qsettings, name)
        if preview is not self._previews.preview:
            self.message.emit("The preview changed: review it and approve again")
            return
        current = self._previews.preview
        assert current is not None
        self._approval.approve(current, name)

    def close_stale_approval(self) -> None:
        """The preview changed: an open approval dialog no longer shows what would run."""
        if self.approval_dialog is not None and self.approval_dialog.isVisible():
            self.approval_dialog.reject()
            self.message.emit("The preview changed: review it and approve again")

    def start_run(self) -> None:
        """Execute the approved preview (Ctrl+R) through the engine's one start path."""
        if self._runs.running or not self._approval.valid:
            self.message.emit(self._approval.describe())
            return
        preview = self._approval.consume()
        loaded = self._previews.loaded
        self._runs.start(
            preview, self._approval.approved_by, plan_source=loaded.source if loaded else ""
        )
        self._progress.set_phase("Run starting…")
        self.tab_requested.emit(TAB_MONITOR)
        self.actions_changed.emit()

    def halt(self) -> None:
        """Kill switch (Ctrl+.): works while the re-approval panel or any dialog is open."""
        if self._runs.running:
            self._runs.halt("operator halt (GUI)")
            self.reapproval.hide()
            self.message.emit("Halt requested: cancelling open orders")

    def cancel_orders(self, coids: list[str]) -> None:
        """The operator cancels orders of the run from the monitor."""
        self._runs.cancel_orders(coids)
        self.message.emit(f"Cancel requested for {len(coids)} order(s)")

    def _run_state(self, state: RunState) -> None:
        """Progress and phase, at most a few times a second (summing every leg is O(legs))."""
        self._latest_state = state
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    @staticmethod
    def _scale_text(state: RunState) -> str:
        if state.recomputed is None:
            return ""
        return (
            f" · buy scale {fmt.pct(state.recomputed.scale)}"
            f" (approved {fmt.pct(state.recomputed.approved_scale)})"
        )

    def _show_progress(self) -> None:
        state = self._latest_state
        if state is None:
            return
        for side in (Side.SELL, Side.BUY):
            filled, _now = phase_progress(state, side)
            self._progress.set_progress(
                side.value, filled, self._runs.approved_planned(side), "approved"
            )
        paused = " · paused for re-approval" if self._runs.paused else ""
        scale = self._scale_text(state)
        left = self._runs.phase_time_left()
        timeout = f" · times out in {fmt.duration(left)}" if left is not None else ""
        if self._runs.running:
            self._progress.set_phase(
                f"{f.phase_text(state.phase)} · {state.status}{timeout}{scale}{paused}"
            )
        else:
            ended = state.status.upper() if state.finished else "UNFINISHED"
            self._progress.set_phase(f"Run finished: {ended}{scale}")
        self._progress.setToolTip(f"Run {state.run_id}")
        self.actions_changed.emit()

    def tick(self) -> None:
        """Once a second: the phase countdown."""
        if self._runs.running and self._latest_state is not None:
            self._show_progress()

    def _run_finished(self, state: RunState) -> None:
        self._latest_state = state
        self._show_progress()
        self.message.emit(f"Run finished: {state.status}")
        self.reapproval.hide()
        self._approval.retire(f"the run it started finished ({state.status})")
        unfinished = not state.finished
        self.notifier.notify(
            "Run unfinished: orders may still be working" if unfinished else "Run finished",
            f"{state.plan_id}: {'unfinished' if unfinished else state.status}",
            urgent=state.status != "succeeded",
        )
        self._refresh_after_run()
        self.actions_changed.emit()

    def _refresh_after_run(self) -> None:
        """The preview refreshes itself: account, next attempt and its client order ids."""
        if self._previews.loaded is None:
            return
        self.refreshing_after_run = True
        self._tasks.spawn(self._refresh(), name="refresh-after-run")

    async def _refresh(self) -> None:
        try:
            await self._previews.refresh()
        finally:
            self.refreshing_after_run = False
            self.actions_changed.emit()

    def _run_failed(self, why: str) -> None:
        self.refused.emit(
            f"The run stopped with an error: {why}. The journal keeps what was "
            "done; Run > Resume unfinished run continues it."
        )
        self.notifier.notify("Run needs attention", why, urgent=True)
        self._approval.retire("the run it started stopped with an error")
        self.actions_changed.emit()

    def _run_refused(self, why: str) -> None:
        self._progress.set_phase("Run refused: nothing was sent")
        self.refused.emit(f"Run refused — nothing was journaled or sent: {why}")
        self._approval.retire(f"the run was refused: {why}")
        self._refresh_after_run()
        self.actions_changed.emit()

    def _summary_ready(self, summary: RunSummary) -> None:
        self.summary_ready.emit(summary)
        self.actions_changed.emit()

    def _reapproval(self, recomputed: FundingRecomputed) -> None:
        self.reapproval.ask(recomputed, self._runs.approved_planned(Side.BUY))
        self.notifier.notify(
            "Re-approval needed",
            f"Buy scale fell to {fmt.pct(recomputed.scale)} "
            f"(approved {fmt.pct(recomputed.approved_scale)}): continue or halt",
            urgent=True,
        )
        self.actions_changed.emit()

    def _reapproval_answered(self, approved: bool) -> None:
        if approved:
            log.info("operator_continue", scope="buy_phase")
            self._runs.resolve_reapproval(True)
        else:
            self.halt()

    def _stream_changed(self, state: str, detail: str) -> None:
        if state in ("silent", "dropped"):
            self.notifier.notify("Order updates stopped", detail or state, urgent=True)

    def offer_resume(self) -> None:
        """Offer to resume the latest unfinished run from the journal (non-modal)."""
        unfinished = self._runs.unfinished_runs()
        if not unfinished or self._runs.running:
            if not unfinished:
                self.message.emit("No unfinished run in the journal")
            return
        run = unfinished[-1]
        self.question = ask(
            self._window,
            "Resume unfinished run",
            f"Run {run.run_id} of plan {run.plan_id} (attempt {run.attempt}, started "
            f"{run.started_at}) did not finish. Resume it? Every order is reconciled with the "
            "broker by client order id first; nothing is placed twice.",
            "&Resume run",
            lambda: self.resume(run.run_id),
            no="&Not now",
            name="resumeQuestion",
        )
        self.notifier.notify("Unfinished run", f"Run {run.run_id} of {run.plan_id} did not finish")

    def resume(self, run_id: str) -> None:
        """Resume an unfinished run (the tabs show its journaled preview)."""
        self._runs.resume(run_id, self.approver)
        self.tab_requested.emit(TAB_MONITOR)
        self.actions_changed.emit()

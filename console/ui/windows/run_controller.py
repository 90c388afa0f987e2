"""Run control of the main window: approval, run, halt, progress, re-approval, resume."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from console.domain.events import FundingRecomputed
from console.domain.orders import Side
from console.domain.runstate import RunState
from console.domain.summary import RunSummary, phase_progress
from console.ui.dialogs.approval import ApprovalDialog
from console.ui.dialogs.common import ask
from console.ui.dialogs.reapproval import ReapprovalDialog
from console.ui.viewmodels.approval_vm import ApprovalViewModel, approval_facts
from console.ui.viewmodels.preview_vm import PreviewViewModel
from console.ui.viewmodels.run_vm import RunViewModel
from console.ui.widgets.panels import PhaseProgress
from console.ui.windows.context import TAB_MONITOR

PROGRESS_MS = 200


class RunController(QObject):
    """Approve, run, halt and follow a run; answer re-approvals; resume unfinished runs."""

    message = Signal(str)
    actions_changed = Signal()
    tab_requested = Signal(int)
    summary_ready = Signal(RunSummary)

    def __init__(
        self,
        operator: str,
        approval: ApprovalViewModel,
        previews: PreviewViewModel,
        runs: RunViewModel,
        progress: PhaseProgress,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self._operator = operator
        self._approval = approval
        self._previews = previews
        self._runs = runs
        self._progress = progress
        self._window = window  # parent of the dialogs
        self.approval_dialog: ApprovalDialog | None = None
        self.reapproval_dialog: ReapprovalDialog | None = None
        self.question: QMessageBox | None = None
        self._latest_state: RunState | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        runs.state_changed.connect(self._run_state)
        runs.run_finished.connect(self._run_finished)
        runs.run_failed.connect(lambda why: self.message.emit(f"Run failed: {why}"))
        runs.summary_ready.connect(self._summary_ready)
        runs.reapproval_requested.connect(self._reapproval)

    def open_approval(self) -> None:
        """Open the non-modal approval dialog for the current preview."""
        preview = self._previews.preview
        if preview is None or self._runs.running:
            return
        at = self._previews.preview_at
        facts = approval_facts(preview, self._previews.previous_runs())
        dialog = ApprovalDialog(facts, lambda: self._approval.preview_time_left(at), self._window)
        dialog.accepted.connect(lambda: self._approval.approve(preview, self._operator))
        self.approval_dialog = dialog
        dialog.open()

    def close_stale_approval(self) -> None:
        """The preview changed: an open approval dialog no longer shows what would run."""
        if self.approval_dialog is not None and self.approval_dialog.isVisible():
            self.approval_dialog.reject()
            self.message.emit("The preview changed: review it and approve again")

    def start_run(self) -> None:
        """Execute the approved preview (Ctrl+R)."""
        if self._runs.running or not self._approval.valid:
            self.message.emit(self._approval.describe())
            return
        preview = self._approval.consume()
        loaded = self._previews.loaded
        self._runs.start(preview, self._operator, plan_source=loaded.source if loaded else "")
        self._progress.set_phase("Run starting…")
        self.tab_requested.emit(TAB_MONITOR)
        self.actions_changed.emit()

    def halt(self) -> None:
        """Kill switch (Ctrl+.)."""
        if self._runs.running:
            self._runs.halt("operator halt (GUI)")
            self.message.emit("Halt requested: cancelling open orders")

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
            self._progress.set_progress(side.value, filled, planned)
        paused = " · paused for re-approval" if self._runs.paused else ""
        self._progress.set_phase(
            f"Run {state.run_id}: {state.phase} phase · {state.status}{paused}"
        )
        self.actions_changed.emit()

    def _run_finished(self, state: RunState) -> None:
        self._latest_state = state
        self._show_progress()
        self._progress.set_phase(f"Run {state.run_id} finished: {state.status.upper()}")
        self.message.emit(f"Run finished: {state.status}")
        if self.reapproval_dialog is not None and self.reapproval_dialog.isVisible():
            self.reapproval_dialog.reject()
        self.actions_changed.emit()

    def _summary_ready(self, summary: RunSummary) -> None:
        self.summary_ready.emit(summary)
        self.actions_changed.emit()

    def _reapproval(self, recomputed: FundingRecomputed) -> None:
        dialog = ReapprovalDialog(recomputed, self._window)
        dialog.answered.connect(self._runs.resolve_reapproval)
        self.reapproval_dialog = dialog
        dialog.open()

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

    def resume(self, run_id: str) -> None:
        """Resume an unfinished run."""
        self._runs.resume(run_id)
        self.tab_requested.emit(TAB_MONITOR)
        self.actions_changed.emit()

"""Run control of the main window: approval, run, halt, progress, re-approval, resume."""

from __future__ import annotations

from console.domain.events import FundingRecomputed
from console.domain.orders import Side
from console.domain.runstate import RunState
from console.domain.summary import RunSummary, phase_progress
from console.ui.dialogs.approval import ApprovalDialog
from console.ui.dialogs.common import ask
from console.ui.dialogs.reapproval import ReapprovalDialog
from console.ui.viewmodels.approval_vm import approval_facts
from console.ui.windows.context import TAB_MONITOR, TAB_SUMMARY, WindowBase


class RunControl(WindowBase):
    """Approve, run, halt and follow a run; answer re-approvals; resume unfinished runs."""

    def open_approval(self) -> None:
        """Open the non-modal approval dialog for the current preview."""
        preview = self.previews.preview
        if preview is None or self.runs.running:
            return
        at = self.previews.preview_at
        facts = approval_facts(preview, self.previews.previous_runs())
        dialog = ApprovalDialog(facts, lambda: self.approval.preview_time_left(at), self)
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
        dialog = ReapprovalDialog(recomputed, self)
        dialog.answered.connect(self.runs.resolve_reapproval)
        self.reapproval_dialog = dialog
        dialog.open()

    def offer_resume(self) -> None:
        """Offer to resume the latest unfinished run from the journal (non-modal)."""
        unfinished = self.runs.unfinished_runs()
        if not unfinished or self.runs.running:
            if not unfinished:
                self._message("No unfinished run in the journal")
            return
        run = unfinished[-1]
        self.question = ask(
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

"""File intents of the main window: open, recent plans, drag and drop, CSV and PDF exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox
from typing_extensions import override

from console.domain.errors import InputError
from console.ui import export, prefs
from console.ui.windows.context import WindowBase


class FileIntents(WindowBase):
    """Loading plans and exporting the preview or the summary."""

    def _refresh_recent(self) -> None:
        menu = self.acts.recent
        menu.clear()
        files = prefs.recent_files(self.ctx.qsettings)
        for number, path in enumerate(files, start=1):
            action = menu.addAction(f"&{number} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        menu.setEnabled(bool(files))

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

    def ask_reset_account(self) -> None:
        """File > Reset simulated account: confirm (non-modal), then start from the scenario."""
        if self.ctx.reset_account is None:
            return
        if self.runs.running or self.runs.unfinished_runs():
            self._message("Reset refused: a run is in progress or unfinished (resume it first)")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Reset simulated account",
            "Put the simulated account back to its scenario (cash, positions, no orders)?\n"
            "The journal keeps every past run.",
            QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("resetAccountBox")
        box.button(QMessageBox.StandardButton.Reset).clicked.connect(self.reset_account)
        self.question = box
        box.open()

    def reset_account(self) -> None:
        """Reset the simulated account, void any approval and re-preview the plan."""
        if self.ctx.reset_account is None or self.runs.running:
            return
        self.ctx.reset_account()
        self._message("Simulated account reset to its scenario")
        self.refresh()

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

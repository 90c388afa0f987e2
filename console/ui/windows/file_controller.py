"""File intents of the main window: open, recent plans, reset, CSV and PDF exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from console.engine.tasks import TaskGroup
from console.ui import export, prefs
from console.ui.viewmodels.preview_vm import PreviewViewModel
from console.ui.viewmodels.run_vm import RunViewModel


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

    def refresh_recent(self) -> None:
        """Rebuild File > Recent plans."""
        self._recent.clear()
        files = prefs.recent_files(self._qsettings)
        for number, path in enumerate(files, start=1):
            action = self._recent.addAction(f"&{number} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self._recent.setEnabled(bool(files))
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
        if self._runs.summary is not None:
            export.summary_csv(self._runs.summary, path)
        elif self._previews.preview is not None:
            export.preview_csv(self._previews.preview, path)
        else:
            return
        self.message.emit(f"Exported {path}")

    def choose_pdf(self) -> None:
        """Export the preview as a printable PDF report."""
        name = f"{self._previews.plan_id or 'preview'}.pdf"
        self._save_dialog("Export PDF report", name, "PDF (*.pdf)", self.export_pdf)

    def export_pdf(self, path: str) -> None:
        """Write the preview report as PDF."""
        if self._previews.preview is None:
            return
        loaded = self._previews.loaded
        export.preview_pdf(self._previews.preview, path, loaded.source if loaded else "")
        self.message.emit(f"Exported {path}")

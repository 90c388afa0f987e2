"""File > Open journal… on the operator console: opens replay windows (wired by the app)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from console.ui.windows.replay.window import JournalOpener, ReplayWindow


class ReplayLauncher(QObject):
    """Owns the replay windows opened from a main window (a child of it: lives as long)."""

    def __init__(
        self,
        parent: QMainWindow,
        opener: JournalOpener,
        default_journal: Path | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.main = parent
        self.opener = opener
        self.default_journal = default_journal
        self.settings = settings
        self.windows: list[ReplayWindow] = []
        self.action = QAction("Open &journal (replay)…", parent)
        self.action.setObjectName("actionOpenJournal")
        self.action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.action.triggered.connect(self.choose)
        parent.addAction(self.action)
        menu = file_menu(parent)
        if menu is not None:
            anchor = next((a for a in menu.actions() if a.isSeparator()), None)
            if anchor is not None:
                menu.insertAction(anchor, self.action)
            else:
                menu.addAction(self.action)

    def choose(self) -> None:
        """A non-modal file dialog, starting at the console's own journal."""
        start = str(self.default_journal) if self.default_journal is not None else ""
        dialog = QFileDialog(
            self.main, "Open journal", start, "Journals (*.sqlite *.db);;All files (*)"
        )
        dialog.setObjectName("openJournalDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open)
        dialog.open()

    def open(self, path: str) -> ReplayWindow:
        """Open `path` read-only in a new replay window."""
        window = ReplayWindow(self.opener, self.settings)
        self.windows.append(window)
        window.closed.connect(lambda: self._forget(window))
        window.show()
        window.open_path(path)
        return window

    def _forget(self, window: ReplayWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)


def file_menu(window: QMainWindow) -> QMenu | None:
    """The window's File menu, if it has one."""
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == "File":
            menu = action.menu()
            return menu if isinstance(menu, QMenu) else None
    return None

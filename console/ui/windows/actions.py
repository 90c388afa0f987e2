"""Menus, actions and keyboard shortcuts of the main window (Help lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass
class Actions:
    """Every action of the main window."""

    open: QAction
    recent: QMenu
    export_csv: QAction
    export_pdf: QAction
    settings: QAction
    reset_account: QAction
    quit: QAction
    refresh: QAction
    approve: QAction
    run: QAction
    halt: QAction
    resume: QAction
    show_log: QAction
    tabs: list[QAction]
    shortcuts: QAction
    about: QAction

    def shortcut_table(self) -> list[tuple[str, str]]:
        """(action, keys) of every action that has a shortcut."""
        rows: list[tuple[str, str]] = []
        for action in (
            self.open, self.export_csv, self.export_pdf, self.settings, self.quit, self.refresh,
            self.approve, self.run, self.halt, self.show_log, *self.tabs, self.shortcuts,
            self.about,
        ):  # fmt: skip
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((action.text().replace("&", "").rstrip("…"), keys))
        rows.append(("Halt also from the approval dialog or any open prompt", "Ctrl+."))
        rows.append(("Move between controls", "Tab / Shift+Tab"))
        rows.append(("Approve in the approval dialog", "Enter (Esc cancels)"))
        rows.append(("Continue after re-approval (panel above the tabs)", "Alt+C"))
        rows.append(("Answer a prompt's underlined button", "Alt+letter"))
        return rows


def _action(
    window: QMainWindow,
    text: str,
    shortcut: str | QKeySequence | QKeySequence.StandardKey | None,
    name: str,
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    return action


TAB_NAMES = (
    "Sell phase", "Buy phase", "Holds", "Problems", "Order monitor", "Summary", "Positions",
)  # fmt: skip


def build_actions(window: QMainWindow) -> Actions:
    """Create the actions and the File, Run, View and Help menus."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    open_action = _action(window, "&Open plan…", QKeySequence.StandardKey.Open, "actionOpen")
    file_menu.addAction(open_action)
    recent = file_menu.addMenu("Open &recent")
    recent.setObjectName("recentMenu")
    file_menu.addSeparator()
    export_csv = _action(window, "&Export CSV…", "Ctrl+E", "actionExportCsv")
    export_pdf = _action(window, "Export &PDF report…", "Ctrl+Shift+E", "actionExportPdf")
    file_menu.addAction(export_csv)
    file_menu.addAction(export_pdf)
    file_menu.addSeparator()
    settings = _action(window, "&Settings…", "Ctrl+,", "actionSettings")
    file_menu.addAction(settings)
    reset_account = _action(window, "Reset simulated &account…", None, "actionResetAccount")
    file_menu.addAction(reset_account)
    file_menu.addSeparator()
    quit_action = _action(window, "&Quit", QKeySequence.StandardKey.Quit, "actionQuit")
    file_menu.addAction(quit_action)

    run_menu = bar.addMenu("&Run")
    refresh = _action(window, "&Refresh quotes", "F5", "actionRefresh")
    approve = _action(window, "&Approve…", "Ctrl+Shift+A", "actionApprove")
    run = _action(window, "R&un", "Ctrl+R", "actionRun")
    halt = _action(window, "&Halt and cancel", "Ctrl+.", "actionHalt")
    # Ctrl+. halts whichever window of the application has the focus (approval, prompts).
    halt.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    resume = _action(window, "Resume &unfinished run…", None, "actionResume")
    for action in (refresh, approve, run, halt):
        run_menu.addAction(action)
    run_menu.addSeparator()
    run_menu.addAction(resume)

    view_menu = bar.addMenu("&View")
    tabs = []
    for number, name in enumerate(TAB_NAMES, start=1):
        action = _action(window, f"Show {name}", f"Ctrl+{number}", f"actionTab{number}")
        view_menu.addAction(action)
        tabs.append(action)
    view_menu.addSeparator()
    show_log = _action(window, "Event &log", "Ctrl+L", "actionShowLog")
    view_menu.addAction(show_log)

    help_menu = bar.addMenu("&Help")
    shortcuts = _action(window, "&Keyboard shortcuts", "F1", "actionShortcuts")
    help_menu.addAction(shortcuts)
    about = _action(window, "&About Phase Console", None, "actionAbout")
    help_menu.addAction(about)
    return Actions(
        open=open_action,
        recent=recent,
        export_csv=export_csv,
        export_pdf=export_pdf,
        settings=settings,
        reset_account=reset_account,
        quit=quit_action,
        refresh=refresh,
        approve=approve,
        run=run,
        halt=halt,
        resume=resume,
        show_log=show_log,
        tabs=tabs,
        shortcuts=shortcuts,
        about=about,
    )

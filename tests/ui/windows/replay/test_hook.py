"""File > Open journal… installs on a main window's File menu and opens replay windows."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from console.ui.windows.replay.hook import ReplayLauncher, file_menu
from tests.replay.conftest import Recorded
from tests.ui.windows.replay.helpers import read_only_opener


def test_the_action_lands_in_the_file_menu_and_opens_a_replay_window(
    qtbot: QtBot, recorded: Recorded
) -> None:
    main = QMainWindow()
    qtbot.addWidget(main)
    menu = main.menuBar().addMenu("&File")
    menu.addAction(QAction("&Open plan…", main))
    menu.addSeparator()
    menu.addAction(QAction("&Quit", main))
    launcher = ReplayLauncher(main, read_only_opener, recorded.path)
    menu_found = file_menu(main)
    assert menu_found is not None
    texts = [a.text() for a in menu_found.actions()]
    assert texts[1] == "Open &journal (replay)…"
    window = launcher.open(str(recorded.path))
    qtbot.addWidget(window)
    assert window.view is not None and window.view.index.run_id == recorded.incident.run_id
    assert launcher.windows == [window]
    window.close()
    assert launcher.windows == []
    launcher.choose()
    dialog = main.findChild(object, "openJournalDialog")
    assert dialog is not None
    dialog.close()  # type: ignore[attr-defined]

"""A large journal loads in a worker thread: first screen first, then the whole run, live window."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from console.domain.fold import fold
from console.domain.replay import ReplayIndex
from console.ui.windows.replay.window import ReplayWindow
from tests.replay.conftest import Recorded
from tests.ui.windows.replay.helpers import copy_journal, read_only_opener, tamper, view_of


def _window(qtbot: QtBot, first_page: int = 5) -> ReplayWindow:
    window = ReplayWindow(read_only_opener)
    qtbot.addWidget(window)
    window.background_from = 10  # the recorded journal counts as large here
    window.loader.first_page_size = first_page
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_large_journal_shows_its_first_page_then_the_whole_run_without_blocking(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = _window(qtbot)
    pages: list[ReplayIndex] = []
    window.loader.first_page.connect(lambda _token, index: pages.append(index))
    window.open_path(str(recorded.path))
    assert window.loading and window.view is None  # open_path returned before any loading
    assert window.busy.isVisibleTo(window)
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    window.loader.join(5)
    view = view_of(window)
    assert [len(page) for page in pages] == [5]
    assert pages[0].events == view.index.events[:5]  # the first screen was the run's start
    assert view.index.run_id == recorded.incident.run_id
    assert view.player.at_end and view.player.seq == view.index.last_seq
    assert view.state == view.index.final == fold(view.index.events)
    assert window.events_model.rowCount() == len(view.index)
    assert window.replay is not None and "verified" in window.statusBar().currentMessage()
    assert not window.busy.isVisibleTo(window)


def test_a_cursor_moved_on_the_first_page_stays_when_the_whole_run_arrives(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = _window(qtbot)
    moved: list[int] = []

    def move(_token: int, _index: ReplayIndex) -> None:
        assert view_of(window).loading_upto == recorded.incident.at_seq  # "of N (loading…)"
        assert "loaded so far" in view_of(window).where.text()
        view_of(window).player.seek(2)  # the operator steps back while the rest loads
        moved.append(view_of(window).player.position)

    window.loader.first_page.connect(move)
    window.open_path(str(recorded.path))
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    window.loader.join(5)
    view = view_of(window)
    assert moved == [2] and view.player.position == 2 and view.loading_upto is None
    assert view.state == fold(view.index.events[:3])
    assert window.events_model.rowCount() == 3


def test_choosing_another_run_while_loading_drops_the_first_load(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = _window(qtbot)
    window.open_path(str(recorded.path))
    qtbot.waitUntil(lambda: window.replay is not None, timeout=10_000)
    window.open_run(recorded.clean.run_id)  # replaces the incident run's load
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    window.loader.join(5)
    qtbot.wait(50)  # any late result of the dropped load would arrive now
    assert view_of(window).index.run_id == recorded.clean.run_id
    assert view_of(window).index.final.status == "succeeded"


def test_a_tampered_large_journal_opens_read_only_up_to_the_bad_seq(
    qtbot: QtBot, recorded: Recorded, tmp_path: Path
) -> None:
    path = copy_journal(recorded.path, tmp_path)
    with closing(sqlite3.connect(path)) as conn:  # the incident run's last order event
        (bad,) = conn.execute(
            "SELECT MAX(seq) FROM events WHERE run_id = ? AND payload LIKE '%sim-%'",
            (recorded.incident.run_id,),
        ).fetchone()
    tamper(path, bad, "sim-", "SIM-")
    window = _window(qtbot)
    window.open_path(str(path))
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    window.loader.join(5)
    assert window.banner.isVisible() and f"FAILED at seq {bad}" in window.banner.text()
    assert view_of(window).index.last_seq == bad - 1


def test_dialogs_do_not_grow_the_window(qtbot: QtBot, recorded: Recorded) -> None:
    window = _window(qtbot)
    window.open_path(str(recorded.path))
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    before = window.size()
    view = view_of(window)
    view.where.setText("a very long problem note " * 40)  # never widens the window
    qtbot.wait(20)
    assert window.size() == before
    window.show_shortcuts()
    window.choose_journal()
    qtbot.wait(50)
    assert window.size() == before
    for dialog in window.findChildren(QDialog):
        dialog.close()


def test_closing_the_window_while_loading_drops_the_load(qtbot: QtBot, recorded: Recorded) -> None:
    window = _window(qtbot)
    window.open_path(str(recorded.path))
    assert window.loading
    window.close()  # the journal is closed under the worker: its results are dropped
    window.loader.join(5)
    qtbot.wait(50)
    assert window.view is None and window.replay is None and not window.loading


def test_opening_a_large_journal_clears_the_previous_one_until_it_is_loaded(
    qtbot: QtBot, recorded: Recorded
) -> None:
    window = _window(qtbot)
    window.background_from = 10**6  # a small journal: opened at once
    window.open_path(str(recorded.path))
    assert window.view is not None and window.runs_model.rowCount() == 2
    window.background_from = 10
    window.open_path(str(recorded.path))
    assert window.view is None and window.runs_model.rowCount() == 0
    assert window.placeholder.isVisibleTo(window) and not window.act_legs.isEnabled()
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    window.loader.join(5)
    assert view_of(window).index.run_id == recorded.incident.run_id
    assert window.runs_model.rowCount() == 2 and window.act_legs.isEnabled()

"""Replay test helpers: copies of the recorded journal, tampering, an open replay window."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.journal.store import SqliteJournal
from console.ui.windows.replay.view import ReplayRunView
from console.ui.windows.replay.window import ReplayWindow


def copy_journal(source: Path, target_dir: Path) -> Path:
    """A private copy of a (closed) journal file."""
    target = target_dir / "copy.sqlite"
    shutil.copy(source, target)
    return target


def tamper(path: Path, seq: int, old: str, new: str) -> None:
    """Change stored payload bytes of one event (what `journal verify` must catch)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        (before,) = conn.execute("SELECT payload FROM events WHERE seq = ?", (seq,)).fetchone()
        assert old in before, before
        conn.execute("UPDATE events SET payload = ? WHERE seq = ?", (before.replace(old, new), seq))


def read_only_opener(path: str) -> SqliteJournal:
    """What the composition root passes: the journal opened read-only."""
    return SqliteJournal(path, read_only=True)


def open_window(qtbot: QtBot, path: Path) -> ReplayWindow:
    """A shown replay window on `path`."""
    window = ReplayWindow(read_only_opener)
    qtbot.addWidget(window)
    window.open_path(str(path))
    window.show()
    qtbot.waitExposed(window)
    return window


def view_of(window: ReplayWindow) -> ReplayRunView:
    """The open run view."""
    assert window.view is not None
    return window.view

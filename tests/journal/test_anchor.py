"""The journal anchor (DESIGN §5): head_hash, a file readable by its owner only."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from console.journal import SqliteJournal
from tests.journal.helpers_journal import append_all, raw
from tests.journal.journal_factories import full_run, one_of_each_kind


def test_head_hash_is_the_hash_of_the_runs_last_event(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with SqliteJournal(path) as journal:
        first = append_all(journal, "run-a", full_run())
        append_all(journal, "run-b", one_of_each_kind())
        head_a = journal.head_hash("run-a")
        head_b = journal.head_hash("run-b")
        assert journal.head_hash("run-nope") is None
    with raw(path) as conn:
        last_a = conn.execute("SELECT hash FROM events WHERE seq = ?", (first[-1].seq,)).fetchone()
        last = conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    assert head_a == last_a[0]
    assert head_b == last[0]
    assert head_a != head_b


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_journal_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "j.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", full_run())
        files = [path, path.with_name("j.sqlite-wal"), path.with_name("j.sqlite-shm")]
        for file in files:
            assert file.exists(), file
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_an_existing_journal_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", full_run())
    path.chmod(0o640)
    with SqliteJournal(path) as journal:
        append_all(journal, "run-b", one_of_each_kind())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640

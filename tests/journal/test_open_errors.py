"""Paths that are not journals give an InputError naming the file, never a sqlite3 error."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from console.domain.errors import InputError
from console.journal import SqliteJournal


def refused(path: Path, read_only: bool) -> str:
    with pytest.raises(InputError) as caught:
        SqliteJournal(path, read_only=read_only)
    text = str(caught.value)
    assert str(path) in text
    assert caught.value.file == str(path)
    return text


@pytest.mark.parametrize("read_only", [False, True])
def test_random_bytes(tmp_path: Path, read_only: bool) -> None:
    path = tmp_path / "noise.sqlite"
    path.write_bytes(os.urandom(4096))
    assert "not a SQLite database" in refused(path, read_only)
    assert path.stat().st_size == 4096


@pytest.mark.parametrize("read_only", [False, True])
def test_json_file(tmp_path: Path, read_only: bool) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"schema_version": "1.0", "items": []}\n')
    assert "JSON" in refused(path, read_only)


@pytest.mark.parametrize("read_only", [False, True])
def test_directory(tmp_path: Path, read_only: bool) -> None:
    assert "directory" in refused(tmp_path, read_only)


def test_missing_file_in_read_only_mode(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    assert "no such" in refused(path, True)
    assert not path.exists()


def test_empty_file_in_read_only_mode(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    assert "empty" in refused(path, True)


def test_sqlite_header_with_garbage_after_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    assert "not a SQLite database" in refused(path, True)


@pytest.mark.parametrize("read_only", [False, True])
def test_other_sqlite_database_is_left_untouched(tmp_path: Path, read_only: bool) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.commit()
    before = path.read_bytes()
    assert "not a Phase Console journal" in refused(path, read_only)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_unsupported_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    SqliteJournal(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
        conn.commit()
    assert "schema version" in refused(path, True)
    assert "schema version" in refused(path, False)


def test_parent_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "not a directory" in refused(blocker / "journal.sqlite", False)


def test_empty_file_in_write_mode_becomes_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with SqliteJournal(path) as journal:
        assert journal.verify().ok

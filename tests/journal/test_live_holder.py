"""Who executes a plan's run now, read from the lock's record without taking the lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.journal.lock import live_holder, lock_path
from console.journal.store import SqliteJournal
from tests.journal.helpers_journal import append_all
from tests.journal.journal_factories import PLAN_DIGEST, full_run


def _journal(tmp_path: Path, *, completed: bool) -> Path:
    path = tmp_path / "journal.sqlite"
    events = full_run()
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", events if completed else events[:-1])
    return path


def _write_holder(path: Path, **holder: object) -> None:
    lock_path(path.resolve(), PLAN_DIGEST).write_text(json.dumps(holder))


def test_a_held_lock_names_its_live_holder_and_a_released_one_nobody(tmp_path: Path) -> None:
    path = _journal(tmp_path, completed=False)
    with SqliteJournal(path) as journal:
        lock = journal.lock_run(PLAN_DIGEST)
        holder = live_holder(path.resolve(), PLAN_DIGEST)
        assert holder is not None and holder["pid"] == os.getpid()
        assert journal.reported_status(journal.runs()[0]) == "running"
        lock.release()
        assert live_holder(path.resolve(), PLAN_DIGEST) is None
        assert journal.reported_status(journal.runs()[0]) == "unfinished"


def test_a_dead_or_silent_holder_is_nobody(tmp_path: Path) -> None:
    path = _journal(tmp_path, completed=False)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    now = datetime.now(UTC)
    _write_holder(path, pid=int(finished.stdout), host=socket.gethostname(),
                  since=now.isoformat(), heartbeat=now.isoformat())  # fmt: skip
    assert live_holder(path.resolve(), PLAN_DIGEST) is None  # SIGKILLed: its pid is gone
    old = (now - timedelta(minutes=5)).isoformat()
    _write_holder(path, pid=1234, host="elsewhere", since=old, heartbeat=old)
    assert live_holder(path.resolve(), PLAN_DIGEST) is None  # another host, heartbeat stale
    _write_holder(path, pid=1234, host="elsewhere", since=old, heartbeat=now.isoformat())
    assert live_holder(path.resolve(), PLAN_DIGEST) == {
        "pid": 1234, "host": "elsewhere", "since": old, "heartbeat": now.isoformat()
    }  # fmt: skip


def test_a_completed_run_keeps_its_status_whoever_holds_the_lock(tmp_path: Path) -> None:
    path = _journal(tmp_path, completed=True)
    with SqliteJournal(path, read_only=True) as journal:
        assert journal.reported_status(journal.runs()[0]) == "succeeded"

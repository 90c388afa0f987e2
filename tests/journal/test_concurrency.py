"""A read-only journal reads and verifies while a writer appends, and never blocks it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from console.domain.events import PhaseStarted
from console.domain.orders import Side
from console.journal import SqliteJournal
from tests.journal.helpers_journal import append_all
from tests.journal.journal_factories import full_run

ROOT = Path(__file__).resolve().parents[2]

WRITER_SCRIPT = """
import asyncio, sys
from console.journal import SqliteJournal
from tests.journal.journal_factories import full_run

async def main(path: str, runs: int) -> None:
    with SqliteJournal(path) as journal:
        for i in range(runs):
            run_id = journal.new_run_id()
            for event in full_run(f"{i:064x}"):
                await journal.append(run_id, event)
    print("done", flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def read_until(reader: SqliteJournal, stop: threading.Event, errors: list[BaseException]) -> int:
    """Verify, list runs and read events in a loop until `stop`; return the loop count."""
    loops = 0
    try:
        while not stop.is_set():
            result = reader.verify()
            assert result.ok, result.detail
            runs = reader.runs()
            for summary in runs[-2:]:
                events = reader.events(summary.run_id)
                assert events[0].seq == summary.first_seq
            everything = reader.all_events()
            assert [e.seq for e in everything] == list(range(1, len(everything) + 1))
            loops += 1
    except BaseException as exc:  # collected and re-raised by the test thread
        errors.append(exc)
    return loops


def test_reader_thread_while_writer_thread_appends(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as writer:
        append_all(writer, "run-0", full_run())  # the file exists before the reader opens
        stop = threading.Event()
        errors: list[BaseException] = []
        counts: list[int] = []
        with SqliteJournal(path, read_only=True) as reader:
            thread = threading.Thread(
                target=lambda: counts.append(read_until(reader, stop, errors))
            )
            thread.start()
            slowest = 0.0
            for i in range(15):
                started = time.perf_counter()
                append_all(writer, f"run-{i + 1}", full_run(f"{i:064x}"))
                slowest = max(slowest, time.perf_counter() - started)
            stop.set()
            thread.join(timeout=30)
            assert not errors, errors
            assert counts[0] > 0
            final = reader.verify()
    assert final.ok
    assert final.event_count == 16 * 19
    assert slowest < 4.0  # 19 appends; a blocked writer would wait for the busy timeout (5 s)


def test_reader_process_side_by_side_with_writer_process(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-0", full_run())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(path), "25"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[int] = []
    try:
        with SqliteJournal(path, read_only=True) as reader:
            while proc.poll() is None:
                result = reader.verify()
                assert result.ok, result.detail
                seen.append(result.event_count)
                reader.runs()
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert "database is locked" not in err
            assert out.strip() == "done"
            final = reader.verify()
            assert final.ok
            assert final.event_count == 26 * 19
            assert len(reader.runs()) == 26
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert seen
    assert seen == sorted(seen)


def test_read_only_open_after_the_writer_closed(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", full_run()[:3])
    with SqliteJournal(path, read_only=True) as reader:
        assert reader.verify().event_count == 3
        # A writer may open and append while the reader holds the file.
        with SqliteJournal(path) as writer:
            append_all(writer, "run-a", [PhaseStarted(phase=Side.BUY)])
        assert reader.verify().event_count == 4

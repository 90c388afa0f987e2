"""Replay opens a journal a running console is writing: read-only, no lock contention."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.engine.replay import ReplayJournal
from console.journal.store import SqliteJournal
from tests.journal.helpers_journal import append_all
from tests.journal.journal_factories import full_run
from tests.journal.test_concurrency import ROOT, WRITER_SCRIPT
from tests.ui.windows.replay.helpers import open_window, read_only_opener, view_of


def test_replay_reads_while_a_writer_thread_appends_and_never_blocks_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    stop = threading.Event()
    latencies: list[float] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with SqliteJournal(path) as writer:
                number = 0
                while not stop.is_set():
                    run_id = writer.new_run_id()
                    for event in full_run(f"{number:064x}"):
                        started = time.perf_counter()
                        writer.append_sync(run_id, event)
                        latencies.append(time.perf_counter() - started)
                    number += 1
        except BaseException as exc:  # re-raised by the test thread
            errors.append(exc)

    with SqliteJournal(path) as seed:
        append_all(seed, seed.new_run_id(), full_run())
    thread = threading.Thread(target=write)
    thread.start()
    opened = 0
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            replay = ReplayJournal(read_only_opener(str(path)), str(path))
            try:
                assert not replay.tampered, replay.verification.detail
                # The writer holds no run lock: its run in progress reads `unfinished`.
                finished = [r for r in replay.runs if r.status not in ("running", "unfinished")]
                index = replay.load(finished[-1].run_id)
                assert index.final.status == "succeeded"
                opened += 1
            finally:
                replay.close()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert opened > 3 and len(latencies) > 50
    assert max(latencies) < 1.0  # a blocked writer would wait for the 5 s busy timeout


def test_replay_window_opens_and_reloads_while_a_writer_process_appends(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, journal.new_run_id(), full_run())
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(path), "30"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        window = open_window(qtbot, path)
        counts = []
        while proc.poll() is None:
            window.reload()
            assert window.replay is not None and not window.replay.tampered
            counts.append(window.runs_model.rowCount())
            assert view_of(window).index.final.run_id
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "database is locked" not in err and out.strip() == "done"
        window.reload()
        assert window.runs_model.rowCount() == 31
        assert counts == sorted(counts)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

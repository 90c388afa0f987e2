"""Test helpers: fill a journal synchronously and poke at its raw rows."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from console.domain.events import JournalEvent, RecordedEvent
from console.journal import SqliteJournal


def append_all(
    journal: SqliteJournal, run_id: str, events: Iterable[JournalEvent]
) -> list[RecordedEvent]:
    """Append every event through the async port method, in order."""

    async def go() -> list[RecordedEvent]:
        return [await journal.append(run_id, event) for event in events]

    return asyncio.run(go())


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (autocommit) for tampering with a journal."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        yield conn


def documented_hash(prev_hash: str, seq: int, run_id: str, ts: str, kind: str, payload: str) -> str:
    """The hash as docs/journal.md defines it, computed independently of the module."""
    text = f"{prev_hash}\n{seq}\n{run_id}\n{ts}\n{kind}\n{payload}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rechain(conn: sqlite3.Connection, from_seq: int) -> None:
    """Recompute prev_hash/hash from `from_seq` on (a forger's edit) and the recorded head."""
    prev_row = conn.execute("SELECT hash FROM events WHERE seq = ?", (from_seq - 1,)).fetchone()
    prev = prev_row[0] if prev_row else "0" * 64
    rows = conn.execute(
        "SELECT seq, run_id, ts, kind, payload FROM events WHERE seq >= ? ORDER BY seq", (from_seq,)
    ).fetchall()
    for seq, run_id, ts, kind, payload in rows:
        digest = documented_hash(prev, seq, run_id, ts, kind, payload)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
        prev = digest
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))

"""SqliteJournal: the append-only, hash-chained SQLite event journal behind the Journal port.

Storage layout and the exact bytes each hash covers are documented in
`console.journal.schema` (and docs/journal.md). In short::

    hash = sha256( prev_hash "\\n" seq "\\n" run_id "\\n" ts "\\n" kind "\\n" payload )

with the genesis prev_hash being 64 zeros. The writer runs SQLite in WAL mode with
`synchronous=FULL`, so an appended event is on disk when `append` returns. A read-only
journal (`read_only=True`) opens the file with `mode=ro` and never blocks that writer.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import platformdirs
from pydantic import TypeAdapter, ValidationError

from console.domain.errors import InputError
from console.domain.events import JournalEvent, RecordedEvent, RunStarted
from console.domain.gcpause import GcPaused  # 100,000 events: 2.9 s with GC, 1.0 s without
from console.domain.runstate import reported_status
from console.engine.ports import RunLock, RunSummary, VerifyResult
from console.journal.codec import encode_event, roundtrip_check
from console.journal.lock import FileRunLock, live_holder
from console.journal.opening import open_journal
from console.journal.schema import (
    APP_NAME,
    GENESIS_HASH,
    RUN_ID_RE,
    format_ts,
    parse_ts,
    text_record_hash,
    utc_now,
)
from console.journal.summaries import Row, SummaryCache
from console.journal.verify import verify_chain

JOURNAL_FILE_NAME = "journal.sqlite"

_SELECT = "SELECT seq, run_id, ts, kind, payload FROM events"

# Test hook for the crash drills (tests/drills, scripts/drill): when this variable holds N > 0,
# the process dies (os._exit(137), like SIGKILL: no cleanup, no flush) right after its N-th
# append has committed. Unset in normal use; it costs one environment read per journal.
DRILL_KILL_ENV = "PHASE_CONSOLE_DRILL_KILL_AFTER_APPENDS"


_RECORDED: TypeAdapter[RecordedEvent] = TypeAdapter(RecordedEvent)


class JournalError(Exception):
    """A journal used against its contract (closed, read-only, run out of order)."""


class ReadOnlyJournalError(JournalError):
    """An append on a journal opened with read_only=True."""


class _ReadTransaction:
    """Holds the journal lock and one read transaction (BEGIN ... COMMIT) over a `with` block."""

    def __init__(self, lock: threading.RLock, connect: Callable[[], sqlite3.Connection]) -> None:
        self._lock = lock
        self._connect = connect

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._conn = self._connect()
            self._conn.execute("BEGIN")
        except BaseException:
            self._lock.release()
            raise
        return self._conn

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._conn.execute("COMMIT")
        finally:
            self._lock.release()


def default_journal_path() -> Path:
    """`journal.sqlite` in the user data directory of "phase-console" (platformdirs)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / JOURNAL_FILE_NAME


class SqliteJournal:
    """The Journal port on one SQLite file (WAL, synchronous=FULL, hash-chained rows)."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self._path = Path(path)
        self._read_only = read_only
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = open_journal(self._path, read_only)
        self._cache = SummaryCache()
        self._issued: set[str] = set()
        kill_after = os.environ.get(DRILL_KILL_ENV, "")
        self._kill_after = int(kill_after) if kill_after.isdigit() else 0
        self._appended = 0

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The journal file."""
        return self._path

    @property
    def read_only(self) -> bool:
        """True when opened with read_only=True (appends raise)."""
        return self._read_only

    def lock_run(self, key: str) -> RunLock:
        """The one-executor lock of a plan's runs (RunLockedError while a live process holds it)."""
        return FileRunLock.acquire(self._path.resolve(), key)

    def executing(self, key: str) -> bool:
        """Whether a live process holds the run lock of this plan (takes nothing)."""
        return live_holder(self._path.resolve(), key) is not None

    def reported_status(self, run: RunSummary) -> str:
        """A run's status as reports show it (`unfinished` when stopped without run_completed)."""
        return reported_status(run.status, executing=self.executing(run.plan_digest))

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SqliteJournal:
        """Use as a context manager; closes on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the journal."""
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"journal {self._path} is closed")
        return self._conn

    def _read(self) -> _ReadTransaction:
        """One read transaction: every query inside sees the same snapshot."""
        return _ReadTransaction(self._lock, self._connection)

    # -- writing ----------------------------------------------------------------------------

    async def append(self, run_id: str, event: JournalEvent) -> RecordedEvent:
        """Append and commit one event (durable on return); see `append_sync`."""
        return self.append_sync(run_id, event)

    def append_sync(self, run_id: str, event: JournalEvent) -> RecordedEvent:
        """Append one event in its own committed transaction and return it as recorded.

        A run's first event must be run_started, and only its first. Raises
        ReadOnlyJournalError on a read-only journal, ValueError for a malformed run id or an
        event whose payload does not survive a JSON round trip, JournalError otherwise.
        """
        if self._read_only:
            raise ReadOnlyJournalError(f"journal {self._path} is open read-only")
        if RUN_ID_RE.fullmatch(run_id) is None:
            raise ValueError(f"invalid run id {run_id!r}")
        payload = encode_event(event)
        roundtrip_check(event, payload)
        moment = utc_now()
        ts = format_ts(moment)
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute(
                    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev_hash = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS_HASH)
                known = conn.execute(
                    "SELECT 1 FROM events WHERE run_id = ? LIMIT 1", (run_id,)
                ).fetchone()
                if known is None and not isinstance(event, RunStarted):
                    raise JournalError(
                        f"run {run_id} must begin with run_started, not {event.kind}"
                    )
                if known is not None and isinstance(event, RunStarted):
                    raise JournalError(f"run {run_id} has already started")
                digest = text_record_hash(prev_hash, seq, run_id, ts, event.kind, payload)
                conn.execute(
                    "INSERT INTO events (seq, run_id, ts, kind, payload, prev_hash, hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, run_id, ts, event.kind, payload, prev_hash, digest),
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [("head_seq", str(seq)), ("head_hash", digest)],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._appended += 1
            if self._appended == self._kill_after:
                os._exit(137)  # drill hook (DRILL_KILL_ENV): die right after this commit
        return RecordedEvent(seq=seq, run_id=run_id, ts=parse_ts(ts), event=event)

    def new_run_id(self) -> str:
        """A fresh run id, e.g. `run-20261124T031500Z-3f2a9c` (UTC time, then 6 random hex)."""
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        with self._lock:
            conn = self._connection()
            while True:
                run_id = f"run-{stamp}-{secrets.token_hex(3)}"
                if run_id in self._issued:
                    continue
                used = conn.execute(
                    "SELECT 1 FROM events WHERE run_id = ? LIMIT 1", (run_id,)
                ).fetchone()
                if used is None:
                    self._issued.add(run_id)
                    return run_id

    # -- reading ----------------------------------------------------------------------------

    def _recorded(self, row: Row) -> RecordedEvent:
        seq, run_id, ts, kind, payload = row
        try:
            # One pydantic-core pass over the whole record is about twice as fast as parsing the
            # payload, the timestamp and then validating the wrapper separately. run_id and ts
            # need no escaping: append enforces their character sets.
            return _RECORDED.validate_json(
                f'{{"seq":{seq},"run_id":"{run_id}","ts":"{ts}","event":{payload}}}',
                strict=False,
            )
        except (ValidationError, ValueError) as exc:
            raise InputError.single(
                str(self._path),
                f"seq {seq}",
                f"stored {kind} event cannot be read; run `journal verify`",
            ) from exc

    def events(self, run_id: str, upto_seq: int | None = None) -> list[RecordedEvent]:
        """The run's events in seq order, those with seq <= upto_seq when given."""
        limit = upto_seq if upto_seq is not None else -1
        with self._read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE run_id = ? AND (? < 0 OR seq <= ?) ORDER BY seq",
                (run_id, limit, limit),
            ).fetchall()
        with GcPaused():
            return [self._recorded(row) for row in rows]

    def all_events(self, upto_seq: int | None = None) -> list[RecordedEvent]:
        """Every event of every run in seq order, those with seq <= upto_seq when given."""
        limit = upto_seq if upto_seq is not None else -1
        with self._read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE (? < 0 OR seq <= ?) ORDER BY seq", (limit, limit)
            ).fetchall()
        with GcPaused():
            return [self._recorded(row) for row in rows]

    def last_seq(self) -> int:
        """The seq of the newest event (0 for an empty journal)."""
        with self._read() as conn:
            row = conn.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def runs(self) -> list[RunSummary]:
        """Every run, oldest first (each event folded once; later calls fold only new ones)."""
        with self._read() as conn, GcPaused():
            self._cache.refresh(conn, self._recorded)
            return self._cache.summaries()

    def runs_for_plan(self, plan_digest: str) -> list[RunSummary]:
        """Runs of one plan digest, oldest first (folds only those runs when not cached)."""
        with self._read() as conn:
            run_ids = [
                str(row[0])
                for row in conn.execute(
                    "SELECT run_id FROM events WHERE kind = 'run_started' AND CASE WHEN"
                    " json_valid(payload) THEN json_extract(payload, '$.plan_digest') END = ?"
                    " ORDER BY seq",
                    (plan_digest,),
                )
            ]
            if not run_ids:
                return []
            head = conn.execute("SELECT MAX(seq) FROM events").fetchone()
            if head is not None and head[0] == self._cache.folded_upto:
                return self._cache.summaries(run_ids)
            fresh = SummaryCache()
            fresh.fold_runs(conn, run_ids, self._recorded)
            return fresh.summaries(run_ids)

    def verify(self, *, deep: bool = True) -> VerifyResult:
        """Recompute the hash chain from the stored bytes; report the first bad seq.

        `deep` also parses every payload as its event kind (catches a re-chained journal whose
        head was rewritten too); without it only bytes and links are checked, which is what a
        tampered byte breaks, at a fraction of the cost.
        """
        with self._read() as conn:
            return verify_chain(conn, deep=deep)

    def verify_head(self, head: str, *, deep: bool = True) -> tuple[VerifyResult, int | None]:
        """Verify the chain and find `head` (a journal_head) in it, in one read snapshot.

        Returns the verification result and the seq of the event whose hash is `head` (None
        when the chain is broken or no verified event has that hash: the tail was cut off or
        the whole chain rewritten, which a chain alone cannot see; DESIGN §5).
        """
        with self._read() as conn:
            result = verify_chain(conn, deep=deep)
            if not result.ok:
                return result, None
            row = conn.execute(
                "SELECT seq FROM events WHERE hash = ? ORDER BY seq LIMIT 1", (head.lower(),)
            ).fetchone()
        return result, (int(row[0]) if row is not None else None)

    def head_hash(self, run_id: str, upto_seq: int | None = None) -> str | None:
        """The hash of the run's last event (at or before `upto_seq`): its `journal_head`."""
        limit = upto_seq if upto_seq is not None else 2**62
        with self._read() as conn:
            row = conn.execute(
                "SELECT hash FROM events WHERE run_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                (run_id, limit),
            ).fetchone()
        return str(row[0]) if row is not None else None

"""Opening a journal file: checks that turn every bad path into an InputError naming it."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from console.domain.errors import InputError
from console.journal.schema import (
    APP_NAME,
    CREATE_STATEMENTS,
    SCHEMA_VERSION,
    format_ts,
    utc_now,
)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


def _fail(path: Path, message: str) -> InputError:
    return InputError.single(str(path), "", message)


def _sniff(path: Path, read_only: bool) -> None:
    """Refuse what is plainly not a SQLite file before SQLite sees it."""
    if path.is_dir():
        raise _fail(path, "is a directory, not a journal file")
    if not path.exists():
        if read_only:
            raise _fail(path, "no such journal file")
        if path.parent.exists() and not path.parent.is_dir():
            raise _fail(path, f"cannot create the journal: {path.parent} is not a directory")
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise _fail(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if not head:
        if read_only:
            raise _fail(path, "is an empty file, not a journal")
        return
    if head != SQLITE_HEADER:
        stripped = head.lstrip()
        hint = " (it looks like a JSON file)" if stripped[:1] in (b"{", b"[") else ""
        raise _fail(path, f"is not a SQLite database{hint}; expected a Phase Console journal")


OWNER_ONLY = 0o600
_SIDE_FILES = ("-wal", "-shm")


def _create_private(path: Path) -> None:
    """Create the journal file readable by its owner only before SQLite opens it (DESIGN §5).

    SQLite gives the -wal and -shm files the main file's permissions; they are set again
    after the first open in case they already existed.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:  # created meanwhile by another process: leave its mode alone
        return
    os.close(fd)
    os.chmod(path, OWNER_ONLY)


def _restrict_side_files(path: Path) -> None:
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        try:
            if side.exists() and (side.stat().st_mode & 0o077):
                os.chmod(side, OWNER_ONLY)
        except OSError:
            pass  # not ours to change (another owner): the main file's mode still protects it


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    if read_only:
        target = path.resolve().as_uri() + "?mode=ro"
    else:
        if not path.exists():
            _create_private(path)
        target = path.resolve().as_uri() + "?mode=rwc"
    conn = sqlite3.connect(
        target,
        uri=True,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}


def _initialize(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _tables(conn):
            for statement in CREATE_STATEMENTS:
                conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("schema_version", SCHEMA_VERSION),
                    ("app", APP_NAME),
                    ("created_at", format_ts(utc_now())),
                ],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _check_journal(path: Path, conn: sqlite3.Connection, tables: set[str]) -> None:
    if not {"events", "meta"} <= tables:
        raise _fail(path, "is a SQLite database but not a Phase Console journal (no events table)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise _fail(path, "is not a Phase Console journal (no schema version)")
    if str(row[0]) != SCHEMA_VERSION:
        raise _fail(path, f"journal schema version {row[0]!r} is not supported (expected 1)")
    columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(events)").fetchall()}
    needed = {"seq", "run_id", "ts", "kind", "payload", "prev_hash", "hash"}
    if not needed <= columns:
        missing = ", ".join(sorted(needed - columns))
        raise _fail(path, f"is not a Phase Console journal (events table lacks {missing})")


def open_journal(path: Path, read_only: bool) -> sqlite3.Connection:
    """Open (creating when writable and absent) a journal; raise InputError if it is not one."""
    if read_only:
        return _open(path, read_only)
    # Two processes opening a new journal at once (e.g. two `run`s started together) must not
    # race on its creation and its switch to WAL: writers open it one at a time.
    # The guard is a file of its own: closing any descriptor of the database file itself would
    # drop SQLite's POSIX locks on it.
    _sniff(path, read_only)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        guard = os.open(
            path.with_name(path.name + ".open-lock"), os.O_RDWR | os.O_CREAT, OWNER_ONLY
        )
    except OSError as exc:
        raise _fail(path, f"cannot create the journal: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(guard, fcntl.LOCK_EX)
        return _open(path, read_only)
    finally:
        os.close(guard)  # closing releases the flock


def _open(path: Path, read_only: bool) -> sqlite3.Connection:
    _sniff(path, read_only)
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(path, read_only)
        tables = _tables(conn)
        if not tables and not read_only:
            _initialize(conn)
            _restrict_side_files(path)
            tables = _tables(conn)
        _check_journal(path, conn, tables)
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        else:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise _fail(path, "cannot switch the journal to WAL mode")
            conn.execute("PRAGMA synchronous = FULL")
        return conn
    except InputError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        message = str(exc)
        if "not a database" in message or "malformed" in message:
            raise _fail(path, "is not a SQLite database (or is damaged)") from exc
        raise _fail(path, f"cannot open the journal: {message}") from exc
    except OSError as exc:
        if conn is not None:
            conn.close()
        raise _fail(path, f"cannot open the journal: {exc.strerror or exc}") from exc

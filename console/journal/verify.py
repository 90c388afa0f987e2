"""Walk the hash chain in seq order and report the first seq whose stored bytes break it."""

from __future__ import annotations

import hashlib
import sqlite3

from pydantic import ValidationError

from console.engine.ports import VerifyResult
from console.journal.codec import parse_payload
from console.journal.schema import GENESIS_HASH, HASH_RE, TS_RE

# Every column as the bytes SQLite stores (TEXT is UTF-8): the hash is recomputed from these.
_WALK = (
    "SELECT seq, CAST(run_id AS BLOB), CAST(ts AS BLOB), CAST(kind AS BLOB),"
    " CAST(payload AS BLOB), CAST(prev_hash AS BLOB), CAST(hash AS BLOB)"
    " FROM events ORDER BY seq"
)
_BATCH = 2000


def _bad(count: int, seq: int, detail: str) -> VerifyResult:
    return VerifyResult(ok=False, event_count=count, first_bad_seq=seq, detail=detail)


def _check_payload(seq: int, kind: bytes, payload: bytes) -> str | None:
    """None when the payload parses as an event of its row's kind, else what is wrong."""
    try:
        kind_text = kind.decode("utf-8")
        event = parse_payload(payload)
    except (UnicodeDecodeError, ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"seq {seq}: payload does not parse as a journal event ({first})"
    if event.kind != kind_text:
        return f"seq {seq}: payload is a {event.kind} event but the row's kind is {kind_text!r}"
    return None


def verify_chain(conn: sqlite3.Connection, *, deep: bool = True) -> VerifyResult:
    """Check every row (inside the caller's read transaction) and the recorded head."""
    count_row = conn.execute("SELECT COUNT(*) FROM events").fetchone()
    total = int(count_row[0]) if count_row else 0
    head = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')"))
    expected_seq = 1
    prev = GENESIS_HASH.encode("ascii")
    started: set[bytes] = set()
    cursor = conn.execute(_WALK)
    sha256 = hashlib.sha256
    match_ts = TS_RE.fullmatch
    while rows := cursor.fetchmany(_BATCH):
        for seq, run_id, ts, kind, payload, prev_hash, stored_hash in rows:
            if seq != expected_seq:
                return _bad(total, expected_seq, f"seq {expected_seq}: missing (next is {seq})")
            if prev_hash != prev:
                return _bad(total, seq, f"seq {seq}: prev_hash does not match seq {seq - 1}'s hash")
            try:
                # Inlined record_hash (schema.py): this loop runs once per stored event.
                computed = sha256(
                    b"\n".join((prev_hash, b"%d" % seq, run_id, ts, kind, payload))
                ).hexdigest()
            except TypeError:
                return _bad(total, seq, f"seq {seq}: a column is NULL")
            if stored_hash != computed.encode("ascii"):
                return _bad(total, seq, f"seq {seq}: hash mismatch (a stored byte was changed)")
            if match_ts(ts) is None:
                return _bad(total, seq, f"seq {seq}: ts is not a UTC ISO-8601 time")
            problem = _check_payload(seq, kind, payload) if deep else None
            if problem is not None:
                return _bad(total, seq, problem)
            if run_id not in started:
                if kind != b"run_started":
                    return _bad(total, seq, f"seq {seq}: run's first event is not run_started")
                started.add(run_id)
            elif kind == b"run_started":
                return _bad(total, seq, f"seq {seq}: second run_started for the same run")
            prev = stored_hash
            expected_seq += 1
    last_seq = expected_seq - 1
    head_seq = head.get("head_seq")
    head_hash = head.get("head_hash")
    if head_seq is not None:
        recorded = int(head_seq)
        if recorded > last_seq:
            return _bad(
                total, last_seq + 1, f"seq {last_seq + 1}: missing (journal head is {recorded})"
            )
        if recorded < last_seq:
            return _bad(total, recorded + 1, f"seq {recorded + 1}: not recorded as appended")
        if head_hash is None or HASH_RE.fullmatch(head_hash) is None or head_hash != prev.decode():
            return _bad(total, last_seq, f"seq {last_seq}: hash differs from the journal head")
    elif last_seq > 0:
        return _bad(total, 1, "journal head record is missing")
    return VerifyResult(ok=True, event_count=total, detail=f"{total} events, chain intact")

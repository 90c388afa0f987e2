"""Journal file layout: tables, timestamps and the exact bytes each event hash covers.

Table ``events`` (one row per event, append-only):

    seq        INTEGER PRIMARY KEY   journal-wide, 1-based, strictly increasing, no gaps
    run_id     TEXT                  e.g. ``run-20261124T031500Z-3f2a9c``
    ts         TEXT                  UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (microseconds, 'Z')
    kind       TEXT                  the event kind (``run_started``, ``order_update``, ...)
    payload    TEXT                  canonical JSON of ``event_payload(event)``: sorted keys,
                                     no whitespace, UTF-8 (``ensure_ascii=False``)
    prev_hash  TEXT                  the previous row's ``hash``; 64 zeros for seq 1
    hash       TEXT                  lower-case hex sha256, see below

Hash byte layout (all text UTF-8, ``\\n`` is the single byte 0x0A)::

    hash = sha256( prev_hash "\\n" seq "\\n" run_id "\\n" ts "\\n" kind "\\n" payload )

where ``seq`` is the decimal integer without sign or leading zeros and every other field is
the exact stored text. None of the fields before ``payload`` can contain a newline (run ids
are checked on append, canonical JSON escapes newlines), so the layout is unambiguous.

Table ``meta`` (key/value text): ``schema_version`` ("1"), ``created_at`` (UTC ISO),
``app`` ("phase-console"), and ``head_seq`` / ``head_hash`` (the last appended event,
updated in the same transaction) so that `verify` also detects rows cut off the end.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

SCHEMA_VERSION = "1"
APP_NAME = "phase-console"
GENESIS_HASH = "0" * 64

CREATE_STATEMENTS = (
    """
    CREATE TABLE events (
        seq       INTEGER PRIMARY KEY,
        run_id    TEXT NOT NULL,
        ts        TEXT NOT NULL,
        kind      TEXT NOT NULL,
        payload   TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    )
    """,
    "CREATE INDEX events_run_id ON events (run_id, seq)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
TS_RE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|\+00:00)")
HASH_RE = re.compile(r"[0-9a-f]{64}")


def format_ts(moment: datetime) -> str:
    """UTC ISO-8601 text with microseconds and 'Z' (the stored `ts` form)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    """A stored `ts` back to an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def record_hash(
    prev_hash: bytes, seq: int, run_id: bytes, ts: bytes, kind: bytes, payload: bytes
) -> str:
    """sha256 hex over the byte layout in this module's docstring."""
    digest = hashlib.sha256(prev_hash)
    digest.update(b"\n%d\n" % seq)
    digest.update(run_id)
    digest.update(b"\n")
    digest.update(ts)
    digest.update(b"\n")
    digest.update(kind)
    digest.update(b"\n")
    digest.update(payload)
    return digest.hexdigest()


def text_record_hash(
    prev_hash: str, seq: int, run_id: str, ts: str, kind: str, payload: str
) -> str:
    """`record_hash` over the UTF-8 text of each field."""
    return record_hash(
        prev_hash.encode("utf-8"),
        seq,
        run_id.encode("utf-8"),
        ts.encode("utf-8"),
        kind.encode("utf-8"),
        payload.encode("utf-8"),
    )

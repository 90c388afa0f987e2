"""SqliteJournal: round trips, seq, hash chain layout, durability, run ids, lifecycle."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from console.domain.events import EVENT_KINDS, OrderIntent, PhaseStarted, event_payload
from console.domain.orders import OrderSpec, Side
from console.engine.ports import Journal
from console.journal import (
    JournalError,
    ReadOnlyJournalError,
    SqliteJournal,
    default_journal_path,
)
from tests.journal.helpers_journal import append_all, documented_hash, raw
from tests.journal.journal_factories import full_run, one_of_each_kind, run_started

TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


def test_implements_the_journal_port(path: Path) -> None:
    with SqliteJournal(path) as journal:
        assert isinstance(journal, Journal)


def test_every_event_kind_round_trips(path: Path) -> None:
    events = one_of_each_kind()
    assert {e.kind for e in events} == set(EVENT_KINDS)
    with SqliteJournal(path) as journal:
        run_id = journal.new_run_id()
        recorded = append_all(journal, run_id, events)
    with SqliteJournal(path, read_only=True) as reader:
        back = reader.events(run_id)
    assert [r.event for r in back] == events
    assert back == recorded
    assert [type(r.event) for r in back] == [type(e) for e in events]


def test_payload_is_the_canonical_event_payload_unnormalized(path: Path) -> None:
    start = run_started()
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", [start])
    with raw(path) as conn:
        (payload, kind, ts) = conn.execute("SELECT payload, kind, ts FROM events").fetchone()
    expected = json.dumps(
        event_payload(start), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert payload == expected
    assert kind == "run_started"
    assert TS_RE.fullmatch(ts)
    # Decimals stay exactly as the model dumps them: exponents, trailing zeros.
    assert '"0E-10"' in payload
    assert '"1.631183031914913770169642438E-8"' in payload
    assert '"10.500000000"' in payload


def test_seq_is_journal_wide_and_strictly_increasing(path: Path) -> None:
    with SqliteJournal(path) as journal:
        a, b = journal.new_run_id(), journal.new_run_id()
        seqs = [r.seq for r in append_all(journal, a, full_run()[:3])]
        seqs += [r.seq for r in append_all(journal, b, full_run("ff" * 32)[:2])]
        seqs += [r.seq for r in append_all(journal, a, full_run()[3:5])]
        assert seqs == list(range(1, 8))
        assert [r.seq for r in journal.events(a)] == [1, 2, 3, 6, 7]
        assert [r.seq for r in journal.events(b)] == [4, 5]
        assert [r.seq for r in journal.events(a, upto_seq=5)] == [1, 2, 3]
        assert [r.seq for r in journal.all_events()] == list(range(1, 8))
        assert [r.seq for r in journal.all_events(upto_seq=4)] == [1, 2, 3, 4]
        assert journal.last_seq() == 7
    # Reopening continues the sequence and the chain.
    with SqliteJournal(path) as journal:
        assert append_all(journal, a, [PhaseStarted(phase=Side.BUY)])[0].seq == 8
        assert journal.verify().ok


def test_hash_chain_follows_the_documented_byte_layout(path: Path) -> None:
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", full_run())
        append_all(journal, "run-b", one_of_each_kind())
    with raw(path) as conn:
        rows = conn.execute(
            "SELECT seq, run_id, ts, kind, payload, prev_hash, hash FROM events ORDER BY seq"
        ).fetchall()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    prev = "0" * 64
    for seq, run_id, ts, kind, payload, prev_hash, digest in rows:
        assert prev_hash == prev
        assert digest == documented_hash(prev_hash, seq, run_id, ts, kind, payload)
        prev = digest
    assert meta["schema_version"] == "1"
    assert TS_RE.fullmatch(meta["created_at"])
    assert meta["head_seq"] == str(len(rows))
    assert meta["head_hash"] == prev


def test_append_is_durable_and_visible_to_another_connection(path: Path) -> None:
    with SqliteJournal(path) as journal:
        with raw(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # synchronous=FULL (2) on the writer's own connection.
        assert journal._connection().execute("PRAGMA synchronous").fetchone()[0] == 2
        recorded = append_all(journal, "run-a", [run_started()])[0]
        with raw(path) as other:
            row = other.execute("SELECT seq, run_id, kind FROM events").fetchone()
        assert row == (recorded.seq, "run-a", "run_started")
        intent = OrderIntent(
            client_order_id="pc-3f2a9c1b7d4e-1-s-S0",
            symbol="S0",
            side=Side.SELL,
            order=OrderSpec(qty=Decimal("1")),
        )
        append_all(journal, "run-a", [intent])
        with SqliteJournal(path, read_only=True) as reader:
            assert reader.events("run-a")[-1].event == intent


def test_recorded_event_carries_utc_time(path: Path) -> None:
    with SqliteJournal(path) as journal:
        recorded = append_all(journal, "run-a", [run_started()])[0]
        assert recorded.ts.utcoffset() is not None
        assert recorded.ts.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert journal.events("run-a")[0].ts == recorded.ts


def test_a_run_begins_with_run_started_exactly_once(path: Path) -> None:
    with SqliteJournal(path) as journal:
        with pytest.raises(JournalError, match="must begin with run_started"):
            append_all(journal, "run-a", [PhaseStarted(phase=Side.SELL)])
        append_all(journal, "run-a", [run_started()])
        with pytest.raises(JournalError, match="already started"):
            append_all(journal, "run-a", [run_started()])
        with pytest.raises(ValueError, match="invalid run id"):
            append_all(journal, "bad\nid", [run_started()])
        assert journal.last_seq() == 1
        assert journal.verify().ok


def test_new_run_ids_are_unique_readable_and_time_sortable(path: Path) -> None:
    with SqliteJournal(path) as journal:
        ids = [journal.new_run_id() for _ in range(300)]
    assert len(set(ids)) == 300
    for run_id in ids:
        assert re.fullmatch(r"run-\d{8}T\d{6}Z-[0-9a-f]{6}", run_id)
    stamps = [run_id[4:20] for run_id in ids]
    assert stamps == sorted(stamps)


def test_read_only_journal_refuses_appends(path: Path) -> None:
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", [run_started()])
    with SqliteJournal(path, read_only=True) as reader:
        assert reader.read_only
        with pytest.raises(ReadOnlyJournalError):
            append_all(reader, "run-a", [PhaseStarted(phase=Side.SELL)])
        assert reader.verify().ok
        assert len(reader.events("run-a")) == 1


def test_close_is_idempotent_and_closed_journal_refuses_use(path: Path) -> None:
    journal = SqliteJournal(path)
    journal.close()
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.events("run-a")
    with pytest.raises(JournalError, match="closed"):
        asyncio.run(journal.append("run-a", run_started()))
    with SqliteJournal(path) as again:
        assert again.path == path
    with pytest.raises(JournalError):
        again.runs()


def test_write_mode_creates_missing_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "journal.sqlite"
    with SqliteJournal(target) as journal:
        append_all(journal, "run-a", [run_started()])
    assert target.is_file()
    with raw(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


def test_default_journal_path_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = default_journal_path()
    assert path.name == "journal.sqlite"
    assert path.parent.name == "phase-console"
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
        assert default_journal_path() == tmp_path / "phase-console" / "journal.sqlite"


def test_two_writers_on_one_file_keep_one_chain(path: Path) -> None:
    """Seq and prev_hash are read inside the write transaction, so writers interleave safely."""
    with SqliteJournal(path) as first, SqliteJournal(path) as second:
        append_all(first, "run-a", [run_started()])
        append_all(second, "run-b", [run_started("ee" * 32)])
        append_all(first, "run-a", [PhaseStarted(phase=Side.SELL)])
        assert [r.seq for r in second.all_events()] == [1, 2, 3]
        assert second.verify().ok

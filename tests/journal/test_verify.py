"""verify(): the chain holds, and any change to a stored byte is reported at its seq."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.journal import SqliteJournal
from tests.journal.helpers_journal import append_all, raw, rechain
from tests.journal.journal_factories import full_run, one_of_each_kind

TOTAL = len(full_run()) + len(one_of_each_kind())


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """A journal of two runs, TOTAL events."""
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", full_run())
        append_all(journal, "run-b", one_of_each_kind())
    assert count(path) == TOTAL
    return path


def verify(path: Path) -> tuple[bool, int, int | None, str]:
    with SqliteJournal(path, read_only=True) as journal:
        result = journal.verify()
    return result.ok, result.event_count, result.first_bad_seq, result.detail


def count(path: Path) -> int:
    with raw(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def test_intact_journal_verifies(journal_path: Path) -> None:
    ok, n, bad, _ = verify(journal_path)
    assert (ok, n, bad) == (True, count(journal_path), None)


def test_empty_journal_verifies(tmp_path: Path) -> None:
    with SqliteJournal(tmp_path / "j.sqlite") as journal:
        result = journal.verify()
    assert (result.ok, result.event_count) == (True, 0)


@pytest.mark.parametrize("seq", [1, 7, 22, 31])
@pytest.mark.parametrize("offset", [0, 10, -2])
def test_one_flipped_payload_byte_fails_at_that_seq(
    journal_path: Path, seq: int, offset: int
) -> None:
    with raw(journal_path) as conn:
        (payload,) = conn.execute("SELECT payload FROM events WHERE seq = ?", (seq,)).fetchone()
        data = bytearray(payload.encode("utf-8"))
        index = offset % len(data)
        data[index] ^= 0x01
        conn.execute("UPDATE events SET payload = ? WHERE seq = ?", (data.decode("utf-8"), seq))
    ok, _, bad, detail = verify(journal_path)
    assert (ok, bad) == (False, seq)
    assert "hash mismatch" in detail


def test_changed_decimal_digit_fails_at_that_seq(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        (seq, payload) = conn.execute(
            "SELECT seq, payload FROM events WHERE kind = 'order_update' ORDER BY seq LIMIT 1"
        ).fetchone()
        assert '"189.90"' in payload
        conn.execute(
            "UPDATE events SET payload = ? WHERE seq = ?",
            (payload.replace('"189.90"', '"189.91"'), seq),
        )
    assert verify(journal_path)[2] == seq


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ts", "2020-01-01T00:00:00.000000Z"),
        ("kind", "phase_completed"),
        ("run_id", "run-z"),
        ("hash", "f" * 64),
    ],
)
def test_changed_column_fails_at_that_seq(journal_path: Path, column: str, value: str) -> None:
    with raw(journal_path) as conn:
        conn.execute(f"UPDATE events SET {column} = ? WHERE seq = 12", (value,))
    ok, _, bad, _ = verify(journal_path)
    assert (ok, bad) == (False, 12)


def test_broken_prev_hash_link_fails_at_that_seq(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        conn.execute("UPDATE events SET prev_hash = ? WHERE seq = 30", ("0" * 64,))
    ok, _, bad, detail = verify(journal_path)
    assert (ok, bad) == (False, 30)
    assert "prev_hash" in detail


def test_deleted_middle_row_fails_at_its_seq(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        conn.execute("DELETE FROM events WHERE seq = 20")
    ok, n, bad, detail = verify(journal_path)
    assert (ok, n, bad) == (False, TOTAL - 1, 20)
    assert "missing" in detail


def test_deleted_middle_row_is_caught_even_when_rechained(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        conn.execute("DELETE FROM events WHERE seq = 20")
        rechain(conn, 21)
    assert verify(journal_path)[2] == 20


def test_deleted_first_and_last_rows_are_caught(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        conn.execute(f"DELETE FROM events WHERE seq = {TOTAL}")
    assert verify(journal_path)[:3] == (False, TOTAL - 1, TOTAL)
    with raw(journal_path) as conn:
        conn.execute("DELETE FROM events WHERE seq = 1")
    assert verify(journal_path)[2] == 1


def test_payload_that_no_longer_parses_fails_even_with_a_valid_chain(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        (payload,) = conn.execute("SELECT payload FROM events WHERE seq = 9").fetchone()
        data = json.loads(payload)
        data["unexpected_field"] = "x"
        forged = json.dumps(data, sort_keys=True, separators=(",", ":"))
        conn.execute("UPDATE events SET payload = ? WHERE seq = 9", (forged,))
        rechain(conn, 9)
    ok, _, bad, detail = verify(journal_path)
    assert (ok, bad) == (False, 9)
    assert "does not parse" in detail


def test_payload_of_another_kind_fails_even_with_a_valid_chain(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        conn.execute(
            "UPDATE events SET payload = ? WHERE seq = 3",
            (json.dumps({"kind": "run_halted", "reason": "x"}, separators=(",", ":")),),
        )
        rechain(conn, 3)
    ok, _, bad, detail = verify(journal_path)
    assert (ok, bad) == (False, 3)
    assert "kind" in detail


def test_non_json_payload_fails_at_that_seq(journal_path: Path) -> None:
    with raw(journal_path) as conn:
        conn.execute("UPDATE events SET payload = 'not json' WHERE seq = 5")
        rechain(conn, 5)
    assert verify(journal_path)[:3] == (False, TOTAL, 5)


def test_reading_a_damaged_payload_names_file_and_seq(journal_path: Path) -> None:
    from console.domain.errors import InputError

    with raw(journal_path) as conn:
        conn.execute("UPDATE events SET payload = '{}' WHERE seq = 5")
    with (
        SqliteJournal(journal_path, read_only=True) as journal,
        pytest.raises(InputError) as caught,
    ):
        journal.events("run-a")
    assert str(journal_path) in str(caught.value)
    assert "seq 5" in str(caught.value)

"""`journal verify JOURNAL --head HASH`: a cut tail or a rewritten chain is caught (DESIGN §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.journal import SqliteJournal
from tests.cli.helpers import cli
from tests.journal.helpers_journal import append_all, raw, rechain
from tests.journal.journal_factories import full_run, one_of_each_kind


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as journal:
        append_all(journal, "run-a", full_run())
        append_all(journal, "run-b", one_of_each_kind())
    return path


def head_of(path: Path, run_id: str) -> str:
    with SqliteJournal(path, read_only=True) as journal:
        head = journal.head_hash(run_id)
    assert head is not None
    return head


def last_seq(path: Path) -> int:
    with raw(path) as conn:
        return int(conn.execute("SELECT MAX(seq) FROM events").fetchone()[0])


def test_head_in_the_chain_passes_and_names_its_seq(
    journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = head_of(journal_path, "run-a")
    with raw(journal_path) as conn:
        (seq,) = conn.execute("SELECT seq FROM events WHERE hash = ?", (head,)).fetchone()
    result = cli(capsys, "journal", "verify", journal_path, "--head", head.upper())
    assert result.code == 0, result.err
    assert f"is seq {seq}" in result.out


def test_a_cut_tail_passes_alone_but_not_given_the_old_head(
    journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_head = head_of(journal_path, "run-b")
    end = last_seq(journal_path)
    with raw(journal_path) as conn:  # delete the last 3 events and fix the recorded head
        conn.execute("DELETE FROM events WHERE seq > ?", (end - 3,))
        (new_head,) = conn.execute("SELECT hash FROM events WHERE seq = ?", (end - 3,)).fetchone()
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(end - 3),))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (new_head,))
    assert cli(capsys, "journal", "verify", journal_path).code == 0  # the chain alone is blind
    result = cli(capsys, "journal", "verify", journal_path, "--head", old_head)
    assert result.code == 2
    assert "not in the chain" in result.out
    assert "--head" in result.err
    assert "Traceback" not in result.err


def test_a_rewritten_chain_passes_alone_but_not_given_the_old_head(
    journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_head = head_of(journal_path, "run-b")
    with raw(journal_path) as conn:  # change a fill price, then recompute every hash
        (seq, payload) = conn.execute(
            "SELECT seq, payload FROM events WHERE kind = 'order_update' ORDER BY seq LIMIT 1"
        ).fetchone()
        assert '"189.90"' in payload
        conn.execute(
            "UPDATE events SET payload = ? WHERE seq = ?",
            (payload.replace('"189.90"', '"189.91"'), seq),
        )
        rechain(conn, 1)
    assert cli(capsys, "journal", "verify", journal_path).code == 0
    result = cli(capsys, "journal", "verify", journal_path, "--head", old_head)
    assert result.code == 2
    assert "not in the chain" in result.out


def test_a_broken_chain_fails_at_its_seq_even_with_a_good_head(
    journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = head_of(journal_path, "run-a")
    with raw(journal_path) as conn:
        conn.execute("UPDATE events SET kind = 'run_halted' WHERE seq = 3")
    result = cli(capsys, "journal", "verify", journal_path, "--head", head)
    assert result.code == 2
    assert "seq 3" in result.out


@pytest.mark.parametrize("bad", ["abc", "z" * 64, "0" * 63])
def test_a_malformed_head_is_bad_input(
    journal_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    result = cli(capsys, "journal", "verify", journal_path, "--head", bad)
    assert result.code == 2
    assert "--head" in result.err

"""ReplayIndex: the fold of `fold` and `replay --format json`, at every seq, from checkpoints."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from console.domain.events import RecordedEvent
from console.domain.fold import RunFolder, fold
from console.domain.replay import ReplayIndex, checkpoint_every, replay_json
from console.engine.replay import ReplayError, ReplayJournal
from console.journal.store import SqliteJournal
from tests.replay.conftest import Recorded


def _events(recorded: Recorded, run_id: str) -> list[RecordedEvent]:
    with SqliteJournal(recorded.path, read_only=True) as journal:
        return journal.events(run_id)


@pytest.mark.parametrize("every", [1, 2, 3, 7, None])
def test_state_at_every_seq_equals_fold_of_the_prefix(
    recorded: Recorded, every: int | None
) -> None:
    for run in (recorded.clean, recorded.incident):
        events = _events(recorded, run.run_id)
        index = ReplayIndex(events, every)
        for i, event in enumerate(events):
            assert index.state_at(event.seq) == fold(events[: i + 1])
        assert index.final == fold(events)
        assert index.final.status == run.status


def test_the_incident_run_has_rejects_partial_fills_a_halt_and_its_problems(
    recorded: Recorded,
) -> None:
    index = ReplayIndex(_events(recorded, recorded.incident.run_id))
    final = index.final
    assert final.status == "halted"
    assert {leg.status for leg in final.legs} >= {"canceled", "rejected", "filled"}
    assert any(leg.status == "canceled" and leg.filled_qty > 0 for leg in final.legs)
    kinds = [p.kind for p in index.problems]
    assert "rejected" in kinds and "halt" in kinds
    assert [b.kind for b in index.boundaries] == [
        "phase_started",
        "phase_completed",
        "funding_recomputed",
        "phase_started",
    ]


def test_navigation_steps_and_problem_jumps(recorded: Recorded) -> None:
    index = ReplayIndex(_events(recorded, recorded.incident.run_id), every=4)
    first, last = index.first_seq, index.last_seq
    assert index.prev_seq(first) == first and index.next_seq(last) == last
    assert index.next_seq(first) == index.seqs[1] and index.prev_seq(index.seqs[1]) == first
    seen = []
    seq = first - 1
    while (problem := index.next_problem(seq)) is not None:
        seen.append(problem)
        seq = problem.seq
    assert tuple(seen) == index.problems
    assert index.prev_problem(seen[-1].seq) == (seen[-2] if len(seen) > 1 else None)
    assert index.problems_at(seen[0].seq)[0] == seen[0]
    with pytest.raises(ValueError, match="before the run begins"):
        index.state_at(first - 1)
    assert index.state_at(last + 1000) == index.final  # like `--at` past the end


def test_a_seek_applies_at_most_every_minus_one_events(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = ReplayIndex(_events(recorded, recorded.incident.run_id), every=5)
    applied = 0
    original = RunFolder.apply

    def counting(self: RunFolder, event: object) -> None:
        nonlocal applied
        applied += 1
        original(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(RunFolder, "apply", counting)
    for position in range(len(index)):
        applied = 0
        index.state_at_index(position)
        assert applied <= 4


def test_checkpoint_spacing_and_bad_input() -> None:
    assert checkpoint_every(100) == 64 and checkpoint_every(100_000) == 316
    assert checkpoint_every(10_000_000) == 512
    with pytest.raises(ValueError, match="at least"):
        ReplayIndex([])


def test_cli_replay_json_equals_the_index_at_every_seq_of_both_runs(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    """One fold: `replay --run --at --format json` == replay_json(ReplayIndex.state_at(seq))."""
    for run in (recorded.clean, recorded.incident):
        events = _events(recorded, run.run_id)
        index = ReplayIndex(events)
        for seq in index.seqs:
            code = main(["replay", str(recorded.path), "--run", run.run_id, "--at", str(seq),
                         "--format", "json"])  # fmt: skip
            out = json.loads(capsys.readouterr().out)
            assert code == 0
            # the CLI adds the journal anchor: the hash of the run's last event up to the seq
            assert len(out.pop("journal_head")) == 64
            assert out == replay_json(index.state_at(seq), seq, index.last_seq)


def test_replay_journal_lists_runs_and_loads_them(recorded: Recorded) -> None:
    with SqliteJournal(recorded.path, read_only=True) as journal:
        replay = ReplayJournal(journal, str(recorded.path))
        assert not replay.tampered and replay.replay_limit is None
        assert [r.run_id for r in replay.runs] == [recorded.clean.run_id, recorded.incident.run_id]
        index = replay.load(recorded.incident.run_id)
        assert index.final.status == "halted" and index.final.legs == recorded.incident.legs
        with pytest.raises(ReplayError, match="no run"):
            replay.load("run-nope")

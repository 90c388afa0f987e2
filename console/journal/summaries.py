"""Run summaries for `journal runs`: fold decides every value; each event is folded only once.

Speed (100,000 events): a summary needs the run's plan facts, legs and fills and its final
status. Of the event kinds, only `SUMMARY_KINDS` change any of those in `fold`; the others
(approvals, phases, intents, acknowledgements, funding, stream status, halts) only move leg
statuses, phase and incidents, so they are not read at all. Each run keeps its RunFolder
between calls and later calls fold only the events appended since. tests/journal checks that
these summaries equal those from folding every event of the run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from console.domain.events import RecordedEvent, RunCompleted
from console.domain.fold import RunFolder
from console.domain.money import add
from console.engine.ports import RunSummary

SUMMARY_KINDS = ("run_started", "order_update", "run_completed")
_SELECT = "SELECT seq, run_id, ts, kind, payload FROM events"
_ONLY_SUMMARY_KINDS = "kind IN ('run_started', 'order_update', 'run_completed')"
# A finished run's status and totals are in its run_completed event (the executor writes them
# from the same fold), so its order updates need not be folded to summarize it.
_SKIP_FINISHED_UPDATES = (
    "NOT (kind = 'order_update' AND run_id IN"
    " (SELECT run_id FROM events WHERE kind = 'run_completed' AND seq <= ?))"
)

Row = tuple[int, str, str, str, str]
ToRecorded = Callable[[Row], RecordedEvent]


@dataclass
class _RunFold:
    """One run's folder plus the bounds and start time fold does not keep."""

    first_seq: int
    last_seq: int
    started_at: str
    folder: RunFolder = field(default_factory=RunFolder)
    summary: RunSummary | None = None
    completed: RunCompleted | None = None


class SummaryCache:
    """Per-run RunFolders, brought up to date with the events appended since the last call."""

    def __init__(self) -> None:
        self._runs: dict[str, _RunFold] = {}
        self.folded_upto = 0

    def refresh(self, conn: sqlite3.Connection, to_recorded: ToRecorded) -> None:
        """Fold the events after `folded_upto` (call inside one read transaction)."""
        head_row = conn.execute("SELECT MAX(seq) FROM events").fetchone()
        head = int(head_row[0]) if head_row and head_row[0] is not None else 0
        if head <= self.folded_upto:
            return
        bounds = conn.execute(
            "SELECT run_id, MIN(seq), MAX(seq) FROM events WHERE seq > ? AND seq <= ?"
            " GROUP BY run_id",
            (self.folded_upto, head),
        )
        for run_id, low, high in bounds.fetchall():
            self._bound(conn, str(run_id), int(low), int(high))
        rows = conn.execute(
            _SELECT
            + " WHERE seq > ? AND seq <= ? AND "
            + _ONLY_SUMMARY_KINDS
            + " AND "
            + _SKIP_FINISHED_UPDATES
            + " ORDER BY seq",
            (self.folded_upto, head, head),
        )
        while batch := rows.fetchmany(1000):
            for row in batch:
                self._apply(self._runs[row[1]], to_recorded(row), row)
        self.folded_upto = head

    @staticmethod
    def _apply(run: _RunFold, recorded: RecordedEvent, row: Row) -> None:
        run.folder.apply(recorded)
        if row[3] == "run_started":
            run.started_at = row[2]
        elif isinstance(recorded.event, RunCompleted):
            run.completed = recorded.event

    def fold_runs(
        self, conn: sqlite3.Connection, run_ids: Iterable[str], to_recorded: ToRecorded
    ) -> None:
        """Fold only the given runs from scratch (a one-off cache for `runs_for_plan`)."""
        for run_id in run_ids:
            low_high = conn.execute(
                "SELECT MIN(seq), MAX(seq) FROM events WHERE run_id = ?", (run_id,)
            ).fetchone()
            if low_high is None or low_high[0] is None:
                continue
            self._bound(conn, run_id, int(low_high[0]), int(low_high[1]))
            run = self._runs[run_id]
            rows = conn.execute(
                _SELECT + " WHERE run_id = ? AND " + _ONLY_SUMMARY_KINDS + " ORDER BY seq",
                (run_id,),
            )
            for row in rows.fetchall():
                self._apply(run, to_recorded(row), row)

    def _bound(self, conn: sqlite3.Connection, run_id: str, low: int, high: int) -> None:
        run = self._runs.get(run_id)
        if run is None:
            ts_row = conn.execute("SELECT ts FROM events WHERE seq = ?", (low,)).fetchone()
            started_at = str(ts_row[0]) if ts_row else ""
            self._runs[run_id] = _RunFold(first_seq=low, last_seq=high, started_at=started_at)
        else:
            run.last_seq = max(run.last_seq, high)
            run.summary = None

    def summaries(self, run_ids: Iterable[str] | None = None) -> list[RunSummary]:
        """Summaries of the given runs (default: all), oldest first."""
        if run_ids is None:
            items = list(self._runs.items())
        else:
            items = [(rid, self._runs[rid]) for rid in run_ids if rid in self._runs]
        items.sort(key=lambda item: item[1].first_seq)
        result = []
        for run_id, run in items:
            if run.summary is None:
                run.summary = summarize(
                    run_id, run.folder, run.first_seq, run.last_seq, run.started_at, run.completed
                )
            result.append(run.summary)
        return result


def summarize(
    run_id: str,
    folder: RunFolder,
    first_seq: int,
    last_seq: int,
    started_at: str,
    completed: RunCompleted | None = None,
) -> RunSummary:
    """A RunSummary from a run's folder (fold decides status, legs and fills)."""
    try:
        state = folder.state()
    except ValueError:
        # Not reachable through SqliteJournal.append (a run begins with run_started).
        return RunSummary(
            run_id=run_id,
            plan_id="",
            plan_digest="",
            attempt=0,
            broker="",
            mode="",
            started_at=started_at,
            status="running",
            first_seq=first_seq,
            last_seq=last_seq,
            legs=0,
            filled_notional=Decimal("0.00"),
        )
    return RunSummary(
        run_id=run_id,
        plan_id=state.plan_id,
        plan_digest=state.plan_digest,
        attempt=state.attempt,
        broker=state.broker,
        mode=state.mode,
        started_at=started_at,
        status=state.status,
        first_seq=first_seq,
        last_seq=last_seq,
        legs=len(state.legs),
        filled_notional=add(completed.sell_proceeds, completed.buy_spent)
        if completed is not None
        else add(state.sell_proceeds, state.buy_spent),
    )

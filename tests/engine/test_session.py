"""Finding the run to resume: same plan digest, or the same targets file on an earlier day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from console.domain.config import Settings
from console.domain.events import ApprovalGiven, RunCompleted, RunStarted
from console.domain.preview import compute_preview
from console.domain.targets import build_targets_plan
from console.engine.session import next_attempt, unfinished_run
from console.journal.store import SqliteJournal
from tests.domain.factories import snapshot

CSV = b"symbol,target_weight\nAAA,0.5\n"
SNAP = snapshot(cash="1000", positions={"AAA": "1"}, quotes={"AAA": ("10", "10")})


def _start_run(journal: SqliteJournal, day: datetime, *, finish: bool) -> str:
    loaded = build_targets_plan("t.csv", CSV, SNAP, Settings(), day)
    preview = compute_preview(loaded.plan, loaded.digest, SNAP, Settings())
    run_id = journal.new_run_id()

    async def write() -> None:
        await journal.append(
            run_id,
            RunStarted(
                plan_id=preview.plan_id,
                plan_digest=preview.plan_digest,
                preview_digest=preview.preview_digest,
                attempt=1,
                broker="sim",
                mode="SIM",
                account_id="ACC-1",
                plan_source="t.csv",
                equity=preview.equity,
                legs=preview.legs,
                holds=preview.holds,
                funding=preview.funding,
                settings={},
            ),
        )
        await journal.append(
            run_id,
            ApprovalGiven(
                preview_digest=preview.preview_digest, approved_by="t", scale=preview.funding.scale
            ),
        )
        if finish:
            await journal.append(
                run_id,
                RunCompleted(status="succeeded", sell_proceeds=Decimal(0), buy_spent=Decimal(0)),
            )

    asyncio.run(write())
    return run_id


def test_unfinished_targets_run_of_an_earlier_day_is_found(tmp_path: Path) -> None:
    with SqliteJournal(str(tmp_path / "j.sqlite")) as journal:
        yesterday = datetime(2026, 11, 23, 23, 59, tzinfo=UTC)
        run_id = _start_run(journal, yesterday, finish=False)
        today = build_targets_plan(
            "t.csv", CSV, SNAP, Settings(), datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
        )
        found = unfinished_run(journal, today)
        assert found is not None and found.run_id == run_id


def test_finished_run_of_an_earlier_day_is_not_resumed(tmp_path: Path) -> None:
    with SqliteJournal(str(tmp_path / "j.sqlite")) as journal:
        _start_run(journal, datetime(2026, 11, 23, 12, tzinfo=UTC), finish=True)
        today = build_targets_plan(
            "t.csv", CSV, SNAP, Settings(), datetime(2026, 11, 24, 12, tzinfo=UTC)
        )
        assert unfinished_run(journal, today) is None
        assert next_attempt(journal, today.digest) == 1  # a new plan today

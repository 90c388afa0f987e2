"""The run report and replay funding: totals within what was available, re-approval told."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from console.domain.fold import fold
from console.domain.money import add
from console.domain.orders import Side
from console.domain.reasons import reapproval_outcome
from console.domain.runstate import RunState
from console.journal.store import SqliteJournal
from console.ui.reports import run_report_html, side_totals
from tests.cli.helpers import cli


def _demo_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> RunState:
    journal = tmp_path / "j.sqlite"
    run = cli(capsys, "run", "demo", "--yes", "--journal", journal, "--format", "json")
    assert run.code == 3, run.err  # the demo ends partial, its buys scaled down
    with SqliteJournal(journal, read_only=True) as store:
        return fold(store.events(store.runs()[-1].run_id))


def test_buys_after_funding_leave_out_legs_sizing_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = _demo_run(capsys, tmp_path)
    recomputed = state.recomputed
    assert recomputed is not None and recomputed.scale < 1
    buys = [leg for leg in state.legs if leg.side is Side.BUY]
    skipped = [leg for leg in buys if leg.status == "skipped"]
    assert [leg.reason for leg in skipped] == ["below_min_notional"]  # KO, a few cents
    planned, after_funding, filled = side_totals(state, "buys")
    assert after_funding == add(*(leg.scaled_amount for leg in buys if leg.status != "skipped"))
    assert after_funding <= recomputed.available_for_buys
    assert planned == add(*(leg.planned_amount for leg in buys))
    assert filled == state.buy_spent


def test_a_headless_run_says_its_buys_went_ahead_without_re_approval(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = _demo_run(capsys, tmp_path)
    assert state.recomputed is not None and state.recomputed.needs_reapproval
    assert not [a for a in state.approvals if a.scope == "buy_phase"]
    told = reapproval_outcome(state)
    assert told.startswith("yes: a headless run (--yes) sends the buys")
    assert told in run_report_html(state, None)
    unsent = state.model_copy(
        update={"legs": tuple(replace(leg, intent=False) for leg in state.legs)}
    )
    assert reapproval_outcome(unsent) == "yes: the buys were not sent"


def test_replay_funding_shows_cash_and_spendable_before_and_now(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from console.domain.replay import ReplayIndex
    from console.ui.windows.replay.view import funding_html

    journal = tmp_path / "j.sqlite"
    cli(capsys, "run", "demo", "--yes", "--journal", journal, "--format", "json")
    with SqliteJournal(journal, read_only=True) as store:
        index = ReplayIndex(store.events(store.runs()[-1].run_id))
    text = funding_html(index, index.final)
    for label in ("Cash", "Spendable (cash)", "Cash now", "Spendable now", "headless run"):
        assert label in text

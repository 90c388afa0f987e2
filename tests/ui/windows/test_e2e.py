"""End to end on the sim broker: load demo → approve → run → every order terminal → summary."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.fold import fold
from tests.ui.conftest import Env, approve, finish_run, load, open_window

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def test_demo_runs_end_to_end_and_summary_equals_the_journal(
    qtbot: QtBot, qtmodeltester: ModelTester, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    window = open_window(qtbot, env)
    assert window.windowTitle() == "Phase Console — no plan"
    assert not window.acts.run.isEnabled()
    load(qtbot, window)
    assert window.windowTitle() == "Phase Console — rebal-2025-06-13-core-growth"
    assert window.review.sell_model.rowCount() == 5
    assert window.review.buy_model.rowCount() == 8
    for model in (
        window.review.sell_model,
        window.review.buy_model,
        window.review.hold_model,
        window.review.problem_model,
    ):
        qtmodeltester.check(model)
    assert "equity" not in window.strip.equity.text().lower()
    assert window.strip.equity.text() == "$246,877.35"
    assert not window.acts.run.isEnabled()

    approve(qtbot, window)
    assert window.acts.run.isEnabled()
    window.acts.run.trigger()
    finish_run(qtbot, window)

    state = window.runs.state
    assert state is not None
    assert all(leg.is_terminal for leg in state.legs)
    journaled = fold(env.journal.events(state.run_id))
    assert journaled == state
    summary = window.runs.summary
    assert summary is not None
    assert summary.status == journaled.status == "succeeded"
    assert summary.sell_proceeds == journaled.sell_proceeds
    assert summary.buy_spent == journaled.buy_spent
    by_id = {leg.client_order_id: leg for leg in journaled.legs}
    for row in summary.rows:
        leg = by_id[row.client_order_id]
        assert (row.status, row.filled_qty, row.filled_notional, row.avg_price) == (
            leg.status,
            leg.filled_qty,
            leg.filled_notional,
            leg.filled_avg_price,
        )
    assert summary.max_abs_drift is not None
    assert summary.max_abs_drift < Decimal("0.01")
    # The monitor shows every submitted order, as folded.
    monitor = window.runs.monitor
    qtmodeltester.check(monitor)
    assert {row.key for row in monitor.rows()} == {
        leg.client_order_id for leg in journaled.legs if leg.intent
    }
    for row in monitor.rows():
        assert row.leg == by_id[row.key]
    qtmodeltester.check(window.summary_page.model)
    assert window.summary_page.model.rowCount() == len(journaled.legs)
    assert "SUCCEEDED" in window.summary_page.totals.text()
    assert window.tabs.currentIndex() == 5
    # The approval was used: a second run needs a new approval.
    assert not window.acts.run.isEnabled()

    out = env.tmp / "summary.csv"
    window.files.export_csv(str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("client_order_id,symbol,side,status")
    assert len([line for line in lines[1:] if line.startswith("pc-")]) == len(journaled.legs)


def test_preview_exports_csv_and_pdf(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("fast")
    window = open_window(qtbot, env)
    load(qtbot, window)
    csv_path, pdf_path = env.tmp / "preview.csv", env.tmp / "preview.pdf"
    window.files.export_csv(str(csv_path))
    window.files.export_pdf(str(pdf_path))
    rows = csv_path.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 13
    assert "-3104.7719328417" not in rows[1]  # planned amounts are |trade_amount|
    assert "3104.7719328417" in csv_path.read_text(encoding="utf-8")
    assert pdf_path.read_bytes().startswith(b"%PDF")


def test_an_export_that_cannot_be_written_says_why(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    window = open_window(qtbot, env)
    load(qtbot, window)
    for export, name in ((window.files.export_csv, "p.csv"), (window.files.export_pdf, "p.pdf")):
        target = env.tmp / "no-such-dir" / name
        with qtbot.waitSignal(window.files.message) as said:
            export(str(target))
        assert said.args == [f"Cannot export {target}: No such file or directory"]
        assert not target.parent.exists()


def test_shortcuts_and_keyboard(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("fast")
    window = open_window(qtbot, env)
    table = dict(window.acts.shortcut_table())
    assert table["Open plan"] == "Ctrl+O"
    assert table["Run"] == "Ctrl+R"
    assert table["Halt and cancel"] == "Ctrl+."
    assert table["Refresh quotes"] == "F5"
    assert table["Export CSV"] == "Ctrl+E"
    window.acts.tabs[4].trigger()
    assert window.tabs.currentIndex() == 4
    window.show_shortcuts()

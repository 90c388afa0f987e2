"""The live console: once-only runs, HALT from anywhere, one truth on screen, time and control."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.events import ApprovalGiven, OrderUpdate
from console.domain.orders import Side
from console.ui import prefs
from console.ui.viewmodels.approval_vm import ApprovalState, approval_facts
from console.ui.windows.context import TAB_POSITIONS
from tests.ui.conftest import (
    Env,
    FakeClock,
    approve,
    finish_run,
    load,
    open_window,
    scenario_file,
)


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    """Every structlog event of the test (what the event-log dock receives)."""
    with structlog.testing.capture_logs() as captured:
        yield captured


pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def _runs(env: Env) -> int:
    return len(env.journal.runs())


def test_approving_again_without_refreshing_never_runs_that_attempt_twice(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    window = open_window(qtbot, env)
    load(qtbot, window)
    first = window.previews.preview
    assert first is not None and first.attempt == 1
    approve(qtbot, window)
    window.acts.run.trigger()
    finish_run(qtbot, window)
    # The preview refreshed itself: next attempt, new ids; the used approval is void.
    qtbot.waitUntil(
        lambda: window.previews.preview is not None and window.previews.preview.attempt == 2,
        timeout=10_000,
    )
    fresh = window.previews.preview
    assert fresh is not None
    assert {leg.client_order_id for leg in fresh.legs}.isdisjoint(
        leg.client_order_id for leg in first.legs
    )
    assert window.approval.state is ApprovalState.VOID
    assert "finished" in window.approval.reason
    # The tabs still show the run: Approve waits for the operator to look at the new preview.
    assert window.review.showing_run
    assert not window.acts.approve.isEnabled()
    qtbot.waitUntil(window.new_preview_button.isVisible)
    assert "attempt 2" in window.new_preview_button.text()
    assert "in full again" in window.new_preview_button.toolTip()
    assert "Plan the remainder" in window.new_preview_button.toolTip()
    facts = approval_facts(fresh, previous_runs=1)
    assert any("in full again" in w and "Plan the remainder" in w for w in facts.warnings)

    # An approval of the old preview (approve again without refreshing) reaches the engine:
    # refused inline, nothing journaled, no second run of attempt 1.
    window.approval.approve(first, "gui:test")
    window.run_control.start_run()
    qtbot.waitUntil(window.notice.isVisible, timeout=10_000)
    assert "already ran" in window.notice.text.text()
    assert "Traceback" not in window.notice.text.text()
    assert _runs(env) == 1
    assert [r.attempt for r in env.journal.runs()] == [1]
    assert window.approval.state is ApprovalState.VOID
    assert not window.runs.running
    qtbot.waitUntil(
        lambda: not window.previews.busy and not window.run_control.refreshing_after_run
    )
    window.new_preview_button.click()
    assert not window.review.showing_run
    assert window.acts.approve.isEnabled()


def test_a_locked_run_is_refused_inline(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("fast")
    window = open_window(qtbot, env)
    load(qtbot, window)
    preview = window.previews.preview
    assert preview is not None
    approve(qtbot, window)
    lock = env.journal.lock_run(preview.plan_digest)  # another console executes this plan
    try:
        window.acts.run.trigger()
        qtbot.waitUntil(window.notice.isVisible, timeout=10_000)
    finally:
        lock.release()
    assert "Run refused" in window.notice.text.text()
    assert "pid" in window.notice.text.text()
    assert _runs(env) == 0
    assert window.approval.state is ApprovalState.VOID
    window.notice.close_button.click()
    assert not window.notice.isVisible()


def test_ctrl_period_during_reapproval_halts_the_run(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("partial")
    window = open_window(qtbot, env)
    window.activateWindow()
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(window.reapproval.isVisible, timeout=10_000)
    assert window.runs.paused
    # The panel is inline: the tabs stay usable and show the numbers behind the question.
    window.tabs.setCurrentIndex(3)
    assert window.tabs.currentIndex() == 3
    assert window.reapproval.approved.text() == "100.00 %"
    assert window.reapproval.scale.text().endswith("%")
    assert window.reapproval.proceeds.text().startswith("$")
    assert ("Re-approval needed", window.notifier.sent[-1][1]) == window.notifier.sent[-1]
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    finish_run(qtbot, window)
    state = window.runs.state
    assert state is not None
    assert state.status == "halted"
    assert not any(leg.intent for leg in state.legs if leg.side is Side.BUY)
    assert not window.reapproval.isVisible()


def test_ctrl_period_halts_from_another_open_window(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env("never_fill"))
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: window.runs.state is not None, timeout=10_000)
    window.open_settings()  # any other window in front
    settings = window.settings_dialog
    assert settings is not None and settings.isVisible()
    assert not settings.isModal() and settings.windowModality() == Qt.WindowModality.NonModal
    settings.activateWindow()
    QTest.keyClick(settings, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    finish_run(qtbot, window)
    assert window.runs.state is not None and window.runs.state.status == "halted"
    settings.close()


def test_close_prompt_defaults_to_keep_running(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    window = open_window(qtbot, make_env("never_fill"))
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: window.runs.running, timeout=10_000)
    window.close()
    box = window.question
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible)
    assert box.windowModality() == Qt.WindowModality.NonModal
    default = box.defaultButton()
    assert default is not None and default.text().replace("&", "") == "Keep running"
    default.click()
    assert window.isVisible() and window.runs.running
    window.acts.halt.trigger()
    finish_run(qtbot, window)


def test_one_truth_during_and_after_a_run(
    qtbot: QtBot, qtmodeltester: ModelTester, make_env: Callable[..., Env]
) -> None:
    env = make_env("partial")
    prefs.set_approver_name(env.ctx.qsettings, "Alice Example")
    window = open_window(qtbot, env)
    load(qtbot, window)
    preview = window.previews.preview
    assert preview is not None
    cash_before = window.strip.cash.text()
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(window.reapproval.isVisible, timeout=10_000)
    # The tabs show the approved preview read-only, with a banner and each leg's live status.
    assert window.review.showing_run
    banner = window.review.sell_banner.text()
    assert "Approved" in banner and "by Alice Example" in banner and "paused" in banner
    live = window.review.sell_model.columns[2]
    assert live.key == "live"
    assert not window.review.sell_table.view.isColumnHidden(2)
    sells = window.review.sell_model.rows()
    assert {live.text(leg) for leg in sells} & {"filled", "canceled · 5 filled"}
    qtmodeltester.check(window.review.sell_model)
    # 'planned' is the approved amount; the new buy scale is its own figure.
    buys_planned = window.runs.approved_planned(Side.BUY)
    assert buys_planned == sum(
        (leg.est_notional or 0 for leg in preview.buy if leg.status.value == "ready"),
    )
    window.reapproval.continue_button.click()
    finish_run(qtbot, window)
    qtbot.waitUntil(lambda: "finished" in window.review.buy_banner.text(), timeout=5000)
    assert f"of ${buys_planned:,.2f} approved" in window.progress.bars["buy"].format()
    qtbot.wait(300)  # the coalesced progress update after the end keeps the finished line
    assert window.progress.phase.text().startswith("Run finished: PARTIAL · buy scale")
    qtbot.waitUntil(lambda: window.runs.summary is not None)
    totals = window.summary_page.totals.text()
    assert f"of ${buys_planned:,.2f} approved (buy scale 79.09 %, approved 100.00 %)" in totals
    # Per leg too: the summary's planned notional is the approved one, the rescaled in the tip.
    columns = {c.key: c for c in window.summary_page.model.columns}
    for row in window.summary_page.model.rows():
        leg = next(leg for leg in preview.legs if leg.client_order_id == row.client_order_id)
        assert columns["planned_notional"].value(row) == leg.est_notional
    qtmodeltester.check(window.summary_page.model)
    # Planned buys in the preview's funding are still the approved preview's, not rescaled.
    buy_rows = window.review.buy_model.rows()
    assert [leg.client_order_id for leg in buy_rows] == [leg.client_order_id for leg in preview.buy]
    # The account strip and the positions panel were read again after the run.
    qtbot.waitUntil(lambda: window.strip.cash.text() != cash_before, timeout=10_000)
    window.tabs.setCurrentIndex(TAB_POSITIONS)
    model = window.positions.model
    qtmodeltester.check(model)
    account = window.previews.account
    assert account is not None
    rows = {row.symbol: row for row in model.rows()}
    for symbol, qty in account.positions.items():
        assert rows[symbol].qty == qty
    # The approver's name reached the journal.
    state = window.runs.state
    assert state is not None
    approvals = [
        e.event for e in env.journal.events(state.run_id) if isinstance(e.event, ApprovalGiven)
    ]
    assert {a.approved_by for a in approvals} == {"Alice Example"}
    assert ("Run finished", f"{state.plan_id}: partial") in window.notifier.sent
    # Replay of the run shows what the live console showed: totals, progress, planned per leg.
    from console.ui.windows.replay.view import TAB_SUMMARY as REPLAY_SUMMARY
    from tests.ui.windows.replay.helpers import open_window as open_replay
    from tests.ui.windows.replay.helpers import view_of

    view = view_of(open_replay(qtbot, env.journal.path))
    view.tabs.setCurrentIndex(REPLAY_SUMMARY)
    assert f"of ${buys_planned:,.2f} approved (buy scale 79.09 %, approved 100.00 %)" in (
        view.summary_page.totals.text()
    )
    for side in ("sell", "buy"):
        assert view.progress.bars[side].format() == window.progress.bars[side].format()
    replayed = {row.client_order_id: row for row in view.summary_page.model.rows()}
    for row in window.summary_page.model.rows():
        planned = columns["planned_notional"]
        assert planned.value(replayed[row.client_order_id]) == planned.value(row)


def test_operator_cancels_one_order_from_the_monitor(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    make_env: Callable[..., Env],
    logs: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    # Two orders that never fill: canceling one leaves the other working, so the run goes on.
    fills = {"latency_ms": 2, "slippage_bps": "0", "never_fill": ["AAPL", "META"]}
    env = make_env(scenario_file(tmp_path, "never_fill", fills=fills))
    window = open_window(qtbot, env)
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    monitor = window.monitor
    qtbot.waitUntil(lambda: bool(monitor.open_orders()), timeout=10_000)
    assert monitor.cancel_all.isEnabled()
    qtbot.waitUntil(lambda: "times out in" in window.progress.phase.text(), timeout=5000)
    window._tick()
    assert "phase times out in" in monitor.countdown.text()
    model = window.runs.monitor
    qtmodeltester.check(model)
    assert [c.key for c in model.columns][:2] == ["time", "age"]
    coid = monitor.open_orders()[0]
    row = model.position_of(coid)
    assert row is not None
    view = monitor.table.view
    view.selectRow(monitor.table.proxy.mapFromSource(model.index(row, 0)).row())
    assert monitor.selected_open() == [coid]
    assert monitor.cancel_action is not None and monitor.cancel_action.isEnabled()
    monitor.cancel_action.trigger()  # right-click > Cancel this order…
    assert monitor.confirm.isVisible()
    assert monitor.confirm.no.isDefault()
    monitor.confirm.yes.click()
    qtbot.waitUntil(
        lambda: window.runs.state is not None
        and any(leg.client_order_id == coid and leg.status == "canceled"
                for leg in window.runs.state.legs),
        timeout=10_000,
    )  # fmt: skip
    state = window.runs.state
    assert state is not None
    leg = next(leg for leg in state.legs if leg.client_order_id == coid)
    assert leg.reason == "operator"
    updates = [
        e.event
        for e in env.journal.events(state.run_id)
        if isinstance(e.event, OrderUpdate) and e.event.client_order_id == coid
    ]
    assert updates[-1].status.value == "canceled"
    assert window.runs.running  # the run goes on
    age = model.columns[1]
    assert age.text(model.row_by_key(coid)) != "—"  # type: ignore[arg-type]
    window.acts.halt.trigger()
    finish_run(qtbot, window)
    # The event log (structlog, copied into the dock) records approvals and operator actions.
    logged = {entry["event"] for entry in logs}
    assert {"approval_given", "operator_cancel", "operator_halt", "approval_voided"} <= logged


def test_ctrl_period_halts_while_an_export_dialog_is_open(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env("never_fill"))
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: window.runs.state is not None, timeout=10_000)
    window.acts.export_csv.trigger()  # a file dialog in front of the window
    dialogs = [d for d in window.findChildren(QFileDialog) if d.isVisible()]
    assert dialogs
    dialogs[-1].activateWindow()
    QTest.keyClick(dialogs[-1], Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    finish_run(qtbot, window)
    assert window.runs.state is not None and window.runs.state.status == "halted"
    dialogs[-1].reject()


def test_a_refused_resume_says_so_inline(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("never_fill")
    window = open_window(qtbot, env)
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: bool(window.monitor.open_orders()), timeout=10_000)
    qtbot.waitUntil(lambda: window.runs.running)
    state = window.runs.state
    assert state is not None
    # A second console on the same journal: the first one holds the run lock.
    other = open_window(qtbot, make_env("never_fill", journal=env.tmp / "journal.sqlite"))
    other.run_control.resume(state.run_id)
    qtbot.waitUntil(other.notice.isVisible, timeout=10_000)
    assert "Run refused" in other.notice.text.text()
    assert "not running" in other.review.sell_banner.text()
    assert other.new_preview_button.isVisible()
    assert not other.runs.running
    window.acts.halt.trigger()
    finish_run(qtbot, window)


def test_a_silent_stream_turns_red_logs_and_notifies(
    qtbot: QtBot, make_env: Callable[..., Env], logs: list[dict[str, Any]]
) -> None:
    clock = FakeClock()
    window = open_window(qtbot, make_env("never_fill", clock=clock))
    load(qtbot, window)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: bool(window.monitor.open_orders()), timeout=10_000)
    clock.advance(31)  # no order update for 31 s while orders are open
    window._tick()
    assert window.strip.health.property("state") == "red"
    assert any(title == "Order updates silent" for title, _ in window.notifier.sent)
    assert any(e["event"] == "stream_health" and e["state"] == "red" for e in logs)
    window.acts.halt.trigger()
    finish_run(qtbot, window)

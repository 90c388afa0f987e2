"""Operator flows: bad files, voided approvals, halt, re-approval pause, close and resume."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.brokers.sim import SimBroker
from console.domain.config import Settings
from console.domain.fold import fold
from console.domain.market import Quote
from console.engine.ports import Broker
from console.ui import prefs
from console.ui.viewmodels.approval_vm import ApprovalState
from console.ui.windows.main_window import MainWindow
from tests.ui.conftest import (
    DATA,
    DEMO_PLAN,
    Env,
    FakeClock,
    approve,
    finish_run,
    load,
    open_window,
)

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


class ShiftedQuotes:
    """A broker whose quotes can be moved by a factor (a hand-written fake over the sim)."""

    def __init__(self, inner: SimBroker) -> None:
        self.inner = inner
        self.name, self.mode = inner.name, inner.mode
        self.rate_limit_per_minute = inner.rate_limit_per_minute
        self.factor = Decimal(1)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def get_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        quotes = await self.inner.get_quotes(symbols)
        return {
            s: Quote(
                bid=q.bid * self.factor if q.bid is not None else None,
                ask=q.ask * self.factor if q.ask is not None else None,
            )
            for s, q in quotes.items()
        }


def _answer(qtbot: QtBot, window: MainWindow, name: str, button_text: str) -> None:
    """Click a button of the visible question box `name` (the window's or a controller's)."""

    def visible() -> QMessageBox | None:
        boxes = [b for b in window.findChildren(QMessageBox, name) if b.isVisible()]
        return boxes[-1] if boxes else None

    qtbot.waitUntil(lambda: visible() is not None)
    box = visible()
    assert box is not None
    for button in box.buttons():
        if button.text().replace("&", "") == button_text:
            button.click()
            return
    raise AssertionError(f"no button {button_text}")


def test_bad_file_lists_every_error_and_keeps_the_plan(
    qtbot: QtBot, qtmodeltester: ModelTester, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env("fast"))
    load(qtbot, window)
    preview = window.previews.preview
    window.files.open_path(str(DATA / "bad_plan.json"))
    qtbot.waitUntil(window.error_panel.isVisible, timeout=5000)
    rows = window.error_panel.model.rows()
    qtmodeltester.check(window.error_panel.model)
    assert len(rows) >= 4
    assert all(row.file.endswith("bad_plan.json") for row in rows)
    fields = {(row.item, row.field) for row in rows}
    assert (None, "timestamp") in fields
    assert (0, "trade_amount") in fields
    assert (2, "symbol") in fields
    assert (3, "priority") in fields
    assert "rebal-2025-06-13-core-growth is unchanged" in window.error_panel.title.text()
    assert window.previews.preview is preview
    assert window.windowTitle() == "Phase Console — rebal-2025-06-13-core-growth"
    window.error_panel.close_button.click()
    assert not window.error_panel.isVisible()


def test_drag_and_drop_loads_a_plan(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    window = open_window(qtbot, make_env("fast"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(DEMO_PLAN)])
    event = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.previews.preview is not None, timeout=5000)
    assert window.acts.recent.actions()  # remembered in the recent-plans menu


def test_reload_voids_the_approval(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    window = open_window(qtbot, make_env("fast"))
    load(qtbot, window)
    approve(qtbot, window)
    load(qtbot, window)
    assert window.approval.state is ApprovalState.VOID
    assert "reloaded" in window.approval.reason
    assert "reloaded" in window.approval_label.text()
    assert not window.acts.run.isEnabled()


def test_ttl_expiry_voids_the_approval(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    clock = FakeClock()
    env = make_env("fast", clock=clock, settings=Settings(approval_ttl_seconds=Decimal(60)))
    window = open_window(qtbot, env)
    load(qtbot, window)
    approve(qtbot, window)
    clock.advance(59)
    assert window.approval.valid
    clock.advance(2)
    window.approval.tick()
    assert window.approval.state is ApprovalState.VOID
    assert "expired" in window.approval.reason
    assert not window.acts.run.isEnabled()
    window.run_control.start_run()  # refused: nothing starts
    assert not window.runs.running


def test_stale_preview_cannot_be_approved(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    clock = FakeClock()
    env = make_env("fast", clock=clock, settings=Settings(approval_ttl_seconds=Decimal(60)))
    window = open_window(qtbot, env)
    load(qtbot, window)
    window.run_control.open_approval()
    dialog = window.run_control.approval_dialog
    assert dialog is not None
    assert dialog.approve_button.isEnabled()
    assert "1:00" in dialog.countdown.text()
    clock.advance(61)
    qtbot.waitUntil(lambda: not dialog.approve_button.isEnabled(), timeout=2000)
    assert "expired" in dialog.countdown.text()


def test_drift_beyond_the_band_voids_the_approval(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    shifted: list[ShiftedQuotes] = []

    def wrap(sim: SimBroker) -> Broker:
        shifted.append(ShiftedQuotes(sim))
        return shifted[0]

    window = open_window(qtbot, make_env("fast", wrap=wrap))
    load(qtbot, window)
    approve(qtbot, window)
    shifted[0].factor = Decimal("1.005")  # inside the 1% band: the approval stands
    window.files.refresh()
    qtbot.waitUntil(lambda: not window.previews.busy and window.previews.preview is not None)
    qtbot.waitUntil(
        lambda: (
            window.previews.preview is not None
            and window.previews.preview.preview_digest != window.approval.preview.preview_digest
            if window.approval.preview
            else False
        ),
        timeout=5000,
    )
    assert window.approval.state is ApprovalState.APPROVED
    shifted[0].factor = Decimal("1.02")
    window.files.refresh()
    qtbot.waitUntil(lambda: window.approval.state is ApprovalState.VOID, timeout=5000)
    assert "band" in window.approval.reason
    assert "moved" in window.approval.reason


def test_live_approval_needs_the_account_code(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    class Live(ShiftedQuotes):
        pass

    def wrap(sim: SimBroker) -> Broker:
        live = Live(sim)
        live.mode = "LIVE"
        return live

    window = open_window(qtbot, make_env("fast", wrap=wrap))
    assert window.live_banner is not None
    assert window.live_banner.isVisible()
    load(qtbot, window)
    window.run_control.open_approval()
    dialog = window.run_control.approval_dialog
    assert dialog is not None
    assert dialog.code is not None
    assert not dialog.approve_button.isEnabled()
    dialog.code.setText("9999")
    assert not dialog.approve_button.isEnabled()
    dialog.code.setText("0001")  # SIM-000001
    assert dialog.approve_button.isEnabled()
    dialog.reject()


def test_halt_mid_run_cancels_open_orders(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("never_fill")
    window = open_window(qtbot, env)
    load(qtbot, window)
    approve(qtbot, window)
    window.run_control.start_run()
    qtbot.waitUntil(
        lambda: (
            window.runs.state is not None
            and sum(1 for leg in window.runs.state.legs if leg.status == "filled") == 4
        ),
        timeout=10_000,
    )
    assert window.halt_button.isEnabled()
    window.acts.halt.trigger()
    finish_run(qtbot, window)
    state = window.runs.state
    assert state is not None
    assert state.status == "halted"
    aapl = next(leg for leg in state.legs if leg.symbol == "AAPL")
    assert aapl.status == "canceled"
    assert not any(leg.intent for leg in state.legs if leg.side.value == "buy")
    assert fold(env.journal.events(state.run_id)) == state
    assert "HALTED" in window.summary_page.totals.text()


@pytest.mark.parametrize("answer", [True, False])
def test_reapproval_pause(qtbot: QtBot, make_env: Callable[..., Env], answer: bool) -> None:
    env = make_env("partial")
    window = open_window(qtbot, env)
    load(qtbot, window)
    approve(qtbot, window)
    window.run_control.start_run()
    dialog = window.reapproval
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)
    assert window.tabs.isEnabled() and window.halt_button.isEnabled()  # inline, not modal
    assert window.runs.paused
    assert window.runs.health()[0] == "paused"
    pending = window.runs.pending_reapproval
    assert pending is not None
    assert pending.scale < pending.approved_scale
    (dialog.continue_button if answer else dialog.halt_button).click()
    finish_run(qtbot, window)
    state = window.runs.state
    assert state is not None
    buys_sent = [leg for leg in state.legs if leg.side.value == "buy" and leg.intent]
    if answer:
        assert state.status == "partial"  # VTI filled half
        assert buys_sent
        assert state.approvals[-1].scope == "buy_phase"
        qtbot.waitUntil(lambda: window.runs.summary is not None, timeout=10_000)
        summary = window.runs.summary
        assert summary is not None and summary.partly_filled == 1
        assert summary.filled == summary.submitted - 1
        assert "1 partly" in window.summary_page.totals.text()
    else:
        assert state.status == "halted"
        assert not buys_sent
    assert fold(env.journal.events(state.run_id)) == state


def test_close_during_a_run_asks_then_resume_on_next_start(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    tmp = make_env("fast").tmp
    state_path, journal_path = str(tmp / "sim-state.json"), tmp / "resume.sqlite"
    first = make_env("never_fill", state=state_path, journal=journal_path)
    window = open_window(qtbot, first)
    load(qtbot, window)
    approve(qtbot, window)
    window.run_control.start_run()
    qtbot.waitUntil(
        lambda: (
            window.runs.state is not None
            and sum(1 for leg in window.runs.state.legs if leg.status == "filled") == 4
        ),
        timeout=10_000,
    )
    window.close()
    assert window.isVisible()  # not closed yet: the operator is asked first
    _answer(qtbot, window, "closeQuestion", "Keep running")
    assert window.isVisible()
    assert window.runs.running
    window.close()
    _answer(qtbot, window, "closeQuestion", "Close anyway")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    run_id = window.runs.state.run_id if window.runs.state else ""
    assert [r.status for r in first.journal.runs()] == ["running"]

    # Next start: the market filled AAPL meanwhile (a scenario without never_fill).
    second = make_env("fast", state=state_path, journal=journal_path)
    window2 = open_window(qtbot, second)
    window2.start(None)
    _answer(qtbot, window2, "resumeQuestion", "Resume run")
    # The resumed run shows its journaled (approved) preview, not a fresh one.
    qtbot.waitUntil(lambda: window2.review.showing_run, timeout=5000)
    journaled = {leg.client_order_id for leg in fold(first.journal.events(run_id)).legs}
    shown = {leg.client_order_id for leg in window2.review.sell_model.rows()}
    assert shown and shown <= journaled
    assert f"by {prefs.default_approver()}" in window2.review.sell_banner.text()
    finish_run(qtbot, window2)
    state = window2.runs.state
    assert state is not None
    assert state.run_id == run_id
    assert state.status in ("succeeded", "partial")
    assert all(leg.is_terminal for leg in state.legs)
    assert fold(first.journal.events(run_id)) == state
    submits = [e for e in first.journal.events(run_id) if e.event.kind == "order_intent"]
    coids = [e.event.client_order_id for e in submits]  # type: ignore[union-attr]
    assert len(coids) == len(set(coids))  # nothing placed twice


def test_reset_simulated_account_restores_the_scenario(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env()
    assert isinstance(env.broker, SimBroker)
    env.ctx.reset_account = env.broker.reset
    window = open_window(qtbot, env)
    assert window.acts.reset_account.isVisible()
    opening = env.broker.exchange.positions()
    load(qtbot, window)
    approve(qtbot, window)
    window.run_control.start_run()
    finish_run(qtbot, window)
    assert env.broker.exchange.positions() != opening
    window.acts.reset_account.trigger()
    box = window.files.question
    assert isinstance(box, QMessageBox) and box.isVisible()
    box.button(QMessageBox.StandardButton.Reset).click()
    assert env.broker.exchange.positions() == opening
    assert env.broker.exchange.orders() == []
    qtbot.waitUntil(lambda: not window.previews.busy, timeout=10_000)
    assert len(env.journal.runs()) == 1  # the journal keeps the past run


def test_reset_is_hidden_without_a_simulated_account(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env())
    assert not window.acts.reset_account.isVisible()

"""Broker rules on screen: the funding source, the market clock gate, foreign open orders."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.brokers.sim import demo_path
from console.domain.config import Settings
from tests.ui.conftest import DEMO_PLAN, Env, FakeClock, load, open_window, scenario_file

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]
INCIDENTS = str(demo_path("scenario-incidents.json"))


def test_waterfall_says_cash_funds_the_buys_on_a_margin_account(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env(str(demo_path("scenario.json"))))
    load(qtbot, window)
    funding = window.review.funding
    assert funding.funding is not None
    assert funding.funding.buying_power == 2 * (funding.funding.cash or 0)
    assert funding.funding.funded_by(allow_margin=False) == "cash"
    text = funding.describe()
    assert "Buys are funded from cash $1,874.36" in text
    assert "buying power $3,748.72 is not borrowed" in text
    labels = [step[0] for step in funding.steps()]
    assert labels[:3] == ["Cash", "Buying power", "Spendable"]
    assert funding.steps()[1][3].value == "muted"  # the unused balance


def test_waterfall_with_allow_margin_funds_from_buying_power(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env(str(demo_path("scenario.json")), settings=Settings(allow_margin=True))
    window = open_window(qtbot, env)
    load(qtbot, window)
    funding = window.review.funding
    assert funding.funding is not None
    assert funding.funding.funded_by(allow_margin=True) == "buying power"
    assert "allow_margin" in funding.describe()


def test_approve_is_disabled_with_the_reason_while_the_market_is_closed(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    path = scenario_file(env.tmp, market_open=False)
    window = open_window(qtbot, make_env(path))
    load(qtbot, window)
    assert not window.acts.approve.isEnabled()
    assert not window.approve_button.isEnabled()
    assert "market is closed" in window.approve_button.toolTip()
    window._tick()
    assert "Approve disabled: the market is closed" in window.approval_label.text()
    assert "opens in" in window.strip.market.text()
    assert window.gate_notice.isVisible()
    assert "the market is closed" in window.gate_notice.text.text()


def test_a_preview_left_open_across_the_close_disables_approve(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    clock = FakeClock()
    env = make_env("fast")
    path = scenario_file(env.tmp, minutes_to_close=15)
    window = open_window(qtbot, make_env(path, clock=clock))
    load(qtbot, window)
    assert window.acts.approve.isEnabled()
    assert "closes in 15 min" in window.strip.market.text() or "closes in 14 min" in (
        window.strip.market.text()
    )
    clock.advance(6 * 60)  # now 9 minutes to the close: within min_minutes_to_close (10)
    window._tick()  # the once-a-second timer
    assert not window.acts.approve.isEnabled()
    assert "within min_minutes_to_close" in window.approve_button.toolTip()
    clock.advance(10 * 60)  # past the close
    window._tick()
    assert "market is closed" in window.approve_button.toolTip()
    assert "market closed" in window.strip.market.text()


def test_open_orders_panel_lists_and_cancels_a_foreign_order(
    qtbot: QtBot, qtmodeltester: ModelTester, make_env: Callable[..., Env]
) -> None:
    env = make_env(INCIDENTS)
    window = open_window(qtbot, env)
    load(qtbot, window, DEMO_PLAN)
    preview = window.previews.preview
    assert preview is not None
    reasons = {(leg.symbol, leg.reason.value if leg.reason else None) for leg in preview.legs}
    assert {("NVDA", "stale_quote"), ("V", "wide_spread"), ("META", "open_order")} <= reasons
    window.tabs.setCurrentIndex(3)  # Problems: the open-orders panel sits under the problems
    panel = window.review.open_orders
    qtmodeltester.check(panel.model)
    assert [o.symbol for o in panel.model.rows()] == ["META", "AMZN"]
    assert "2 open orders" in panel.caption.text()
    assert not panel.cancel_button.isEnabled()
    panel.table.view.selectRow(0)
    assert panel.cancel_button.isEnabled()
    panel.cancel_button.click()
    assert panel.confirm.isVisible() and "META" in panel.confirm.question.text()
    panel.confirm.no.click()  # the safe default: nothing cancelled
    assert panel.model.rowCount() == 2
    panel.cancel_button.click()
    panel.confirm.yes.click()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    assert [o.symbol for o in panel.model.rows()] == ["AMZN"]
    fresh = window.previews.preview
    assert fresh is not None
    meta = next(leg for leg in fresh.legs if leg.symbol == "META")
    assert meta.reason is None or meta.reason.value != "open_order"


def test_quote_age_and_precision_columns(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    window = open_window(qtbot, make_env(INCIDENTS))
    load(qtbot, window)
    model = window.review.buy_model
    by_key = {c.key: c for c in model.columns}
    nvda = next(leg for leg in model.rows() if leg.symbol == "NVDA")
    assert by_key["quote_age"].text(nvda) == "5 min"
    assert by_key["price"].text(nvda) == "$120.55"
    assert by_key["planned_amount"].text(nvda).startswith("$6,012.4")
    cost = next(leg for leg in model.rows() if leg.symbol == "COST")
    assert by_key["order"].text(cost) == "8 sh"  # whole shares for a non-fractionable asset
    googl = next(leg for leg in model.rows() if leg.symbol == "GOOGL")
    assert googl.est_qty is not None and googl.est_qty.as_tuple().exponent == -9
    shown = by_key["est_qty"].text(googl)
    assert shown.endswith("…") and len(shown.split(".")[1]) == 5  # 4 places and the ellipsis
    tip = by_key["est_qty"].tooltip
    assert tip is not None and str(googl.est_qty.normalize()) in (tip(googl) or "")
    assert Decimal(shown.rstrip("…").replace(",", "")) <= googl.est_qty


def test_approve_is_disabled_while_the_account_cannot_trade(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    path = scenario_file(env.tmp, account={"status": "ACTIVE", "trading_blocked": True})
    window = open_window(qtbot, make_env(path))
    load(qtbot, window)
    assert not window.acts.approve.isEnabled()
    assert "the account cannot trade" in window.approve_button.toolTip()
    assert "trading_blocked" in window.gate_notice.text.text()

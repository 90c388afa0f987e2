"""The GUI end to end on the Alpaca broker (alpaca-py itself) against the loopback emulator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.app import Console, check_alpaca_connection, compose
from console.brokers.sim import demo_path
from console.brokers.sim.scenario import load_scenario
from console.domain.fold import fold
from console.emulator import AlpacaEmulator
from console.engine.tasks import TaskGroup
from console.ui import prefs
from console.ui.dialogs.settings import SettingsDialog
from console.ui.models.logbridge import LogBridge
from tests.ui.conftest import DEMO_PLAN, approve, drive, finish_run

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]

KEY, SECRET = "PKGUIE2EKEY", "gui-e2e-S3cret-0b5e7d-NOT-FOR-LOGS"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlpacaEmulator]:
    """The demo scenario on a loopback Alpaca emulator; APCA_API_* point at it."""
    emu = AlpacaEmulator(load_scenario(str(demo_path("scenario.json"))), key_id=KEY, secret=SECRET)
    emu.start()
    monkeypatch.setenv("APCA_API_BASE_URL", emu.base_url)
    monkeypatch.setenv("APCA_API_DATA_URL", emu.base_url)
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def console(
    qtbot: QtBot, tmp_path: Path, qloop: asyncio.AbstractEventLoop, emulator: AlpacaEmulator
) -> Iterator[Console]:
    """The console as app.py composes it with `--broker alpaca` (window not shown yet)."""
    built = compose(
        bridge=LogBridge(),
        broker="alpaca",
        journal=str(tmp_path / "journal.sqlite"),
        qsettings_path=str(tmp_path / "settings.ini"),
    )
    qtbot.addWidget(built.window)
    yield built
    drive(qtbot, built.close(), timeout=15_000)


def test_gui_runs_the_demo_on_alpaca_end_to_end(
    qtbot: QtBot, console: Console, emulator: AlpacaEmulator
) -> None:
    window = console.window
    deferred = console.deferred
    assert deferred is not None and not console.live
    assert console.gateway.name == "alpaca" and console.gateway.mode == "PAPER"
    assert not emulator.requests_by_endpoint  # nothing reached Alpaca before the window shows
    window.show()
    console.after_shown(DEMO_PLAN)  # alpaca-py is imported now, off the GUI thread
    assert window.strip.mode.text() == "PAPER"
    qtbot.waitUntil(
        lambda: window.previews.preview is not None and not window.previews.busy, timeout=30_000
    )
    assert window.windowTitle() == "Phase Console — rebal-2025-06-13-core-growth"
    assert window.review.sell_model.rowCount() == 5
    assert window.review.buy_model.rowCount() == 8
    approve(qtbot, window)
    window.acts.run.trigger()
    # VTI fills only half (the demo's partial symbol): the buy phase asks to re-approve.
    reapproval = window.reapproval
    qtbot.waitUntil(reapproval.isVisible, timeout=30_000)
    reapproval.continue_button.click()
    finish_run(qtbot, window, timeout=60_000)

    state = window.runs.state
    assert state is not None
    assert all(leg.is_terminal for leg in state.legs)
    journaled = fold(console.journal.events(state.run_id))
    assert journaled == state
    summary = window.runs.summary
    assert summary is not None
    assert summary.status == journaled.status
    assert summary.sell_proceeds == journaled.sell_proceeds
    assert summary.buy_spent == journaled.buy_spent
    by_id = {leg.client_order_id: leg for leg in journaled.legs}
    assert {row.client_order_id for row in summary.rows} == set(by_id)
    for row in summary.rows:
        leg = by_id[row.client_order_id]
        assert (row.status, row.filled_qty, row.filled_notional, row.avg_price) == (
            leg.status,
            leg.filled_qty,
            leg.filled_notional,
            leg.filled_avg_price,
        )
    submitted = sorted(leg.client_order_id for leg in journaled.legs if leg.intent)
    assert submitted
    with emulator.lock:
        orders = list(emulator.exchange.orders())
    assert sorted(order.client_order_id for order in orders) == submitted  # one order per leg
    for order in orders:
        leg = by_id[order.client_order_id]
        assert order.filled_qty == leg.filled_qty
        assert order.status.value == leg.status
    assert window.strip.mode.text() == "PAPER"
    assert window.live_banner is None


def test_settings_connection_test_on_the_emulator_leaks_no_secret(
    qtbot: QtBot,
    tmp_path: Path,
    qloop: asyncio.AbstractEventLoop,
    emulator: AlpacaEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-S3cret-for-the-emulator-77a1"
    dialog = SettingsDialog(
        prefs.open_settings(str(tmp_path / "settings.ini")),
        TaskGroup(),
        credentials=None,
        checker=check_alpaca_connection,
        env={"APCA_API_BASE_URL": emulator.base_url, "APCA_API_DATA_URL": emulator.base_url},
        session_mode="PAPER",
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.endpoints["APCA_API_BASE_URL"].text() == emulator.base_url
    dialog.key_id.setText(KEY)
    dialog.secret.setText(wrong)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=30_000)
    failure = dialog.result_label.text()
    assert failure and not failure.startswith("Connected")
    assert dialog.test_button.isEnabled()
    dialog.secret.setText(SECRET)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=30_000)
    success = dialog.result_label.text()
    assert success.startswith("Connected: account"), success
    assert "(PAPER)" in success
    everything = [failure, success, caplog.text]
    everything.extend(record.getMessage() for record in caplog.records)
    everything.extend(repr(record.__dict__) for record in caplog.records)
    for secret in (wrong, SECRET):
        assert all(secret not in text for text in everything)

"""Layout and units: nothing clipped at 1024x700, $ and readable quantities, F1, About."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from console.ui import prefs
from console.ui.viewmodels.units import order_shown, qty_full, qty_shown, signed_usd, usd
from console.ui.widgets.inline import ElidedLabel
from console.ui.windows.main_window import MINIMUM_SIZE, app_version
from tests.ui.conftest import Env, load, open_window

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def test_units() -> None:
    assert usd(Decimal("1234.5")) == "$1,234.50"
    assert usd(Decimal("-12")) == "−$12.00"
    assert usd(None) == "—"
    assert signed_usd(Decimal("-3.456")) == "−$3.46"
    assert qty_shown(Decimal("8.000000000")) == "8"
    assert qty_shown(Decimal("1200")) == "1,200"
    assert qty_shown(Decimal("2.5000")) == "2.5"
    assert qty_shown(Decimal("20.284360465")) == "20.2843…"
    assert qty_full(Decimal("20.284360465")) == "exactly 20.284360465 shares"
    assert qty_full(Decimal("2.5")) is None
    assert order_shown(None) == "—"


def test_nothing_is_clipped_at_1024x700(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    window = open_window(qtbot, make_env("fast"))
    load(qtbot, window)
    assert window.minimumSize() == MINIMUM_SIZE
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    window._tick()
    qtbot.wait(50)
    strip = window.strip
    assert strip.geometry().right() <= window.width()
    for label in strip.findChildren(QLabel):
        if isinstance(label, ElidedLabel):
            assert label.text() in label.toolTip()  # the full text on hover
            assert label.width() > 40
        else:
            assert label.width() >= label.sizeHint().width(), label.text()
    for button in window.findChildren(QPushButton):
        if button.isVisible() and button.window() is window:
            assert button.width() >= button.minimumSizeHint().width(), button.text()
    health = strip.health
    assert health.geometry().right() <= strip.width()
    assert window.strip.equity.text().startswith("$")
    header = window.monitor.table.view.horizontalHeader()
    assert header.stretchLastSection()


def test_f1_lists_every_shortcut_and_about_shows_the_version(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env("fast"))
    window.acts.shortcuts.trigger()
    dialog = window.shortcuts_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.isModal()
    table = dialog.findChild(QTableWidget)
    assert table is not None
    listed = {table.item(row, 1).text() for row in range(table.rowCount())}
    actions = [a for a in window.findChildren(type(window.acts.open)) if not a.shortcut().isEmpty()]
    for action in actions:
        assert action.shortcut().toString() in listed, action.text()
    assert "Ctrl+7" in listed  # the positions tab
    dialog.close()
    window.acts.about.trigger()
    box = window.about_box
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible)
    assert app_version() in box.text()
    assert app_version() != "unknown"
    box.close()


def test_approver_name_defaults_to_the_os_user_and_is_remembered(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    assert prefs.approver_name(env.ctx.qsettings) == prefs.default_approver()
    window = open_window(qtbot, env)
    load(qtbot, window)
    window.run_control.open_approval()
    dialog = window.run_control.approval_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.isModal()
    assert dialog.approver.text() == prefs.default_approver()
    dialog.approver.setText("")
    assert not dialog.approve_button.isEnabled()  # an approval names its approver
    dialog.approver.setText("Bea Reviewer")
    dialog.approve_button.click()
    qtbot.waitUntil(lambda: window.approval.valid)
    assert window.approval.approved_by == "Bea Reviewer"
    assert prefs.approver_name(env.ctx.qsettings) == "Bea Reviewer"
    assert "by Bea Reviewer" in window.approval.describe()

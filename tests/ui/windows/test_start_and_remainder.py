"""The start page (no plan given) and "Plan the remainder" after a partial run."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from console.domain.plan import parse_plan_bytes
from console.ui import prefs
from tests.ui.conftest import DEMO_PLAN, Env, approve, finish_run, load, open_window

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def test_no_plan_opens_the_start_page(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    env = make_env("fast")
    prefs.add_recent(env.ctx.qsettings, str(env.tmp / "old-plan.json"))
    window = open_window(qtbot, env)
    window.start(None)
    files = window.files
    assert files.showing_start and files.start_page.isVisible()
    assert not window.tabs.isVisible()  # not an empty preview
    page = files.start_page
    assert page.recent.count() == 1 and "old-plan.json" in page.recent.item(0).text()
    assert page.recent.item(0).toolTip() == str(env.tmp / "old-plan.json")

    opened: list[bool] = []
    journal_action = QAction("Open journal", window)
    journal_action.setObjectName("actionOpenJournal")
    journal_action.triggered.connect(lambda: opened.append(True))
    window.addAction(journal_action)
    qtbot.mouseClick(page.journal_button, Qt.MouseButton.LeftButton)
    assert opened == [True]

    qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.previews.preview is not None, timeout=10_000)
    assert not files.showing_start and window.tabs.isVisible()
    assert window.review.sell_model.rowCount() == 5
    assert page.recent.count() == 2  # the demo joined the recent plans


def test_a_recent_plan_opens_from_the_start_page(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("fast")
    prefs.add_recent(env.ctx.qsettings, DEMO_PLAN)
    window = open_window(qtbot, env)
    page = window.files.start_page
    page.recent.setCurrentRow(0)
    page.open_recent.emit(page.recent.item(0).toolTip())
    qtbot.waitUntil(lambda: window.previews.preview is not None, timeout=10_000)
    assert window.tabs.isVisible()


def test_plan_the_remainder_after_a_partial_run(
    qtbot: QtBot, make_env: Callable[..., Env], tmp_path: Path
) -> None:
    env = make_env("partial")  # VTI fills half, the rest is canceled
    plan = tmp_path / "plans" / "core.json"
    plan.parent.mkdir()
    shutil.copy(DEMO_PLAN, plan)
    window = open_window(qtbot, env)
    assert window.files.remainder_action in window.menuBar().actions()[0].menu().actions()
    load(qtbot, window, str(plan))
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: window.runs.paused, timeout=10_000)  # the buys were scaled down
    window.runs.resolve_reapproval(True)
    finish_run(qtbot, window)
    assert window.runs.summary is not None and window.runs.summary.status == "partial"
    vti = next(leg for leg in window.runs.state.legs if leg.symbol == "VTI")  # type: ignore[union-attr]
    button = window.files.remainder_button
    assert button.isEnabled() and window.summary_page.isAncestorOf(button)

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.previews.plan_id is not None and "-rem-" in window.previews.plan_id,
        timeout=10_000,
    )
    saved = window.files.remainder_path
    assert saved is not None and saved.parent == plan.parent
    assert re.fullmatch(r"core-rem-\d{8}T\d{4}\.json", saved.name)
    doc = json.loads(saved.read_text())
    assert doc["plan_id"].startswith("rebal-2025-06-13-core-growth-rem-")
    loaded = parse_plan_bytes(str(saved), saved.read_bytes())
    preview = window.previews.preview
    assert preview is not None and preview.plan_digest == loaded.digest  # a normal preview
    assert [leg.symbol for leg in preview.sell] == ["VTI"]
    rest = (Decimal(300) - vti.filled_qty) * Decimal("268.30")
    assert preview.sell[0].planned_amount < rest  # only what is above VTI's target
    assert preview.buy and preview.attempt == 1
    assert window.tabs.isVisible() and window.review.sell_model.rowCount() == 1

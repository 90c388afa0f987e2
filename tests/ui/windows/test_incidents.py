"""Incidents in the Problems tab during a run, in plain words with the code on hover; exports."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Env, approve, finish_run, load, open_window

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def test_a_partial_then_canceled_sell_shows_in_the_problems_tab_during_the_run(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    env = make_env("partial")  # VTI fills half, the broker cancels the rest
    window = open_window(qtbot, env)
    load(qtbot, window)
    panel = window.files.incidents
    problems_tab = next(
        i for i in range(window.tabs.count()) if "Problems" in window.tabs.tabText(i)
    )
    assert window.tabs.widget(problems_tab).isAncestorOf(window.review.problems)
    assert window.tabs.widget(problems_tab).isAncestorOf(panel)
    approve(qtbot, window)
    window.acts.run.trigger()
    qtbot.waitUntil(lambda: window.runs.paused, timeout=10_000)  # between the phases
    window.tabs.setCurrentIndex(problems_tab)
    assert window.review.problems.isVisible() and panel.isVisible()  # one above the other
    model = panel.model

    def row_text(symbol: str) -> str:
        for row in range(model.rowCount()):
            if model.index(row, 1).data() == symbol:
                return str(model.index(row, 2).data())
        return ""

    qtbot.waitUntil(lambda: "rest canceled by the broker" in row_text("VTI"), timeout=5_000)
    assert window.runs.running  # shown live, not only after the run
    vti = next(r for r in range(model.rowCount()) if model.index(r, 1).data() == "VTI")
    tip = model.index(vti, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert "partial_canceled" in tip  # the code on hover
    assert any(
        "re-approval needed" in str(model.index(r, 2).data()) for r in range(model.rowCount())
    )
    window.runs.resolve_reapproval(True)
    finish_run(qtbot, window)
    qtbot.waitUntil(lambda: "minimum order" in row_text("KO"), timeout=5_000)
    assert "incident" in panel.title.text()

    out = env.tmp / "summary.csv"
    window.files.export_csv(str(out))
    incidents = (env.tmp / "summary-incidents.csv").read_text(encoding="utf-8").splitlines()
    assert incidents[0] == "seq,symbol,text,code"
    assert any("VTI" in line and "partial_canceled" in line for line in incidents[1:])
    totals = (env.tmp / "summary-totals.csv").read_text(encoding="utf-8").splitlines()
    assert totals[0].startswith("run_id,plan_id,status") and len(totals) == 2
    legs = out.read_text(encoding="utf-8").splitlines()
    assert all(line.count(",") >= 10 for line in legs)  # one table: no totals appended

    pdf = env.tmp / "run.pdf"
    window.files.export_pdf(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")

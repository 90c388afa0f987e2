"""The log bridge: structlog and stdlib records feed the dock's model, filtered by level."""

from __future__ import annotations

import logging

import pytest
import structlog
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.ui.models.logbridge import LogBridge, levels_at_least
from console.ui.widgets.tables import RecordTable

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def test_log_bridge_feeds_the_dock_filtered_by_level(
    qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    bridge = LogBridge()
    handler = bridge.handler()
    logger = logging.getLogger("console.test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("noise")
        logger.warning("careful %s", "now")
        bridge.processor(None, "error", {"event": "broke", "level": "error", "symbol": "AAPL"})
    finally:
        logger.removeHandler(handler)
    qtbot.waitUntil(lambda: bridge.model.rowCount() == 3)
    bridge.model.flush()
    qtmodeltester.check(bridge.model)
    table = RecordTable("log", bridge.model)
    table.set_status_filter(levels_at_least("warning"))
    assert table.proxy.rowCount() == 2
    assert "symbol=AAPL" in bridge.model.rows()[2].details
    structlog.get_logger("x")  # structlog importable alongside

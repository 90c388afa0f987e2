"""Both windows carry the bundled Phase Console icon."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from console.ui.windows.replay.window import ReplayWindow
from tests.ui.conftest import Env, open_window


def test_main_and_replay_windows_show_the_bundled_icon(
    qtbot: QtBot, make_env: Callable[..., Env]
) -> None:
    window = open_window(qtbot, make_env("fast"))
    assert not window.windowIcon().isNull()
    assert window.windowIcon().pixmap(32, 32).width() == 32
    replay = ReplayWindow()
    qtbot.addWidget(replay)
    assert not replay.windowIcon().isNull()

"""The approval state machine and its price-drift rules."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.ui.viewmodels.approval_vm import ApprovalState, ApprovalViewModel, price_drift
from tests.ui.conftest import Env, FakeClock, load, open_window

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]


def test_approval_state_machine(qapp: QApplication) -> None:
    clock = FakeClock()
    vm = ApprovalViewModel(Decimal(300), Decimal("0.01"), clock=clock)
    assert vm.state is ApprovalState.NONE
    assert not vm.valid
    with pytest.raises(RuntimeError):
        vm.consume()


def test_approval_drift_rules(qtbot: QtBot, make_env: Callable[..., Env]) -> None:
    window = open_window(qtbot, make_env("fast"))
    load(qtbot, window)
    preview = window.previews.preview
    assert preview is not None
    assert price_drift(preview, preview, Decimal("0.01")) is None
    leg = preview.sell[0]
    assert leg.price is not None
    moved = leg.model_copy(update={"price": leg.price * Decimal("1.011")})
    fresh = preview.model_copy(update={"sell": (moved, *preview.sell[1:])})
    why = price_drift(preview, fresh, Decimal("0.01"))
    assert why is not None
    assert leg.symbol in why
    assert "+1.10 %" in why
    inside = leg.model_copy(update={"price": leg.price * Decimal("1.01")})
    fresh = preview.model_copy(update={"sell": (inside, *preview.sell[1:])})
    assert price_drift(preview, fresh, Decimal("0.01")) is None  # exactly the band: not beyond
    clock = FakeClock()
    vm = ApprovalViewModel(Decimal(300), Decimal("0.01"), clock=clock)
    vm.approve(preview, "t")
    assert vm.remaining() == 300
    used = vm.consume()
    assert used is preview
    assert vm.state is ApprovalState.USED
    assert not vm.valid

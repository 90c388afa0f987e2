"""What the main window is wired to (its context) and the positions of its tabs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QSettings

from console.domain.config import Settings
from console.engine.gateway import BrokerGateway
from console.engine.ports import CredentialStore, Journal
from console.engine.tasks import TaskGroup
from console.ui.dialogs.settings import ConnectionChecker
from console.ui.models.logbridge import LogBridge
from console.ui.viewmodels.approval_vm import Clock
from console.ui.viewmodels.run_vm import ExecutorFactory

TAB_PROBLEMS, TAB_MONITOR, TAB_SUMMARY, TAB_POSITIONS = 3, 4, 5, 6


@dataclass
class WindowContext:
    """Everything the window is wired to (built by the composition root, or by tests)."""

    gateway: BrokerGateway
    journal: Journal
    settings: Settings
    qsettings: QSettings
    executor_factory: ExecutorFactory
    log_bridge: LogBridge
    tasks: TaskGroup = field(default_factory=TaskGroup)
    clock: Clock = time.monotonic
    operator: str = "gui"
    credentials: CredentialStore | None = None
    check_connection: ConnectionChecker | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    reset_account: Callable[[], None] | None = None  # the sim broker's: back to its scenario

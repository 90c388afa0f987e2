"""Desktop notifications (system tray) when a run needs attention or ends."""

from __future__ import annotations

import structlog
from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon

log = structlog.get_logger(__name__)


class Notifier(QObject):
    """Shows tray balloons where a tray exists; always logs; remembers what it said (tests)."""

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sent: list[tuple[str, str]] = []
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Phase Console")
            self.tray.show()

    def notify(self, title: str, text: str, *, urgent: bool = False) -> None:
        """Tell the operator, also when the window is not in front."""
        self.sent.append((title, text))
        if urgent:
            log.warning("notified", title=title, text=text)
        else:
            log.info("notified", title=title, text=text)
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            icon = (
                QSystemTrayIcon.MessageIcon.Warning
                if urgent
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.tray.showMessage(title, text, icon, 10_000)

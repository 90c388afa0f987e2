"""QSettings access: recent plans, window layout, live opt-in (tests pass an ini file)."""

from __future__ import annotations

import getpass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "PhaseConsole"
APPLICATION = "Phase Console"
MAX_RECENT = 8


def open_settings(path: str | None = None) -> QSettings:
    """The user's settings, or an ini file at `path` (tests, portable installs)."""
    if path is not None:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def recent_files(settings: QSettings) -> list[str]:
    """Recently opened plan files, newest first."""
    value = settings.value("recent/files", [])
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [str(item) for item in value if item]
    return []


def add_recent(settings: QSettings, path: str) -> list[str]:
    """Put `path` first in the recent list (deduplicated, bounded)."""
    absolute = str(Path(path).resolve())
    files = [absolute] + [f for f in recent_files(settings) if f != absolute]
    files = files[:MAX_RECENT]
    settings.setValue("recent/files", files)
    return files


def save_bytes(settings: QSettings, key: str, value: QByteArray) -> None:
    """Store a Qt state blob."""
    settings.setValue(key, value)


def load_bytes(settings: QSettings, key: str) -> QByteArray | None:
    """A stored Qt state blob, if any."""
    value = settings.value(key)
    if isinstance(value, QByteArray | bytes) and value:
        return QByteArray(value)
    return None


LIVE_KEY = "alpaca/live_trading"


def live_trading(settings: QSettings) -> bool:
    """The operator opted in to live trading on Alpaca (Settings dialog); off by default."""
    value = settings.value(LIVE_KEY, False)
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def set_live_trading(settings: QSettings, on: bool) -> None:
    """Persist the live-trading opt-in."""
    settings.setValue(LIVE_KEY, on)
    settings.sync()


APPROVER_KEY = "approval/approver_name"


def default_approver() -> str:
    """The OS user name (the approver when none is set)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "operator"


def approver_name(settings: QSettings) -> str:
    """The name recorded as approved_by (the OS user unless set)."""
    value = settings.value(APPROVER_KEY, "")
    text = str(value).strip() if value is not None else ""
    return text or default_approver()


def set_approver_name(settings: QSettings, name: str) -> None:
    """Remember the approver's name."""
    settings.setValue(APPROVER_KEY, name.strip())
    settings.sync()

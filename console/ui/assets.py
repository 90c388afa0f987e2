"""The window icon, read from the bundled resources (console.resources)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon, QPixmap

from console import resources


@cache
def app_icon() -> QIcon:
    """The Phase Console icon (resources/icons/phase-console.svg)."""
    pixmap = QPixmap()
    pixmap.loadFromData(resources.read_bytes(*resources.ICON), "SVG")
    return QIcon(pixmap)

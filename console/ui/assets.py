"""The window icon and style sheets, read from the bundled resources (console.resources)."""

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


def report_css() -> str:
    """The style sheet of the printable preview report."""
    return resources.read_text(*resources.REPORT_CSS)

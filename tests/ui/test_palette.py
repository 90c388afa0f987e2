"""Tone colours follow the application palette, so a dark desktop theme stays readable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from console.domain.columns import Tone
from console.ui import palette


def _dark() -> QPalette:
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, QColor(37, 37, 38)),
        (QPalette.ColorRole.Base, QColor(30, 30, 30)),
        (QPalette.ColorRole.WindowText, QColor(230, 230, 230)),
        (QPalette.ColorRole.Text, QColor(230, 230, 230)),
    ):
        pal.setColor(role, colour)
    return pal


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    before = QApplication.palette()
    QApplication.setPalette(_dark())
    yield
    QApplication.setPalette(before)


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_tone_reads_on_a_light_palette(qapp: QApplication) -> None:
    assert not palette.is_dark()
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    for tone in Tone:
        colour = palette.tone_colour(tone)
        assert colour is not None
        assert _contrast(colour, base) >= 4.0, tone  # the light theme's hues, as before
    assert palette.css_colour(Tone.GOOD) == "color:#1b7f3b;"


def test_every_tone_reads_on_a_dark_palette(dark: None) -> None:
    assert palette.is_dark()
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    for tone in Tone:
        colour = palette.tone_colour(tone)
        assert colour is not None
        assert _contrast(colour, base) >= 4.5, tone
    assert palette.css_colour(Tone.BAD) != "color:#b3261e;"  # lightened for the dark theme

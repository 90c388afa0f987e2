"""Colours derived from the application palette, so tones stay readable on light and dark themes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from console.domain.columns import STATUS_TONES, Tone

# The tones' hues on a light theme; on a dark theme they are lightened until readable.
_HUES: dict[Tone, tuple[int, int, int]] = {
    Tone.GOOD: (27, 127, 59),
    Tone.WARN: (178, 106, 0),
    Tone.BAD: (179, 38, 30),
    Tone.INFO: (26, 95, 180),
    Tone.MUTED: (95, 99, 104),
}
_SHADE_ALPHA = 40
_cache: dict[int, dict[Tone, QColor]] = {}


def palette() -> QPalette:
    """The application's current palette."""
    return QGuiApplication.palette()


def is_dark(pal: QPalette | None = None) -> bool:
    """Whether the window background is dark (a dark desktop theme)."""
    window = (pal or palette()).color(QPalette.ColorRole.Window)
    return window.lightness() < 128


def _tones() -> dict[Tone, QColor]:
    pal = palette()
    key = pal.cacheKey()
    tones = _cache.get(key)
    if tones is None:
        dark = is_dark(pal)
        tones = {}
        for tone, rgb in _HUES.items():
            colour = QColor(*rgb)
            if dark:
                colour = colour.lighter(190 if tone is Tone.MUTED else 170)
            tones[tone] = colour
        _cache.clear()
        _cache[key] = tones
    return tones


def tone_colour(tone: Tone | None) -> QColor | None:
    """The text colour of a tone on the current palette (None: the palette's text colour)."""
    return None if tone is None else QColor(_tones()[tone])


def tone_shade(tone: Tone | None) -> QColor | None:
    """A translucent background tint of a tone (status cells)."""
    if tone is None:
        return None
    colour = QColor(_tones()[tone])
    colour.setAlpha(_SHADE_ALPHA if not is_dark() else _SHADE_ALPHA + 24)
    return colour


def status_colour(status: str) -> QColor:
    """The colour of a run or order status (muted when it has no tone)."""
    return QColor(_tones()[STATUS_TONES.get(status, Tone.MUTED)])


def css_colour(tone: Tone) -> str:
    """A style-sheet colour declaration for a tone: 'color:#rrggbb;'."""
    return f"color:{_tones()[tone].name()};"


def css_tint(tone: Tone) -> str:
    """A style-sheet background of a tone's translucent tint (e.g. a disabled HALT button)."""
    shade = tone_shade(tone) or QColor()
    return f"background:rgba({shade.red()},{shade.green()},{shade.blue()},{shade.alpha()});"


def css_frame(tone: Tone) -> str:
    """A style-sheet declaration for a framed, tinted panel of a tone (e.g. the error panel)."""
    return f"border:2px solid {_tones()[tone].name()};{css_tint(tone)}"


def css_badge(tone: Tone) -> str:
    """A style-sheet declaration for a solid badge of a tone: readable text on its hue."""
    background = QColor(*_HUES[tone])
    return f"background:{background.name()};color:{_on(background).name()};"


def _on(background: QColor) -> QColor:
    """Light or dark text, whichever reads on this background."""
    pal = palette()
    light = pal.color(QPalette.ColorRole.BrightText)
    if light.lightness() < 128:
        light = pal.color(QPalette.ColorRole.HighlightedText)
    dark = pal.color(QPalette.ColorRole.WindowText)
    if dark.lightness() > 128:
        dark = pal.color(QPalette.ColorRole.Base)
    return light if background.lightness() < 150 else dark

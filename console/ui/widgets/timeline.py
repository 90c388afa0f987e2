"""The replay timeline: a custom-painted slider over events with phases and problems marked."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget
from typing_extensions import override

from console.domain.columns import Tone
from console.domain.reasons import approved_legs, run_incidents
from console.domain.replay import ReplayIndex
from console.ui import fmt
from console.ui.palette import tone_colour, tone_shade

MARGIN = 10
# Phase bands, boundaries and marks take the palette's tone colours (readable on dark themes).
SELL_BAND, BUY_BAND, BOUNDARY = Tone.INFO, Tone.GOOD, Tone.INFO


def incident_marks(index: ReplayIndex) -> list[tuple[int, str]]:
    """(position, plain words [code]) of every incident of the run, in seq order.

    Caps of the approved preview, the folded incidents and each leg that did not fill in full
    (partly filled then canceled, canceled at the phase timeout or by halt, refused, skipped),
    at the seq of its last event.
    """
    marks: list[tuple[int, str]] = []
    approved, seq = approved_legs(index.events[:1])
    for incident in run_incidents(index.final, approved=approved, approved_seq=seq):
        if incident.seq is None:
            continue
        symbol = f"{incident.symbol}: " if incident.symbol else ""
        marks.append((index.index_of(incident.seq), f"{symbol}{incident.text} [{incident.code}]"))
    return marks


class Timeline(QWidget):
    """Positions 0..n-1 left to right; click or drag to scrub (emits `scrubbed`)."""

    scrubbed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayTimeline")
        self.setAccessibleName("Replay timeline")
        self.setMinimumHeight(54)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.index: ReplayIndex | None = None
        self.position = 0
        self.boundary_positions: list[tuple[int, str, str]] = []  # position, kind, label
        self.problem_positions: list[tuple[int, str]] = []  # position, message

    def set_index(self, index: ReplayIndex | None) -> None:
        """Show a run's events, phase boundaries and problems."""
        self.index = index
        self.boundary_positions = []
        self.problem_positions = []
        if index is not None:
            self.boundary_positions = [
                (index.index_of(b.seq), b.kind, b.label) for b in index.boundaries
            ]
            self.problem_positions = incident_marks(index)
        self.update()

    def set_position(self, position: int) -> None:
        """Move the drawn cursor."""
        self.position = position
        self.update()

    @override
    def sizeHint(self) -> QSize:
        return QSize(900, 54)

    def _span(self) -> int:
        return max(1, len(self.index) - 1) if self.index is not None else 1

    def x_of(self, position: int) -> float:
        """The x coordinate of an event position."""
        width = max(1, self.width() - 2 * MARGIN)
        return MARGIN + width * position / self._span()

    def position_at(self, x: float) -> int:
        """The event position nearest to an x coordinate."""
        width = max(1, self.width() - 2 * MARGIN)
        ratio = min(1.0, max(0.0, (x - MARGIN) / width))
        return round(ratio * self._span())

    @override
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        top, groove_h = 8.0, 16.0
        groove = QRectF(MARGIN, top, self.width() - 2 * MARGIN, groove_h)
        painter.fillRect(groove, self.palette().alternateBase())
        if self.index is None:
            painter.drawText(groove, Qt.AlignmentFlag.AlignCenter, "No run open")
            painter.end()
            return
        started: dict[str, float] = {}
        for position, kind, label in self.boundary_positions:
            x = self.x_of(position)
            if kind == "phase_started":
                started[label.split()[0]] = x
            elif kind == "phase_completed":
                side = label.split()[0]
                begin = started.pop(side, MARGIN)
                band = tone_shade(SELL_BAND if side == "sell" else BUY_BAND) or QColor()
                painter.fillRect(QRectF(begin, top, max(1.0, x - begin), groove_h), band)
        for side, begin in started.items():  # a phase still open at the run's end
            band = tone_shade(SELL_BAND if side == "sell" else BUY_BAND) or QColor()
            painter.fillRect(QRectF(begin, top, self.width() - MARGIN - begin, groove_h), band)
        boundary = tone_colour(BOUNDARY) or QColor()
        painter.setPen(QPen(boundary, 2))
        for position, _kind, _label in self.boundary_positions:
            x = self.x_of(position)
            painter.drawLine(QPointF(x, top - 4), QPointF(x, top + groove_h + 2))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tone_colour(Tone.BAD) or QColor())
        base = top + groove_h + 4
        for position, _message in self.problem_positions:
            x = self.x_of(position)
            mark = QPainterPath(QPointF(x, base))
            mark.lineTo(x - 5, base + 9)
            mark.lineTo(x + 5, base + 9)
            mark.closeSubpath()
            painter.drawPath(mark)
        x = self.x_of(self.position)
        cursor = self.palette().windowText().color()
        painter.setPen(QPen(cursor, 2))
        painter.drawLine(QPointF(x, 2), QPointF(x, top + groove_h + 14))
        painter.setBrush(cursor)
        painter.drawEllipse(QPointF(x, top + groove_h / 2), 5, 5)
        if self.hasFocus():
            painter.setPen(QPen(boundary, 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    @override
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.index is not None:
            self.scrubbed.emit(self.position_at(event.position().x()))

    @override
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.index is None:
            return
        position = self.position_at(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(position)
        self.setToolTip(self.describe(position))
        QToolTip.showText(event.globalPosition().toPoint(), self.toolTip(), self)

    def describe(self, position: int) -> str:
        """Tooltip text of a position: seq, kind and any marks there."""
        if self.index is None:
            return ""
        recorded = self.index.events[position]
        lines = [f"seq {recorded.seq} · {recorded.event.kind} · {fmt.clock_time(recorded.ts)}"]
        lines += [label for p, _k, label in self.boundary_positions if p == position]
        lines += [message for p, message in self.problem_positions if p == position]
        return "\n".join(lines)

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Home:
            self.scrubbed.emit(0)
        elif event.key() == Qt.Key.Key_End and self.index is not None:
            self.scrubbed.emit(len(self.index) - 1)
        else:
            super().keyPressEvent(event)

"""Inline (never modal) pieces of the main window: elided labels, notices and confirm bars."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)
from typing_extensions import override

from console.domain.columns import Tone
from console.ui.palette import css_colour, css_frame


class ElidedLabel(QLabel):
    """A one-line label that shrinks with an ellipsis; the full text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setToolTip(text)

    @override
    def setText(self, text: str) -> None:
        """Set the full text (also the tooltip)."""
        super().setText(text)
        self.setToolTip(text)

    def shown_text(self) -> str:
        """The text as painted at the current width."""
        metrics = QFontMetrics(self.font())
        return metrics.elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())

    def is_elided(self) -> bool:
        """True when the painted text is shortened."""
        return self.shown_text() != self.text()

    @override
    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 40), hint.height())

    @override
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = self.alignment() | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(rect, int(align), self.shown_text())
        painter.end()


class NoticeBar(QFrame):
    """A dismissable inline message above the tabs (a refused run, a failed cancel)."""

    dismissed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel()
        self.text.setObjectName(f"{name}Text")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setObjectName(f"{name}Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._tone: Tone | None = None
        self.hide()

    def show_message(self, text: str, tone: Tone = Tone.BAD) -> None:
        """Show `text` in the colours of `tone`."""
        if not self.isHidden() and self.text.text() == text and self._tone is tone:
            return
        self._tone = tone
        self.setStyleSheet(f"#{self.objectName()}{{{css_frame(tone)}}}")
        self.text.setStyleSheet(css_colour(tone) + "font-weight:bold;")
        self.text.setText(text)
        self.show()

    def dismiss(self) -> None:
        """Hide the notice."""
        self.hide()
        self.dismissed.emit()


class ConfirmBar(QFrame):
    """An inline yes/no question (default: No); the callback runs on Yes."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"#{name}{{{css_frame(Tone.WARN)}}}")
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.yes = QPushButton("Yes")
        self.yes.setObjectName(f"{name}Yes")
        self.no = QPushButton("No")
        self.no.setObjectName(f"{name}No")
        self.no.setDefault(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.question, 1)
        layout.addWidget(self.yes)
        layout.addWidget(self.no)
        self._on_yes: Callable[[], None] | None = None
        self.yes.clicked.connect(self._yes)
        self.no.clicked.connect(self.hide)
        self.hide()

    def ask(self, text: str, yes: str, on_yes: Callable[[], None], no: str = "Keep") -> None:
        """Ask `text`; `on_yes` runs when Yes is clicked."""
        self.question.setText(text)
        self.yes.setText(yes)
        self.no.setText(no)
        self._on_yes = on_yes
        self.show()
        self.no.setFocus()

    def _yes(self) -> None:
        self.hide()
        action, self._on_yes = self._on_yes, None
        if action is not None:
            action()

"""QPainter charts: the funding waterfall and current vs target weights (no QtCharts)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget
from typing_extensions import override

from console.domain.columns import Tone
from console.domain.money import ZERO, add
from console.domain.preview_model import Funding
from console.domain.rows import WeightBar
from console.ui import fmt
from console.ui.palette import tone_colour

# What each bar means; the colours come from the palette (palette.tone_colour) when painting.
POSITIVE, NEGATIVE, TOTAL, PLANNED = Tone.GOOD, Tone.BAD, Tone.INFO, Tone.WARN
CURRENT, TARGET = Tone.MUTED, Tone.INFO


def _colour(tone: Tone) -> QColor:
    return tone_colour(tone) or QColor()


_LABEL_FLAGS = int(
    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
)


def _ratio(part: Decimal, whole: Decimal) -> float:
    """A pixel ratio (display geometry only, never money)."""
    return 0.0 if whole <= 0 else float(part / whole)


class FundingPanel(QWidget):
    """Waterfall: buying power + expected sell proceeds − reserve = available, vs planned buys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.funding: Funding | None = None
        self.setMinimumSize(420, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Funding waterfall")

    def set_funding(self, funding: Funding | None) -> None:
        """Draw this funding (None: empty)."""
        self.funding = funding
        self.setToolTip(self.describe())
        self.update()

    def describe(self) -> str:
        """The waterfall as text (tooltip, accessibility, reports)."""
        f = self.funding
        if f is None:
            return "No preview"
        return (
            f"buying power {fmt.money(f.buying_power)} + expected sell proceeds "
            f"{fmt.money(f.expected_sell_proceeds)} − reserve {fmt.money(f.reserve)} = available "
            f"{fmt.money(f.available_for_buys)}; planned buys {fmt.money(f.planned_buys)}; "
            f"scale {f.scale}"
        )

    @override
    def sizeHint(self) -> QSize:
        return QSize(560, 300)

    @override
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        f = self.funding
        if f is None:
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Load a plan to see funding"
            )
            painter.end()
            return
        steps: list[tuple[str, Decimal, Decimal, Tone]] = []  # label, start, end, tone
        running = f.buying_power
        steps.append(("Buying power", ZERO, running, TOTAL))
        steps.append(("+ Sell proceeds", running, add(running, f.expected_sell_proceeds), POSITIVE))
        running = add(running, f.expected_sell_proceeds)
        steps.append(("− Reserve", add(running, -f.reserve), running, NEGATIVE))
        steps.append(("= Available", ZERO, f.available_for_buys, TOTAL))
        steps.append(("Planned buys", ZERO, f.planned_buys, PLANNED))
        values = [f.buying_power, running, f.available_for_buys, f.planned_buys]
        top = max([v for v in values if v > 0] or [Decimal(1)])
        margin_l, margin_r, margin_t, margin_b = 16, 16, 40, 40
        width = self.width() - margin_l - margin_r
        height = self.height() - margin_t - margin_b
        title = QFont(self.font())
        title.setBold(True)
        painter.setFont(title)
        scale_text = f"Buy scale {f.scale}" + ("  (buys scaled down)" if f.scale < 1 else "")
        painter.setPen(_colour(NEGATIVE) if f.scale < 1 else self.palette().text().color())
        painter.drawText(QRectF(margin_l, 8, width, 24), Qt.AlignmentFlag.AlignLeft, scale_text)
        painter.setFont(self.font())
        slot = width / len(steps)
        bar_w = slot * 0.6
        baseline = margin_t + height
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawLine(margin_l, int(baseline), margin_l + int(width), int(baseline))
        for number, (label, start, end, colour) in enumerate(steps):
            low, high = min(start, end), max(start, end)
            y_top = baseline - height * _ratio(high, top)
            y_low = baseline - height * _ratio(max(low, ZERO), top)
            x = margin_l + slot * number + (slot - bar_w) / 2
            painter.fillRect(QRectF(x, y_top, bar_w, max(1.0, y_low - y_top)), _colour(colour))
            painter.setPen(self.palette().text().color())
            amount = end - start if label.startswith(("+", "−")) else end
            painter.drawText(
                QRectF(x - 20, y_top - 20, bar_w + 40, 18),
                Qt.AlignmentFlag.AlignCenter,
                fmt.money(amount),
            )
            painter.drawText(
                QRectF(margin_l + slot * number, baseline + 6, slot, 36),
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                label,
            )
        painter.end()


class WeightChart(QWidget):
    """Horizontal bars: current and target weight of each plan symbol."""

    ROW = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[WeightBar] = []
        self.setMinimumSize(360, 200)
        self.setAccessibleName("Current vs target weight")

    def set_bars(self, bars: Sequence[WeightBar]) -> None:
        """Draw these symbols."""
        self.bars = list(bars)
        self.setMinimumHeight(max(200, 48 + self.ROW * len(self.bars)))
        self.updateGeometry()
        self.update()

    @override
    def sizeHint(self) -> QSize:
        return QSize(480, max(200, 48 + self.ROW * len(self.bars)))

    @override
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        text = self.palette().text().color()
        if not self.bars:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No plan loaded")
            painter.end()
            return
        top = max([max(b.current, b.target) for b in self.bars] + [Decimal("0.01")])
        label_w, value_w, margin = 64, 128, 10
        width = self.width() - label_w - value_w - 2 * margin
        painter.setPen(text)
        painter.fillRect(QRectF(label_w + margin, 8, 12, 10), _colour(CURRENT))
        painter.drawText(label_w + margin + 16, 18, "current")
        painter.fillRect(QRectF(label_w + margin + 90, 8, 12, 10), _colour(TARGET))
        painter.drawText(label_w + margin + 106, 18, "target")
        for number, bar in enumerate(self.bars):
            y = 30 + number * self.ROW
            painter.setPen(text)
            painter.drawText(
                QRectF(margin, y, label_w - 4, self.ROW),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                bar.symbol,
            )
            x0 = label_w + margin
            painter.fillRect(
                QRectF(x0, y + 3, width * _ratio(bar.current, top), 7), _colour(CURRENT)
            )
            painter.fillRect(
                QRectF(x0, y + 11, width * _ratio(bar.target, top), 7), _colour(TARGET)
            )
            painter.drawText(
                QRectF(x0 + width + 6, y, value_w, self.ROW),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                f"{fmt.pct(bar.current)} → {fmt.pct(bar.target)}",
            )
        painter.end()

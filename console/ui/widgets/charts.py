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
from console.ui.viewmodels.units import usd

# What each bar means; the colours come from the palette (palette.tone_colour) when painting.
POSITIVE, NEGATIVE, TOTAL, PLANNED, MUTED = Tone.GOOD, Tone.BAD, Tone.INFO, Tone.WARN, Tone.MUTED
CURRENT, TARGET = Tone.MUTED, Tone.INFO


def _colour(tone: Tone) -> QColor:
    return tone_colour(tone) or QColor()


_LABEL_FLAGS = int(
    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
)


def _ratio(part: Decimal, whole: Decimal) -> float:
    """A pixel ratio (display geometry only, never money)."""
    return 0.0 if whole <= 0 else float(part / whole)


def funding_sentence(funding: Funding, allow_margin: bool | None = None) -> str:
    """One line: which balance funds the buys and why the other does not."""
    source = funding.funded_by(allow_margin)
    cash, bp = funding.cash, funding.buying_power
    if source == "cash":
        unused = ""
        if cash is not None and bp > cash:
            unused = f"; buying power {usd(bp)} is not borrowed (allow_margin is off)"
        return f"Buys are funded from cash {usd(cash)}{unused}"
    if cash is not None and bp < cash:
        return f"Buys are funded from buying power {usd(bp)}, which is below cash {usd(cash)}"
    return f"Buys are funded from buying power {usd(bp)} (allow_margin: the account may borrow)"


class FundingPanel(QWidget):
    """Waterfall: cash, buying power, spendable + expected sell proceeds − reserve = available,
    vs planned buys; the title says which balance funds the buys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.funding: Funding | None = None
        self.allow_margin: bool | None = None
        self.setMinimumSize(420, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Funding waterfall")

    def set_funding(self, funding: Funding | None, allow_margin: bool | None = None) -> None:
        """Draw this funding (None: empty); `allow_margin` is the config's, when known."""
        self.funding = funding
        if allow_margin is not None:
            self.allow_margin = allow_margin
        self.setToolTip(self.describe())
        self.update()

    def describe(self) -> str:
        """The waterfall as text (tooltip, accessibility, reports)."""
        f = self.funding
        if f is None:
            return "No preview"
        spendable = f.spendable if f.spendable is not None else f.buying_power
        return (
            f"cash {usd(f.cash)}, buying power {usd(f.buying_power)}: spendable "
            f"{usd(spendable)} + expected sell proceeds {usd(f.expected_sell_proceeds)} "
            f"− reserve {usd(f.reserve)} = available {usd(f.available_for_buys)}; planned buys "
            f"{usd(f.planned_buys)}; buy scale {fmt.pct(f.scale)}. "
            f"{funding_sentence(f, self.allow_margin)}."
        )

    def steps(self) -> list[tuple[str, Decimal, Decimal, Tone]]:
        """The bars: label, start, end, tone (the unused balance is muted)."""
        f = self.funding
        if f is None:
            return []
        source = f.funded_by(self.allow_margin)
        spendable = f.spendable if f.spendable is not None else f.buying_power
        steps: list[tuple[str, Decimal, Decimal, Tone]] = []
        if f.cash is not None:
            steps.append(("Cash", ZERO, f.cash, TOTAL if source == "cash" else MUTED))
        steps.append(("Buying power", ZERO, f.buying_power, TOTAL if source != "cash" else MUTED))
        steps.append(("Spendable", ZERO, spendable, TOTAL))
        running = add(spendable, f.expected_sell_proceeds)
        steps.append(("+ Sell proceeds", spendable, running, POSITIVE))
        steps.append(("− Reserve", add(running, -f.reserve), running, NEGATIVE))
        steps.append(("= Available", ZERO, f.available_for_buys, TOTAL))
        steps.append(("Planned buys", ZERO, f.planned_buys, PLANNED))
        return steps

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
        steps = self.steps()
        top = max(
            [max(start, end) for _, start, end, _ in steps if max(start, end) > 0] or [Decimal(1)]
        )
        margin_l, margin_r, margin_t, margin_b = 16, 16, 68, 40
        width = self.width() - margin_l - margin_r
        height = self.height() - margin_t - margin_b
        title = QFont(self.font())
        title.setBold(True)
        painter.setFont(title)
        scale_text = f"Buy scale {fmt.pct(f.scale)}" + (
            "  (buys scaled down)" if f.scale < 1 else ""
        )
        painter.setPen(_colour(NEGATIVE) if f.scale < 1 else self.palette().text().color())
        metrics = painter.fontMetrics()
        painter.drawText(
            QRectF(margin_l, 6, width, 20),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(scale_text, Qt.TextElideMode.ElideRight, width),
        )
        painter.setFont(self.font())
        painter.setPen(self.palette().text().color())
        sentence = funding_sentence(f, self.allow_margin)
        painter.drawText(
            QRectF(margin_l, 26, width, 20),
            Qt.AlignmentFlag.AlignLeft,
            painter.fontMetrics().elidedText(sentence, Qt.TextElideMode.ElideRight, width),
        )
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
                QRectF(margin_l + slot * number, y_top - 18, slot, 16),
                Qt.AlignmentFlag.AlignCenter,
                painter.fontMetrics().elidedText(
                    usd(amount), Qt.TextElideMode.ElideRight, int(slot)
                ),
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

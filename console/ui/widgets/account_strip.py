"""The account strip (broker, mode badge, balances, market, stream health) and the LIVE banner."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from console.domain.columns import Tone
from console.domain.formatting import hours_minutes
from console.domain.market import AccountSnapshot, MarketClock
from console.ui import fmt
from console.ui.palette import css_badge, css_colour
from console.ui.viewmodels.units import usd
from console.ui.widgets.inline import ElidedLabel

MODE_TONES = {"SIM": Tone.MUTED, "PAPER": Tone.INFO, "LIVE": Tone.BAD}
HEALTH_STYLES = {
    "ok": (Tone.GOOD, "stream ok"),
    "amber": (Tone.WARN, "stream silent"),
    "red": (Tone.BAD, "stream silent"),
    "paused": (Tone.INFO, "paused"),
    "idle": (Tone.MUTED, "idle"),
}
_BADGE = "font-weight:bold;padding:2px 8px;border-radius:3px;"


def _value_label(name: str) -> QLabel:
    label = QLabel("—")
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def market_text(clock: MarketClock | None, market_open: bool) -> tuple[str, Tone]:
    """'● open · closes in 2 h 5 min' / '● closed · opens in 14 h 3 min'."""
    if market_open:
        minutes = clock.minutes_to_close() if clock is not None else None
        if minutes is None:
            return "● market open", Tone.GOOD
        tone = Tone.WARN if minutes < 30 else Tone.GOOD
        return f"● open · closes in {hours_minutes(minutes)}", tone
    minutes = clock.minutes_to_open() if clock is not None else None
    if minutes is None:
        return "● market closed", Tone.WARN
    return f"● closed · opens in {hours_minutes(minutes)}", Tone.WARN


class AccountStrip(QFrame):
    """One line of account facts above the tabs."""

    def __init__(self, broker: str, mode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(14)
        self.broker = QLabel(f"<b>{broker}</b>")
        self.broker.setToolTip(f"Broker: {broker}")
        self.mode = QLabel(mode)
        self.mode.setObjectName("modeBadge")
        self.mode.setStyleSheet(_BADGE + css_badge(MODE_TONES.get(mode, Tone.MUTED)))
        self.mode.setToolTip(f"{mode} account")
        self.account = ElidedLabel("—")
        self.account.setObjectName("accountId")
        self.equity = _value_label("equity")
        self.cash = _value_label("cash")
        self.buying_power = _value_label("buyingPower")
        self.market = ElidedLabel("market —")
        self.market.setObjectName("market")
        self.health = ElidedLabel("idle")
        self.health.setObjectName("streamHealth")
        layout.setSpacing(10)
        for widget in (self.broker, self.mode):
            layout.addWidget(widget)
        layout.addWidget(self.account, 1)
        for caption, widget in (
            ("Equity", self.equity),
            ("Cash", self.cash),
            ("Buying power", self.buying_power),
        ):
            layout.addWidget(QLabel(f"{caption}:"))
            layout.addWidget(widget)
        layout.addWidget(self.market, 2)
        layout.addWidget(self.health, 2)
        self.set_health("idle", None)

    def set_account(self, snapshot: AccountSnapshot | None, equity: Decimal | None) -> None:
        """Show the balances and the market clock of a snapshot."""
        if snapshot is None:
            return
        self.account.setText(snapshot.account_id)
        self.account.setToolTip(f"Account {snapshot.account_id}")
        self.equity.setText(usd(equity))
        self.cash.setText(usd(snapshot.cash))
        self.buying_power.setText(usd(snapshot.buying_power))
        self.set_clock(snapshot.clock, snapshot.market_open)

    def set_clock(self, clock: MarketClock | None, market_open: bool) -> None:
        """The market and the time to the close (or to the open)."""
        text, tone = market_text(clock, market_open)
        self.market.setText(text)
        self.market.setStyleSheet(css_colour(tone) + "font-weight:bold;")

    def set_health(self, state: str, age: float | None) -> None:
        """Stream health as colour and text: state and the age of the last update."""
        tone, text = HEALTH_STYLES.get(state, HEALTH_STYLES["idle"])
        if state == "idle":
            self.health.setText("● idle")  # no run: the age of the last update says nothing
            last = "" if age is None else f" · last update {fmt.duration(age)} ago"
            self.health.setToolTip(f"● idle: no run{last}")
        else:
            age_text = "no updates yet" if age is None else f"updated {fmt.duration(age)} ago"
            self.health.setText(f"● {text} · {age_text}")
        self.health.setProperty("state", state)
        self.health.setStyleSheet(css_colour(tone) + "font-weight:bold;")


class LiveBanner(QLabel):
    """A persistent red banner shown for LIVE accounts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("LIVE TRADING — orders placed from this window use real money", parent)
        self.setObjectName("liveBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(css_badge(Tone.BAD) + "font-weight:bold;font-size:14px;padding:6px;")

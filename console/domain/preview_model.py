"""Preview data: legs, funding, problems and the preview itself (DESIGN §3 and §6)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import model_validator

from console.domain.market import AccountSnapshot, Frozen
from console.domain.orders import OrderSpec, Side


class PreviewStatus(StrEnum):
    """Preview status of a leg (ready, skipped, blocked); the run's own is runstate.LegStatus."""

    READY = "ready"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


class Reason(StrEnum):
    """Reason codes of skipped and blocked legs, and the warnings of a preview."""

    NOT_TRADABLE = "not_tradable"
    NO_POSITION = "no_position"
    NO_PRICE = "no_price"
    ZERO_QTY = "zero_qty_after_rounding"
    BELOW_MIN_NOTIONAL = "below_min_notional"
    RISK_LIMIT = "risk_limit"
    STALE_QUOTE = "stale_quote"
    WIDE_SPREAD = "wide_spread"
    OPEN_ORDER = "open_order"
    MARKET_CLOSED = "market_closed"
    NEAR_CLOSE = "near_close"
    ACCOUNT_BLOCKED = "account_blocked"
    BUYS_SCALED = "buys_scaled"


class Note(StrEnum):
    """Informational notes on a leg."""

    LIQUIDATION = "liquidation"
    NO_PRICE = "no_price"
    STALE_QUOTE = "stale_quote"
    WIDE_SPREAD = "wide_spread"
    CAPPED_AT_POSITION = "capped_at_position"


class Leg(Frozen):
    """One order the run would place (or a skipped/blocked one), with every calculation input."""

    symbol: str
    side: Side
    planned_amount: Decimal
    scaled_amount: Decimal
    price: Decimal | None
    order: OrderSpec | None
    est_qty: Decimal | None
    est_notional: Decimal | None
    status: PreviewStatus
    reason: Reason | None
    notes: tuple[Note, ...]
    client_order_id: str
    fractionable: bool
    position_qty: Decimal
    current_weight: Decimal
    target_weight: Decimal
    priority: int
    quote_age_seconds: Decimal | None = None
    spread_bps: Decimal | None = None


class Funding(Frozen):
    """The buy phase's funding waterfall: spendable (cash unless margin) + proceeds - reserve."""

    buying_power: Decimal
    # Journals written before cash-only funding lack these two: they funded from buying power.
    cash: Decimal | None = None
    spendable: Decimal | None = None
    expected_sell_proceeds: Decimal
    reserve: Decimal
    available_for_buys: Decimal
    planned_buys: Decimal
    scale: Decimal

    def funded_by(self, allow_margin: bool | None = None) -> Literal["cash", "buying power"]:
        """Which balance funds the buys: cash, or buying power (allow_margin, or below cash)."""
        if self.cash is None or self.spendable is None:
            return "buying power"  # a journal from before cash-only funding
        if allow_margin or (self.spendable == self.buying_power and self.spendable != self.cash):
            return "buying power"
        return "cash"

    @model_validator(mode="before")
    @classmethod
    def _older_journals_funded_from_buying_power(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("spendable") is None and "buying_power" in data:
            return {**data, "spendable": data["buying_power"]}
        return data


class Problem(Frozen):
    """A warning or a blocked/skipped leg the operator approves knowingly."""

    code: Reason
    symbol: str | None
    message: str


class Preview(Frozen):
    """Everything the operator reviews and approves."""

    plan_id: str
    plan_digest: str
    preview_digest: str
    attempt: int
    account: AccountSnapshot
    equity: Decimal
    sell: tuple[Leg, ...]
    buy: tuple[Leg, ...]
    holds: tuple[str, ...]
    funding: Funding
    problems: tuple[Problem, ...]

    @property
    def legs(self) -> tuple[Leg, ...]:
        """Sell legs then buy legs."""
        return self.sell + self.buy

    def ready_legs(self, side: Side) -> tuple[Leg, ...]:
        """The legs of one phase that will be submitted."""
        legs = self.sell if side is Side.SELL else self.buy
        return tuple(leg for leg in legs if leg.status is PreviewStatus.READY)
